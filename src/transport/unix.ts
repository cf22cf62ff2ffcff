/** The unix socket transport: libvirt's default for local daemons. */
import { createConnection } from 'node:net';
import { transportFromDuplex, waitReady } from './node-stream.js';
import type { Dialer } from './types.js';

export function unixDialer(path: string): Dialer {
  return async (events, signal) => {
    const socket = createConnection({ path });
    await waitReady(socket, 'connect', signal, `the libvirt socket ${path}`);
    socket.setNoDelay?.(true);
    return transportFromDuplex(socket, events, `unix:${path}`);
  };
}
