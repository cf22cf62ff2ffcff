/**
 * Picks the transport for a parsed URI, as libvirt's remote driver does. Reads the process
 * environment and the file system only when called.
 */
import { existsSync } from 'node:fs';
import { NotSupportedError } from '../errors.js';
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

type ProcessLike = { env?: Record<string, string | undefined>; getuid?: () => number };

/**
 * The environment and identity of this process, read now (never at import time).
 *
 * Runtimes with permissions (Deno without `--allow-env` or `--allow-sys`) throw on each read;
 * a denied variable reads as unset and a denied uid as "not root", the same answers as on a
 * platform without them, so that a program granted only the socket or host it needs still
 * connects.
 */
export function processContext(): { env: Record<string, string | undefined>; isRoot: boolean } {
  const proc = (globalThis as { process?: ProcessLike }).process;
  return { env: tolerantEnv(proc?.env ?? {}), isRoot: deniedAsUndefined(() => proc?.getuid?.()) === 0 };
}

/** A read-only view of `env` in which a denied read is an unset variable (spreading it works too). */
function tolerantEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const read = (name: string | symbol) => (typeof name === 'string' ? deniedAsUndefined(() => env[name]) : undefined);
  return new Proxy({} as Record<string, string | undefined>, {
    get: (_, name) => read(name),
    has: (_, name) => read(name) !== undefined,
    ownKeys: () => deniedAsUndefined(() => Object.keys(env)) ?? [],
    getOwnPropertyDescriptor: (_, name) => {
      const value = read(name);
      return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: false };
    },
  });
}

function deniedAsUndefined<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
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
