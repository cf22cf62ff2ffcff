/**
 * The admin program against a real daemon, compared with virt-admin (libvirt's C client).
 * libvirtd admits only its own user on the admin socket, so both run as that user.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../../src/index.js';
import { type ThrowawayDaemon, sharedDaemon } from '../helpers/libvirtd.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');

function asDaemonUser(daemon: ThrowawayDaemon, cmd: string, args: string[]): Promise<string> {
  const root = process.getuid?.() === 0;
  const [file, argv] = root
    ? ['setpriv', ['--reuid', daemon.user, '--regid', daemon.user, '--clear-groups', '--', cmd, ...args]]
    : [cmd, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv as string[], { env: { ...process.env, ...daemon.env }, cwd: REPO }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

describe('admin commands of libvirt-rpc', () => {
  it('srv-list and srv-clients-list print what virt-admin prints', async () => {
    const daemon = await sharedDaemon();
    const conn = await connect(daemon.testUri);
    try {
      const cli = (...args: string[]) =>
        asDaemonUser(daemon, process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/bin.ts'), '-c', 'libvirtd:///session', ...args]);
      const va = (...args: string[]) => asDaemonUser(daemon, 'virt-admin', ['-c', 'libvirtd:///session', ...args]);
      // The daemon lists its servers in no fixed order: compare header and names.
      const names = (table: string) => table.split('\n').slice(2).map((l) => l.trim().split(/\s+/)[1]).filter(Boolean).sort();
      const [mine, theirs0] = [await cli('srv-list'), await va('srv-list')];
      expect(mine.split('\n').slice(0, 2)).toEqual(theirs0.split('\n').slice(0, 2));
      expect(names(mine)).toEqual(names(theirs0));
      const ours = (await cli('srv-clients-list', 'libvirtd')).split('\n');
      const theirs = (await va('srv-clients-list', 'libvirtd')).split('\n');
      // Same header and one row per client (our own admin connection is not a libvirtd client).
      expect(ours.slice(0, 2)).toEqual(theirs.slice(0, 2));
      expect(ours.length).toBe(theirs.length);
      expect(JSON.parse(await cli('--json', 'srv-list')).map((s: { name: string }) => s.name).sort()).toEqual(['admin', 'libvirtd']);
    } finally {
      await conn.close();
    }
  });
});

describe('admin program', () => {
  let daemon: ThrowawayDaemon;
  beforeAll(async () => {
    daemon = await sharedDaemon();
  });

  it('lists servers, thread pool, limits and clients as virt-admin does', async () => {
    // A client for the admin listing to see.
    const conn = await connect(daemon.testUri);
    try {
      const ours = JSON.parse(
        (await asDaemonUser(daemon, process.execPath, ['--import', 'tsx', join(REPO, 'test/helpers/admin-probe.ts'), daemon.adminSocket])).trim(),
      );
      const uri = 'libvirtd:///session';
      const servers = (await asDaemonUser(daemon, 'virt-admin', ['-c', uri, 'srv-list']))
        .split('\n')
        .slice(2)
        .map((l) => l.trim().split(/\s+/)[1])
        .filter(Boolean);
      const threadpool = Object.fromEntries(
        (await asDaemonUser(daemon, 'virt-admin', ['-c', uri, 'srv-threadpool-info', 'libvirtd']))
          .split('\n')
          .filter((l) => l.includes(':'))
          .map((l) => l.split(':').map((s) => s.trim()))
          .map(([k, v]) => [k, Number(v)]),
      );
      const clients = (await asDaemonUser(daemon, 'virt-admin', ['-c', uri, 'srv-clients-list', 'libvirtd']))
        .split('\n')
        .slice(2)
        .filter((l) => l.trim()).length;
      expect(ours.servers).toEqual(servers);
      // Thread counts move while the daemon works; the configured bounds do not.
      for (const k of ['minWorkers', 'maxWorkers', 'prioWorkers']) expect(ours.threadpool[k]).toBe(threadpool[k]);
      expect(ours.clients).toBeGreaterThanOrEqual(1);
      expect(Math.abs(ours.clients - clients)).toBeLessThanOrEqual(1);
      expect(ours.limits.nclients_max).toBeGreaterThan(0);
      expect(Number(ours.libVersion)).toBeGreaterThan(0);
    } finally {
      await conn.close();
    }
  });
});
