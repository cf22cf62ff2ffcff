/**
 * The Debian packages the harness needs, and finding executables: libvirt's daemon, QEMU and
 * the C client (the oracle), and with `testTools` what the integration tests use besides.
 * As root on Debian they are installed with apt-get; otherwise the error names them.
 */
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { isRoot } from './users.js';

/** The daemon, its QEMU driver, the C client (virsh, python3-libvirt) and QEMU. */
export const DEBIAN_PACKAGES = [
  'libvirt-daemon',
  'libvirt-daemon-driver-qemu',
  'libvirt-clients',
  'python3-libvirt',
  'qemu-system-x86',
  'qemu-utils',
];

/**
 * Debian's python3-libvirt is built for the system interpreter; a python3 earlier on PATH
 * (pyenv, venvs) would not see it.
 */
export const SYSTEM_PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

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
 * tools and mechanisms, OpenSSH's server and client, netcat for the ext and ssh transports,
 * xmllint to validate the typed XML layer's output against libvirt's schemas, tmux for the
 * command's live view in a real terminal, bash and zsh for its shell completion, Chromium for
 * the web page's test.
 */
export const TEST_TOOL_PACKAGES = ['gnutls-bin', 'sasl2-bin', 'libsasl2-modules', 'openssh-server', 'openssh-client', 'netcat-openbsd', 'libxml2-utils', 'tmux', 'zsh', 'chromium'];

function missingTestTools(): Array<{ what: string; pkg: string }> {
  const missing: Array<{ what: string; pkg: string }> = [];
  if (!findExecutable('certtool')) missing.push({ what: 'certtool', pkg: 'gnutls-bin' });
  if (!findExecutable('saslpasswd2')) missing.push({ what: 'saslpasswd2', pkg: 'sasl2-bin' });
  if (debianPackageMissing('libsasl2-modules')) missing.push({ what: 'the SASL mechanisms', pkg: 'libsasl2-modules' });
  if (!existsSync('/usr/sbin/sshd')) missing.push({ what: 'sshd', pkg: 'openssh-server' });
  if (!findExecutable('ssh-keygen')) missing.push({ what: 'ssh-keygen', pkg: 'openssh-client' });
  if (!findExecutable('nc')) missing.push({ what: 'nc', pkg: 'netcat-openbsd' });
  if (!findExecutable('xmllint')) missing.push({ what: 'xmllint', pkg: 'libxml2-utils' });
  if (!findExecutable('tmux')) missing.push({ what: 'tmux', pkg: 'tmux' });
  if (!findExecutable('zsh')) missing.push({ what: 'zsh', pkg: 'zsh' });
  if (!findExecutable('chromium')) missing.push({ what: 'chromium', pkg: 'chromium' });
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
