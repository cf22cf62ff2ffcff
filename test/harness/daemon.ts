/**
 * A private libvirtd in a temp dir, for tests, the demo and benchmarks: it serves the test
 * driver (`test+unix:///default?socket=...`) and real QEMU/TCG guests (`qemu:///session`),
 * never touches a daemon the user already runs, and is torn down afterwards.
 * {@link startThrowawayLibvirtd} starts one of either generation: this machine's libvirt
 * (here) or libvirt 11.3 in a chroot (daemon-11.ts).
 *
 * As root it runs the daemon as a dedicated unprivileged user: a root libvirtd is always the
 * system daemon and would collide with /run/libvirt.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startChrootLibvirtd } from './daemon-11.js';
import { checkQemuSession } from './guests.js';
import { ensureLibvirtPackages, findExecutable } from './packages.js';
import { bestEffort, readPid, signal, tail, terminateDaemon, trackDaemon, untrackDaemon, waitListening } from './processes.js';
import { copyXmlFiles, ownPrivateDir } from './qemu-caps.js';
import { makeSaslConfig } from './sasl-db.js';
import { type Owner, currentOwner, ensureDaemonUser, isRoot } from './users.js';

/** The daemon generations the tests run against: Debian 12's libvirt and Debian 13's (in a chroot). */
export const GENERATIONS = ['9.0', '11.3'] as const;
export type DaemonGeneration = (typeof GENERATIONS)[number];

export interface DaemonOptions {
  /**
   * Which libvirt: '9.0' (default) is this machine's own, as a session daemon of an
   * unprivileged user; '11.3' is Debian 13's in a chroot (daemon-11.ts), a system
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
// QEMU capabilities cache (qemu-caps.ts), in XDG_CACHE_HOME

const capsDir = (l: { cache: string }) => join(l.cache, 'libvirt', 'qemu', 'cache', 'capabilities');

/** Our seed dir beside the temp roots, or undefined when it is not safely ours (shared /tmp). */
const capsSeedDir = () => ownPrivateDir(join(tempBase(false), `libvirt-rpc-qemu-caps-${process.getuid?.() ?? 'user'}`));

function seedCaps(l: Layout): void {
  const seed = capsSeedDir();
  if (seed) copyXmlFiles(seed, capsDir(l));
}

function saveCaps(l: Layout): void {
  const seed = capsSeedDir();
  if (seed) copyXmlFiles(capsDir(l), seed);
}

// ---------------------------------------------------------------------------------------
// What a daemon leaves behind

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

/** What kills the daemon at once should this process die (processes.ts: trackDaemon). */
function killSessionDaemonNow(d: ThrowawayDaemon, l: Layout): void {
  signal(d.pid, 'SIGKILL');
  for (const pid of leftoverPids(l)) signal(pid, 'SIGKILL');
  // Retries: the SIGKILLed daemon may still be on its way out for a moment.
  bestEffort(() => rmSync(l.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 }));
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
  if (opts.generation === '11.3') return startChrootLibvirtd(opts);
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

async function stopDaemon(d: ThrowawayDaemon, l: Layout, saveCapsOnStop: boolean): Promise<void> {
  await terminateDaemon(d.pid, () => leftoverPids(l));
  if (saveCapsOnStop) bestEffort(() => saveCaps(l));
  rmSync(l.dir, { recursive: true, force: true });
  untrackDaemon(d);
}

