/**
 * The ssh transport (`qemu+ssh://user@host/system`, also `libssh` and `libssh2`) on the ssh2
 * package, loaded only when an ssh URI is used. Host keys are checked against known_hosts as
 * libvirt does; the remote command is virt-ssh-helper or netcat, as libvirt builds it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import type { AnyAuthMethod, Client as Ssh2Client, ClientChannel } from 'ssh2';
import { ConnectionError, NotSupportedError } from '../errors.js';
import { checkHostKey, hostKeyName } from './known-hosts.js';
import { abortReason, transportFromDuplex, waitReady, whenReady } from './node-stream.js';
import type { Dialer } from './types.js';
import type { LibvirtUri } from './uri.js';

export const DEFAULT_SSH_PORT = 22;

/**
 * What the transport needs of an ssh2 `Client` you connected yourself: to run the remote
 * command on it. Spelled out here so that our declarations stand without ssh2's types.
 */
export interface SshClient {
  exec(command: string, callback: (err: Error | undefined, channel: any) => void): unknown;
}

export interface SshOptions {
  /** An ssh2 `Client` you already connected; the transport only runs its command on it. */
  client?: SshClient;
  /** Private key contents (PEM/OpenSSH), over `keyfile=` and the default keys. */
  privateKey?: string | Uint8Array;
  passphrase?: string;
  /** For password and keyboard-interactive logins. */
  password?: string | (() => Promise<string> | string);
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

interface HostKeyPolicy {
  file: string;
  mode: 'normal' | 'auto' | 'ignore';
}

function hostKeyPolicy(uri: LibvirtUri, home: string | undefined): HostKeyPolicy {
  const file = uri.params.known_hosts ?? (home ? `${home}/.ssh/known_hosts` : '/nonexistent/known_hosts');
  // no_verify=1 accepts a key never seen before; a changed key is still refused.
  const mode = uri.params.known_hosts_verify ?? (uri.params.no_verify ? 'auto' : 'normal');
  return { file, mode };
}

/** The contents of the private keys ssh would try by default (those that exist and can be read). */
function defaultKeys(home: string | undefined): string[] {
  if (!home) return [];
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((k) => readable(`${home}/.ssh/${k}`)).filter((text): text is string => !!text);
}

/**
 * The file's text, '' when it does not exist, undefined (with the reason) when it cannot be
 * read: a permission the runtime denies (Deno) must not end the connection by itself, as
 * OpenSSH goes on without a known_hosts file it cannot read.
 */
function readable(file: string): string | undefined {
  try {
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  } catch {
    return undefined;
  }
}

export function sshDialer(uri: LibvirtUri, opts: SshOptions, ctx: { env: Record<string, string | undefined>; readonly: boolean }): Dialer {
  return async (events, signal) => {
    const command = remoteCommand(uri, ctx.readonly);
    const client = (opts.client as Ssh2Client | undefined) ?? (await connectClient(uri, opts, ctx.env, signal));
    let channel: ClientChannel;
    try {
      channel = await execute(client, command, signal);
    } catch (e) {
      if (!opts.client) client.end();
      throw e;
    }
    // Once up, a failure of our own ssh connection (a reset) ends the channel it carries; an
    // 'error' with no listener would throw out of the event loop instead.
    if (!opts.client) client.on('error', (e: Error) => channel.emit('error', e));
    let stderr = '';
    channel.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-2048);
    });
    channel.on('exit', (code: number | null) => {
      if (code) channel.emit('error', new Error(`the remote command exited with ${code}${stderr ? `: ${stderr.trim()}` : ''}`));
    });
    // The command's exit status (and its error) comes after the end of its output.
    const transport = transportFromDuplex(channel, events, `ssh:${uri.host}`, true, 2000);
    return {
      ...transport,
      close: () => {
        transport.close();
        if (!opts.client) client.end();
      },
    };
  };
}

/** Runs `command` on the connected client; the signal aborts the wait, and its listener goes after. */
function execute(client: Ssh2Client, command: string, signal: AbortSignal | undefined): Promise<ClientChannel> {
  return new Promise<ClientChannel>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal!));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    client.exec(command, (err, stream) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) {
        stream?.close();
        return;
      }
      if (err) reject(new ConnectionError(`ssh: cannot run the remote command: ${err.message}`, { cause: err }));
      else resolve(stream);
    });
  });
}

/**
 * The ssh2 package: an optional peer dependency, so that users who never open an ssh URI
 * install and bundle no native code. The specifier is not a literal, so that bundlers leave
 * this import to run time rather than follow it into ssh2's native addons.
 */
const SSH2 = 'ssh2';
async function loadSsh2(): Promise<typeof import('ssh2')> {
  try {
    const mod = await import(/* webpackIgnore: true */ /* @vite-ignore */ SSH2);
    return (mod.Client ? mod : mod.default) as typeof import('ssh2');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND' && !/Cannot find (module|package)/.test(String(e))) throw e;
    throw new NotSupportedError('ssh URIs need the ssh2 package, an optional peer dependency of libvirt-rpc: npm install ssh2', { cause: e });
  }
}

async function connectClient(uri: LibvirtUri, opts: SshOptions, env: Record<string, string | undefined>, signal?: AbortSignal): Promise<Ssh2Client> {
  const { Client } = await loadSsh2();
  const host = uri.host ?? 'localhost';
  const port = uri.port ?? DEFAULT_SSH_PORT;
  const username = uri.user ?? env.USER ?? env.LOGNAME ?? 'root';
  const policy = hostKeyPolicy(uri, env.HOME);
  let hostKeyProblem: string | undefined;

  const hostVerifier = (key: Buffer): boolean => {
    if (policy.mode === 'ignore') return true;
    const text = readable(policy.file);
    const verdict = checkHostKey(text ?? '', hostKeyName(host, port), key);
    if (verdict === 'known') return true;
    if (verdict === 'unknown' && policy.mode === 'auto') return true;
    hostKeyProblem =
      verdict === 'unknown'
        ? `the host key of ${host}:${port} is not in ${policy.file}${text === undefined ? ' (which cannot be read)' : ''}; add it (ssh-keyscan) or use known_hosts_verify=auto`
        : verdict === 'changed'
          ? `the host key of ${host}:${port} does not match the one in ${policy.file}: it changed, or someone is in the middle; refusing`
          : `the host key of ${host}:${port} is revoked in ${policy.file}`;
    return false;
  };

  const keys: (string | Uint8Array)[] = opts.privateKey
    ? [opts.privateKey]
    : uri.params.keyfile
      ? [readFileSync(uri.params.keyfile)]
      : defaultKeys(env.HOME);
  const order = uri.params.sshauth ?? ['agent', 'privkey', 'password', 'keyboard-interactive'];
  const password = async () => (typeof opts.password === 'function' ? await opts.password() : opts.password);
  const methods: AnyAuthMethod[] = [];
  for (const m of order) {
    if (m === 'agent' && env.SSH_AUTH_SOCK) methods.push({ type: 'agent', username, agent: env.SSH_AUTH_SOCK });
    if (m === 'privkey') for (const key of keys) methods.push({ type: 'publickey', username, key: Buffer.from(key), ...(opts.passphrase ? { passphrase: opts.passphrase } : {}) });
    if (m === 'password' && opts.password !== undefined) methods.push({ type: 'password', username, password: (await password())! });
    if (m === 'keyboard-interactive' && opts.password !== undefined) {
      const pw = (await password())!;
      methods.push({ type: 'keyboard-interactive', username, prompt: (_n, _i, _l, prompts, finish) => finish(prompts.map(() => pw)) });
    }
  }
  if (!methods.length) {
    // A host that cannot be reached is the first thing to say, as ssh itself would.
    const probe = connectTcp({ host, port });
    await waitReady(probe, 'connect', signal, `ssh server ${host}:${port}`);
    probe.destroy();
    throw new ConnectionError(`ssh to ${host}: no way to log in (no agent, no key in ~/.ssh or keyfile=, no password)`);
  }

  const client = new Client();
  const failure = (e: Error) => {
    client.end();
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return new ConnectionError(`cannot connect to ssh server ${host}:${port}: ${e.message}`, { cause: e });
    const msg = hostKeyProblem ?? (/authentication methods failed/i.test(e.message) ? `ssh login to ${username}@${host}:${port} was refused (tried ${order.join(', ')})` : e.message);
    return new ConnectionError(`ssh: ${msg}`, { cause: e });
  };
  const ready = whenReady(client, 'ready', signal, failure, () => client.end());
  if (!signal?.aborted) client.connect({ host, port, username, hostVerifier, authHandler: methods as never, readyTimeout: 20_000 });
  await ready;
  return client;
}
