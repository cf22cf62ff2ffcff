/** Output in virsh's shapes: its tables, its key/value lists, its names for states. */
import { toJSONText, uuidString } from '../handles/values.js';

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
 * virsh's human sizes: the largest binary unit that keeps the value at 1 or more, and
 * `digits` decimals printed as C's `%.Nf` prints them: a value exactly halfway rounds to even
 * (48.3125 is 48.312 to three), where toFixed rounds up. A byte count over a power of two is
 * exact, so the halfway test is too.
 */
export function prettySize(bytes: number | bigint, digits = 2): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = Number(bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const scale = 10 ** digits;
  const scaled = v * scale;
  const floor = Math.floor(scaled);
  const text = scaled - floor === 0.5 ? ((floor % 2 === 0 ? floor : floor + 1) / scale).toFixed(digits) : v.toFixed(digits);
  return `${text} ${units[u]}`;
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
