/**
 * A Debian 13 root with libvirt 11.3 and QEMU 10, made with debootstrap, for running a second
 * daemon generation beside the host's own (see daemon-11.ts). By hand, scripts/chroot.ts:
 *
 *   npm run chroot -- prepare     # make it (as root) unless it is there, and mount proc, dev, sys
 *   npm run chroot -- path        # print where it is
 *   npm run chroot -- unmount     # take the mounts out (before removing the root)
 *
 * It lives in a cache dir that survives between runs on one machine
 * (`LIBVIRT_RPC_CHROOT`, default /var/cache/libvirt-rpc/trixie-root). A marker file written
 * last says the root is complete; a root without it (an interrupted run) is removed and made
 * again. Preparation runs under a lock, in a child process running this module (the steps
 * at its end), so parallel jest workers make it once.
 *
 * The package archive is the one apt on this machine already uses, read from apt's sources.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REPO } from './repo.js';

export const CHROOT_SUITE = 'trixie';
/**
 * What the root gets besides debootstrap's minimal base: the daemon with the drivers the
 * tests use (QEMU, storage for volumes and streams, secrets), not the network, interface or
 * nwfilter drivers, which would touch the host's networking.
 */
export const CHROOT_PACKAGES = [
  'libvirt-daemon',
  'libvirt-daemon-driver-qemu',
  'libvirt-daemon-driver-storage',
  'libvirt-daemon-driver-secret',
  'libvirt-clients',
  'qemu-system-x86',
];
/** Bumped when what the root holds changes: an older root is made again. */
const ROOT_FORMAT = 1;

export const chrootDir = (): string => resolve(process.env.LIBVIRT_RPC_CHROOT ?? '/var/cache/libvirt-rpc/trixie-root');
const markerFile = (root: string) => join(root, '.libvirt-rpc-ready');
const baseMarker = (root: string) => join(root, '.libvirt-rpc-base');
const lockFile = (root: string) => `${root}.lock`;
const markerText = () => JSON.stringify({ format: ROOT_FORMAT, suite: CHROOT_SUITE, packages: CHROOT_PACKAGES }) + '\n';

/** This module, run under `flock` for the steps that need the root's lock. */
const SCRIPT = fileURLToPath(import.meta.url);

/** Whether the root is complete (its marker was written, by this format). */
export function chrootReady(root = chrootDir()): boolean {
  try {
    return readFileSync(markerFile(root), 'utf8') === markerText();
  } catch {
    return false;
  }
}

/**
 * Makes sure the root exists: returns at once when it does, otherwise prepares it in a child
 * process under an exclusive `flock` (jest workers call this in parallel; the first makes it,
 * the others wait and then find the marker). As root only.
 */
export function ensureChroot(root = chrootDir()): string {
  if (chrootReady(root)) return root;
  if (process.getuid?.() !== 0) {
    throw new Error(`the libvirt 11.3 root ${root} is not there, and making it needs root: run \`sudo npm run chroot -- prepare\``);
  }
  mkdirSync(dirname(root), { recursive: true });
  const r = spawnSync('flock', ['-w', '1800', lockFile(root), process.execPath, '--import', 'tsx', SCRIPT, 'prepare', '--locked'], {
    cwd: REPO,
    env: { ...process.env, LIBVIRT_RPC_CHROOT: root },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`preparing the libvirt 11.3 root ${root} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}): see the output above`);
  if (!chrootReady(root)) throw new Error(`preparing ${root} finished without its marker`);
  return root;
}

/**
 * proc, dev and sys mounted in the root (see {@link mountSystemDirs}); what is missing is
 * mounted in a child process under the root's lock, so parallel workers never mount twice.
 */
export function ensureMounted(root = chrootDir()): void {
  if (missingMounts(root).length === 0) return;
  const r = spawnSync('flock', ['-w', '600', lockFile(root), process.execPath, '--import', 'tsx', SCRIPT, 'mount', '--locked'], {
    cwd: REPO,
    env: { ...process.env, LIBVIRT_RPC_CHROOT: root },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0 || missingMounts(root).length) throw new Error(`mounting ${missingMounts(root).join(', ')} failed`);
}

const missingMounts = (root: string) => {
  const have = new Set(mountsUnder(root));
  return ['proc', 'dev', 'sys'].map((d) => join(root, d)).filter((p) => !have.has(p));
};

/** The work itself, with the lock held. */
async function prepareLocked(root: string): Promise<void> {
  if (chrootReady(root)) return;
  const t0 = Date.now();
  const log = (m: string) => console.error(`[chroot] ${m} (${Math.round((Date.now() - t0) / 1000)} s)`);
  // debootstrap's part is marked on its own: a root whose base is complete only gets the
  // packages (again), one whose base is not is made from scratch.
  if (!existsSync(baseMarker(root))) {
    if (existsSync(root)) {
      log(`removing the incomplete root ${root}`);
      unmountAll(root);
      removeRoot(root);
    }
    if (!existsSync('/usr/sbin/debootstrap')) {
      log('installing debootstrap');
      await aptInstall(['debootstrap']);
    }
    const mirror = aptMirror();
    log(`debootstrap ${CHROOT_SUITE} from apt's archive`);
    await run('debootstrap', ['--variant=minbase', CHROOT_SUITE, root, mirror]);
    writeFileSync(baseMarker(root), `${CHROOT_SUITE}\n`);
  }
  mountSystemDirs(root);
  log(`installing ${CHROOT_PACKAGES.join(' ')}`);
  await run('chroot', [
    root,
    'sh',
    '-c',
    `apt-get update -q && apt-get install -y -q --no-install-recommends ${CHROOT_PACKAGES.join(' ')} && apt-get clean`,
  ], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', LANG: 'C' } });
  const version = execFileSync('chroot', [root, 'libvirtd', '--version'], { encoding: 'utf8' }).trim();
  log(`ready: ${version}`);
  writeFileSync(markerFile(root), markerText());
}

// ---------------------------------------------------------------------------------------
// apt's archive

/**
 * The Debian archive apt already uses: the first `deb` source (deb822 `.sources` files and
 * one-line lists) whose suite is a release rather than its security or updates companion.
 */
export function aptMirror(): string {
  const dirs = ['/etc/apt/sources.list.d'];
  const files = ['/etc/apt/sources.list'];
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) if (f.endsWith('.sources') || f.endsWith('.list')) files.push(join(d, f));
  }
  const candidates: Array<{ uri: string; suites: string[] }> = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    if (f.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) =>
          stanza
            .split('\n')
            .filter((l) => !l.startsWith('#'))
            .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
            ?.slice(name.length + 1)
            .trim();
        if (!(field('Types') ?? '').split(/\s+/).includes('deb') || /^no$/i.test(field('Enabled') ?? '')) continue;
        const suites = (field('Suites') ?? '').split(/\s+/).filter(Boolean);
        for (const uri of (field('URIs') ?? '').split(/\s+/).filter(Boolean)) candidates.push({ uri, suites });
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m) candidates.push({ uri: m[1]!, suites: [m[2]!] });
      }
    }
  }
  const debian = candidates.find((c) => c.suites.some((s) => /^[a-z]+$/.test(s) && !['stable', 'testing', 'unstable', 'sid', 'nodistro'].includes(s)) && /debian\/?$/.test(c.uri));
  const chosen = debian ?? candidates.find((c) => /debian\/?$/.test(c.uri));
  if (!chosen) throw new Error(`no Debian archive found in apt's sources (${files.join(', ')})`);
  return chosen.uri;
}

function aptInstall(pkgs: string[]): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]) => run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], { env });
  return apt(['update', '-q']).then(() => apt(['install', '-y', '-q', '--no-install-recommends', ...pkgs]));
}

// ---------------------------------------------------------------------------------------
// Mounts

/** The mount points under `root`, deepest first. */
export function mountsUnder(root: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4]!.replace(/\\040/g, ' '));
  return points.filter((p) => p === root || p.startsWith(`${root}/`)).sort((a, b) => b.length - a.length);
}

/**
 * proc, dev (with its pts and shm) and sys inside the root; what is mounted already is left
 * as it is. The mounts stay for later daemons and runs: each start checks them again.
 * dev and sys are slaves of the host's, so nothing done inside reaches back out.
 */
export function mountSystemDirs(root: string): void {
  const have = new Set(mountsUnder(root));
  const mount = (args: string[]) => execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (!have.has(join(root, 'proc'))) mount(['-t', 'proc', 'proc', join(root, 'proc')]);
  for (const d of ['dev', 'sys']) {
    const target = join(root, d);
    if (have.has(target)) continue;
    mount(['--rbind', `/${d}`, target]);
    mount(['--make-rslave', target]);
  }
}

/** Unmounts everything under the root (lazily where busy). */
export function unmountAll(root: string): void {
  for (const p of mountsUnder(root)) {
    if (spawnSync('umount', [p], { stdio: 'ignore' }).status !== 0) spawnSync('umount', ['-l', p], { stdio: 'ignore' });
  }
  const left = mountsUnder(root);
  if (left.length) throw new Error(`could not unmount ${left.join(', ')}`);
}

/** rm -rf that never crosses into a mounted file system (the host's /dev, say). */
function removeRoot(root: string): void {
  if (mountsUnder(root).length) throw new Error(`${root} still has mounts; not removing it`);
  execFileSync('rm', ['-rf', '--one-file-system', root]);
}

// ---------------------------------------------------------------------------------------

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { ...opts, maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      if (!err) return res();
      const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n');
      rej(new Error(`${cmd} ${args.slice(0, 4).join(' ')} failed: ${err.message.split('\n')[0]}\n${output}`));
    });
  });
}

/** The steps {@link ensureChroot} and {@link ensureMounted} run in a child, under the root's lock. */
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [command, flag] = process.argv.slice(2);
  const root = chrootDir();
  const main = async () => {
    if (command === 'prepare' && flag === '--locked') return prepareLocked(root);
    if (command === 'mount' && flag === '--locked') return mountSystemDirs(root);
    throw new Error('usage (with the lock held): tsx test/harness/chroot.ts prepare --locked | mount --locked; by hand: npm run chroot -- prepare | path | unmount');
  };
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
