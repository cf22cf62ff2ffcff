/**
 * Which local unix socket a URI means, following libvirt's remote driver: system or session
 * daemon, read-only socket, modular per-driver daemons or the monolithic libvirtd (and
 * virtproxyd, which serves libvirtd's socket), `mode=` and `socket=`. Runtime-neutral: the
 * environment and a file-exists check are passed in.
 */
import type { LibvirtUri } from './uri.js';
import { UriError } from './uri.js';

export interface SocketContext {
  env: Record<string, string | undefined>;
  isRoot: boolean;
  readonly: boolean;
  exists(path: string): boolean;
  /** Where system daemons put their sockets; libvirt uses `/var/run` (a link to `/run`). */
  runDir?: string;
}

export interface SocketChoice {
  path: string;
  /** The daemon expected behind it: `libvirtd`, `virtqemud`, ... */
  daemon: string;
  mode: 'legacy' | 'direct';
  /** Session (per-user) daemon rather than the system one. */
  session: boolean;
}

/** URI drivers whose modular daemon has another name. */
const DAEMON_OF_DRIVER: Record<string, string> = { libxl: 'virtxend', xen: 'virtxend' };

/** The per-user runtime directory libvirt uses: $XDG_RUNTIME_DIR/libvirt, else ~/.cache/libvirt. */
export function userRuntimeDir(env: Record<string, string | undefined>): string {
  if (env.XDG_RUNTIME_DIR) return `${env.XDG_RUNTIME_DIR}/libvirt`;
  const cache = env.XDG_CACHE_HOME || (env.HOME ? `${env.HOME}/.cache` : undefined);
  if (!cache) throw new Error('cannot find the per-user runtime directory: neither XDG_RUNTIME_DIR nor HOME is set');
  return `${cache}/libvirt`;
}

/** Whether libvirt's client would use the per-user (session) daemon for this URI. */
export function wantsSession(uri: LibvirtUri | null, isRoot: boolean): boolean {
  if (isRoot) return false;
  if (!uri) return true;
  return uri.path === '/session' || (uri.driver === 'test' && uri.transportExplicit);
}

/**
 * @example
 * ```ts
 * unixSocketFor(parseLibvirtUri('qemu:///system'), { env: {}, isRoot: true, readonly: true, exists: () => false });
 * // { path: '/var/run/libvirt/virtqemud-sock-ro', daemon: 'virtqemud', mode: 'direct', session: false }
 * ```
 */
export function unixSocketFor(uri: LibvirtUri | null, ctx: SocketContext): SocketChoice {
  const session = wantsSession(uri, ctx.isRoot);
  const socketParam = uri?.params.socket;
  const helper = (prefix: string) =>
    session ? `${userRuntimeDir(ctx.env)}/${prefix}-sock` : `${ctx.runDir ?? '/var/run'}/libvirt/${prefix}-${ctx.readonly ? 'sock-ro' : 'sock'}`;

  const driver = uri?.driver;
  const directDaemon = driver ? (DAEMON_OF_DRIVER[driver] ?? `virt${driver}d`) : undefined;
  const direct = directDaemon ? helper(directDaemon) : undefined;
  const legacy = helper('libvirt');

  let mode = uri?.params.mode ?? 'auto';
  if (mode === 'auto') {
    if (direct && ctx.exists(direct)) mode = 'direct';
    else if (ctx.exists(legacy)) mode = 'legacy';
    // Neither socket is there: modular daemons are libvirt's default for a named driver.
    else mode = direct ? 'direct' : 'legacy';
  }
  if (mode === 'direct' && !direct) throw new UriError(uri?.original ?? '', 'mode=direct needs a URI that names a driver', 'mode');

  const chosen = mode === 'direct' ? { path: direct!, daemon: directDaemon! } : { path: legacy, daemon: 'libvirtd' };
  return { ...chosen, path: socketParam ?? chosen.path, mode, session };
}

/**
 * The admin socket of the daemon an admin URI names (`libvirtd:///system`,
 * `virtqemud:///session`), as virt-admin finds it.
 *
 * @example
 * ```ts
 * adminSocketFor(parseLibvirtUri('virtqemud:///system'), ctx).path; // '/var/run/libvirt/virtqemud-admin-sock'
 * ```
 */
export function adminSocketFor(uri: LibvirtUri, ctx: SocketContext): SocketChoice {
  const daemon = uri.driver;
  if (uri.path !== '/system' && uri.path !== '/session') {
    throw new UriError(uri.original, `an admin URI's path is /system or /session, not '${uri.path || '(none)'}'`);
  }
  const session = uri.path === '/session';
  const prefix = daemon === 'libvirtd' ? 'libvirt' : daemon;
  const path = session ? `${userRuntimeDir(ctx.env)}/${prefix}-admin-sock` : `${ctx.runDir ?? '/var/run'}/libvirt/${prefix}-admin-sock`;
  return { path: uri.params.socket ?? path, daemon, mode: daemon === 'libvirtd' ? 'legacy' : 'direct', session };
}

/** The admin URI to use when none is given, as virt-admin picks it. */
export function defaultAdminUri(env: Record<string, string | undefined>, isRoot: boolean): string {
  return env.LIBVIRT_ADMIN_DEFAULT_URI || (isRoot ? 'libvirtd:///system' : 'libvirtd:///session');
}
