/**
 * Data streams against a real daemon: a 512 MiB volume up and down through the Node and Web
 * faces with equal sha256, holes of a sparse download, abort and a daemon that dies
 * mid-stream, a reader that pauses far longer than either side's keepalive window, and a
 * real guest's screenshot.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortError,
  type Connection,
  ConnectionError,
  connect,
  downloadVolume,
  remoteProcedures as P,
  uploadVolume,
  type RemoteNonnullStorageVol,
  VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM,
} from '../../src/index.js';
import { type ThrowawayDaemon, startThrowawayLibvirtd } from '../harness/daemon.js';
import { tinyGuestXml } from '../harness/guests.js';
import { sharedDaemon, forEachGeneration } from '../helpers/libvirtd.js';

const MiB = 1024 * 1024;

/** Deterministic pseudo-random bytes, made chunk by chunk so 512 MiB never sits in memory. */
function* randomChunks(total: number, chunk = 4 * MiB): Generator<Uint8Array> {
  let s = 0x9e3779b9;
  for (let done = 0; done < total; done += chunk) {
    const buf = new Uint8Array(Math.min(chunk, total - done));
    const words = new Uint32Array(buf.buffer, 0, buf.length >> 2);
    for (let i = 0; i < words.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      words[i] = s >>> 0;
    }
    yield buf;
  }
}

async function makePool(conn: Connection, daemon: ThrowawayDaemon, name: string) {
  const dir = join(daemon.dir, name);
  mkdirSync(dir);
  execFileSync('chown', [daemon.user, dir]);
  return conn.storagePoolCreateXML(`<pool type='dir'><name>${name}</name><target><path>${daemon.pathInDaemon(dir)}</path></target></pool>`, 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Uploads `bytes` of pseudo-random data to `vol`; resolves with its sha256. */
async function fillVolume(conn: Connection, vol: RemoteNonnullStorageVol, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const up = await conn.openStream(P.storageVolUpload, { vol, offset: 0n, length: BigInt(bytes), flags: 0 });
  for (const c of randomChunks(bytes)) {
    hash.update(c);
    await up.stream.write(c);
  }
  await up.stream.finish();
  return hash.digest('hex');
}

/**
 * Downloads `vol`, stopping to read for `pauseMs` after the first chunk (the stream then
 * fills up and pauses the socket), and calls `duringPause` at its start. Resolves with the
 * sha256, or rejects with the stream's error; `progress` says how far it got and when
 * reading started again.
 */
async function pausedDownload(
  conn: Connection,
  vol: RemoteNonnullStorageVol,
  pauseMs: number,
  progress = { bytes: 0, resumedAt: 0 },
  duringPause?: () => void,
): Promise<string> {
  const { stream } = await conn.openStream(P.storageVolDownload, { vol, offset: 0n, length: 0n, flags: 0 });
  const hash = createHash('sha256');
  for await (const chunk of stream.chunks()) {
    hash.update(chunk);
    if (!progress.bytes) {
      duringPause?.();
      await sleep(pauseMs);
      progress.resumedAt = performance.now();
    }
    progress.bytes += chunk.length;
  }
  return hash.digest('hex');
}

const volXml = (name: string, bytes: number) =>
  `<volume><name>${name}</name><capacity>${bytes}</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>`;

forEachGeneration((generation) => describe('volume streams', () => {
  let daemon: ThrowawayDaemon;
  let conn: Connection;
  let vol: RemoteNonnullStorageVol;
  const SIZE = 512 * MiB;

  beforeAll(async () => {
    daemon = await sharedDaemon(generation);
    conn = await connect(daemon.qemuUri);
    const pool = await makePool(conn, daemon, 'streams');
    vol = await conn.storageVolCreateXML(pool, volXml('big.raw', SIZE), 0);
  });
  afterAll(() => conn?.close());

  // About 5 s alone and up to about 20 s on a loaded 2-core machine; the bound is for a
  // starved machine, not for speed (a stall, as the lost drain wake-up was, never ends).
  it('uploads 512 MiB through the Node face and downloads it through the Web face, sha256 equal', async () => {
    const sent = createHash('sha256');
    const source = Readable.from(
      (function* () {
        for (const c of randomChunks(SIZE)) {
          sent.update(c);
          yield c;
        }
      })(),
    );
    const up = await conn.openStream(P.storageVolUpload, { vol, offset: 0n, length: BigInt(SIZE), flags: 0 });
    await pipeline(source, up.stream.toNodeWritable());

    const down = await conn.openStream(P.storageVolDownload, { vol, offset: 0n, length: 0n, flags: 0 });
    const got = createHash('sha256');
    let bytes = 0;
    const reader = down.stream.toWebReadable().getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      got.update(value);
      bytes += value.length;
    }
    expect(bytes).toBe(SIZE);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
    expect(await conn.connectGetType()).toBe('QEMU');
  }, 240_000);

  it('reports holes of a sparse volume when asked for a sparse download', async () => {
    const pool = await conn.storagePoolLookupByName('streams');
    const sparse = await conn.storageVolCreateXML(pool, volXml('sparse.raw', 64 * MiB), 0);
    const head = Uint8Array.from({ length: MiB }, (_, i) => i & 0xff);
    const up = await conn.openStream(P.storageVolUpload, { vol: sparse, offset: 0n, length: BigInt(MiB), flags: 0 });
    await up.stream.write(head);
    await up.stream.finish();
    const down = await conn.openStream(P.storageVolDownload, { vol: sparse, offset: 0n, length: 0n, flags: VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM });
    let data = 0;
    let holes = 0n;
    for (let item = await down.stream.read(); item; item = await down.stream.read()) {
      if (item instanceof Uint8Array) data += item.length;
      else holes += item.hole;
    }
    expect(BigInt(data) + holes).toBe(BigInt(64 * MiB));
    expect(holes).toBeGreaterThanOrEqual(BigInt(60 * MiB));
    await conn.storageVolDelete(sparse, 0);
  });

  it('downloads into a sparse file and uploads from it, holes both ways, bytes equal', async () => {
    const pool = await conn.storagePoolLookupByName('streams');
    const src = await conn.storageVolCreateXML(pool, volXml('src.raw', 64 * MiB), 0);
    const marker = Uint8Array.from({ length: MiB }, (_, i) => (i * 7) & 0xff);
    for (const offset of [0n, BigInt(40 * MiB)]) {
      const up = await conn.openStream(P.storageVolUpload, { vol: src, offset, length: BigInt(MiB), flags: 0 });
      await up.stream.write(marker);
      await up.stream.finish();
    }
    const file = join(daemon.dir, 'sparse-copy.raw');
    let progress = 0n;
    const total = await downloadVolume(conn, src, file, { sparse: true, onProgress: (n) => (progress = n) });
    expect(total).toBe(BigInt(64 * MiB));
    expect(progress).toBe(total);
    const st = statSync(file);
    expect(st.size).toBe(64 * MiB);
    // Allocated blocks far below the size: the holes stayed holes.
    expect(st.blocks * 512).toBeLessThan(16 * MiB);
    const fileHash = createHash('sha256').update(readFileSync(file)).digest('hex');

    const dst = await conn.storageVolCreateXML(pool, volXml('dst.raw', 64 * MiB), 0);
    await uploadVolume(conn, dst, file, { sparse: true });
    const back = join(daemon.dir, 'plain-copy.raw');
    await downloadVolume(conn, dst, back);
    expect(createHash('sha256').update(readFileSync(back)).digest('hex')).toBe(fileHash);
    await conn.storageVolDelete(src, 0);
    await conn.storageVolDelete(dst, 0);
  });

  it('aborting a download mid-way leaves the connection usable, and reads after it throw AbortError', async () => {
    const down = await conn.openStream(P.storageVolDownload, { vol, offset: 0n, length: 0n, flags: 0 });
    const first = await down.stream.read();
    expect(first).toBeInstanceOf(Uint8Array);
    // Give the stream time to fill up and pause the socket: the abort must give it back.
    await sleep(300);
    await down.stream.abort();
    const err = await down.stream.read().catch((e: unknown) => e);
    // The connection is fine: ConnectionError would tell the caller it is gone.
    expect(err).toBeInstanceOf(AbortError);
    expect(err).not.toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/aborted/);
    expect(await conn.connectGetType()).toBe('QEMU');
    expect((await conn.storageVolGetInfo(vol)).capacity).toBe(BigInt(SIZE));
  });
}));

forEachGeneration((generation) => describe('a daemon that dies mid-stream', () => {
  it('errors the stream; nothing hangs', async () => {
    const daemon = await startThrowawayLibvirtd({ generation, name: 'stream-kill' });
    try {
      const conn = await connect(daemon.qemuUri, { keepalive: false });
      const pool = await makePool(conn, daemon, 'killpool');
      const vol = await conn.storageVolCreateXML(pool, volXml('v.raw', 256 * MiB), 0);
      const down = await conn.openStream(P.storageVolDownload, { vol, offset: 0n, length: 0n, flags: 0 });
      await down.stream.read();
      daemon.kill('SIGKILL');
      const err = await (async () => {
        for (;;) if ((await down.stream.read()) === null) return null;
      })().catch((e) => e);
      expect(err).toBeInstanceOf(ConnectionError);
    } finally {
      await daemon.stop();
    }
  });
}));

describe('a reader that pauses far longer than the keepalive window', () => {
  // The daemon's own keepalive is on and short: it drops a client it has not heard from for
  // about 4 s, even while its writes to that client are blocked.
  let daemon: ThrowawayDaemon;
  let vol: RemoteNonnullStorageVol;
  let sha256: string;
  const SIZE = 32 * MiB; // well past the stream's 4 MiB of read-ahead and the socket buffers

  beforeAll(async () => {
    daemon = await startThrowawayLibvirtd({ name: 'stream-pause', extraConfig: 'keepalive_interval = 1\nkeepalive_count = 3' });
    const conn = await connect(daemon.qemuUri, { keepalive: false });
    try {
      const pool = await makePool(conn, daemon, 'pausepool');
      vol = await conn.storageVolCreateXML(pool, volXml('p.raw', SIZE), 0);
      sha256 = await fillVolume(conn, vol, SIZE);
    } finally {
      await conn.close();
    }
  }, 120_000);
  afterAll(() => daemon?.stop());

  it('gets every byte after a pause of many of our keepalive windows (200 ms × 3)', async () => {
    const conn = await connect(daemon.qemuUri, { keepalive: { intervalMs: 200, count: 3 } });
    try {
      const progress = { bytes: 0, resumedAt: 0 };
      expect(await pausedDownload(conn, vol, 5000, progress)).toBe(sha256);
      expect(progress.bytes).toBe(SIZE);
      expect(await conn.connectGetType()).toBe('QEMU');
    } finally {
      await conn.close();
    }
  }, 120_000);

  it("gets every byte after a pause past the daemon's keepalive window, with our keepalive slower than the daemon's", async () => {
    // Our default PINGs every 5 s would come too late for a daemon that gives up after 4 s.
    const conn = await connect(daemon.qemuUri);
    try {
      const progress = { bytes: 0, resumedAt: 0 };
      expect(await pausedDownload(conn, vol, 10_000, progress)).toBe(sha256);
      expect(progress.bytes).toBe(SIZE);
      expect(await conn.connectGetType()).toBe('QEMU');
    } finally {
      await conn.close();
    }
  }, 120_000);
});

describe('a daemon that dies while the reader pauses', () => {
  // Frozen, it is silent: keepalive ends the connection. Killed, its socket closes.
  const REASONS = { SIGSTOP: ['keepalive'], SIGKILL: ['error', 'eof'] };
  it.each(['SIGSTOP', 'SIGKILL'] as const)('%s: the stream fails with ConnectionError soon after reading resumes', async (signal) => {
    const daemon = await startThrowawayLibvirtd({ name: 'stream-pause-kill' });
    try {
      let conn = await connect(daemon.qemuUri, { keepalive: false });
      const pool = await makePool(conn, daemon, 'pausekill');
      const vol = await conn.storageVolCreateXML(pool, volXml('k.raw', 32 * MiB), 0);
      await fillVolume(conn, vol, 32 * MiB);
      await conn.close();
      conn = await connect(daemon.qemuUri, { keepalive: { intervalMs: 200, count: 3 } });
      const progress = { bytes: 0, resumedAt: 0 };
      const err = await pausedDownload(conn, vol, 4000, progress, () => {
        // A moment for the stream to fill up and pause the socket, then the daemon goes.
        setTimeout(() => daemon.kill(signal), 1000);
      }).catch((e: unknown) => e);
      const failedAt = performance.now();
      expect(err).toBeInstanceOf(ConnectionError);
      expect(REASONS[signal]).toContain((err as ConnectionError).reason);
      // A frozen daemon is found by keepalive (4 intervals of 200 ms once reading resumes); a
      // killed one by the closed socket, during the pause or when reading resumes. The bound
      // is for a loaded machine; without detection the read would never end.
      expect(progress.resumedAt).toBeGreaterThan(0);
      expect(failedAt - progress.resumedAt).toBeLessThan(30_000);
      expect(conn.isOpen).toBe(false);
      await conn.close();
    } finally {
      await daemon.stop();
    }
  }, 120_000);
});

forEachGeneration((generation) => describe('screenshot', () => {
  it('gives a valid image of a running guest', async () => {
    const daemon = await sharedDaemon(generation);
    const conn = await connect(daemon.qemuUri);
    const dom = await conn.domainDefineXML(tinyGuestXml('shot'));
    try {
      await conn.domainCreate(dom);
      const running = await conn.domainLookupByName('shot');
      const { stream, reply } = await conn.openStream(P.domainScreenshot, { dom: running, screen: 0, flags: 0 });
      const parts: Uint8Array[] = [];
      for await (const c of stream.chunks()) parts.push(c);
      const image = Buffer.concat(parts);
      expect(reply).toMatchObject({ mime: expect.stringMatching(/^image\//) });
      // QEMU answers with PPM (P6) or PNG.
      const magic = image.subarray(0, 2).toString('latin1');
      expect(['P6', '\x89P']).toContain(magic);
      expect(image.length).toBeGreaterThan(1000);
      await conn.domainDestroy(running);
    } finally {
      await conn.domainUndefine(dom);
      await conn.close();
    }
  });
}));
