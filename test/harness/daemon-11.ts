/**
 * A libvirt 11.3 daemon (Debian 13's, with QEMU 10) in the chroot of chroot.ts,
 * reachable from this machine through a unix socket inside the chroot. It has the same
 * shape as the host's throwaway daemon ({@link ThrowawayDaemon}): the test driver at
 * `test+unix:///default?socket=...` and the QEMU driver, here in system mode as root inside
 * the chroot, at `qemu+unix:///system?socket=...`. The host's C client (virsh,
 * python3-libvirt) talks to it too.
 *
 * Several run side by side in one chroot: each gets its own dir under the chroot's /run
 * (sockets, pid file, log, configuration, disk images a test hands it) and its own mount
 * namespace in which the system daemon's dirs (/etc/libvirt, /run/libvirt, /var/lib/libvirt,
 * /var/cache/libvirt, /var/log/libvirt) are bind mounts of private copies in that dir, so
 * their drivers' state, locks and guests never meet. Guests' output goes to files
 * (no virtlogd); nothing outlives {@link ThrowawayDaemon.stop} but the chroot's proc, dev and
 * sys mounts, which later daemons and runs reuse.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { chrootDir, ensureChroot, ensureMounted, mountsUnder } from './chroot.js';
import type { DaemonOptions, ThrowawayDaemon } from './daemon.js';
import { bestEffort, readPid, signal, tail, terminateDaemon, trackDaemon, untrackDaemon, waitGone, waitListening } from './processes.js';
import { copyXmlFiles } from './qemu-caps.js';

/** The system daemon's dirs each daemon gets a private copy of. */
const PRIVATE_DIRS = ['etc/libvirt', 'run/libvirt', 'var/lib/libvirt', 'var/cache/libvirt', 'var/log/libvirt'];

interface ChrootLayout {
  root: string;
  /** On this machine: ROOT/run/lvrpc-XXXXXX. */
  dir: string;
  /** The same dir as the daemon sees it: /run/lvrpc-XXXXXX. */
  inside: string;
  state: string;
}

const insidePath = (l: ChrootLayout, p: string) => `/${relative(l.root, p)}`;

/** The version of the libvirtd in the chroot, e.g. `11.3.0`, read once. */
let chrootVersion: string | undefined;
export function chrootLibvirtVersion(root = chrootDir()): string {
  chrootVersion ??= /(\d+\.\d+\.\d+)/.exec(execFileSync('chroot', [root, 'libvirtd', '--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  return chrootVersion;
}

/** Starts an 11.3 daemon in the chroot (made first if missing) and waits until it answers. */
export async function startChrootLibvirtd(opts: DaemonOptions = {}): Promise<ThrowawayDaemon> {
  if (process.getuid?.() !== 0) throw new Error('the libvirt 11.3 daemon runs in a chroot, which needs root');
  if (opts.sasl) throw new Error('SASL is set up for the host daemon only');
  const root = ensureChroot();
  ensureMounted(root);
  const word = (opts.name ?? 'd').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 8) || 'd';
  const dir = mkdtempSync(join(root, 'run', `lvrpc-${word}-`));
  const l: ChrootLayout = { root, dir, inside: '', state: join(dir, 'state') };
  l.inside = insidePath(l, dir);
  let pid: number | undefined;
  try {
    for (const d of PRIVATE_DIRS) {
      const copy = join(l.state, d.replace(/\//g, '-'));
      mkdirSync(dirname(copy), { recursive: true });
      if (existsSync(join(root, d))) execFileSync('cp', ['-a', join(root, d), copy]);
      else mkdirSync(copy, { recursive: true });
      mkdirSync(join(root, d), { recursive: true });
    }
    writeConfig(l, opts);
    seedCaps(l);
    await spawn(l, opts);
    pid = readPid(join(dir, 'libvirtd.pid'));
    await waitReady(l, pid, opts);
  } catch (err) {
    if (pid) signal(pid, 'SIGKILL');
    if (pid) await waitGone([pid], 5_000);
    bestEffort(() => removeDir(l));
    throw err;
  }
  return makeHandle(l, pid!);
}

function writeConfig(l: ChrootLayout, opts: DaemonOptions): void {
  const etc = join(l.state, 'etc-libvirt');
  const lines = [
    `unix_sock_dir = "${l.inside}"`,
    'unix_sock_group = "root"',
    'unix_sock_ro_perms = "0777"',
    'unix_sock_rw_perms = "0777"',
    'unix_sock_admin_perms = "0700"',
    'auth_unix_rw = "none"',
    'auth_unix_ro = "none"',
    `log_outputs = "3:file:${l.inside}/libvirtd.log"`,
  ];
  const tcp = opts.listenTcp;
  const tls = opts.listenTls;
  if (tcp || tls) lines.push('listen_addr = "127.0.0.1"');
  if (tcp) lines.push('listen_tcp = 1', `tcp_port = "${tcp.port}"`, `auth_tcp = "${tcp.auth ?? 'none'}"`);
  if (tls) {
    for (const [from, name] of [[tls.caCert, 'cacert.pem'], [tls.serverCert, 'servercert.pem'], [tls.serverKey, 'serverkey.pem']] as const) {
      copyFileSync(from, join(l.dir, name));
    }
    lines.push('listen_tls = 1', `tls_port = "${tls.port}"`, `auth_tls = "${tls.auth ?? 'none'}"`);
    lines.push(`ca_file = "${l.inside}/cacert.pem"`, `cert_file = "${l.inside}/servercert.pem"`, `key_file = "${l.inside}/serverkey.pem"`);
  } else {
    lines.push('listen_tls = 0');
  }
  if (!tcp) lines.push('listen_tcp = 0');
  if (opts.extraConfig) lines.push(opts.extraConfig);
  writeFileSync(join(etc, 'libvirtd.conf'), lines.join('\n') + '\n');
  // QEMU as root inside the chroot, no security driver, no cgroups (the chroot has no
  // systemd), guests' output to files rather than virtlogd, a VNC range of its own.
  const base = 5900 + 64 * Math.floor(Math.random() * ((60_000 - 5900) / 64));
  const qemu = [
    'user = "root"',
    'group = "root"',
    'dynamic_ownership = 0',
    'security_driver = "none"',
    'cgroup_controllers = [ ]',
    // No private /dev per guest: it cannot be made inside a chroot.
    'namespaces = [ ]',
    'remember_owner = 0',
    'stdio_handler = "file"',
    `remote_display_port_min = ${base}`,
    `remote_display_port_max = ${base + 63}`,
  ];
  if (opts.extraQemuConfig) qemu.push(opts.extraQemuConfig);
  writeFileSync(join(etc, 'qemu.conf'), qemu.join('\n') + '\n');
}

/** The private mounts, then libvirtd in the chroot; `-d` returns once its sockets are bound. */
function spawn(l: ChrootLayout, opts: DaemonOptions): Promise<void> {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const binds = PRIVATE_DIRS.map((d) => `mount --bind ${q(join(l.state, d.replace(/\//g, '-')))} ${q(join(l.root, d))}`);
  const listen = opts.listenTcp || opts.listenTls ? ' --listen' : '';
  const script = `set -e\n${binds.join('\n')}\nexec chroot ${q(l.root)} /usr/sbin/libvirtd -d -f /etc/libvirt/libvirtd.conf -p ${q(`${l.inside}/libvirtd.pid`)}${listen}\n`;
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', HOME: '/root', ...opts.env };
  return new Promise((resolve, reject) => {
    execFile('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script], { env, cwd: l.dir }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`libvirtd 11.3 did not start: ${stderr.trim() || err.message}\n--- log ---\n${tail(join(l.dir, 'libvirtd.log'))}`));
      else resolve();
    });
  });
}

function waitReady(l: ChrootLayout, pid: number | undefined, opts: DaemonOptions, timeoutMs = 20_000): Promise<void> {
  return waitListening({ label: 'libvirtd 11.3', socket: join(l.dir, 'libvirt-sock'), log: join(l.dir, 'libvirtd.log'), pid, opts, timeoutMs });
}

function makeHandle(l: ChrootLayout, pid: number): ThrowawayDaemon {
  const socket = join(l.dir, 'libvirt-sock');
  const client = join(l.dir, 'client');
  for (const d of ['run', 'config', 'cache']) mkdirSync(join(client, d), { recursive: true, mode: 0o700 });
  // A session-style runtime dir whose admin socket is this daemon's: `libvirtd:///session`
  // with `env` reaches it, as it reaches the host's session daemon.
  mkdirSync(join(client, 'run', 'libvirt'), { mode: 0o700 });
  symlinkSync(join(l.dir, 'libvirt-admin-sock'), join(client, 'run', 'libvirt', 'libvirt-admin-sock'));
  let stopping: Promise<void> | undefined;
  const daemon: ThrowawayDaemon = {
    generation: '11.3',
    version: chrootLibvirtVersion(l.root),
    dir: l.dir,
    socket,
    adminSocket: join(l.dir, 'libvirt-admin-sock'),
    pid,
    user: 'root',
    uid: 0,
    testUri: `test+unix:///default?socket=${socket}`,
    qemuUri: `qemu+unix:///system?socket=${socket}`,
    log: join(l.dir, 'libvirtd.log'),
    // The C client on this machine gets dirs of its own, never root's.
    env: { XDG_RUNTIME_DIR: join(client, 'run'), XDG_CONFIG_HOME: join(client, 'config'), XDG_CACHE_HOME: join(client, 'cache') },
    pathInDaemon: (p) => {
      const rel = relative(l.root, p);
      if (rel.startsWith('..')) throw new Error(`${p} is outside the chroot ${l.root}: put it under the daemon's dir ${l.dir}`);
      return `/${rel}`;
    },
    kill: (sig) => process.kill(pid, sig),
    stop: () => (stopping ??= stop(daemon, l)),
  };
  trackDaemon(daemon, () => {
    signal(pid, 'SIGKILL');
    for (const p of leftoverPids(l)) signal(p, 'SIGKILL');
    bestEffort(() => removeDir(l));
  });
  return daemon;
}

async function stop(d: ThrowawayDaemon, l: ChrootLayout): Promise<void> {
  await terminateDaemon(d.pid, () => leftoverPids(l));
  bestEffort(() => saveCaps(l));
  removeDir(l);
  untrackDaemon(d);
}

/** Guests' QEMU processes (libvirtd leaves them running), by their pid files, if they run in the chroot. */
function leftoverPids(l: ChrootLayout): number[] {
  const run = join(l.state, 'run-libvirt', 'qemu');
  if (!existsSync(run)) return [];
  return readdirSync(run)
    .filter((f) => f.endsWith('.pid') && f !== 'driver.pid')
    .map((f) => readPid(join(run, f)))
    .filter((pid): pid is number => pid !== undefined && pid !== process.pid && rootOf(pid) === l.root);
}

function rootOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/root`);
  } catch {
    return undefined;
  }
}

/** Removes the daemon's dir, never crossing into a mount (there should be none from here). */
function removeDir(l: ChrootLayout): void {
  if (mountsUnder(l.dir).length) throw new Error(`${l.dir} has mounts; not removing it`);
  execFileSync('rm', ['-rf', '--one-file-system', l.dir]);
}

// QEMU's capabilities, probed on the first QEMU connection (seconds under TCG), kept beside
// the chroot for the next daemon.
const capsSeed = () => `${chrootDir()}-qemu-caps`;
const capsDir = (l: ChrootLayout) => join(l.state, 'var-cache-libvirt', 'qemu', 'capabilities');

function seedCaps(l: ChrootLayout): void {
  bestEffort(() => copyXmlFiles(capsSeed(), capsDir(l)));
}

function saveCaps(l: ChrootLayout): void {
  mkdirSync(capsSeed(), { recursive: true, mode: 0o700 });
  copyXmlFiles(capsDir(l), capsSeed());
}

/** What a daemon's guest log says, for failures. */
export function chrootGuestLog(d: ThrowawayDaemon, name: string): string {
  return tail(join(d.dir, 'state', 'var-log-libvirt', 'qemu', `${name}.log`));
}

