/**
 * The OS user a throwaway daemon runs as: the caller, or as root a dedicated unprivileged
 * system user ({@link DAEMON_USER}), because a root libvirtd is always the system daemon.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';

export const DAEMON_USER = 'libvirt-rpc-test';

export const isRoot = () => process.getuid?.() === 0;

export interface Owner {
  name: string;
  uid: number;
  gid: number;
}

export function currentOwner(): Owner {
  const me = userInfo();
  return { name: me.username, uid: me.uid, gid: me.gid };
}

/** Creates the dedicated system user when missing; as root only. */
export function ensureDaemonUser(): Owner {
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
