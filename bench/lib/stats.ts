/** Small statistics and reporting helpers shared by the benchmarks. */

/** One benchmark line: ours next to the reference implementation, in the same unit. */
export interface Measurement {
  group: string;
  name: string;
  /** `calls/s`, `ops/s`, `MB/s`, `MiB/s` (higher is better); `ms/call`, `MiB` (lower is better). */
  unit: string;
  ours: number;
  theirs: number;
  theirsName: string;
  extra?: Record<string, unknown>;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Ours relative to theirs, as "how many times better" whatever the unit's direction. */
export function advantage(m: Measurement): number {
  const lowerIsBetter = m.unit.startsWith('ms') || m.unit === 'MiB';
  return lowerIsBetter ? m.theirs / m.ours : m.ours / m.theirs;
}

/** Runs `fn` repeatedly for about `budgetMs` and returns operations per second. */
export function opsPerSecond(fn: () => void, budgetMs = 300): number {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    fn();
    n++;
    elapsed = performance.now() - start;
  }
  return (n * 1000) / elapsed;
}

/** Median of `samples` runs of {@link opsPerSecond}, after a warm-up run. */
export function medianOps(fn: () => void, samples = 7, budgetMs = 300): number {
  opsPerSecond(fn, budgetMs);
  return median(Array.from({ length: samples }, () => opsPerSecond(fn, budgetMs)));
}

export function formatNumber(v: number): string {
  if (v >= 100) return Math.round(v).toLocaleString('en-US');
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}
