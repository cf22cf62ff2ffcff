/**
 * Adapts a Node duplex stream (a socket, a TLS socket, an ssh channel, a child process's
 * stdio, or one the user hands in) to the Transport interface.
 */
import type { Duplex } from 'node:stream';
import type { Transport, TransportEvents } from './types.js';

export function transportFromDuplex(stream: Duplex, events: TransportEvents, description: string): Transport {
  let done = false;
  const finish = (error?: Error) => {
    if (done) return;
    done = true;
    events.closed(error);
  };
  stream.on('data', (chunk: Uint8Array) => events.data(chunk));
  stream.on('drain', () => events.drain());
  stream.on('error', (e: Error) => finish(e));
  stream.on('close', () => finish());
  stream.on('end', () => {
    // The peer finished sending; libvirt never half-closes, so the connection is over.
    finish();
    stream.destroy();
  });
  return {
    description,
    write: (bytes) => stream.write(bytes),
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

/** Resolves once `stream` emits `readyEvent`, rejects on its first error or on abort. */
export function waitReady(stream: Duplex, readyEvent: string, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      stream.off(readyEvent, onReady);
      stream.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new Error(`cannot connect to ${what}: ${e.message}`, { cause: e }));
    };
    const onAbort = () => {
      cleanup();
      stream.destroy();
      reject(signal!.reason ?? new Error('aborted'));
    };
    if (signal?.aborted) return onAbort();
    stream.once(readyEvent, onReady);
    stream.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
