/**
 * Managed live migration of the same running guest (the 64 MiB migration guest) between two
 * session daemons on this machine: `dom.migrate()` against `virsh migrate --live`, which
 * drives the same five phases through libvirt's C library. Rounds alternate, and the guest goes
 * back and forth, so each side migrates the same guest in the same state; the time is the
 * client's wall time for the whole migration, the QEMU transfer included.
 */
import { execFile } from 'node:child_process';
import { connect } from '../src/index.js';
import { startMigrationHosts, waitTicks } from '../test/harness/migration-hosts.js';
import { type Measurement, median } from './lib/stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const virsh = (env: NodeJS.ProcessEnv, args: string[]) =>
  new Promise<void>((resolve, reject) => execFile('virsh', args, { env }, (e, _o, err) => (e ? reject(new Error(err || e.message)) : resolve())));

export async function run(): Promise<Measurement[]> {
  const hosts = await startMigrationHosts();
  const env = { ...process.env, ...hosts.src.env };
  const [a, b] = await Promise.all([connect(hosts.src.qemuUri), connect(hosts.dst.qemuUri)]);
  try {
    await a.domains.createXML(hosts.guestXml('migbench'));
    await waitTicks(() => hosts.serial('migbench'), 0, 1);
    const ours: number[] = [];
    const theirs: number[] = [];
    // Where the guest is now, and the way to move it to the other host.
    let here = { conn: a, uri: hosts.src.qemuUri };
    let there = { conn: b, uri: hosts.dst.qemuUri };
    for (let r = 0; r < 2 * ROUNDS + 2; r++) {
      const t0 = process.hrtime.bigint();
      if (r % 2 === 0) {
        await (await here.conn.domains.lookupByName('migbench')).migrate(there.conn, { live: true, uri: 'tcp://127.0.0.1' });
      } else {
        await virsh(env, ['-c', here.uri, 'migrate', '--live', 'migbench', there.uri, 'tcp://127.0.0.1']);
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      // The first two rounds warm the JIT and both daemons' caches up.
      if (r >= 2) (r % 2 === 0 ? ours : theirs).push(ms);
      [here, there] = [there, here];
    }
    return [
      {
        group: 'migration',
        name: 'managed live migration of a running 64 MiB guest between two daemons',
        unit: 'ms/call',
        ours: median(ours),
        theirs: median(theirs),
        theirsName: 'virsh (C client)',
      },
    ];
  } finally {
    for (const conn of [a, b]) {
      for (const dom of await conn.domains.listAll().catch(() => [])) await dom.destroy().catch(() => {});
      await conn.close();
    }
    await hosts.stop();
  }
}
