/**
 * A private OpenSSH server on a loopback port for the ssh transport tests: its own host key,
 * key-only logins for one user, and an environment for that user's commands (so that
 * virt-ssh-helper finds a session daemon).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestSshd {
  dir: string;
  port: number;
  user: string;
  /** The client private key that may log in. */
  clientKey: string;
  /** The server's public host key line (`ssh-ed25519 AAAA...`). */
  hostKey: string;
  stop(): Promise<void>;
}

function keygen(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
}

export async function startTestSshd(opts: { port: number; user: string; env?: Record<string, string> }): Promise<TestSshd> {
  if (!existsSync('/usr/sbin/sshd')) throw new Error('sshd is missing: install Debian\'s openssh-server');
  const dir = mkdtempSync(join(tmpdir(), 'libvirt-rpc-sshd-'));
  // sshd reads authorized keys as the user logging in.
  chmodSync(dir, 0o755);
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'client_key'));
  mkdirSync(join(dir, 'authorized'));
  writeFileSync(join(dir, 'authorized', opts.user), readFileSync(join(dir, 'client_key.pub')), { mode: 0o644 });
  const config = [
    `Port ${opts.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized')}/%u`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    // Accounts made by useradd are locked; PAM still lets key logins through.
    'UsePAM yes',
    'StrictModes no',
    'PermitRootLogin no',
    `AllowUsers ${opts.user}`,
    ...(opts.env ? [`SetEnv ${Object.entries(opts.env).map(([k, v]) => `${k}=${v}`).join(' ')}`] : []),
  ];
  writeFileSync(join(dir, 'sshd_config'), config.join('\n') + '\n');
  mkdirSync('/run/sshd', { recursive: true });
  execFileSync('/usr/sbin/sshd', ['-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')]);
  const deadline = Date.now() + 10_000;
  while (!(await open(opts.port))) {
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${opts.port}: ${readFileSync(join(dir, 'sshd.log'), 'utf8')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const hostKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  return {
    dir,
    port: opts.port,
    user: opts.user,
    clientKey: join(dir, 'client_key'),
    hostKey,
    async stop() {
      try {
        process.kill(Number(readFileSync(join(dir, 'sshd.pid'), 'utf8')), 'SIGTERM');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function open(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
