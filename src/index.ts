/**
 * libvirt-rpc: a pure-TypeScript client for libvirt's RPC protocol.
 *
 * @example
 * ```ts
 * import { connect } from 'libvirt-rpc';
 * const conn = await connect('qemu:///system');
 * for (const dom of (await conn.connectListAllDomains(1)).domains) console.log(dom.name);
 * await conn.close();
 * ```
 */
export { connect, connectAdmin, type ConnectOptions } from './api/connect.js';
export { Connection, type ConnectionOptions, type ServerFeatures } from './api/connection.js';
export { AdminConnection } from './api/admin.js';
export type { SessionOptions } from './api/session.js';
export { LibvirtStream, STREAM_CHUNK, type StreamItem } from './api/stream.js';
export { downloadVolume, uploadVolume, screenshotToFile, type TransferOptions } from './api/files.js';
export { attachConsole, CONSOLE_ESCAPE, type ConsoleInput, type ConsoleOutput } from './api/console.js';
export { SlowConsumerError } from './api/event-queue.js';
export { Fleet, type FleetHealth, type HostResult } from './api/fleet.js';
export type { EventFamily, SubscribeOptions } from './api/events.js';
export { LibvirtError, ConnectionError, ProtocolError, TimeoutError, AbortError, NotSupportedError } from './rpc/errors.js';
export { UnknownProcedureError } from './api/unknown-procedure.js';
export { formatTrace, type TraceEntry } from './rpc/trace.js';
export type { KeepaliveOptions } from './rpc/keepalive.js';
export type { Dialer, Transport, TransportEvents } from './transport/types.js';
export { unixDialer } from './transport/unix.js';
export { duplexDialer } from './transport/duplex.js';
export { parseLibvirtUri, defaultUri, UriError, type LibvirtUri } from './transport/uri.js';
export * from './xdr/index.js';
export * from '../protocol/index.js';
