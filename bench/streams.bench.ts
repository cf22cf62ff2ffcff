/**
 * Volume download and upload of 512 MiB, file to file, next to `virsh vol-download` and
 * `vol-upload` (libvirt's C client) on the same daemon in the same run; and the memory a
 * 2 GiB download adds to this process.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, downloadVolume, uploadVolume } from '../src/index.js';
import { startThrowawayLibvirtd } from '../test/harness/daemon.js';
import { SYSTEM_PYTHON } from '../test/harness/packages.js';
import { benchGeneration } from './lib/daemon.js';
import { type Measurement, median } from './lib/stats.js';

const MiB = 1024 * 1024;
const SIZE = 512 * MiB;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** Runs virsh and returns its wall time and CPU (user + system of the child), in seconds. */
function timedVirsh(env: Record<string, string>, args: string[]): { wall: number; cpu: number } {
  const script = `
import resource, subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
wall = time.monotonic() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, u.ru_utime + u.ru_stime)
`;
  const [wall, cpu] = execFileSync(SYSTEM_PYTHON, ['-c', script, 'virsh', ...args], { env: { ...process.env, ...env } })
    .toString()
    .trim()
    .split(' ')
    .map(Number);
  return { wall: wall!, cpu: cpu! };
}

export async function run(): Promise<Measurement[]> {
  const daemon = await startThrowawayLibvirtd({ name: 'bench-streams', generation: benchGeneration() });
  const results: Measurement[] = [];
  try {
    const poolDir = join(daemon.dir, 'pool');
    mkdirSync(poolDir);
    execFileSync('chown', [daemon.user, poolDir]);
    const work = join(daemon.dir, 'files');
    mkdirSync(work);
    const conn = await connect(daemon.qemuUri, { keepalive: false });
    const pool = await conn.storagePoolCreateXML(`<pool type='dir'><name>bench</name><target><path>${daemon.pathInDaemon(poolDir)}</path></target></pool>`, 0);
    const vol = await conn.storageVolCreateXML(pool, `<volume><name>v.raw</name><capacity>${SIZE}</capacity><target><format type='raw'/></target></volume>`, 0);
    const source = join(work, 'source.raw');
    const random = Buffer.alloc(SIZE);
    for (let i = 0; i < SIZE; i += 4) random.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
    writeFileSync(source, random);

    const ours = { up: [] as number[], down: [] as number[], upCpu: [] as number[], downCpu: [] as number[] };
    const virsh = { up: [] as number[], down: [] as number[], upCpu: [] as number[], downCpu: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      let c0 = process.cpuUsage();
      let t0 = performance.now();
      await uploadVolume(conn, vol, source);
      ours.up.push((performance.now() - t0) / 1000);
      ours.upCpu.push(cpuSeconds(process.cpuUsage(c0)));
      c0 = process.cpuUsage();
      t0 = performance.now();
      await downloadVolume(conn, vol, join(work, 'ours.raw'));
      ours.down.push((performance.now() - t0) / 1000);
      ours.downCpu.push(cpuSeconds(process.cpuUsage(c0)));

      const up = timedVirsh(daemon.env, ['-c', daemon.qemuUri, 'vol-upload', '--pool', 'bench', 'v.raw', source]);
      virsh.up.push(up.wall);
      virsh.upCpu.push(up.cpu);
      const down = timedVirsh(daemon.env, ['-c', daemon.qemuUri, 'vol-download', '--pool', 'bench', 'v.raw', join(work, 'virsh.raw')]);
      virsh.down.push(down.wall);
      virsh.downCpu.push(down.cpu);
    }
    const mibps = (secs: number[]) => SIZE / MiB / median(secs);
    for (const dir of ['down', 'up'] as const) {
      results.push({
        group: 'streams',
        name: `volume ${dir === 'down' ? 'download' : 'upload'}, 512 MiB, file to file`,
        unit: 'MiB/s',
        ours: mibps(ours[dir]),
        theirs: mibps(virsh[dir]),
        theirsName: 'virsh',
        extra: {
          oursCpuSeconds: round(median(ours[`${dir}Cpu`])),
          virshCpuSeconds: round(median(virsh[`${dir}Cpu`])),
        },
      });
    }

    // Memory: a 2 GiB download (of an unallocated volume) must not grow RSS by 64 MiB.
    const big = await conn.storageVolCreateXML(pool, `<volume><name>big.raw</name><capacity>${4 * SIZE}</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>`, 0);
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const poll = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const t0 = performance.now();
    await downloadVolume(conn, big, join(work, 'big.raw'));
    clearInterval(poll);
    results.push({
      group: 'streams',
      name: 'RSS growth during a 2 GiB download',
      unit: 'MiB',
      ours: (peak - before) / MiB,
      theirs: 64,
      theirsName: 'limit',
      extra: { seconds: round((performance.now() - t0) / 1000) },
    });
    rmSync(work, { recursive: true, force: true });
    await conn.close();
  } finally {
    await daemon.stop();
  }
  return results;
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
const round = (v: number) => Math.round(v * 100) / 100;
