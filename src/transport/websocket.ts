/**
 * The WebSocket carrier: libvirt's byte stream in binary WebSocket messages, unchanged, to a
 * bridge (`libvirt-rpc bridge`) that relays it to a daemon. The standard `WebSocket` where
 * the runtime has one (browsers, Deno, Bun, Node 22); on Node 20 the `ws` package.
 */
import { AbortError, ConnectionError } from '../errors.js';
import { loadLater } from './load-later.js';
import type { Dialer, Transport } from './types.js';

/** What this carrier needs of a WebSocket: the standard interface, which `ws` also has. */
interface SocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string; wasClean?: boolean }) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

type SocketConstructor = new (url: string, protocols?: string | string[], options?: unknown) => SocketLike;

export interface WebSocketOptions {
  /** Subprotocols to offer (a bridge may take its bearer token as one: see the bridge). */
  protocols?: string | string[];
  /** HTTP headers for the upgrade request (`Authorization`), where the runtime lets a client set them (Node's `ws`; not browsers). */
  headers?: Record<string, string>;
  /** TLS for `wss://` on Node's `ws` (browsers use their own trust store): a CA to trust (PEM), and a client certificate and key (PEM). */
  tls?: { ca?: string; cert?: string; key?: string };
  /** A WebSocket class to use instead of the runtime's (or `ws`'s). */
  WebSocket?: SocketConstructor;
}

/** Queued bytes past which writers wait (a WebSocket has no drain event: it is polled). */
const HIGH_WATER = 1024 * 1024;
const DRAIN_POLL_MS = 5;
const OPEN = 1;

/**
 * A dialer for a WebSocket URL (`ws://` or `wss://`), binary messages carrying libvirt's
 * byte stream as they are.
 *
 * @example
 * ```ts
 * const conn = await Connection.open(websocketDialer('wss://hv1.example:8443/', { protocols: ['libvirt-rpc.bearer.' + token] }), 'qemu:///system', 'qemu:///system');
 * ```
 */
export function websocketDialer(url: string, opts: WebSocketOptions = {}): Dialer {
  return async (events, signal) => {
    const Ctor = opts.WebSocket ?? (globalThis as { WebSocket?: SocketConstructor }).WebSocket ?? (await nodeWebSocket());
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new AbortError('connecting was aborted');
    // Headers and TLS settings are for ws's constructor; the standard one takes neither.
    const wsOptions = { ...(opts.headers ? { headers: opts.headers } : {}), ...opts.tls };
    const standard = !!opts.WebSocket || !!(globalThis as { WebSocket?: unknown }).WebSocket;
    const socket = !standard && Object.keys(wsOptions).length ? new Ctor(url, opts.protocols, wsOptions) : new Ctor(url, opts.protocols);
    socket.binaryType = 'arraybuffer';
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        socket.close();
        reject(signal!.reason instanceof Error ? signal!.reason : new AbortError('connecting was aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.onopen = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      // The standard error event says nothing; the close that follows has the code.
      socket.onerror = () => undefined;
      socket.onclose = (ev) => {
        signal?.removeEventListener('abort', onAbort);
        reject(new ConnectionError(`cannot connect to the WebSocket ${redactedUrl(url)}: closed with code ${ev.code}${ev.reason ? ` (${ev.reason})` : ''}`));
      };
    });
    let done = false;
    let draining: ReturnType<typeof setTimeout> | undefined;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      if (draining) clearTimeout(draining);
      events.closed(error);
    };
    socket.onmessage = (ev) => {
      const data = ev.data;
      if (data instanceof ArrayBuffer) events.data(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) events.data(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      else finish(new ConnectionError(`the WebSocket ${redactedUrl(url)} sent a text message; libvirt's stream is binary`));
    };
    socket.onclose = (ev) =>
      finish(ev.code === 1000 || ev.code === 1005 ? undefined : new ConnectionError(`the WebSocket ${redactedUrl(url)} closed with code ${ev.code}${ev.reason ? ` (${ev.reason})` : ''}`));
    const pollDrain = () => {
      draining = undefined;
      if (done) return;
      if (socket.bufferedAmount > HIGH_WATER) draining = setTimeout(pollDrain, DRAIN_POLL_MS);
      else events.drain();
    };
    const transport: Transport = {
      description: redactedUrl(url),
      write: (bytes, written) => {
        if (done || socket.readyState !== OPEN) return true;
        socket.send(bytes);
        // A client's frames are masked into a buffer of their own (browsers copy, ws masks
        // into a new one), so the core may reuse these bytes at once.
        written?.();
        if (socket.bufferedAmount > HIGH_WATER) {
          draining ??= setTimeout(pollDrain, DRAIN_POLL_MS);
          return false;
        }
        return true;
      },
      close: () => {
        socket.close(1000);
        finish();
      },
    };
    return transport;
  };
}

/** `ws`'s WebSocket, for Node before 22. */
async function nodeWebSocket(): Promise<SocketConstructor> {
  try {
    const mod = await loadLater<{ WebSocket?: SocketConstructor; default?: SocketConstructor | { WebSocket?: SocketConstructor } }>('ws');
    const ctor = mod.WebSocket ?? (typeof mod.default === 'function' ? mod.default : mod.default?.WebSocket);
    if (ctor) return ctor;
  } catch {
    // reported below
  }
  throw new ConnectionError('this runtime has no WebSocket: on Node 20, install the ws package (npm install ws)');
}

/** The URL without credentials or query (a token may ride in either). */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(a WebSocket URL)';
  }
}
