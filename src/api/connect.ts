/** The front door: `connect(uri)` and `connectAdmin(uri)`. */
import { authFileCredentials } from '../transport/auth-file.js';
import { adminDialerFor, dialerFor, processContext } from '../transport/dial.js';
import type { SshOptions } from '../transport/ssh.js';
import type { TlsOptions } from '../transport/tls.js';
import type { Dialer } from '../transport/types.js';
import { defaultAdminUri } from '../transport/socket-path.js';
import { defaultUri, parseLibvirtUri } from '../transport/uri.js';
import { AdminConnection } from './admin.js';
import { Connection, type ConnectionOptions } from './connection.js';
import type { SessionOptions } from './session.js';

export interface ConnectOptions extends ConnectionOptions {
  /** Your own transport (for example a socket you opened), instead of the one the URI names. */
  dialer?: Dialer;
  /** Environment for the default URI and socket paths; defaults to the process's. */
  env?: Record<string, string | undefined>;
  /** TLS credentials (PEM contents or paths) and verification, over libvirt's file rules. */
  tls?: TlsOptions;
  /** SSH keys, password, or your own connected ssh2 Client. */
  ssh?: SshOptions;
}

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
  const env = options.env ?? processContext().env;
  const text = uri ?? defaultUri(env);
  // No URI at all: the default daemon picks its driver, as with libvirt's client.
  const parsed = text === null ? null : parseLibvirtUri(text);
  const dialer = options.dialer ?? dialerFor(parsed, {
      readonly: options.readonly ?? false,
      env,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.ssh ? { ssh: options.ssh } : {}),
    });
  const auth = options.auth ?? parsed?.params.auth;
  return Connection.open(dialer, text ?? '(default)', parsed?.nameForServer ?? null, {
    ...options,
    ...(auth ? { auth } : {}),
    // Only plain TCP leaves SASL secrets unprotected; a caller's own dialer is trusted.
    secureChannel: options.secureChannel ?? (options.dialer ? true : parsed?.transport !== 'tcp'),
    authFileCredentials: () => authFileCredentials(env, parsed?.params.authfile, parsed?.host ?? 'localhost'),
  });
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
  const dialer = options.dialer ?? adminDialerFor(parsed, { readonly: false, env });
  return AdminConnection.open(dialer, text, options);
}
