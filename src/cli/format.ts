/** Output in virsh's shapes: its tables, its key/value lists, its names for states. */
import { toJSONText, uuidString } from '../handles/values.js';
import type { TypedParamType } from '../xdr/typed-params.js';

export { uuidString };

/**
 * A table as virsh prints one: a leading space, columns three spaces apart and padded to their
 * widest cell (the last one not padded), a rule of dashes, and a blank line after.
 */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    ' ' + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b, 0) + 3 * (headers.length - 1) + 3);
  return [line(headers), rule, ...rows.map(line), ''].join('\n') + '\n';
}

/** `Key:` padded to `width`, a space, the value (virsh's `%-15s %s`). */
export function keyValues(pairs: [string, string][], width: number): string {
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n') + '\n';
}

const DOMAIN_STATES = ['no state', 'running', 'idle', 'paused', 'in shutdown', 'shut off', 'crashed', 'pmsuspended'];

export function domainStateName(state: number): string {
  return DOMAIN_STATES[state] ?? 'unknown';
}

const POOL_STATES = ['inactive', 'building', 'running', 'degraded', 'inaccessible'];

export function poolStateName(state: number): string {
  return POOL_STATES[state] ?? 'unknown';
}

/** 9000000 → 9.0.0 */
export function versionString(v: bigint | number): string {
  const n = Number(v);
  return `${Math.floor(n / 1e6)}.${Math.floor(n / 1e3) % 1000}.${n % 1000}`;
}

/**
 * C's `printf("%.Nf")` of a double. toFixed already rounds the double's exact value, as glibc
 * does, except at an exact tie, where it rounds up and C to even (48.3125 is 48.312 to three).
 * The tie is judged on the exact decimal expansion (toFixed(100) is exact for the values
 * printed here): 0.35 only looks halfway, being 0.34999..., and C prints 0.3 for it.
 */
export function cFixed(value: number, digits: number): string {
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21) return value.toFixed(digits);
  const exact = Math.abs(value).toFixed(100);
  const cut = exact.indexOf('.') + 1 + digits;
  if (!/^50*$/.test(exact.slice(cut))) return value.toFixed(digits);
  const kept = digits ? exact.slice(0, cut) : exact.slice(0, cut - 1);
  if (Number(kept.at(-1)) % 2 !== 0) return value.toFixed(digits);
  return `${value < 0 ? '-' : ''}${kept}`;
}

/**
 * A typed parameter's value as virsh's vshGetTypedParamValue prints it: booleans as yes/no,
 * doubles with `%f`. Without the type (a caller that has none), a number that is not whole is
 * taken for a double.
 */
export function typedParamText(value: unknown, type?: TypedParamType): string {
  if (type === 'boolean' || typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number' && (type === 'double' || (type === undefined && !Number.isInteger(value)))) return cFixed(value, 6);
  return String(value);
}

/**
 * virsh's human sizes: the largest binary unit that keeps the value at 1 or more, and
 * `digits` decimals printed as C's `%.Nf` prints them ({@link cFixed}).
 */
export function prettySize(bytes: number | bigint, digits = 2): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = Number(bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${cFixed(v, digits)} ${units[u]}`;
}

/** A whole number option, or virsh's complaint about it. */
export function numericOption(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`Numeric value '${value}' for <${name}> option is malformed or out of range`);
  return Number(value);
}

/** JSON for `--json`: the JSON form of both faces (handles/values.ts `jsonReplacer`). */
export function toJson(value: unknown): string {
  return toJSONText(value, 2);
}
