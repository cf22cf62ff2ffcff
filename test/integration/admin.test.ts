/**
 * The admin program against a real daemon, compared with virt-admin (libvirt's C client).
 * libvirtd admits only its own user on the admin socket: virt-admin runs as that user, and
 * the library and the command, in this process, go through a relay that runs as that user
 * (test/helpers/admin-relay.ts), so the daemon sees the same user for both.
 */
import { execFile } from 'node:child_process';
import { connectAdmin, connect } from '../../src/index.js';
import { runCli } from '../../src/cli/main.js';
import { type AdminRelay, daemonIdentity, startAdminRelay } from '../helpers/admin-relay.js';
import { type ThrowawayDaemon, sharedDaemon, forEachGeneration } from '../helpers/libvirtd.js';

const URI = 'libvirtd:///session';

let daemon: ThrowawayDaemon;
let relay: AdminRelay;


/** virt-admin as the daemon's user, on the daemon's own admin socket. */
function virtAdmin(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('virt-admin', ['-c', URI, ...args], { ...daemonIdentity(daemon), env: { ...process.env, ...daemon.env }, cwd: daemon.dir }, (err, stdout, stderr) => {
      if (err) reject(new Error(`virt-admin ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** The `libvirt-rpc` command, finding the admin socket through XDG_RUNTIME_DIR as the C client does. */
async function cli(...args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await runCli(['-c', URI, ...args], { stdout: (s) => (out += s), stderr: (s) => (err += s), env: { XDG_RUNTIME_DIR: relay.runtimeDir } });
  if (code !== 0) throw new Error(`libvirt-rpc ${args.join(' ')} exited ${code}: ${err}`);
  return out;
}

/** The second column of a virt-admin table (below its two header lines). */
const column = (table: string) =>
  table
    .split('\n')
    .slice(2)
    .map((l) => l.trim().split(/\s+/)[1])
    .filter(Boolean);

forEachGeneration((generation) => {
  beforeAll(async () => {
    daemon = await sharedDaemon(generation);
    relay = await startAdminRelay(daemon);
  });

  afterAll(() => relay?.stop());

  describe('admin commands of libvirt-rpc', () => {
    it('srv-list and srv-clients-list print what virt-admin prints', async () => {
      const conn = await connect(daemon.testUri);
      try {
        // The daemon lists its servers in no fixed order: compare header and names.
        const [mine, theirs0] = [await cli('srv-list'), await virtAdmin('srv-list')];
        expect(mine.split('\n').slice(0, 2)).toEqual(theirs0.split('\n').slice(0, 2));
        expect(column(mine).sort()).toEqual(column(theirs0).sort());
        const ours = (await cli('srv-clients-list', 'libvirtd')).split('\n');
        const theirs = (await virtAdmin('srv-clients-list', 'libvirtd')).split('\n');
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
    it('lists servers, thread pool, limits and clients as virt-admin does', async () => {
      // A client for the admin listing to see.
      const conn = await connect(daemon.testUri);
      const admin = await connectAdmin(URI, { env: { XDG_RUNTIME_DIR: relay.runtimeDir } });
      try {
        const libVersion = await admin.connectGetLibVersion();
        const { servers } = await admin.connectListServers(16);
        const srv = await admin.connectLookupServer('libvirtd');
        const pool = await admin.serverGetThreadPoolParameters(srv);
        const limits = await admin.serverGetClientLimits(srv);
        const { clients } = await admin.serverListClients(srv, 1024);
        const outputs = await admin.connectGetLoggingOutputs(0);

        const threadpool = Object.fromEntries(
          (await virtAdmin('srv-threadpool-info', 'libvirtd'))
            .split('\n')
            .filter((l) => l.includes(':'))
            .map((l) => l.split(':').map((s) => s.trim()))
            .map(([k, v]) => [k, Number(v)]),
        );
        const theirClients = (await virtAdmin('srv-clients-list', 'libvirtd'))
          .split('\n')
          .slice(2)
          .filter((l) => l.trim()).length;
        expect(servers.map((s) => s.name)).toEqual(column(await virtAdmin('srv-list')));
        // Thread counts move while the daemon works; the configured bounds do not.
        for (const k of ['minWorkers', 'maxWorkers', 'prioWorkers']) expect(Number(pool[k])).toBe(threadpool[k]);
        expect(clients.length).toBeGreaterThanOrEqual(1);
        expect(Math.abs(clients.length - theirClients)).toBeLessThanOrEqual(1);
        expect(Number(limits.nclients_max)).toBeGreaterThan(0);
        expect(Number(libVersion)).toBeGreaterThan(0);
        // The throwaway daemon logs warnings and errors to its own file.
        expect(outputs).toEqual({ noutputs: 1, outputs: `3:file:${daemon.pathInDaemon(daemon.log)}` });
        expect((await virtAdmin('daemon-log-outputs')).trim()).toBe(`Logging outputs: ${outputs.outputs}`);
      } finally {
        await admin.close();
        await conn.close();
      }
    });
  });
});
