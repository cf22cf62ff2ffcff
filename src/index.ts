/**
 * libvirt-rpc: a pure-TypeScript client for libvirt's RPC protocol. This entry is the API:
 * openers, connections, errors, events, streams, libvirt's constants, and the types of what
 * calls take and return. Wire codecs and the XDR runtime are in `libvirt-rpc/protocol`; one
 * function per procedure (for the smallest bundles) in `libvirt-rpc/client`.
 *
 * @example
 * ```ts
 * import { connect } from 'libvirt-rpc';
 * const conn = await connect('qemu:///system');
 * for (const dom of await conn.domains.listAll()) console.log(dom.name, await dom.isActive());
 * await conn.close();
 * ```
 */
export { connect, connectAdmin, type ConnectOptions } from './api/connect.js';
export { openClient } from './api/open-client.js';
export { Client, type ConnectionOptions, type ReconnectOptions, type ServerFeatures } from './api/client.js';
export { Connection, type DomainEventName, type QemuMonitorEvent } from './api/connection.js';
export { AdminConnection } from './api/admin.js';
// The handle face: every handle, collection and options type, and the plain-value helpers.
export * from '../handles/handles.js';
export { HandleBase, type Options } from './handles/runtime.js';
export { jsonReplacer, toJSONText, uuidBytes, uuidString } from './handles/values.js';
export type { SessionOptions } from './api/session.js';
export type { CredentialsCallback } from './api/handshake.js';
export type { Credentials } from './auth/sasl.js';
export { LibvirtStream, STREAM_CHUNK, type StreamItem } from './api/stream.js';
export { downloadVolume, uploadVolume, screenshotToFile, type TransferOptions } from './api/files.js';
export { attachConsole, CONSOLE_ESCAPE, type ConsoleInput, type ConsoleOutput } from './api/console.js';
export { SlowConsumerError } from './api/event-queue.js';
export { Fleet, type DrainOptions, type DrainResult, type FleetHealth, type HostResult } from './api/fleet.js';
export { startMigration, startMigrationToURI, MigrationJob, MIGRATE_FLAGS, MIGRATE_PARAMS, type MigrationEvent, type MigrateOptions, type MigrateFlagOptions, type MigrateParamOptions, type MigrationProgress, type MigrationResult } from './api/migrate.js';
export type { EventFamily, SubscribeOptions } from './api/events.js';
export { LibvirtError, ConnectionError, ProtocolError, TimeoutError, AbortError, NotSupportedError, MigrationError, type MigrationPhase, type CloseReason } from './errors.js';
export { XdrError, XdrEncodeError, XdrDecodeError } from './xdr/errors.js';
export { UnknownProcedureError } from './api/unknown-procedure.js';
export { formatTrace, type TraceEntry } from './rpc/trace.js';
export type { KeepaliveOptions } from './rpc/keepalive.js';
export type { Dialer, Transport, TransportEvents } from './transport/types.js';
export type { SshClient, SshOptions } from './transport/ssh.js';
export type { TlsOptions } from './transport/tls.js';
export { unixDialer } from './transport/unix.js';
export { duplexDialer } from './transport/duplex.js';
export { parseLibvirtUri, defaultUri, UriError, type LibvirtUri } from './locate/uri.js';
export type { TypedParamType, TypedParamValue, TypedParams, TypedParamExplicit, TypedParamsInput } from './xdr/typed-params.js';
// libvirt's constants (VIR_DOMAIN_RUNNING, VIR_ERR_NO_DOMAIN, ...), by their C names.
export * from '../protocol/constants.js';
// The procedure tables, for openStream() and Client.call(): each procedure is also a constant
// of its own in `libvirt-rpc/protocol`.
export { remoteProcedures } from '../protocol/remote-procedures.js';
export { qemuProcedures } from '../protocol/qemu-procedures.js';
export { lxcProcedures } from '../protocol/lxc-procedures.js';
export { adminProcedures } from '../protocol/admin-procedures.js';
export type { CallOptions, ProcedureCaller, ProcedureInfo, ProgramInfo, StreamCaller } from './xdr/procedure.js';
export type { RemoteEventPayloads } from '../protocol/remote-events.js';
export type { RemoteMethods } from '../protocol/remote-methods.js';
export type { QemuMethods } from '../protocol/qemu-methods.js';
export type { LxcMethods } from '../protocol/lxc-methods.js';
export type { AdminMethods } from '../protocol/admin-methods.js';
// The types of what calls take and return (RemoteNonnullDomain, RemoteDomainGetInfoRet, ...).
export type * from '../protocol/types.js';
