/**
 * Which carrier a URI names and with what, as libvirt's remote driver decides: the unix
 * socket path, the TCP or TLS host and port (and the x509 files), the ssh target, or the
 * command to run. Plain values for src/transport, which knows nothing of URIs.
 */
import { existsSync } from 'node:fs';
import { NotSupportedError } from '../errors.js';
import { pkiFiles } from './pki.js';
import { adminSocketFor, unixSocketFor } from './socket-path.js';
import { sshTarget } from './ssh-target.js';
import { type LibvirtUri, redactUri } from './uri.js';

export const DEFAULT_TCP_PORT = 16509;
export const DEFAULT_TLS_PORT = 16514;

export interface CarrierContext {
  readonly: boolean;
  env: Record<string, string | undefined>;
  isRoot: boolean;
  /** `pkipath=` given in code, over the URI's. */
  pkipath?: string;
}

/** The carrier for `uri`; null means libvirt's no-URI default (the local default daemon). */
export function carrierFor(uri: LibvirtUri | null, ctx: CarrierContext) {
  const transport = uri?.transport ?? 'unix';
  switch (transport) {
    case 'unix':
      return { kind: 'unix' as const, path: unixSocketFor(uri, { env: ctx.env, isRoot: ctx.isRoot, readonly: ctx.readonly, exists: existsSync }).path };
    case 'tcp':
      return { kind: 'tcp' as const, host: uri!.host ?? 'localhost', port: uri!.port ?? DEFAULT_TCP_PORT };
    case 'tls': {
      const pkipath = ctx.pkipath ?? uri!.params.pkipath;
      return {
        kind: 'tls' as const,
        host: uri!.host ?? 'localhost',
        port: uri!.port ?? DEFAULT_TLS_PORT,
        noVerify: !!uri!.params.no_verify,
        files: pkiFiles({ isRoot: ctx.isRoot, ...(ctx.env.HOME ? { home: ctx.env.HOME } : {}), ...(pkipath ? { pkipath } : {}), exists: existsSync }),
      };
    }
    case 'ext':
      return { kind: 'ext' as const, argv: splitCommand(uri!.params.command!) };
    case 'ssh':
    case 'libssh':
    case 'libssh2':
      return { kind: 'ssh' as const, target: sshTarget(uri!, ctx.env, ctx.readonly) };
    case 'ws':
    case 'wss':
      // Ours, not libvirt's: a bridge (libvirt-rpc bridge) relays the stream to its daemon.
      if (!uri!.host) throw new NotSupportedError(`the ${transport} transport needs the bridge's host (in ${redactUri(uri!.original)})`);
      return { kind: 'websocket' as const, url: `${transport}://${uri!.host.includes(':') ? `[${uri!.host}]` : uri!.host}${uri!.port ? `:${uri!.port}` : ''}/` };
    default:
      throw new NotSupportedError(`the ${uri!.transport} transport is not supported yet (in ${redactUri(uri!.original)})`);
  }
}

/** What {@link carrierFor} decides. */
export type Carrier = ReturnType<typeof carrierFor>;

/** The admin program's socket: always local. */
export function adminSocketPath(uri: LibvirtUri, ctx: CarrierContext): string {
  if (uri.transport !== 'unix') {
    throw new NotSupportedError(`the admin program is reached over a local unix socket, not ${uri.transport}`);
  }
  return adminSocketFor(uri, { env: ctx.env, isRoot: ctx.isRoot, readonly: false, exists: existsSync }).path;
}

/** Splits a command line on spaces, honouring single and double quotes. */
export function splitCommand(command: string): string[] {
  const out: string[] = [];
  for (const m of command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}
