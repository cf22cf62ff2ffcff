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

/** JSON for `--json`: the JSON form of both faces (handles/values.ts `jsonReplacer`). */
export function toJson(value: unknown): string {
  return toJSONText(value, 2);
}
