/**
 * Which unix socket a URI means, following libvirt's remote driver (remote_sockets.c): the
 * system or the per-user (session) daemon, the read-only socket, modular per-driver daemons
 * (`virt${driver}d`) or the shared `libvirt-sock` (libvirtd, or virtproxyd in its place),
 * `mode=` and `socket=`; and the admin socket, as libvirt-admin finds it.
 *
 * Runtime-neutral: the environment and a file-exists check are passed in, nothing is read at
 * import time.
 */
import type { LibvirtUri, RemoteMode } from './uri.js';
import { UriError } from './uri.js';

export interface SocketContext {
  env: Record<string, string | undefined>;
  /** Effective uid 0. */
  isRoot: boolean;
  /** A read-only open (`virConnectOpenReadOnly`, `virsh -r`): the system daemons' `-sock-ro`. */
  readonly: boolean;
  /** Whether a path exists (a socket someone listens on, or an installed daemon binary). */
  exists(path: string): boolean;
  /**
   * Where system daemons put their sockets, instead of libvirt's own choices: the remote driver
   * builds `/var/run/libvirt/...` (it may be describing a remote host, which has the `/var/run`
   * link for sure) while the daemon probe and libvirt-admin use `/run/libvirt/...`.
   */
  runDir?: string;
  /** libvirt.conf's `remote_mode`, used when the URI has no `mode=`. */
  confMode?: RemoteMode;
  /**
   * What `mode=auto` falls back to when neither socket exists: libvirt's build option
   * `remote_default_mode`, which is `direct` unless the distribution changed it.
   */
  defaultMode?: 'legacy' | 'direct';
  /** Where daemon binaries are installed (libvirt's SBINDIR), for the session probe; `/usr/sbin`. */
  sbinDir?: string;
}

export interface SocketChoice {
  /** The socket to connect to. */
  path: string;
  /**
   * The daemon expected behind it: `virtqemud`, `virtnetworkd`, ... (direct), `libvirtd` or
   * `virtproxyd` (legacy: both serve `libvirt-sock`), or `unknown` for a `socket=` path that
   * does not tell.
   */
  daemon: string;
  mode: 'legacy' | 'direct';
  /** The per-user (session) daemon rather than the system one. */
  session: boolean;
  /** libvirt's client would start the daemon itself if the socket is missing (this one does not). */
  autostart: boolean;
}

/** Transports that reach a unix socket: locally, or on the remote host through ssh. */
const SOCKET_TRANSPORTS = new Set(['unix', 'ssh', 'libssh', 'libssh2']);

/**
 * Drivers that live in libvirt's client library rather than in a daemon of their own, so that
 * no `virt${driver}d` exists; `remote` is the "let the daemon choose" scheme. Any daemon on
 * `libvirt-sock` serves them (libvirtd and virtproxyd both carry the test driver).
 */
const NO_MODULAR_DAEMON = new Set(['test', 'remote']);

/** The daemon probe's order for the system daemons (remoteProbeSystemDriverFromSocket). */
const SYSTEM_PROBE = ['xen', 'qemu', 'lxc', 'vbox', 'bhyve', 'vz'];
/** ... and for session daemons (remoteProbeSessionDriverFromSocket / FromBinary). */
const SESSION_PROBE = ['qemu', 'vbox'];

/**
 * The per-user runtime directory libvirt uses: `$XDG_RUNTIME_DIR/libvirt`, else the user
 * cache directory, `$XDG_CACHE_HOME/libvirt` or `$HOME/.cache/libvirt` (glib's fallbacks).
 *
 * @example
 * ```ts
 * userRuntimeDir({ XDG_RUNTIME_DIR: '/run/user/1000' }); // '/run/user/1000/libvirt'
 * userRuntimeDir({ HOME: '/home/u' });                    // '/home/u/.cache/libvirt'
 * ```
 */
export function userRuntimeDir(env: Record<string, string | undefined>): string {
  if (env.XDG_RUNTIME_DIR) return `${trimSlash(env.XDG_RUNTIME_DIR)}/libvirt`;
  if (env.XDG_CACHE_HOME) return `${trimSlash(env.XDG_CACHE_HOME)}/libvirt`;
  if (env.HOME) return `${trimSlash(env.HOME)}/.cache/libvirt`;
  throw new Error('cannot find the per-user runtime directory: none of XDG_RUNTIME_DIR, XDG_CACHE_HOME and HOME is set');
}

function trimSlash(dir: string): string {
  return dir.length > 1 ? dir.replace(/\/+$/, '') : dir;
}

/**
 * Whether libvirt's client uses the per-user (session) daemon: never as root; otherwise with no
 * URI at all, for a `/session` path, and for the test driver whenever a transport is spelled out
 * (`test+unix:///default`, `test+tcp://...`).
 *
 * @example
 * ```ts
 * wantsSession(parseLibvirtUri('qemu:///session'), false);     // true
 * wantsSession(parseLibvirtUri('test+unix:///default'), false); // true
 * wantsSession(parseLibvirtUri('qemu:///session'), true);      // false: root uses the system daemon
 * ```
 */
export function wantsSession(uri: LibvirtUri | null, isRoot: boolean): boolean {
  if (isRoot) return false;
  if (!uri) return true;
  return uri.path === '/session' || (uri.driver === 'test' && uri.transportExplicit);
}

/**
 * The unix socket libvirt's client would connect to for `uri` (null: no URI at all).
 *
 * - `socket=` wins over everything.
 * - System daemons listen in `/var/run/libvirt/` (`-sock-ro` for read-only opens), session
 *   daemons in {@link userRuntimeDir} (one socket, read-only or not).
 * - `mode=direct` is the driver's own daemon, `virt${driver}d-sock`; `mode=legacy` is
 *   `libvirt-sock` (libvirtd, or virtproxyd which forwards to the modular daemons).
 * - `mode=auto` (the default, or libvirt.conf's `remote_mode`): for the unix transport the
 *   driver's socket if it exists, else `libvirt-sock` if that exists, else
 *   {@link SocketContext.defaultMode}; over ssh always legacy (the remote side decides).
 * - No URI: the daemon is probed from the sockets (and, for a session, the installed binaries)
 *   of the hypervisor daemons, as libvirt does, unless the mode is legacy.
 * - Over ssh the path is the one given to netcat on the remote host; `mode=direct` is refused.
 *
 * @example
 * ```ts
 * const ctx = { env: {}, isRoot: true, readonly: true, exists: (p: string) => p === '/var/run/libvirt/virtqemud-sock-ro' };
 * unixSocketFor(parseLibvirtUri('qemu:///system'), ctx);
 * // { path: '/var/run/libvirt/virtqemud-sock-ro', daemon: 'virtqemud', mode: 'direct', session: false, autostart: false }
 * ```
 */
export function unixSocketFor(uri: LibvirtUri | null, ctx: SocketContext): SocketChoice {
  const transport = uri?.transport ?? 'unix';
  if (!SOCKET_TRANSPORTS.has(transport)) {
    throw new UriError(uri!.original, `the ${transport} transport connects over the network, not to a unix socket`, { part: 'transport' });
  }
  const session = wantsSession(uri, ctx.isRoot);
  const sbin = trimSlash(ctx.sbinDir ?? '/usr/sbin');

  const explicit = uri?.params.socket;
  if (explicit !== undefined) {
    // libvirt takes the path as it is and chooses no daemon; say what the name suggests.
    return { path: explicit, ...daemonOfSocket(explicit, uri?.params.mode), session, autostart: false };
  }

  const autostart =
    session && (!uri || (!uri.host && transport === 'unix')) && ctx.env.LIBVIRT_AUTOSTART !== '0';
  const dir = session ? userRuntimeDir(ctx.env) : `${trimSlash(ctx.runDir ?? '/var/run')}/libvirt`;
  const sockFor = (prefix: string) => (session ? `${dir}/${prefix}-sock` : `${dir}/${prefix}-${ctx.readonly ? 'sock-ro' : 'sock'}`);

  let mode: RemoteMode = uri?.params.mode ?? ctx.confMode ?? 'auto';
  const fallback = ctx.defaultMode ?? 'direct';

  let driver = uri ? uri.driver : undefined;
  if (!uri && mode !== 'legacy' && fallback === 'direct') driver = probeDriver(ctx, sbin);

  const direct = driver !== undefined ? { daemon: `virt${driver}d`, path: sockFor(`virt${driver}d`) } : undefined;
  const legacy = { daemon: legacyDaemon(ctx, sbin), path: sockFor('libvirt') };
  const noDaemon = driver !== undefined && NO_MODULAR_DAEMON.has(driver);

  if (mode === 'auto') {
    if (transport !== 'unix') mode = 'legacy';
    else if (direct && !noDaemon && ctx.exists(direct.path)) mode = 'direct';
    else if (ctx.exists(legacy.path)) mode = 'legacy';
    // With no URI and no daemon found there is no driver to be direct to: libvirt-sock is
    // what is left, and the connect error then names it, as virsh's does.
    else mode = noDaemon || !direct ? 'legacy' : fallback;
  }

  if (mode === 'legacy') return { ...legacy, mode, session, autostart };

  if (transport !== 'unix') {
    throw new UriError(uri!.original, `mode=direct cannot be used with the ${transport} transport (the remote side picks the daemon; use mode=legacy or socket=)`, {
      param: 'mode',
    });
  }
  if (!direct) {
    throw new UriError('', 'mode=direct needs one to pick a driver, and no hypervisor daemon socket was found (give a URI such as qemu:///system)', { param: 'mode' });
  }
  return { ...direct, mode, session, autostart };
}

/** libvirt's client-side probe for a daemon when there is no URI (REMOTE_DRIVER_AUTOSTART_DIRECT builds). */
function probeDriver(ctx: SocketContext, sbin: string): string | undefined {
  if (!ctx.isRoot) {
    const dir = userRuntimeDir(ctx.env);
    return SESSION_PROBE.find((d) => ctx.exists(`${dir}/virt${d}d-sock`)) ?? SESSION_PROBE.find((d) => ctx.exists(`${sbin}/virt${d}d`));
  }
  const dir = `${trimSlash(ctx.runDir ?? '/run')}/libvirt`;
  return SYSTEM_PROBE.find((d) => ctx.exists(`${dir}/virt${d}d-${ctx.readonly ? 'sock-ro' : 'sock'}`));
}

/** Who serves `libvirt-sock`: libvirtd, or virtproxyd on hosts that have only the modular daemons. */
function legacyDaemon(ctx: SocketContext, sbin: string): string {
  return !ctx.exists(`${sbin}/libvirtd`) && ctx.exists(`${sbin}/virtproxyd`) ? 'virtproxyd' : 'libvirtd';
}

function daemonOfSocket(path: string, mode: RemoteMode | undefined): { daemon: string; mode: 'legacy' | 'direct' } {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const modular = /^(virt[a-z0-9]+d)-sock(-ro)?$/.exec(base);
  if (modular) return { daemon: modular[1]!, mode: 'direct' };
  if (/^libvirt-sock(-ro)?$/.test(base)) return { daemon: 'libvirtd', mode: 'legacy' };
  return { daemon: 'unknown', mode: mode === 'direct' ? 'direct' : 'legacy' };
}

export interface AdminSocketChoice {
  path: string;
  /** `libvirtd`, `virtproxyd`, `virtqemud`, `virtlogd`, ... */
  daemon: string;
  session: boolean;
}

/**
 * The admin-program socket of the daemon an admin URI names (`libvirtd:///system`,
 * `virtqemud:///session`, ...), as libvirt-admin finds it: `socket=` as given, else
 * `/run/libvirt/<prefix>-admin-sock` for `/system` and `<user runtime dir>/<prefix>-admin-sock`
 * for `/session`, where the prefix is `libvirt` for libvirtd (and virtproxyd, which listens
 * there) and the daemon's name for the others. No other parameter, transport or host is
 * accepted.
 *
 * @example
 * ```ts
 * adminSocketFor(parseLibvirtUri('virtqemud:///system'), { env: {} }).path;  // '/run/libvirt/virtqemud-admin-sock'
 * adminSocketFor(parseLibvirtUri('libvirtd:///session'), { env: { XDG_RUNTIME_DIR: '/run/user/1000' } }).path;
 * // '/run/user/1000/libvirt/libvirt-admin-sock'
 * ```
 */
export function adminSocketFor(uri: LibvirtUri, ctx: Pick<SocketContext, 'env'> & Partial<SocketContext>): AdminSocketChoice {
  if (uri.transportExplicit) {
    throw new UriError(uri.original, `an admin URI takes no transport ('+${uri.transport}'): the admin socket is local`, { part: 'transport' });
  }
  if (uri.host) {
    throw new UriError(uri.original, `the admin interface is reached over a local unix socket only, not on '${uri.host}'`, { part: 'host' });
  }
  for (const key of Object.keys(uri.params)) {
    if (key !== 'socket') throw new UriError(uri.original, `unknown parameter '${key}' for an admin URI (only socket= is known)`, { param: key });
  }
  if (uri.extraParams.length) {
    const key = uri.extraParams[0]![0];
    throw new UriError(uri.original, `unknown parameter '${key}' for an admin URI (only socket= is known)`, { param: key });
  }
  if (uri.fragment !== undefined) {
    throw new UriError(uri.original, 'an admin URI has no fragment', { part: 'fragment' });
  }

  const daemon = uri.driver;
  const session = uri.path === '/session';
  if (uri.params.socket !== undefined) return { path: uri.params.socket, daemon, session };

  let prefix: string;
  if (daemon === 'libvirtd' || daemon === 'virtproxyd') prefix = 'libvirt';
  else if (daemon.startsWith('virt')) prefix = daemon;
  else {
    throw new UriError(uri.original, `'${daemon}' is not a daemon: admin URIs name one, as in libvirtd:///system or virtqemud:///system`, {
      part: 'scheme',
    });
  }
  if (uri.path === '/system') return { path: `${trimSlash(ctx.runDir ?? '/run')}/libvirt/${prefix}-admin-sock`, daemon, session };
  if (session) return { path: `${userRuntimeDir(ctx.env)}/${prefix}-admin-sock`, daemon, session };
  throw new UriError(uri.original, `an admin URI's path is /system or /session, not '${uri.path || '(none)'}'`, { part: 'path' });
}

/**
 * The admin URI to use when none is given, as libvirt-admin picks it:
 * `LIBVIRT_ADMIN_DEFAULT_URI` when set and not empty, else `libvirtd:///system` as root and
 * `libvirtd:///session` otherwise (libvirt-admin.conf's `uri_default` is not read).
 *
 * @example
 * ```ts
 * defaultAdminUri({}, true); // 'libvirtd:///system'
 * ```
 */
export function defaultAdminUri(env: Record<string, string | undefined>, isRoot: boolean): string {
  return env.LIBVIRT_ADMIN_DEFAULT_URI || (isRoot ? 'libvirtd:///system' : 'libvirtd:///session');
}
