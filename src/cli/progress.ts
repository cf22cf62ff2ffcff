/**
 * Progress for the commands that wait on long work (migrate, save, managedsave, the block
 * jobs' `--wait --verbose`): virsh's `\rLabel: [ 42 %]` lines on stderr when it is not a
 * terminal, a cli-progress bar when it is, and Ctrl-C (SIGINT) turned into an abort of the job
 * on the daemon, as virsh does, instead of killing the command halfway.
 */
import cliProgress from 'cli-progress';
import type { RemoteNonnullDomain } from '../../protocol/remote.js';
import { VIR_DOMAIN_JOB_BOUNDED, VIR_DOMAIN_JOB_UNBOUNDED } from '../../protocol/constants.js';
import type { Context } from './commands.js';

export interface ProgressIo {
  /** Whether stderr is a terminal: a progress bar instead of virsh's lines. */
  isTTY: boolean;
  stderr(text: string): void;
  /** Where the bar is drawn (default: the process's stderr). */
  stderrStream?: NodeJS.WritableStream;
}

/**
 * virsh's figure for a job: the share of the data done, cut to a whole number, 99 at most
 * while anything remains (so 100 means finished).
 */
export function jobPercent(remaining: number | bigint, total: number | bigint): number {
  const left = Number(remaining);
  const all = Number(total);
  if (left === 0 || all === 0) return 100;
  return Math.min(99, Math.trunc(100 - (left * 100) / all));
}

/** virsh's progress line for one reading: a carriage return, the label, the figure. */
export const progressLine = (label: string, percent: number) => `\r${label}: [${String(percent).padStart(3)} %]`;

export interface JobProgress<T> {
  /** A reading: the line again, or the bar moved. */
  update(reading: T): void;
  /** The job finished: the 100 % line, or the bar filled and closed. */
  done(): void;
  /** The job ended otherwise: the bar closed where it was. */
  stop(): void;
}

export interface BarStyle<T> {
  /** cli-progress's format string; `{bar}` and `{percentage}` and the payload's fields. */
  format: string;
  /** The payload for a reading, and for the start and the end. */
  payload?: (reading: T | 'start' | 'done') => Record<string, string>;
}

/**
 * A job's progress as virsh shows it on `io`: `percent` reads the figure from a reading;
 * `bar` says how the terminal's bar looks (by default the label, the bar and the figure).
 */
export function jobProgress<T>(io: ProgressIo, label: string, percent: (reading: T) => number, bar?: BarStyle<T>): JobProgress<T> {
  if (io.isTTY) {
    const style = bar ?? { format: ` ${label} {bar} {percentage}%` };
    const b = new cliProgress.SingleBar({ stream: io.stderrStream, format: style.format }, cliProgress.Presets.shades_classic);
    b.start(100, 0, style.payload?.('start') ?? {});
    let open = true;
    const close = () => {
      if (open) b.stop();
      open = false;
    };
    return {
      update: (r) => open && b.update(percent(r), style.payload?.(r) ?? {}),
      done: () => {
        if (open) b.update(100, style.payload?.('done') ?? {});
        close();
      },
      stop: close,
    };
  }
  return { update: (r) => io.stderr(progressLine(label, percent(r))), done: () => io.stderr(progressLine(label, 100)), stop: () => {} };
}

/**
 * Runs `work` with Ctrl-C turned into `onInterrupt` (which aborts the job on the daemon), as
 * virsh catches SIGINT while it waits; the usual Ctrl-C comes back afterwards.
 */
export async function withInterrupt<T>(onInterrupt: () => void, work: () => Promise<T>): Promise<T> {
  process.on('SIGINT', onInterrupt);
  try {
    return await work();
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/** A promise for `ms` milliseconds, cut short by `wake()` (an event, an interrupt). */
export function interruptibleDelay(ms: number): { wait: Promise<void>; wake(): void } {
  let wake!: () => void;
  const wait = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { wait, wake };
}

/** How often virsh reads a job's progress while it waits. */
export const POLL_MS = 500;

/**
 * virsh's watch over a domain job run by one call (save, managedsave): while `work` runs, the
 * job's figures every half second, printed when `verbose` and the daemon reports a total; the
 * 100 % line when it succeeds; Ctrl-C aborts the job.
 */
export async function watchDomainJob<T>(c: Context, dom: RemoteNonnullDomain, io: ProgressIo, label: string, verbose: boolean, work: () => Promise<T>): Promise<T> {
  const progress = verbose ? jobProgress<{ remaining: bigint; total: bigint }>(io, label, (r) => jobPercent(r.remaining, r.total)) : null;
  let finished = false;
  let started = false;
  let delay = interruptibleDelay(POLL_MS);
  const poll = (async () => {
    for (;;) {
      await delay.wait;
      if (finished) return;
      const info = await c.conn.domainGetJobInfo(dom).catch(() => undefined);
      if (finished) return;
      if (info) {
        if (progress && info.dataTotal > 0n) progress.update({ remaining: info.dataRemaining, total: info.dataTotal });
        started ||= info.type === VIR_DOMAIN_JOB_BOUNDED || info.type === VIR_DOMAIN_JOB_UNBOUNDED;
        // Without --verbose virsh reads only until the job has started.
        if (started && !progress) return;
      }
      delay = interruptibleDelay(POLL_MS);
    }
  })();
  const abort = () => void c.conn.domainAbortJob(dom).catch(() => {});
  try {
    const result = await withInterrupt(abort, work);
    finished = true;
    delay.wake();
    await poll;
    progress?.done();
    return result;
  } catch (e) {
    finished = true;
    delay.wake();
    await poll;
    progress?.stop();
    throw e;
  }
}
