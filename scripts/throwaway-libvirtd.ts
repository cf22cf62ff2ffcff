/**
 * A private libvirtd in a temp dir, for tests, the demo and benchmarks: it serves the test
 * driver (`test+unix:///default?socket=...`) and real QEMU/TCG guests (`qemu:///session`),
 * never touches a daemon the user already runs, and is torn down afterwards.
 *
 * As root it runs the daemon as a dedicated unprivileged user: a root libvirtd is always the
 * system daemon and would collide with /run/libvirt.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants as fsConstants,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect as netConnect, type NetConnectOpts } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { makeSaslConfig } from './sasl-db.js';

export const DAEMON_USER = 'libvirt-rpc-test';
export const DEBIAN_PACKAGES = [
  'libvirt-daemon',
  'libvirt-daemon-driver-qemu',
  'libvirt-clients',
  'python3-libvirt',
  'qemu-system-x86',
  'qemu-utils',
];

/** The daemon generations the tests run against: Debian 12's libvirt and Debian 13's (in a chroot). */
export const GENERATIONS = ['9.0', '11.3'] as const;
export type DaemonGeneration = (typeof GENERATIONS)[number];

export interface DaemonOptions {
  /**
   * Which libvirt: '9.0' (default) is this machine's own, as a session daemon of an
   * unprivileged user; '11.3' is Debian 13's in a chroot (scripts/daemon-11.ts), a system
   * daemon whose QEMU driver is `qemu+unix:///system?socket=...`. As root only.
   */
  generation?: DaemonGeneration;
  /** Listen on plain TCP on 127.0.0.1:port (auth none unless said). */
  listenTcp?: { port: number; auth?: 'none' | 'sasl' };
  /** Listen on TLS on 127.0.0.1:port with these files (copied in for the daemon's user). */
  listenTls?: { port: number; caCert: string; serverCert: string; serverKey: string; auth?: 'none' | 'sasl' };
  /** Extra lines for libvirtd.conf. */
  extraConfig?: string;
  /** Extra lines for the session QEMU driver's qemu.conf. */
  extraQemuConfig?: string;
  /** A word for the temp dir name (shortened: QEMU's monitor socket path must stay short). */
  name?: string;
  /** Extra environment for the daemon. */
  env?: Record<string, string>;
  /** A private SASL setup (SASL_CONF_PATH) with these users and mechanisms. */
  sasl?: { users: Record<string, string>; mechanisms?: string[] };
  /** Boot and destroy a tiny guest before returning, to prove qemu:///session works. */
  checkQemu?: boolean;
  /** Reuse QEMU capabilities probed by an earlier daemon (default true; saves ~4 s per daemon). */
  qemuCapsCache?: boolean;
}

export interface ThrowawayDaemon {
  generation: DaemonGeneration;
  /** libvirtd's version, e.g. `9.0.0`. */
  version: string;
  /** The temp root; everything the daemon writes is under it. */
  dir: string;
  socket: string;
  adminSocket: string;
  pid: number;
  /** The user the daemon runs as. */
  user: string;
  uid: number;
  testUri: string;
  qemuUri: string;
  /** The daemon's own log file (warnings and errors). */
  log: string;
  /** Environment that points virsh or python3-libvirt at this daemon's session. */
  env: Record<string, string>;
  /** SIGTERM, wait for the exit, kill any guest left behind, remove `dir`. Idempotent. */
  stop(): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  /**
   * Where the daemon sees a file of this machine (a disk image, a pool dir): the path itself
   * for the host's daemon; inside the chroot for 11.3, which sees only files under its root
   * (put them under `dir`).
   */
  pathInDaemon(path: string): string;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * Debian's python3-libvirt is built for the system interpreter; a python3 earlier on PATH
 * (pyenv, venvs) would not see it.
 */
export const SYSTEM_PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

// ---------------------------------------------------------------------------------------
// Packages

/** Where Debian puts daemons; an ordinary user's PATH usually lacks the sbin dirs. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The absolute path of an executable on PATH or in the sbin dirs, or undefined. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, fsConstants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * What the integration tests use besides the daemon: certtool for test certificates, SASL's
 * tools and mechanisms, OpenSSH's server and client, netcat for the ext and ssh transports.
 */
export const TEST_TOOL_PACKAGES = ['gnutls-bin', 'sasl2-bin', 'libsasl2-modules', 'openssh-server', 'openssh-client', 'netcat-openbsd'];

function missingTestTools(): Array<{ what: string; pkg: string }> {
  const missing: Array<{ what: string; pkg: string }> = [];
  if (!findExecutable('certtool')) missing.push({ what: 'certtool', pkg: 'gnutls-bin' });
  if (!findExecutable('saslpasswd2')) missing.push({ what: 'saslpasswd2', pkg: 'sasl2-bin' });
  if (debianPackageMissing('libsasl2-modules')) missing.push({ what: 'the SASL mechanisms', pkg: 'libsasl2-modules' });
  if (!existsSync('/usr/sbin/sshd')) missing.push({ what: 'sshd', pkg: 'openssh-server' });
  if (!findExecutable('ssh-keygen')) missing.push({ what: 'ssh-keygen', pkg: 'openssh-client' });
  if (!findExecutable('nc')) missing.push({ what: 'nc', pkg: 'netcat-openbsd' });
  return missing;
}

/** Each missing piece with the Debian package that provides it. */
function missingPieces(testTools: boolean): Array<{ what: string; pkg: string }> {
  const missing: Array<{ what: string; pkg: string }> = testTools ? missingTestTools() : [];
  if (!findExecutable('libvirtd')) missing.push({ what: 'libvirtd', pkg: 'libvirt-daemon' });
  if (!findExecutable('virsh')) missing.push({ what: 'virsh', pkg: 'libvirt-clients' });
  if (spawnSync(SYSTEM_PYTHON, ['-c', 'import libvirt'], { stdio: 'ignore' }).status !== 0) {
    missing.push({ what: `${SYSTEM_PYTHON} -c 'import libvirt'`, pkg: 'python3-libvirt' });
  }
  if (!findExecutable('qemu-system-x86_64')) missing.push({ what: 'qemu-system-x86_64', pkg: 'qemu-system-x86' });
  // Debian ships libvirt's QEMU driver separately and only recommends it.
  if (debianPackageMissing('libvirt-daemon-driver-qemu')) missing.push({ what: "libvirt's QEMU driver", pkg: 'libvirt-daemon-driver-qemu' });
  return missing;
}

function debianPackageMissing(pkg: string): boolean {
  if (!findExecutable('dpkg-query')) return false;
  const r = spawnSync('dpkg-query', ['-W', '-f', '${db:Status-Abbrev}', pkg], { encoding: 'utf8' });
  return !r.stdout?.startsWith('ii');
}

const isDebian = () => existsSync('/etc/debian_version') && !!findExecutable('apt-get');

const packagesReady = new Map<boolean, Promise<void>>();

/**
 * Makes sure libvirtd, virsh, python3-libvirt and QEMU are there, and with `testTools` what
 * the integration tests use too ({@link TEST_TOOL_PACKAGES}): installs Debian's packages when
 * running as root, otherwise says exactly what to install. Checked once per process.
 */
export function ensureLibvirtPackages(opts: { testTools?: boolean } = {}): Promise<void> {
  const testTools = opts.testTools ?? false;
  let ready = packagesReady.get(testTools);
  if (!ready) {
    ready = checkAndInstall(testTools).catch((err) => {
      packagesReady.delete(testTools); // let a later call try again
      throw err;
    });
    packagesReady.set(testTools, ready);
  }
  return ready;
}

async function checkAndInstall(testTools: boolean): Promise<void> {
  const missing = missingPieces(testTools);
  if (!missing.length) return;
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  const all = [...DEBIAN_PACKAGES, ...(testTools ? TEST_TOOL_PACKAGES : [])];
  if (!isRoot() || !isDebian()) {
    throw new Error(
      `missing ${missing.map((m) => m.what).join(', ')}: install the packages ${pkgs.join(' ')} ` +
        `(Debian/Ubuntu: \`sudo apt-get update && sudo apt-get install -y --no-install-recommends ${all.join(' ')}\`)`,
    );
  }
  await aptGet(['update', '-q']);
  await aptGet(['install', '-y', '-q', '--no-install-recommends', ...all]);
  const still = missingPieces(testTools);
  if (still.length) throw new Error(`still missing after apt-get install: ${still.map((m) => m.what).join(', ')}`);
}

/**
 * apt-get under `flock`: jest runs test files in parallel workers, and two apt-get runs at
 * once fail on apt's lock.
 */
function aptGet(args: string[]): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } as Record<string, string>;
  const apt = ['apt-get', '-o', 'DPkg::Lock::Timeout=600', ...args];
  const lockDir = existsSync('/run/lock') ? '/run/lock' : tmpdir();
  const [cmd, ...rest] = findExecutable('flock') ? ['flock', '-w', '900', join(lockDir, 'libvirt-rpc-apt.lock'), ...apt] : apt;
  return new Promise((resolve, reject) => {
    execFile(cmd!, rest, { env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve();
      const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-15).join('\n');
      reject(new Error(`apt-get ${args.join(' ')} failed:\n${output}`));
    });
  });
}

// ---------------------------------------------------------------------------------------
// The daemon's user

interface Owner {
  name: string;
  uid: number;
  gid: number;
}

function currentOwner(): Owner {
  const me = userInfo();
  return { name: me.username, uid: me.uid, gid: me.gid };
}

/** Creates the dedicated system user when missing; as root only. */
function ensureDaemonUser(): Owner {
  if (!userExists()) {
    // A shell, not nologin: the ssh tests log in as this user to reach its daemon (the
    // account stays locked: no password).
    const r = spawnSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', DAEMON_USER], { encoding: 'utf8' });
    // Another jest worker may have created it a moment ago: only a still-missing user is an error.
    if (r.status !== 0 && !userExists()) throw new Error(`useradd ${DAEMON_USER} failed: ${r.stderr || r.error?.message}`);
  }
  const entry = execFileSync('getent', ['passwd', DAEMON_USER], { encoding: 'utf8' }).trim().split(':');
  if (entry[6] !== '/bin/sh') spawnSync('usermod', ['-s', '/bin/sh', DAEMON_USER]);
  // QEMU opens /dev/kvm when it exists; membership lets it (TCG works without).
  if (existsSync('/dev/kvm') && !execFileSync('id', ['-nG', DAEMON_USER], { encoding: 'utf8' }).split(/\s+/).includes('kvm')) {
    spawnSync('usermod', ['-aG', 'kvm', DAEMON_USER]);
  }
  return { name: DAEMON_USER, uid: Number(entry[2]), gid: Number(entry[3]) };
}

const userExists = () => spawnSync('getent', ['passwd', DAEMON_USER], { stdio: 'ignore' }).status === 0;

// ---------------------------------------------------------------------------------------
// Temp dir layout and configuration

interface Layout {
  dir: string;
  runtime: string;
  config: string;
  cache: string;
  data: string;
  home: string;
  log: string;
  pidFile: string;
  socket: string;
  adminSocket: string;
}

/** Unix socket paths are limited to 107 bytes (sun_path). */
const SUN_PATH_MAX = 107;
/**
 * The longest socket QEMU gets under the temp root: libvirt puts each guest's monitor at
 * config/libvirt/qemu/lib/domain-<id>-<name, cut to 20>/monitor.sock.
 */
const MONITOR_SUFFIX_LEN = '/config/libvirt/qemu/lib/domain-9999-'.length + 20 + '/monitor.sock'.length;

/**
 * A base dir for temp roots: TMPDIR, unless the daemon's user could not reach it (root's
 * private TMPDIR) or it is so long that QEMU's monitor socket path would not fit.
 */
function tempBase(root: boolean): string {
  const base = tmpdir();
  const fits = base.length + '/libvirt-rpc-0123456789-XXXXXX'.length + MONITOR_SUFFIX_LEN <= SUN_PATH_MAX;
  return fits && (!root || othersCanTraverse(base)) ? base : '/tmp';
}

function othersCanTraverse(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    if ((statSync(p).mode & 0o001) === 0) return false;
    if (p === dirname(p)) return true;
  }
}

function makeLayout(name: string | undefined, root: boolean): Layout {
  const word = (name ?? 'daemon').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 10) || 'daemon';
  const dir = mkdtempSync(join(tempBase(root), `libvirt-rpc-${word}-`));
  chmodSync(dir, 0o755);
  const l: Layout = {
    dir,
    runtime: join(dir, 'run'),
    config: join(dir, 'config'),
    cache: join(dir, 'cache'),
    data: join(dir, 'data'),
    home: join(dir, 'home'),
    log: join(dir, 'libvirtd.log'),
    pidFile: join(dir, 'libvirtd.pid'),
    socket: join(dir, 'run', 'libvirt', 'libvirt-sock'),
    adminSocket: join(dir, 'run', 'libvirt', 'libvirt-admin-sock'),
  };
  for (const p of [l.runtime, l.config, l.cache, l.data, l.home]) mkdirSync(p, { recursive: true });
  // libvirt refuses a runtime dir others can read.
  chmodSync(l.runtime, 0o700);
  mkdirSync(join(l.config, 'libvirt'), { recursive: true });
  if (dir.length + MONITOR_SUFFIX_LEN > SUN_PATH_MAX) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`temp dir ${dir} is too long for QEMU's unix sockets (max ${SUN_PATH_MAX} bytes): set TMPDIR to a short path`);
  }
  return l;
}

function libvirtdConf(l: Layout, opts: DaemonOptions): string {
  const tcp = opts.listenTcp;
  const tls = opts.listenTls;
  const lines = [`log_outputs = "3:file:${l.log}"`];
  if (tcp || tls) lines.push('listen_addr = "127.0.0.1"');
  if (tcp) lines.push('listen_tcp = 1', `tcp_port = "${tcp.port}"`, `auth_tcp = "${tcp.auth ?? 'none'}"`);
  if (tls) {
    lines.push('listen_tls = 1', `tls_port = "${tls.port}"`, `auth_tls = "${tls.auth ?? 'none'}"`);
    lines.push(`ca_file = "${join(l.dir, 'cacert.pem')}"`, `cert_file = "${join(l.dir, 'servercert.pem')}"`, `key_file = "${join(l.dir, 'serverkey.pem')}"`);
  } else if (tcp) {
    // --listen turns TLS on by default; without certificates the daemon would exit.
    lines.push('listen_tls = 0');
  }
  if (opts.extraConfig) lines.push(opts.extraConfig);
  return lines.join('\n') + '\n';
}

/**
 * The session QEMU driver's settings. Guests' stdio goes to plain files rather than
 * virtlogd, which the daemon would spawn with a 120 s idle timeout and which would outlive
 * it. Each daemon gets its own random VNC/SPICE port range: the port allocator is per
 * daemon, and two daemons side by side would both hand out 5900.
 */
function qemuConf(extra: string | undefined): string {
  const base = 5900 + 64 * Math.floor(Math.random() * ((60_000 - 5900) / 64));
  const lines = ['stdio_handler = "file"', `remote_display_port_min = ${base}`, `remote_display_port_max = ${base + 63}`];
  if (extra) lines.push(extra);
  return lines.join('\n') + '\n';
}

function writeConfig(l: Layout, opts: DaemonOptions): Record<string, string> {
  const tls = opts.listenTls;
  if (tls) {
    copyFileSync(tls.caCert, join(l.dir, 'cacert.pem'));
    copyFileSync(tls.serverCert, join(l.dir, 'servercert.pem'));
    copyFileSync(tls.serverKey, join(l.dir, 'serverkey.pem'));
  }
  writeFileSync(join(l.config, 'libvirt', 'libvirtd.conf'), libvirtdConf(l, opts));
  writeFileSync(join(l.config, 'libvirt', 'qemu.conf'), qemuConf(opts.extraQemuConfig));
  if (!opts.sasl) return {};
  return { SASL_CONF_PATH: makeSaslConfig(join(l.dir, 'sasl'), opts.sasl.users, opts.sasl.mechanisms).confDir };
}

function daemonEnv(l: Layout, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: l.home,
    XDG_RUNTIME_DIR: l.runtime,
    XDG_CONFIG_HOME: l.config,
    XDG_CACHE_HOME: l.cache,
    XDG_DATA_HOME: l.data,
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------
// QEMU capabilities cache

/**
 * libvirt probes QEMU (~4 s under TCG) on a daemon's first QEMU connection and caches the
 * result under XDG_CACHE_HOME. Each entry records QEMU's and libvirt's ctime and version and
 * is re-probed when they differ, so seeding a new daemon with an earlier one's entries is safe.
 */
const capsDir = (l: { cache: string }) => join(l.cache, 'libvirt', 'qemu', 'cache', 'capabilities');

/** Our private seed dir, or undefined when it is not safely ours (shared /tmp). */
function capsSeedDir(): string | undefined {
  const dir = join(tempBase(false), `libvirt-rpc-qemu-caps-${process.getuid?.() ?? 'user'}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // exists already
  }
  try {
    const st = lstatSync(dir);
    const ours = st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
    return ours ? dir : undefined;
  } catch {
    return undefined;
  }
}

export function copyXmlFiles(from: string, to: string): void {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from).filter((n) => n.endsWith('.xml'))) {
    // Through a temp name and a rename: other jest workers read the seed at the same time.
    const tmp = join(to, `.${f}.${process.pid}.tmp`);
    copyFileSync(join(from, f), tmp);
    renameSync(tmp, join(to, f));
  }
}

export function bestEffort(fn: () => void): void {
  try {
    fn();
  } catch {
    // a cache is only an optimisation
  }
}

// ---------------------------------------------------------------------------------------
// Processes

/** Alive and not a zombie (a daemonized process is reaped by init, sometimes late). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return !existsSync('/proc/self/stat'); // no /proc: trust kill(0)
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

export async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(processAlive)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * Processes the daemon started that outlive it: guests' QEMU (libvirtd leaves guests
 * running when it exits) and virtlogd/virtlockd. Found by their pid files, and only counted
 * when their command line or environment names our temp root, in case a pid was reused.
 */
function leftoverPids(l: Layout): number[] {
  const run = join(l.runtime, 'libvirt');
  const files = [join(run, 'virtlogd.pid'), join(run, 'virtlockd.pid')];
  const qemuRun = join(run, 'qemu', 'run');
  if (existsSync(qemuRun)) {
    for (const f of readdirSync(qemuRun)) if (f.endsWith('.pid') && f !== 'driver.pid') files.push(join(qemuRun, f));
  }
  return files.map(readPid).filter((pid): pid is number => pid !== undefined && pid !== process.pid && belongsTo(pid, l.dir));
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function belongsTo(pid: number, dir: string): boolean {
  for (const f of ['cmdline', 'environ']) {
    try {
      if (readFileSync(`/proc/${pid}/${f}`, 'latin1').includes(dir)) return true;
    } catch {
      // gone, or not readable
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Daemons alive in this process, killed if it dies

const live = new Map<ThrowawayDaemon, () => void>();

/** Synchronous, for 'exit': SIGKILL everything of each daemon and remove its dir. */
function killAllNow(): void {
  for (const killNow of live.values()) killNow();
  live.clear();
}

function killSessionDaemonNow(d: ThrowawayDaemon, l: Layout): void {
  signal(d.pid, 'SIGKILL');
  for (const pid of leftoverPids(l)) signal(pid, 'SIGKILL');
  // Retries: the SIGKILLed daemon may still be on its way out for a moment.
  bestEffort(() => rmSync(l.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 }));
}

/** On SIGINT/SIGTERM: clean up, then let the signal do what it would have done. */
function onSignal(sig: NodeJS.Signals): void {
  // Someone else handles this signal (the CLI stops its daemon gracefully): leave it to
  // them; the 'exit' hook still catches what they leave.
  if (process.listenerCount(sig) > 1) return;
  killAllNow();
  unhook();
  process.kill(process.pid, sig); // no listener now: the default action, death by this signal
}

function hook(): void {
  if (process.listeners('exit').includes(killAllNow)) return;
  process.on('exit', killAllNow);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Hooks come off when no daemon is left: jest loads this module once per test file in the
 * same worker, and hooks left behind would pile up.
 */
function unhook(): void {
  process.removeListener('exit', killAllNow);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}

/** Remembers a running daemon, with what kills it at once should this process die. */
export function trackDaemon(d: ThrowawayDaemon, killNow: () => void): void {
  live.set(d, killNow);
  hook();
}

export function untrackDaemon(d: ThrowawayDaemon): void {
  live.delete(d);
  if (!live.size) unhook();
}

// ---------------------------------------------------------------------------------------
// Start and stop

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
  if (opts.generation === '11.3') return (await import('./daemon-11.js')).startChrootLibvirtd(opts);
  await ensureLibvirtPackages();
  const root = isRoot();
  const l = makeLayout(opts.name, root);
  let pid: number | undefined;
  let env: Record<string, string>;
  let owner: Owner;
  try {
    env = daemonEnv(l, { ...writeConfig(l, opts), ...opts.env });
    if (opts.qemuCapsCache !== false) bestEffort(() => seedCaps(l));
    owner = root ? ensureDaemonUser() : currentOwner();
    if (root) execFileSync('chown', ['-R', `${owner.uid}:${owner.gid}`, l.dir]);
    await spawnDaemon(l, env, root ? owner : undefined, !!(opts.listenTcp || opts.listenTls));
    pid = readPid(l.pidFile);
    await waitReady(l, pid, opts);
  } catch (err) {
    if (pid) signal(pid, 'SIGKILL');
    rmSync(l.dir, { recursive: true, force: true });
    throw err;
  }
  const daemon = makeHandle(l, env, owner, pid!, opts.qemuCapsCache !== false);
  if (opts.checkQemu) await checkQemuSession(daemon).catch(async (err) => (await daemon.stop(), Promise.reject(err)));
  return daemon;
}

let hostVersion: string | undefined;
/** The version of this machine's libvirtd, e.g. `9.0.0`, read once. */
export function hostLibvirtVersion(): string {
  hostVersion ??= /(\d+\.\d+\.\d+)/.exec(execFileSync(findExecutable('libvirtd')!, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  return hostVersion;
}

function seedCaps(l: Layout): void {
  const seed = capsSeedDir();
  if (seed) copyXmlFiles(seed, capsDir(l));
}

function saveCaps(l: Layout): void {
  const seed = capsSeedDir();
  if (seed) copyXmlFiles(capsDir(l), seed);
}

/** `libvirtd -d` returns once its sockets are bound, or fails with the reason on stderr. */
function spawnDaemon(l: Layout, env: Record<string, string>, runAs: Owner | undefined, listen: boolean): Promise<void> {
  const libvirtd = findExecutable('libvirtd')!;
  const args = ['-d', '-p', l.pidFile, ...(listen ? ['--listen'] : [])];
  // setpriv, not su/runuser: no PAM session, and the environment passes through untouched.
  const setpriv = runAs ? ['setpriv', '--reuid', String(runAs.uid), '--regid', String(runAs.gid), '--init-groups', '--'] : [];
  const [cmd, ...cmdArgs] = [...setpriv, libvirtd, ...args];
  return new Promise((resolve, reject) => {
    // Started in its own temp root, not in the caller's directory (a checkout the daemon's
    // user may not be allowed to enter): what it reads of ours is copied under that root.
    execFile(cmd!, cmdArgs, { env, cwd: l.dir }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`libvirtd did not start: ${stderr.trim() || err.message}\n--- ${l.log} ---\n${tail(l.log)}`));
      else resolve();
    });
  });
}

/** Polls until the daemon accepts connections on its socket (and ports), or explains why not. */
function waitReady(l: Layout, pid: number | undefined, opts: DaemonOptions, timeoutMs = 10_000): Promise<void> {
  return waitListening({ label: 'libvirtd', socket: l.socket, log: l.log, pid, opts, timeoutMs });
}

/**
 * Polls until a daemon accepts connections on `socket` and the ports `opts` asks for, or
 * throws why not (no pid file, the process exited, the deadline passed) with its log's tail.
 */
export async function waitListening(d: { label: string; socket: string; log: string; pid: number | undefined; opts: DaemonOptions; timeoutMs: number }): Promise<void> {
  const targets: NetConnectOpts[] = [{ path: d.socket }];
  for (const listener of [d.opts.listenTcp, d.opts.listenTls]) if (listener) targets.push({ host: '127.0.0.1', port: listener.port });
  const where = [d.socket, ...targets.slice(1).map((t) => `127.0.0.1:${(t as { port: number }).port}`)].join(' and ');
  const deadline = Date.now() + d.timeoutMs;
  for (;;) {
    if (existsSync(d.socket) && (await Promise.all(targets.map(canConnect))).every(Boolean)) return;
    const why = d.pid === undefined ? 'wrote no pid file' : !processAlive(d.pid) ? `(pid ${d.pid}) exited` : Date.now() > deadline ? `did not answer within ${d.timeoutMs} ms` : '';
    if (why) throw new Error(`${d.label} ${why} on ${where}\n--- ${d.log} ---\n${tail(d.log)}`);
    await sleep(20);
  }
}

function canConnect(target: NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(target);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

function makeHandle(l: Layout, env: Record<string, string>, owner: Owner, pid: number, saveCapsOnStop: boolean): ThrowawayDaemon {
  let stopping: Promise<void> | undefined;
  const daemon: ThrowawayDaemon = {
    generation: '9.0',
    version: hostLibvirtVersion(),
    dir: l.dir,
    socket: l.socket,
    adminSocket: l.adminSocket,
    pid,
    user: owner.name,
    uid: owner.uid,
    testUri: `test+unix:///default?socket=${l.socket}`,
    qemuUri: `qemu+unix:///session?socket=${l.socket}`,
    log: l.log,
    env,
    kill: (sig) => process.kill(pid, sig),
    pathInDaemon: (p) => p,
    stop: () => (stopping ??= stopDaemon(daemon, l, saveCapsOnStop)),
  };
  trackDaemon(daemon, () => killSessionDaemonNow(daemon, l));
  return daemon;
}

/**
 * Ends a daemon: SIGTERM (after SIGCONT, as a test may have frozen it with SIGSTOP and a
 * stopped process ignores SIGTERM), SIGKILL if it has not gone within 10 s (libvirtd takes 1-4
 * s), then SIGKILL for what it left behind (guests) as `leftovers` finds them.
 */
export async function terminateDaemon(pid: number, leftovers: () => number[]): Promise<void> {
  signal(pid, 'SIGCONT');
  signal(pid, 'SIGTERM');
  if (!(await waitGone([pid], 10_000))) {
    signal(pid, 'SIGKILL');
    await waitGone([pid], 5_000);
  }
  const left = leftovers();
  for (const p of left) signal(p, 'SIGKILL');
  await waitGone(left, 5_000);
}

async function stopDaemon(d: ThrowawayDaemon, l: Layout, saveCapsOnStop: boolean): Promise<void> {
  await terminateDaemon(d.pid, () => leftoverPids(l));
  if (saveCapsOnStop) bestEffort(() => saveCaps(l));
  rmSync(l.dir, { recursive: true, force: true });
  untrackDaemon(d);
}

export function tail(log: string, lines = 20): string {
  try {
    return readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') || '(daemon log empty)';
  } catch {
    return '(no daemon log)';
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// Guests

export interface TinyGuestOptions {
  memoryMiB?: number;
  /** XML put inside <devices>, after the console and VNC. */
  extraDevices?: string;
  /** An explicit emulator; by default libvirt picks its QEMU for x86_64 from the capabilities. */
  emulator?: string;
  /** Leave out the VNC display. */
  noGraphics?: boolean;
}

const xmlEscape = (s: string) => s.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The smallest guest QEMU/TCG boots without KVM: 32 MiB, one vCPU, machine pc, no disk (the
 * BIOS just finds nothing to boot), a pty serial console and VNC on loopback.
 */
export function tinyGuestXml(name: string, opts: TinyGuestOptions = {}): string {
  return `<domain type='qemu'>
  <name>${xmlEscape(name)}</name>
  <memory unit='MiB'>${opts.memoryMiB ?? 32}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    ${opts.emulator ? `<emulator>${xmlEscape(opts.emulator)}</emulator>` : ''}
    <serial type='pty'/>
    <console type='pty'/>
    ${opts.noGraphics ? '' : "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>"}
    ${opts.extraDevices ?? ''}
  </devices>
</domain>`;
}

/** Runs virsh with the daemon's environment (so it never falls back to a system daemon). */
export function virshOn(daemon: ThrowawayDaemon, uri: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('virsh', ['-c', uri, ...args], { env: { ...process.env, ...daemon.env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`virsh ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

export interface QemuCheck {
  defineMs: number;
  startMs: number;
  destroyMs: number;
}

/**
 * Proves qemu:///session works on the daemon: defines a tiny guest, starts it, sees it
 * running, destroys and undefines it. Failures carry the guest's QEMU log.
 */
export async function checkQemuSession(daemon: ThrowawayDaemon, name = 'harness-check'): Promise<QemuCheck> {
  const v = (...args: string[]) => virshOn(daemon, daemon.qemuUri, args);
  const xml = join(daemon.dir, `${name}.xml`);
  writeFileSync(xml, tinyGuestXml(name));
  const time = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    return Math.round(performance.now() - t0);
  };
  try {
    const defineMs = await time(() => v('define', xml));
    const startMs = await time(() => v('start', name));
    const state = (await v('domstate', name)).trim();
    if (state !== 'running') throw new Error(`guest ${name} is ${state}, not running`);
    const destroyMs = await time(() => v('destroy', name));
    await v('undefine', name);
    return { defineMs, startMs, destroyMs };
  } catch (err) {
    await v('destroy', name).catch(() => undefined);
    await v('undefine', name).catch(() => undefined);
    const qemuLog = tail(join(daemon.env.XDG_CACHE_HOME!, 'libvirt', 'qemu', 'log', `${name}.log`));
    throw new Error(`qemu:///session does not work on ${daemon.socket}: ${(err as Error).message}\n--- QEMU log ---\n${qemuLog}\n--- ${daemon.log} ---\n${tail(daemon.log)}`);
  }
}
