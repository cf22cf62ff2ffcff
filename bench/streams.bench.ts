/**
 * Volume download and upload of 512 MiB, file to file, next to `virsh vol-download` and
 * `vol-upload` (libvirt's C client) on the same daemon in the same run; the same transfers
 * memory to memory (a sink that discards, a source made in memory) next to libvirt's stream
 * API in bench/c/libvirt-bench.c; and the memory a 2 GiB download adds to this process.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Connection, connect, downloadVolume, remoteProcedures, uploadVolume } from '../src/index.js';
import type { RemoteNonnullStorageVol } from '../protocol/remote.js';
import { startThrowawayLibvirtd } from '../test/harness/daemon.js';
import { buildCClient, runCClient } from './lib/c-client.js';
import { timedChild } from './lib/timed-child.js';
import { benchGeneration } from './lib/daemon.js';
import { type Measurement, median } from './lib/stats.js';

const MiB = 1024 * 1024;
const SIZE = 512 * MiB;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

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
    writeFileSync(source, patternBytes());

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

      const up = timedChild(['virsh', '-c', daemon.qemuUri, 'vol-upload', '--pool', 'bench', 'v.raw', source], daemon.env);
      virsh.up.push(up.wall);
      virsh.upCpu.push(up.cpu);
      const down = timedChild(['virsh', '-c', daemon.qemuUri, 'vol-download', '--pool', 'bench', 'v.raw', join(work, 'virsh.raw')], daemon.env);
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

    // Memory to memory: only the clients and the daemon, no file system on either side.
    const bin = buildCClient();
    const mem = { ours: { down: [] as number[], up: [] as number[], downCpu: [] as number[], upCpu: [] as number[] }, c: { down: [] as number[], up: [] as number[], downCpu: [] as number[], upCpu: [] as number[] } };
    for (let r = 0; r < ROUNDS; r++) {
      for (const dir of ['down', 'up'] as const) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await (dir === 'down' ? downloadToNothing(conn, vol) : uploadFromMemory(conn, vol));
        mem.ours[dir].push((performance.now() - t0) / 1000);
        mem.ours[`${dir}Cpu`].push(cpuSeconds(process.cpuUsage(c0)));
        const c = runCClient(bin, daemon.qemuUri, dir === 'down' ? 'download' : 'upload', SIZE, daemon.env, ['bench', 'v.raw']);
        mem.c[dir].push(c.wallNs / 1e9);
        mem.c[`${dir}Cpu`].push(c.cpuNs / 1e9);
      }
    }
    for (const dir of ['down', 'up'] as const) {
      results.push({
        group: 'streams',
        name: `volume ${dir === 'down' ? 'download to a sink that discards' : 'upload from memory'}, 512 MiB`,
        unit: 'MiB/s',
        ours: mibps(mem.ours[dir]),
        theirs: mibps(mem.c[dir]),
        theirsName: 'C client',
        extra: { oursCpuSeconds: round(median(mem.ours[`${dir}Cpu`])), cCpuSeconds: round(median(mem.c[`${dir}Cpu`])) },
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

/** The whole volume through the stream, each packet dropped and its buffer given back. */
async function downloadToNothing(conn: Connection, vol: RemoteNonnullStorageVol): Promise<void> {
  const { stream } = await conn.openStream(remoteProcedures.storageVolDownload, { vol, offset: 0n, length: BigInt(SIZE), flags: 0 });
  const done: Uint8Array[] = [];
  for (let item = await stream.read(); item; item = await stream.read()) {
    if (item instanceof Uint8Array) {
      done[0] = item;
      stream.recycle(done);
    }
  }
}

/** SIZE bytes of one pattern, sent 256 KiB at a time from one buffer. */
async function uploadFromMemory(conn: Connection, vol: RemoteNonnullStorageVol): Promise<void> {
  const { stream } = await conn.openStream(remoteProcedures.storageVolUpload, { vol, offset: 0n, length: BigInt(SIZE), flags: 0 });
  const piece = new Uint8Array(256 * 1024).fill(0x5a);
  for (let sent = 0; sent < SIZE; sent += piece.length) await stream.write(piece);
  await stream.finish();
}

/** SIZE bytes of a pattern that does not compress, made once for the source file and then let go. */
function patternBytes(): Buffer {
  const bytes = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i += 4) bytes.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
  return bytes;
}
