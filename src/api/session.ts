/**
 * What every connection does before it speaks a program: dial, put an RPC core on the
 * transport whose death settles `closed`, and run the program's opening handshake, all under
 * one deadline and one signal.
 */
import type { ProgramInfo } from '../xdr/index.js';
import { RpcClient } from '../rpc/client.js';
import { AbortError, ConnectionError, ProtocolError, TimeoutError } from '../errors.js';
import type { KeepaliveOptions } from '../rpc/keepalive.js';
import type { TraceEntry } from '../rpc/trace.js';
import type { Dialer } from '../transport/types.js';

/** Options every kind of connection accepts. */
export interface SessionOptions {
  /** Keepalive settings, or false to turn it off. Default: PING after 5 s of silence, dead after 5. */
  keepalive?: Partial<KeepaliveOptions> | false;
  /** Receives one entry per frame: program, procedure, serial, type, status, size, time. */
  trace?: (entry: TraceEntry) => void;
  /**
   * Aborts connection setup (dial, TLS or SSH handshake, authentication, open) with an
   * AbortError. It governs setup only: aborting it later does nothing to the open connection,
   * and a reconnect does not look at it.
   */
  signal?: AbortSignal;
  /** Fails connection setup, end to end, after this many milliseconds (default 30 s). */
  timeoutMs?: number;
}

export const DEFAULT_SETUP_TIMEOUT_MS = 30_000;

export interface Session {
  rpc: RpcClient;
  /** Settles once, when the connection is gone, with why. */
  closed: Promise<ConnectionError>;
}

/**
 * Dials and runs `handshake` on the new RPC core within one deadline (`opts.timeoutMs`) and
 * one signal (`signal`, by default `opts.signal`). On any failure the transport is torn down
 * and nothing is left running; a reply that breaks the protocol is reported as that
 * ProtocolError rather than as a lost connection.
 */
export async function establish<T>(
  dialer: Dialer,
  what: string,
  programs: ProgramInfo[],
  opts: SessionOptions,
  handshake: (rpc: RpcClient) => Promise<T>,
  signal: AbortSignal | undefined = opts.signal,
): Promise<{ session: Session; result: T }> {
  const scope = setupScope(what, opts.timeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS, signal);
  try {
    const session = await dial(dialer, what, programs, opts, scope.signal);
    try {
      return { session, result: await untilAborted(handshake(session.rpc), scope.signal) };
    } catch (e) {
      const error = e instanceof ConnectionError && e.cause instanceof ProtocolError ? e.cause : (e as Error);
      session.rpc.fail(new ConnectionError('connection setup failed', { cause: error }));
      throw error;
    }
  } finally {
    scope.dispose();
  }
}

async function dial(dialer: Dialer, what: string, programs: ProgramInfo[], opts: SessionOptions, signal: AbortSignal): Promise<Session> {
  let resolveClosed!: (e: ConnectionError) => void;
  const closed = new Promise<ConnectionError>((r) => (resolveClosed = r));
  let rpc: RpcClient | undefined;
  // A transport may end before the core is on it (the peer closes at once): remember it.
  let endedEarly: { error?: Error } | undefined;
  const dialing = dialer(
    {
      data: (chunk) => rpc!.receive(chunk),
      drain: () => rpc!.drain(),
      closed: (error) => (rpc ? rpc.closed(error) : (endedEarly = { ...(error ? { error } : {}) })),
    },
    signal,
  );
  // A dialer that ignores the signal (one the caller wrote) may still deliver a transport
  // after setup gave up: close it then, so that no socket outlives the failed setup.
  const transport = await untilAborted(dialing, signal, (late) => void late.then((t) => t.close(), () => undefined));
  rpc = new RpcClient(transport, {
    keepalive: opts.keepalive,
    programs,
    ...(opts.trace ? { trace: opts.trace } : {}),
    onClose: (e) => {
      resolveClosed(e);
      transport.close();
    },
  });
  if (endedEarly) rpc.closed(endedEarly.error);
  return { rpc, closed };
}

/**
 * The error a connection its owner closed settles with. Made without a stack: it would show
 * only close() itself, and capturing one was a tenth of the CPU of an open and close.
 */
export function closedByClient(): ConnectionError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ConnectionError('connection closed', { reason: 'client' });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Closes after sending the program's close call, whatever the daemon says to it; what is
 * still pending settles with `closed`.
 */
export async function closeSession(session: Session, sendClose: () => Promise<unknown>, closed = closedByClient()): Promise<void> {
  if (session.rpc.isOpen) {
    try {
      await sendClose();
    } catch {
      // The daemon may be gone already; closing must still succeed.
    }
  }
  session.rpc.fail(closed);
}

/**
 * A signal that aborts when `timeoutMs` passes (with a ConnectionError) or `outer` aborts
 * (with an AbortError); `dispose` removes every timer and listener, so a long-lived `outer`
 * aborted later reaches nothing.
 */
function setupScope(what: string, timeoutMs: number, outer: AbortSignal | undefined): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const timer = setTimeout(() => {
    const message = `${what} took longer than ${timeoutMs} ms`;
    ctl.abort(new ConnectionError(message, { cause: new TimeoutError(message) }));
  }, timeoutMs);
  const onAbort = () => ctl.abort(new AbortError(`${what} was aborted`, { cause: outer!.reason }));
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ctl.signal,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * `work`, or the signal's reason if it aborts first. `abandoned` gets `work` when the abort
 * won, so that what it produces later can be cleaned up (its rejection is handled here).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, abandoned?: (work: Promise<T>) => void): Promise<T> {
  const drop = () => {
    work.catch(() => undefined);
    abandoned?.(work);
  };
  if (signal.aborted) {
    drop();
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      drop();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
