/**
 * The ssh carrier (for `qemu+ssh://user@host/system`, also `libssh` and `libssh2`) on the
 * ssh2 package, loaded only when an ssh connection is made. Host keys are checked against
 * known_hosts as libvirt does; the target (host, user, remote command, key files) comes
 * worked out by the client rules in src/locate/ssh-target.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import type { AnyAuthMethod, Client as Ssh2Client, ClientChannel } from 'ssh2';
import { ConnectionError, NotSupportedError } from '../errors.js';
import { abortReason, transportFromDuplex, waitReady, whenReady } from './node-stream.js';
import type { Dialer } from './types.js';
import { loadLater } from './load-later.js';

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

/**
 * Where to connect and how to log in, as the client rules (src/locate/ssh-target.ts) work
 * them out from a URI: plain values, so this carrier knows nothing of URIs.
 */
export interface SshTarget {
  host: string;
  port: number;
  username: string;
  /** The command that carries the protocol on the remote host (virt-ssh-helper, netcat). */
  command: string;
  knownHosts: { file: string; mode: 'normal' | 'auto' | 'ignore' };
  /** Private key files: all `required` ones must be readable; the `ifPresent` ones are offered when they are. */
  keyFiles: { required: string[] } | { ifPresent: string[] };
  /** Login methods in the order to try them. */
  authOrder: readonly string[];
  /** The ssh agent's socket, when there is one. */
  agentSocket: string | undefined;
  /** How traces and errors name the connection. */
  description: string;
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

export function sshDialer(target: SshTarget, opts: SshOptions): Dialer {
  return async (events, signal) => {
    const command = target.command;
    const client = (opts.client as Ssh2Client | undefined) ?? (await connectClient(target, opts, signal));
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
    const transport = transportFromDuplex(channel, events, target.description, true, 2000);
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
    const mod = await loadLater<typeof import('ssh2') & { default?: typeof import('ssh2') }>(SSH2);
    return (mod.Client ? mod : mod.default) as typeof import('ssh2');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND' && !/Cannot find (module|package)/.test(String(e))) throw e;
    throw new NotSupportedError('ssh URIs need the ssh2 package, an optional peer dependency of libvirt-rpc: npm install ssh2', { cause: e });
  }
}

async function connectClient(target: SshTarget, opts: SshOptions, signal?: AbortSignal): Promise<Ssh2Client> {
  // known_hosts matching needs node:crypto: loaded with ssh2, when an ssh dial needs it.
  const { Client } = await loadSsh2();
  const { checkHostKey, hostKeyName } = await import('./known-hosts.js');
  const { host, port, username, knownHosts: policy, authOrder: order } = target;
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
    : 'required' in target.keyFiles
      ? target.keyFiles.required.map((file) => readFileSync(file))
      : target.keyFiles.ifPresent.map(readable).filter((text): text is string => !!text);
  const password = async () => (typeof opts.password === 'function' ? await opts.password() : opts.password);
  const methods: AnyAuthMethod[] = [];
  for (const m of order) {
    if (m === 'agent' && target.agentSocket) methods.push({ type: 'agent', username, agent: target.agentSocket });
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
