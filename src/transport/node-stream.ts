/**
 * Adapts a Node duplex stream (a socket, a TLS socket, an ssh channel, a child process's
 * stdio, or one the user hands in) to the Transport interface.
 */
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { AbortError, ConnectionError } from '../errors.js';
import { allocBytes } from '../xdr/alloc.js';
import type { Transport, TransportEvents } from './types.js';

/** One read buffer for every socket of the process: each read is consumed before the next. */
let sharedReadBuffer: Uint8Array | undefined;
const READ_BUFFER_BYTES = 256 * 1024;

/**
 * Socket options that make Node read into one reused 256 KiB buffer instead of a new 64 KiB
 * one per read: a volume download reads a quarter as often and allocates nothing per read.
 * The RPC core copies what it keeps (the frame splitter, the decoders), as it must for any
 * transport. Only on Node: Bun and Deno get `{}` and deliver data events as usual.
 *
 * @example
 * ```ts
 * const socket = createConnection({ path, ...reusedReadBuffer(events) });
 * ```
 */
export function reusedReadBuffer(events: TransportEvents): { onread?: { buffer: () => Uint8Array; callback: (n: number, buf: Uint8Array) => boolean } } {
  const versions = (globalThis as { process?: { versions?: Record<string, string> } }).process?.versions;
  if (!versions?.node || versions.bun || 'Deno' in globalThis) return {};
  return {
    onread: {
      buffer: () => (sharedReadBuffer ??= allocBytes(READ_BUFFER_BYTES)),
      // true: keep reading (false would pause the socket; backpressure uses pause() instead).
      callback: (n, buf) => (events.data(buf.subarray(0, n)), true),
    },
  };
}

/**
 * Adapts a Node duplex stream to the Transport interface. With `dataEvents: false` the data
 * arrives some other way ({@link reusedReadBuffer}). With `endGraceMs`, the end of the peer's
 * data waits that long for the stream's own error or close (an ssh channel reports its
 * command's exit status after the end of its output), so that the reason is not lost.
 */
export function transportFromDuplex(stream: Duplex, events: TransportEvents, description: string, dataEvents = true, endGraceMs = 0): Transport {
  let done = false;
  const finish = (error?: Error) => {
    if (done) return;
    done = true;
    events.closed(error);
  };
  if (dataEvents) stream.on('data', (chunk: Uint8Array) => events.data(chunk));
  stream.on('drain', () => events.drain());
  stream.on('error', (e: Error) => finish(e));
  stream.on('close', () => finish());
  stream.on('end', () => {
    // The peer finished sending; libvirt never half-closes, so the connection is over.
    if (!endGraceMs) {
      finish();
      return void stream.destroy();
    }
    const t = setTimeout(() => (finish(), stream.destroy()), endGraceMs);
    (t as { unref?: () => void }).unref?.();
    stream.once('close', () => clearTimeout(t));
  });
  return {
    description,
    write: (bytes, written) => (written ? stream.write(bytes, () => written()) : stream.write(bytes)),
    pause: () => stream.pause(),
    resume: () => stream.resume(),
    close: () => {
      stream.end();
      // A peer that never closes its side must not keep us waiting.
      const t = setTimeout(() => stream.destroy(), 2000);
      (t as { unref?: () => void }).unref?.();
    },
  };
}

/** Resolves once `stream` emits `readyEvent`; a failure to connect is a ConnectionError with the OS code. */
export function waitReady(stream: Duplex, readyEvent: string, signal: AbortSignal | undefined, what: string): Promise<void> {
  return whenReady(stream, readyEvent, signal, (e) => new ConnectionError(`cannot connect to ${what}: ${e.message}`, { cause: e }), () => stream.destroy());
}

/**
 * Resolves with the first argument of `emitter`'s first `readyEvent`; rejects with
 * `failure(e)` on its first `error` (or on `closeEvent`, when given, with an Error saying it
 * closed), or with the signal's reason (after `onAbort`) when `signal` aborts first. Every
 * listener it added is removed once it settles, so a long-lived signal aborted later touches
 * nothing. The one way the carriers wait for a handshake step.
 *
 * @example
 * ```ts
 * await whenReady(socket, 'secureConnect', signal, (e) => new ConnectionError(`TLS failed: ${e.message}`), () => socket.destroy());
 * const first = await whenReady<Buffer>(socket, 'data', signal, fail, () => socket.destroy(), 'close');
 * ```
 */
export function whenReady<T = void>(
  emitter: EventEmitter,
  readyEvent: string,
  signal: AbortSignal | undefined,
  failure: (e: Error, closed: boolean) => Error,
  onAbort: () => void,
  closeEvent?: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      emitter.off(readyEvent, onReady);
      emitter.off('error', onError);
      if (closeEvent) emitter.off(closeEvent, onClose);
      signal?.removeEventListener('abort', onAbortSignal);
    };
    const onReady = (value: T) => {
      cleanup();
      resolve(value);
    };
    const onError = (e: Error) => {
      cleanup();
      reject(failure(e, false));
    };
    const onClose = () => {
      cleanup();
      reject(failure(new Error('closed'), true));
    };
    const onAbortSignal = () => {
      cleanup();
      onAbort();
      reject(abortReason(signal!));
    };
    if (signal?.aborted) return onAbortSignal();
    emitter.once(readyEvent, onReady);
    emitter.once('error', onError);
    if (closeEvent) emitter.once(closeEvent, onClose);
    signal?.addEventListener('abort', onAbortSignal, { once: true });
  });
}

/** What an aborted dial rejects with: the signal's reason when it is an error. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new AbortError('connecting was aborted', { cause: signal.reason });
}
