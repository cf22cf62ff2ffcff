/**
 * A private libvirtd in a temp dir, for tests, the demo and benchmarks: it serves the test
 * driver (`test+unix:///default?socket=...`) and real QEMU/TCG guests (`qemu:///session`),
 * never touches a daemon the user already runs, and is torn down afterwards.
 *
 * As root it runs the daemon as a dedicated unprivileged user: a root libvirtd is always the
 * system daemon and would collide with /run/libvirt.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { makeSaslConfig } from './sasl-db.js';
import { join } from 'node:path';

export const DAEMON_USER = 'libvirt-rpc-test';
export const DEBIAN_PACKAGES = [
  'libvirt-daemon',
  'libvirt-daemon-driver-qemu',
  'libvirt-clients',
  'python3-libvirt',
  'qemu-system-x86',
  'qemu-utils',
];

export interface DaemonOptions {
  /** Listen on plain TCP on 127.0.0.1:port (auth none unless said). */
  listenTcp?: { port: number; auth?: 'none' | 'sasl' };
  /** Listen on TLS on 127.0.0.1:port with these files (copied in for the daemon's user). */
  listenTls?: { port: number; caCert: string; serverCert: string; serverKey: string; auth?: 'none' | 'sasl' };
  /** Extra lines for libvirtd.conf. */
  extraConfig?: string;
  /** A word for the temp dir name. */
  name?: string;
  /** Extra environment for the daemon. */
  env?: Record<string, string>;
  /** A private SASL setup (SASL_CONF_PATH) with these users and mechanisms. */
  sasl?: { users: Record<string, string>; mechanisms?: string[] };
}

export interface ThrowawayDaemon {
  dir: string;
  socket: string;
  adminSocket: string;
  pid: number;
  /** The user the daemon runs as. */
  user: string;
  testUri: string;
  qemuUri: string;
  /** Environment that points virsh or python3-libvirt at this daemon's session. */
  env: Record<string, string>;
  stop(): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * Debian's python3-libvirt is built for the system interpreter; a python3 earlier on PATH
 * (pyenv, venvs) would not see it.
 */
export const SYSTEM_PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function have(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function missingTools(): string[] {
  const missing: string[] = [];
  if (!have('sh', ['-c', 'command -v libvirtd'])) missing.push('libvirtd');
  if (!have('sh', ['-c', 'command -v virsh'])) missing.push('virsh');
  if (!have(SYSTEM_PYTHON, ['-c', 'import libvirt'])) missing.push('python3-libvirt');
  if (!have('sh', ['-c', 'command -v qemu-system-x86_64'])) missing.push('qemu-system-x86_64');
  return missing;
}

/**
 * Makes sure libvirtd, virsh, python3-libvirt and QEMU are there: installs Debian's packages
 * when running as root, otherwise says exactly what to install.
 */
export async function ensureLibvirtPackages(): Promise<void> {
  const missing = missingTools();
  if (!missing.length) return;
  const install = `apt-get install -y --no-install-recommends ${DEBIAN_PACKAGES.join(' ')}`;
  if (!isRoot() || !have('sh', ['-c', 'command -v apt-get'])) {
    throw new Error(`missing ${missing.join(', ')}: install them with \`sudo apt-get update && sudo ${install}\``);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
  execFileSync('sh', ['-c', install], { stdio: 'ignore', env });
  const still = missingTools();
  if (still.length) throw new Error(`still missing after apt-get: ${still.join(', ')}`);
}

function ensureDaemonUser(): { uid: number; gid: number } {
  if (!have('id', ['-u', DAEMON_USER])) {
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', DAEMON_USER]);
  }
  // The ssh tests log in as this user to reach its daemon: it needs a shell (it has no password).
  if (!execFileSync('getent', ['passwd', DAEMON_USER]).toString().trim().endsWith(':/bin/sh')) execFileSync('usermod', ['-s', '/bin/sh', DAEMON_USER]);
  const uid = Number(execFileSync('id', ['-u', DAEMON_USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', DAEMON_USER]).toString().trim());
  // QEMU opens /dev/kvm when it exists; membership lets it, and nothing breaks without.
  if (existsSync('/dev/kvm')) have('usermod', ['-aG', 'kvm', DAEMON_USER]);
  return { uid, gid };
}

const live = new Set<ThrowawayDaemon>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Best effort: a test run that dies must not leave daemons behind.
  process.once('exit', () => {
    for (const d of live) {
      try {
        process.kill(d.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  });
}

/**
 * Starts a private libvirtd and waits until it answers on its socket.
 *
 * @example
 * ```ts
 * const d = await startThrowawayLibvirtd();
 * const conn = await connect(d.testUri);
 * // ...
 * await conn.close();
 * await d.stop();
 * ```
 */
export async function startThrowawayLibvirtd(opts: DaemonOptions = {}): Promise<ThrowawayDaemon> {
  await ensureLibvirtPackages();
  const dir = mkdtempSync(join(tmpdir(), `libvirt-rpc-${opts.name ?? 'daemon'}-`));
  chmodSync(dir, 0o755);
  const paths = {
    runtime: join(dir, 'run'),
    config: join(dir, 'config'),
    cache: join(dir, 'cache'),
    data: join(dir, 'data'),
    home: join(dir, 'home'),
  };
  for (const p of Object.values(paths)) mkdirSync(p, { recursive: true });
  chmodSync(paths.runtime, 0o700);
  mkdirSync(join(paths.config, 'libvirt'), { recursive: true });
  const log = join(dir, 'libvirtd.log');
  const tls = opts.listenTls;
  if (tls) {
    copyFileSync(tls.caCert, join(dir, 'cacert.pem'));
    copyFileSync(tls.serverCert, join(dir, 'servercert.pem'));
    copyFileSync(tls.serverKey, join(dir, 'serverkey.pem'));
  }
  const conf = [
    `log_outputs = "3:file:${log}"`,
    ...(opts.listenTcp || tls ? ['listen_addr = "127.0.0.1"'] : []),
    ...(opts.listenTcp ? ['listen_tcp = 1', `tcp_port = "${opts.listenTcp.port}"`, `auth_tcp = "${opts.listenTcp.auth ?? 'none'}"`] : []),
    // --listen turns TLS on by default; without certificates the daemon would exit.
    ...(tls
      ? [
          'listen_tls = 1',
          `tls_port = "${tls.port}"`,
          `auth_tls = "${tls.auth ?? 'none'}"`,
          `ca_file = "${join(dir, 'cacert.pem')}"`,
          `cert_file = "${join(dir, 'servercert.pem')}"`,
          `key_file = "${join(dir, 'serverkey.pem')}"`,
        ]
      : opts.listenTcp
        ? ['listen_tls = 0']
        : []),
    opts.extraConfig ?? '',
  ].join('\n');
  writeFileSync(join(paths.config, 'libvirt', 'libvirtd.conf'), conf + '\n');

  const saslEnv: Record<string, string> = {};
  if (opts.sasl) saslEnv.SASL_CONF_PATH = makeSaslConfig(join(dir, 'sasl'), opts.sasl.users, opts.sasl.mechanisms).confDir;
  const root = isRoot();
  const owner = root ? ensureDaemonUser() : undefined;
  if (owner) chownRecursive(dir, owner.uid, owner.gid);

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: paths.home,
    XDG_RUNTIME_DIR: paths.runtime,
    XDG_CONFIG_HOME: paths.config,
    XDG_CACHE_HOME: paths.cache,
    XDG_DATA_HOME: paths.data,
    ...saslEnv,
    ...opts.env,
  };
  const pidFile = join(dir, 'libvirtd.pid');
  const args = ['-d', '-p', pidFile, ...(opts.listenTcp || tls ? ['--listen'] : [])];
  const cmd = root ? 'setpriv' : 'libvirtd';
  const cmdArgs = root
    ? ['--reuid', String(owner!.uid), '--regid', String(owner!.gid), '--clear-groups', '--', 'libvirtd', ...args]
    : args;
  await run(cmd, cmdArgs, env, log);

  const socket = join(paths.runtime, 'libvirt', 'libvirt-sock');
  const adminSocket = join(paths.runtime, 'libvirt', 'libvirt-admin-sock');
  await waitForSocket(socket, 10_000, log);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());

  const daemon: ThrowawayDaemon = {
    dir,
    socket,
    adminSocket,
    pid,
    user: root ? DAEMON_USER : (process.env.USER ?? String(process.getuid?.())),
    testUri: `test+unix:///default?socket=${socket}`,
    qemuUri: `qemu+unix:///session?socket=${socket}`,
    env,
    kill(signal) {
      process.kill(pid, signal);
    },
    async stop() {
      live.delete(daemon);
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      // libvirtd takes 1-4 s to exit after SIGTERM.
      const deadline = Date.now() + 10_000;
      while (alive(pid) && Date.now() < deadline) await sleep(50);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      killQemuOf(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  live.add(daemon);
  installExitHook();
  return daemon;
}

function chownRecursive(path: string, uid: number, gid: number): void {
  execFileSync('chown', ['-R', `${uid}:${gid}`, path]);
}

function run(cmd: string, args: string[], env: Record<string, string>, log: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`libvirtd did not start: ${stderr || err.message}\n${tail(log)}`));
      else resolve();
    });
  });
}

async function waitForSocket(path: string, timeoutMs: number, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path) && (await canConnect(path))) return;
    await sleep(20);
  }
  throw new Error(`libvirtd did not open ${path} within ${timeoutMs} ms\n${tail(log)}`);
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ path });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** QEMU processes a killed daemon left behind (their command lines name the temp dir). */
function killQemuOf(dir: string): void {
  try {
    execFileSync('pkill', ['-9', '-f', dir], { stdio: 'ignore' });
  } catch {
    // none left
  }
}

function tail(log: string): string {
  try {
    return readFileSync(log, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no daemon log)';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The smallest guest QEMU/TCG boots without KVM: 32 MiB, one vCPU, no disk, a pty serial
 * console and VNC on loopback.
 */
export function tinyGuestXml(name: string, opts: { memoryMiB?: number; extraDevices?: string } = {}): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>${opts.memoryMiB ?? 32}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='pty'/>
    <console type='pty'/>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    ${opts.extraDevices ?? ''}
  </devices>
</domain>`;
}
