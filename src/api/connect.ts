/** The front door: `connect(uri)` and `connectAdmin(uri)` (`openClient(uri)` is in open-client.ts). */
import { adminSocketPath } from '../locate/carrier.js';
import { processContext } from '../locate/context.js';
import { unixDialer } from '../transport/unix.js';
import { defaultAdminUri } from '../locate/socket-path.js';
import { parseLibvirtUri } from '../locate/uri.js';
import { AdminConnection } from './admin.js';
import { Connection } from './connection.js';
import { type ConnectOptions, resolveOpen } from './open-options.js';
import type { SessionOptions } from './session.js';

export type { ConnectOptions };


/**
 * Opens a connection to the daemon `uri` names: libvirt's URI rules, LIBVIRT_DEFAULT_URI and
 * the no-URI default included.
 *
 * @example
 * ```ts
 * import { connect } from 'libvirt-rpc';
 * const conn = await connect('qemu:///system', { readonly: true });
 * console.log(await conn.connectGetHostname());
 * await conn.close();
 * ```
 */
export async function connect(uri?: string, options: ConnectOptions = {}): Promise<Connection> {
  const { dialer, uri: text, name, options: opts } = resolveOpen(uri, options);
  return Connection.open(dialer, text, name, opts);
}

/**
 * Opens the admin program of the daemon `uri` names (`libvirtd:///system`,
 * `virtqemud:///session`, ...), as virt-admin does.
 *
 * @example
 * ```ts
 * const admin = await connectAdmin('virtqemud:///system');
 * console.log(await admin.connectListServers(0));
 * await admin.close();
 * ```
 */
export async function connectAdmin(uri?: string, options: SessionOptions & Pick<ConnectOptions, 'dialer' | 'env'> = {}): Promise<AdminConnection> {
  const env = options.env ?? processContext().env;
  const text = uri ?? defaultAdminUri(env, processContext().isRoot);
  const parsed = parseLibvirtUri(text);
  const dialer = options.dialer ?? unixDialer(adminSocketPath(parsed, { readonly: false, env, isRoot: processContext().isRoot }));
  return AdminConnection.open(dialer, text, options);
}
