/**
 * Picks the transport for a parsed URI, as libvirt's remote driver does. Reads the process
 * environment and the file system only when called.
 */
import { existsSync } from 'node:fs';
import { NotSupportedError } from '../rpc/errors.js';
import { commandDialer, splitCommand } from './ext.js';
import { adminSocketFor, unixSocketFor } from './socket-path.js';
import { type SshOptions, sshDialer } from './ssh.js';
import { tcpDialer, DEFAULT_TCP_PORT } from './tcp.js';
import { DEFAULT_TLS_PORT, type TlsOptions, tlsDialer } from './tls.js';
import type { Dialer } from './types.js';
import { unixDialer } from './unix.js';
import { type LibvirtUri, redactUri } from './uri.js';

export interface DialContext {
  readonly: boolean;
  env: Record<string, string | undefined>;
  /** TLS credentials and verification, over what the URI and libvirt's file rules say. */
  tls?: TlsOptions;
  /** SSH keys, password, or a connected ssh2 Client. */
  ssh?: SshOptions;
}

/** The environment and identity of this process, read now (never at import time). */
export function processContext(): { env: Record<string, string | undefined>; isRoot: boolean } {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined>; getuid?: () => number } }).process;
  return { env: proc?.env ?? {}, isRoot: proc?.getuid?.() === 0 };
}

/** A dialer for `uri`; null means libvirt's no-URI default (the local default daemon). */
export function dialerFor(uri: LibvirtUri | null, ctx: DialContext): Dialer {
  const { isRoot } = processContext();
  switch (uri?.transport ?? 'unix') {
    case 'unix': {
      const { path } = unixSocketFor(uri, { env: ctx.env, isRoot, readonly: ctx.readonly, exists: existsSync });
      return unixDialer(path);
    }
    case 'tcp':
      return tcpDialer(uri!.host ?? 'localhost', uri!.port ?? DEFAULT_TCP_PORT);
    case 'tls':
      return tlsDialer(
        uri!.host ?? 'localhost',
        uri!.port ?? DEFAULT_TLS_PORT,
        {
          ...ctx.tls,
          ...(uri!.params.no_verify ? { noVerify: true } : {}),
          ...(uri!.params.pkipath ? { pkipath: uri!.params.pkipath } : {}),
        },
        { isRoot, ...(ctx.env.HOME ? { home: ctx.env.HOME } : {}) },
      );
    case 'ext':
      return commandDialer(splitCommand(uri!.params.command!));
    case 'ssh':
    case 'libssh':
    case 'libssh2':
      return sshDialer(uri!, ctx.ssh ?? {}, { env: ctx.env, readonly: ctx.readonly });
    default:
      throw new NotSupportedError(`the ${uri!.transport} transport is not supported yet (in ${redactUri(uri!.original)})`);
  }
}

export function adminDialerFor(uri: LibvirtUri, ctx: DialContext): Dialer {
  const { isRoot } = processContext();
  if (uri.transport !== 'unix') {
    throw new NotSupportedError(`the admin program is reached over a local unix socket, not ${uri.transport}`);
  }
  const { path } = adminSocketFor(uri, { env: ctx.env, isRoot, readonly: false, exists: existsSync });
  return unixDialer(path);
}
