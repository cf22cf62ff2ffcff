/** Plain TCP (`qemu+tcp://host[:16509]/...`): unencrypted, as libvirt's tcp transport. */
import { createConnection } from 'node:net';
import { reusedReadBuffer, transportFromDuplex, waitReady } from './node-stream.js';
import type { Dialer } from './types.js';

export function tcpDialer(host: string, port: number): Dialer {
  return async (events, signal) => {
    const read = reusedReadBuffer(events);
    const socket = createConnection({ host, port, ...read });
    await waitReady(socket, 'connect', signal, `${host}:${port}`);
    socket.setNoDelay(true);
    return transportFromDuplex(socket, events, `tcp:${host}:${port}`, !read.onread);
  };
}
