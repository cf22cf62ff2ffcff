/**
 * What every connection does before it speaks a program: dial within a deadline, and put an
 * RPC core on the transport whose death settles `closed`.
 */
import type { ProgramInfo } from '../../protocol/procedure.js';
import { RpcClient } from '../rpc/client.js';
import { ConnectionError } from '../rpc/errors.js';
import type { KeepaliveOptions } from '../rpc/keepalive.js';
import type { TraceEntry } from '../rpc/trace.js';
import type { Dialer } from '../transport/types.js';

/** Options every kind of connection accepts. */
export interface SessionOptions {
  /** Keepalive settings, or false to turn it off. Default: PING after 5 s of silence, dead after 5. */
  keepalive?: Partial<KeepaliveOptions> | false;
  /** Receives one entry per frame: program, procedure, serial, type, status, size, time. */
  trace?: (entry: TraceEntry) => void;
  /** Aborts connection setup. */
  signal?: AbortSignal;
  /** Rejects connection setup after this many milliseconds (default 30 s). */
  timeoutMs?: number;
}

export interface Session {
  rpc: RpcClient;
  /** Settles once, when the connection is gone, with why. */
  closed: Promise<ConnectionError>;
}

export async function openSession(dialer: Dialer, what: string, programs: ProgramInfo[], opts: SessionOptions): Promise<Session> {
  let resolveClosed!: (e: ConnectionError) => void;
  const closed = new Promise<ConnectionError>((r) => (resolveClosed = r));
  let rpc!: RpcClient;
  const transport = await withDeadline(
    dialer(
      {
        data: (chunk) => rpc.receive(chunk),
        drain: () => rpc.drain(),
        closed: (error) => rpc.closed(error),
      },
      opts.signal,
    ),
    opts,
    `connecting to ${what}`,
  );
  rpc = new RpcClient(transport, {
    keepalive: opts.keepalive,
    programs,
    ...(opts.trace ? { trace: opts.trace } : {}),
    onClose: (e) => {
      resolveClosed(e);
      transport.close();
    },
  });
  return { rpc, closed };
}

/** Runs the program's opening handshake; on failure the session is torn down. */
export async function handshakeOrClose(session: Session, work: Promise<void>, what: string, opts: SessionOptions): Promise<void> {
  try {
    await withDeadline(work, opts, what);
  } catch (e) {
    session.rpc.fail(new ConnectionError('connection setup failed', { cause: e }));
    throw e;
  }
}

/** Closes after sending the program's close call, whatever the daemon says to it. */
export async function closeSession(session: Session, sendClose: () => Promise<unknown>): Promise<void> {
  if (session.rpc.isOpen) {
    try {
      await sendClose();
    } catch {
      // The daemon may be gone already; closing must still succeed.
    }
  }
  session.rpc.fail(new ConnectionError('connection closed', { reason: 'client' }));
}

function withDeadline<T>(work: Promise<T>, opts: SessionOptions, what: string): Promise<T> {
  const ms = opts.timeoutMs ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConnectionError(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
