/** Small statistics, timing and reporting helpers shared by the benchmarks. */

/**
 * One benchmark line, the result type every `bench/*.bench.ts` module's `run()` returns: ours
 * next to the reference implementation, in the same unit.
 */
export interface Measurement {
  group: string;
  name: string;
  /** `calls/s`, `ops/s`, `MB/s`, `MiB/s` (higher is better); `ms/call`, `MiB` (lower is better). */
  unit: string;
  ours: number;
  theirs: number;
  theirsName: string;
  /** The same figures in a second unit, shown in brackets (e.g. MB/s next to ops/s). */
  secondary?: { unit: string; ours: number; theirs: number };
  extra?: Record<string, unknown>;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Ours relative to theirs, as "how many times better" whatever the unit's direction. */
export function advantage(m: Measurement): number {
  return ratio(m.ours, m.theirs, m.unit.startsWith('ms') || m.unit === 'MiB');
}

/** How many times better `ours` is than `theirs`: ours ÷ theirs, or theirs ÷ ours for times. */
export function ratio(ours: number, theirs: number, lowerIsBetter = false): number {
  return lowerIsBetter ? theirs / ours : ours / theirs;
}

/** One timed sample: operations per second, and the process CPU (user + system) per operation. */
export interface Sample {
  opsPerSec: number;
  /** Process CPU per operation in µs; above the wall time per operation when GC threads help. */
  cpuUsPerOp: number;
}

/** How long one sample runs: for about `budgetMs` milliseconds, or for exactly `count` calls. */
export type SampleSize = { budgetMs: number } | { count: number };

/** Runs `fn` for one sample of the given size. */
export function runSample(fn: () => unknown, size: SampleSize = { budgetMs: 300 }): Sample {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let n = 0;
  let ns = 0;
  if ('count' in size) {
    for (; n < size.count; n++) fn();
    ns = Number(process.hrtime.bigint() - t0);
  } else {
    const budgetNs = size.budgetMs * 1e6;
    while (ns < budgetNs) {
      fn();
      n++;
      ns = Number(process.hrtime.bigint() - t0);
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return { opsPerSec: (n * 1e9) / ns, cpuUsPerOp: (cpu.user + cpu.system) / n };
}

/** The medians of a series of samples, with the spread of the rates. */
export interface Summary {
  opsPerSec: number;
  cpuUsPerOp: number;
  min: number;
  max: number;
  samples: number;
}

export function summarize(samples: Sample[]): Summary {
  const rates = samples.map((s) => s.opsPerSec);
  return {
    opsPerSec: median(rates),
    cpuUsPerOp: median(samples.map((s) => s.cpuUsPerOp)),
    min: Math.min(...rates),
    max: Math.max(...rates),
    samples: samples.length,
  };
}

export interface CompareOptions {
  /** Timed samples per side (default 9). */
  samples?: number;
  /** Size of each sample (default 300 ms). */
  size?: SampleSize;
  /** Untimed warm-up per side before the first sample (default one sample of `size`). */
  warmup?: SampleSize;
}

/**
 * Times two implementations of the same operation, alternating their samples so that drift
 * in the machine (a noisy neighbour, frequency changes, heap growth) hits both alike.
 */
export function compare(ours: () => unknown, theirs: () => unknown, opts: CompareOptions = {}): { ours: Summary; theirs: Summary } {
  const samples = opts.samples ?? 9;
  const size = opts.size ?? { budgetMs: 300 };
  const warmup = opts.warmup ?? size;
  runSample(ours, warmup);
  runSample(theirs, warmup);
  const a: Sample[] = [];
  const b: Sample[] = [];
  for (let i = 0; i < samples; i++) {
    a.push(runSample(ours, size));
    b.push(runSample(theirs, size));
  }
  return { ours: summarize(a), theirs: summarize(b) };
}

/** Median operations per second of `samples` runs of one implementation, after a warm-up run. */
export function medianOps(fn: () => unknown, samples = 7, budgetMs = 300): number {
  runSample(fn, { budgetMs });
  return summarize(Array.from({ length: samples }, () => runSample(fn, { budgetMs }))).opsPerSec;
}

export function formatNumber(v: number): string {
  if (v >= 100) return Math.round(v).toLocaleString('en-US');
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}
