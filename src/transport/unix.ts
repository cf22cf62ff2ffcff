/** The unix socket transport: libvirt's default for local daemons. */
import { createConnection } from 'node:net';
import { reusedReadBuffer, transportFromDuplex, waitReady } from './node-stream.js';
import type { Dialer } from './types.js';

export function unixDialer(path: string): Dialer {
  return async (events, signal) => {
    const read = reusedReadBuffer(events);
    const socket = createConnection({ path, ...read });
    await waitReady(socket, 'connect', signal, `the libvirt socket ${path}`);
    socket.setNoDelay?.(true);
    return transportFromDuplex(socket, events, `unix:${path}`, !read.onread);
  };
}
