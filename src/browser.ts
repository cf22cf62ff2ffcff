/**
 * `libvirt-rpc/browser`: the library for a web page, which reaches libvirt through a bridge
 * (`libvirt-rpc bridge`) over a WebSocket. Everything here bundles with no module of Node's:
 * a Connection with its methods, handles and events, the WebSocket carrier, the errors and
 * libvirt's constants. (Files, the other carriers and libvirt's URI rules for local sockets
 * need Node, Deno or Bun: they are in `libvirt-rpc`.)
 *
 * @example
 * ```ts
 * import { openBridge } from 'libvirt-rpc/browser';
 * const conn = await openBridge('wss://hv1.example:8443/', 'qemu:///system', { websocket: { protocols: [`libvirt-rpc.bearer.${token}`] } });
 * for (const dom of await conn.domains.listAll()) console.log(dom.name);
 * await conn.close();
 * ```
 */
import { Connection } from './api/connection.js';
import type { ConnectionOptions } from './api/client.js';
import { type WebSocketOptions, websocketDialer } from './transport/websocket.js';

export { Connection } from './api/connection.js';
export { Client, type ConnectionOptions } from './api/client.js';
export { websocketDialer, type WebSocketOptions } from './transport/websocket.js';
export * from './errors.js';
export * from '../protocol/constants.js';

/**
 * Opens `name` (a daemon URI such as `qemu:///system`, or null for the daemon's default) on
 * the daemon behind the bridge at `url` (`wss://host:port/`).
 *
 * @example
 * ```ts
 * const conn = await openBridge('wss://hv1.example:8443/', 'qemu:///system', { readonly: true, websocket: { protocols: ['libvirt-rpc.bearer.' + token] } });
 * ```
 */
export function openBridge(url: string, name: string | null, options: ConnectionOptions & { websocket?: WebSocketOptions } = {}): Promise<Connection> {
  const { websocket, ...rest } = options;
  return Connection.open(websocketDialer(url, websocket), url, name, rest);
}
