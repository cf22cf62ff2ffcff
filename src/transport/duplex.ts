/** Bring your own transport: any connected Node duplex stream that reaches a libvirt daemon. */
import type { Duplex } from 'node:stream';
import { transportFromDuplex } from './node-stream.js';
import type { Dialer } from './types.js';

/**
 * @example
 * ```ts
 * const socket = net.createConnection('/run/libvirt/libvirt-sock');
 * await once(socket, 'connect');
 * const conn = await connect('qemu:///system', { dialer: duplexDialer(socket) });
 * ```
 */
export function duplexDialer(stream: Duplex, description = 'a caller-supplied stream'): Dialer {
  return async (events) => transportFromDuplex(stream, events, description);
}
