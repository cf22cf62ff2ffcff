/**
 * Re-establishing a lost connection: the backoff between attempts, and what a call made
 * meanwhile waits for.
 */
import { AbortError, ConnectionError, TimeoutError } from '../errors.js';
import type { CallOptions } from '../xdr/index.js';
import { DEFAULT_SETUP_TIMEOUT_MS, untilAborted } from './session.js';

/** Re-establishing a lost connection: exponential backoff between attempts. */
export interface ReconnectOptions {
  /** Wait before the first attempt, doubled after each failed one (default 100 ms). */
  initialDelayMs?: number;
  /** The longest wait between attempts (default 10 000 ms). */
  maxDelayMs?: number;
  /** Attempts before the connection is given up for good (default: no limit). */
  maxAttempts?: number;
  /**
   * How long a call made while the connection is down waits for it to come back, when the
   * call has no `timeoutMs` of its own (default 30 000 ms); then it fails with
   * ConnectionError. A call's own `timeoutMs` or `signal` ends its wait instead.
   */
  waitMs?: number;
}

/**
 * Tries `attempt` with exponential backoff until it succeeds, `stop` aborts, or the attempts
 * run out; resolves true once one succeeded, false otherwise.
 *
 * @example
 * ```ts
 * const back = await withBackoff({ initialDelayMs: 100 }, stop.signal, () => reopen(stop.signal));
 * ```
 */
export async function withBackoff(policy: ReconnectOptions, stop: AbortSignal, attempt: () => Promise<void>): Promise<boolean> {
  const { initialDelayMs = 100, maxDelayMs = 10_000, maxAttempts = Infinity } = policy;
  for (let n = 0; n < maxAttempts && !stop.aborted; n++) {
    await sleep(Math.min(initialDelayMs * 2 ** n, maxDelayMs), stop);
    if (stop.aborted) break;
    try {
      await attempt();
      return !stop.aborted;
    } catch {
      // Try again after a longer wait.
    }
  }
  return false;
}

/**
 * For a call made while the connection is being re-established: resolves with the call's
 * options (its timeout shortened by the time waited) once it is back, or rejects when the
 * call's own timeout, its signal, the reconnect wait limit or close() comes first.
 */
export function afterReconnect(reconnecting: Promise<void>, what: string, options: CallOptions | undefined, waitMs: number | undefined): Promise<CallOptions | undefined> {
  const started = Date.now();
  const own = options?.timeoutMs;
  const limit = own ?? waitMs ?? DEFAULT_SETUP_TIMEOUT_MS;
  const waited = new AbortController();
  const timer = setTimeout(
    () =>
      waited.abort(
        own !== undefined
          ? new TimeoutError(`${what} got no reply within ${own} ms: the connection was still being re-established`)
          : new ConnectionError(`${what} waited ${limit} ms for the lost connection to be re-established`),
      ),
    limit,
  );
  const signal = options?.signal;
  const onAbort = () => waited.abort(new AbortError(`${what} was aborted`, { cause: signal!.reason }));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return untilAborted(reconnecting, waited.signal)
    .then(() => (own === undefined ? options : { ...options, timeoutMs: Math.max(0, own - (Date.now() - started)) }))
    .finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
}

/** Resolves after `ms`, or at once when `signal` aborts (the timer is cleared then). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}
