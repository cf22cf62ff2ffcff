/**
 * What an ssh URI asks of the ssh carrier, by libvirt's client rules: the host, port and
 * user, the command to run on the remote host (virt-ssh-helper or netcat), the known_hosts
 * file and how strictly to check it, the key files to offer, and the order of login methods.
 */
import type { LibvirtUri } from './uri.js';

export const DEFAULT_SSH_PORT = 22;

/** The keys ssh offers when no `keyfile=` is given, in its order. */
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/**
 * The ssh carrier's options for `uri`.
 *
 * @example
 * ```ts
 * sshTarget(parseLibvirtUri('qemu+ssh://root@hv1/system'), { HOME: '/root' }, false);
 * // { host: 'hv1', port: 22, username: 'root', command: "sh -c '...'", knownHosts: { file: '/root/.ssh/known_hosts', mode: 'normal' }, ... }
 * ```
 */
export function sshTarget(uri: LibvirtUri, env: Record<string, string | undefined>, readonly: boolean) {
  const home = env.HOME;
  return {
    host: uri.host ?? 'localhost',
    port: uri.port ?? DEFAULT_SSH_PORT,
    username: uri.user ?? env.USER ?? env.LOGNAME ?? 'root',
    command: remoteCommand(uri, readonly),
    knownHosts: {
      file: uri.params.known_hosts ?? (home ? `${home}/.ssh/known_hosts` : '/nonexistent/known_hosts'),
      // no_verify=1 accepts a key never seen before; a changed key is still refused.
      mode: uri.params.known_hosts_verify ?? (uri.params.no_verify ? ('auto' as const) : ('normal' as const)),
    },
    /** `keyfile=` (which must be readable), else the default keys that exist. */
    keyFiles: uri.params.keyfile ? { required: [uri.params.keyfile] } : { ifPresent: home ? DEFAULT_KEYS.map((k) => `${home}/.ssh/${k}`) : [] },
    authOrder: uri.params.sshauth ?? ['agent', 'privkey', 'password', 'keyboard-interactive'],
    agentSocket: env.SSH_AUTH_SOCK,
    description: `ssh:${uri.host}`,
  };
}

/** Single-quotes a word for the remote shell. */
function sq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Which proxy runs on the remote host, as libvirt's remote driver picks it: `proxy=` when
 * given; otherwise netcat when a socket is named (virt-ssh-helper takes no socket), the helper
 * for a session URI (its socket path can only be worked out over there), and for the rest the
 * helper if it is installed, netcat if not. An `auto` choice with a `netcat=` path means netcat.
 */
export function sshProxy(uri: LibvirtUri): 'native' | 'netcat' | 'auto' {
  const proxy = uri.params.proxy ?? (uri.params.socket !== undefined ? 'netcat' : uri.path === '/session' ? 'native' : 'auto');
  return proxy === 'auto' && uri.params.netcat !== undefined ? 'netcat' : proxy;
}

/**
 * The command the remote side runs, as libvirt's client builds it: virt-ssh-helper given the
 * URI to open there ({@link LibvirtUri.helperUri}: `name=` if given, else the URI with its
 * `mode` and `socket`), or netcat on the daemon's socket, or a shell choosing between them.
 */
export function remoteCommand(uri: LibvirtUri, readonly: boolean): string {
  const nc = uri.params.netcat ?? 'nc';
  const socket = uri.params.socket ?? `/var/run/libvirt/libvirt-sock${readonly ? '-ro' : ''}`;
  // Debian's netcat needs -q0 to exit when its input closes; others do not know -q.
  const netcat = `if ${sq(nc)} -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0; else ARG=; fi; ${sq(nc)} $ARG -U ${sq(socket)}`;
  const helper = `virt-ssh-helper${readonly ? ' -r' : ''} ${sq(uri.helperUri)}`;
  switch (sshProxy(uri)) {
    case 'native':
      return helper;
    case 'netcat':
      return `sh -c ${sq(netcat)}`;
    default:
      return `sh -c ${sq(`if command -v virt-ssh-helper >/dev/null 2>&1; then ${helper}; else ${netcat}; fi`)}`;
  }
}

