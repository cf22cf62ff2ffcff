/**
 * What every opener does with a URI before it dials: libvirt's default URI, the dialer the
 * URI names, and the auth it implies.
 */
import { authFileCredentials } from '../locate/auth-file.js';
import { carrierFor } from '../locate/carrier.js';
import { processContext } from '../locate/context.js';
import type { SshOptions } from '../transport/ssh.js';
import type { TlsOptions } from '../transport/tls.js';
import type { WebSocketOptions } from '../transport/websocket.js';
import type { Dialer } from '../transport/types.js';
import { defaultUri, parseLibvirtUri } from '../locate/uri.js';
import type { ConnectionOptions } from './client.js';
import { dialerForCarrier } from './dialer.js';

export interface ConnectOptions extends ConnectionOptions {
  /** Your own transport (for example a socket you opened), instead of the one the URI names. */
  dialer?: Dialer;
  /** Environment for the default URI and socket paths; defaults to the process's. */
  env?: Record<string, string | undefined>;
  /** TLS credentials (PEM contents or paths) and verification, over libvirt's file rules. */
  tls?: TlsOptions;
  /** SSH keys, password, or your own connected ssh2 `Client` (ssh URIs need the optional ssh2 package). */
  ssh?: SshOptions;
  /** For `+ws://` and `+wss://` URIs (a bridge): subprotocols (its bearer token) and headers. */
  websocket?: WebSocketOptions;
}

/** What both openers do with a URI: libvirt's default, the dialer, and the auth it implies. */
export function resolveOpen(uri: string | undefined, options: ConnectOptions): { dialer: Dialer; uri: string; name: string | null; options: ConnectionOptions } {
  const context = processContext();
  const env = options.env ?? context.env;
  const text = uri ?? defaultUri(env);
  // No URI at all: the default daemon picks its driver, as with libvirt's client.
  const parsed = text === null ? null : parseLibvirtUri(text);
  const dialer =
    options.dialer ??
    dialerForCarrier(
      carrierFor(parsed, { readonly: options.readonly ?? false, env, isRoot: context.isRoot, ...(options.tls?.pkipath ? { pkipath: options.tls.pkipath } : {}) }),
      { ...(options.tls ? { tls: options.tls } : {}), ...(options.ssh ? { ssh: options.ssh } : {}), ...(options.websocket ? { websocket: options.websocket } : {}) },
    );
  const auth = options.auth ?? parsed?.params.auth;
  return {
    dialer,
    uri: text ?? '(default)',
    name: parsed?.nameForServer ?? null,
    options: {
      ...options,
      ...(auth ? { auth } : {}),
      // Only plain TCP and plain WebSocket leave SASL secrets unprotected; a caller's own dialer is trusted.
      secureChannel: options.secureChannel ?? (options.dialer ? true : parsed?.transport !== 'tcp' && parsed?.transport !== 'ws'),
      authFileCredentials: () => authFileCredentials(env, parsed?.params.authfile, parsed?.host ?? 'localhost'),
    },
  };
}
