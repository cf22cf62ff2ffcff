/**
 * Flow control of data streams in the RPC core, with an in-memory transport and fake
 * timers: keepalive while a download's reader has the socket paused, pauses held by several
 * streams, an upload waiting for a transport that never pushed back, and what an aborted
 * stream throws.
 */
import { jest } from '@jest/globals';
import { remoteProcedures as P, remoteProgram } from '../../protocol/remote-procedures.js';
import { KEEPALIVE_PROGRAM } from '../../protocol/keepalive.js';
import { LibvirtStream } from '../../src/api/stream.js';
import { RpcClient, type RpcTransport } from '../../src/rpc/client.js';
import { AbortError, ConnectionError } from '../../src/errors.js';
import { FrameSplitter } from '../../src/rpc/frame.js';
import { type MessageHeader, MessageStatus, MessageType, readHeader, writeHeader } from '../../src/rpc/header.js';
import { Keepalive } from '../../src/rpc/keepalive.js';

const KiB = 1024;
const vol = { pool: 'p', name: 'v', key: 'k' };

/** A transport that takes every write at once and records pauses. */
class MemoryTransport implements RpcTransport {
  writes: Uint8Array[] = [];
  paused = false;
  pauseCalls = 0;
  resumeCalls = 0;
  write(bytes: Uint8Array): boolean {
    this.writes.push(bytes.slice());
    return true;
  }
  close(): void {}
  pause(): void {
    this.paused = true;
    this.pauseCalls++;
  }
  resume(): void {
    this.paused = false;
    this.resumeCalls++;
  }
  headers(): MessageHeader[] {
    const out: MessageHeader[] = [];
    const s = new FrameSplitter();
    for (const w of this.writes) s.push(w, (f) => out.push(readHeader(new DataView(f.buffer, f.byteOffset, f.byteLength), 0)));
    return out;
  }
  pings(): number {
    return this.headers().filter((h) => h.prog === KEEPALIVE_PROGRAM && h.proc === 1).length;
  }
}

/** A STREAM packet of `bytes` zero bytes (or an empty one with another status) for `serial`. */
function packet(serial: number, bytes: number, status: number = MessageStatus.CONTINUE): Uint8Array {
  const f = new Uint8Array(28 + bytes);
  const h = { prog: remoteProgram.number, vers: remoteProgram.version, proc: P.storageVolDownload.number, type: MessageType.STREAM, serial, status };
  writeHeader(new DataView(f.buffer), 0, f.length, h);
  return f;
}

function openDownload(rpc: RpcClient): LibvirtStream {
  const stream = new LibvirtStream(rpc, P.storageVolDownload);
  void rpc.call(P.storageVolDownload, { vol, offset: 0n, length: 0n, flags: 0 }, undefined, undefined, stream).catch(() => undefined);
  return stream;
}

/** Delivers `total` bytes of stream data to `stream` in 256 KiB packets. */
function feed(rpc: RpcClient, stream: LibvirtStream, total: number): void {
  for (let done = 0; done < total; done += 256 * KiB) rpc.receive(packet(stream.serial, 256 * KiB));
}

/** Reads items until no more than `left` bytes stay queued (the stream keeps no public count). */
async function drainTo(stream: LibvirtStream, queued: number, left: number): Promise<number> {
  while (queued > left) queued -= ((await stream.read()) as Uint8Array).length;
  return queued;
}

describe('Keepalive while reading is paused', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('counts no silence while paused, however long, and PINGs at least once a second', () => {
    let pings = 0;
    const dead = jest.fn();
    const ka = new Keepalive({ intervalMs: 5000, count: 2 }, () => pings++, dead);
    ka.start();
    ka.pause();
    jest.advanceTimersByTime(10 * 60_000);
    expect(dead).not.toHaveBeenCalled();
    // One a second although the interval is 5 s: a daemon with a shorter keepalive_interval
    // than ours must still hear from us while we do not read its PINGs.
    expect(pings).toBe(600);
    ka.stop();
  });

  it('starts a fresh window when reading resumes: dead only after count unanswered intervals', () => {
    let pings = 0;
    const dead = jest.fn();
    const ka = new Keepalive({ intervalMs: 200, count: 3 }, () => pings++, dead);
    ka.start();
    jest.advanceTimersByTime(100);
    ka.pause();
    jest.advanceTimersByTime(60_000);
    ka.resume();
    pings = 0;
    // PINGs at 200, 400 and 600 ms after resuming; the fourth silent interval is death.
    jest.advanceTimersByTime(799);
    expect(dead).not.toHaveBeenCalled();
    expect(pings).toBe(3);
    jest.advanceTimersByTime(1);
    expect(dead).toHaveBeenCalledTimes(1);
  });

  it('still declares a silent peer dead when reading was never paused', () => {
    const dead = jest.fn();
    const ka = new Keepalive({ intervalMs: 200, count: 3 }, () => undefined, dead);
    ka.start();
    jest.advanceTimersByTime(800);
    expect(dead).toHaveBeenCalledTimes(1);
  });
});

describe('a download that pauses the socket', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('keeps a connection whose reader pauses for minutes, and detects silence after it resumes', async () => {
    const t = new MemoryTransport();
    const onClose = jest.fn();
    const rpc = new RpcClient(t, { programs: [remoteProgram], keepalive: { intervalMs: 200, count: 3 }, onClose });
    rpc.startKeepalive();
    const stream = openDownload(rpc);
    feed(rpc, stream, 5 * 1024 * KiB); // past HIGH_WATER (4 MiB): the socket is paused
    expect(t.paused).toBe(true);
    await jest.advanceTimersByTimeAsync(5 * 60_000);
    expect(rpc.isOpen).toBe(true);
    expect(t.pings()).toBeGreaterThan(0); // the daemon's keepalive hears from us meanwhile
    await drainTo(stream, 5 * 1024 * KiB, 1024 * KiB);
    expect(t.paused).toBe(false);
    // Resumed, and the daemon says nothing more: dead within count + 1 intervals.
    await jest.advanceTimersByTimeAsync(800);
    expect(rpc.isOpen).toBe(false);
    expect(onClose.mock.calls[0]![0]).toMatchObject({ reason: 'keepalive' });
  });

  it('stays paused while any stream is behind, and resumes once when the last catches up', async () => {
    const t = new MemoryTransport();
    const rpc = new RpcClient(t, { programs: [remoteProgram], keepalive: { intervalMs: 200, count: 3 } });
    rpc.startKeepalive();
    const a = openDownload(rpc);
    const b = openDownload(rpc);
    feed(rpc, a, 5 * 1024 * KiB);
    feed(rpc, b, 5 * 1024 * KiB);
    expect(t.pauseCalls).toBe(1);
    await drainTo(a, 5 * 1024 * KiB, 1024 * KiB);
    // `a` caught up but `b` is still 5 MiB behind: reading on would buffer without bound.
    expect(t.paused).toBe(true);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(rpc.isOpen).toBe(true);
    await drainTo(b, 5 * 1024 * KiB, 1024 * KiB);
    expect([t.paused, t.resumeCalls]).toEqual([false, 1]);
    rpc.fail(new ConnectionError('test over'));
  });

  it('gives the socket back when the stream ends or fails while it is paused', async () => {
    const t = new MemoryTransport();
    const rpc = new RpcClient(t, { programs: [remoteProgram], keepalive: false });
    const ended = openDownload(rpc);
    feed(rpc, ended, 5 * 1024 * KiB);
    expect(t.paused).toBe(true);
    // The rest of the connection (other calls, events) must not wait for this reader.
    rpc.receive(packet(ended.serial, 0, MessageStatus.OK));
    expect(t.paused).toBe(false);
    // The data before the end is still there to read.
    expect(await drainTo(ended, 5 * 1024 * KiB, 0)).toBe(0);
    expect(await ended.read()).toBeNull();

    const failing = openDownload(rpc);
    feed(rpc, failing, 5 * 1024 * KiB);
    expect(t.paused).toBe(true);
    rpc.receive(packet(failing.serial, 0, MessageStatus.ERROR));
    expect(t.paused).toBe(false);
  });
});

describe('an aborted stream', () => {
  it('throws AbortError on read and write, and gives back the socket it held', async () => {
    const t = new MemoryTransport();
    const rpc = new RpcClient(t, { programs: [remoteProgram], keepalive: false });
    const stream = openDownload(rpc);
    feed(rpc, stream, 5 * 1024 * KiB);
    expect(t.paused).toBe(true);
    await stream.abort();
    expect(t.paused).toBe(false);
    const err = await stream.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err).not.toBeInstanceOf(ConnectionError);
    await expect(stream.write(new Uint8Array(1))).rejects.toBeInstanceOf(AbortError);
    expect(rpc.isOpen).toBe(true);
  });
});

describe('an upload on a transport that never pushes back', () => {
  it('goes on when more than the queue limit was queued at once', async () => {
    // Writers wait when over 4 MiB is queued even if the transport has not pushed back; a
    // transport that then takes everything sends no drain, so the core must wake them.
    const t = new MemoryTransport();
    const rpc = new RpcClient(t, { programs: [remoteProgram], keepalive: false });
    const stream = new LibvirtStream(rpc, P.storageVolUpload);
    void rpc.call(P.storageVolUpload, { vol, offset: 0n, length: 0n, flags: 0 }, undefined, undefined, stream).catch(() => undefined);
    let written = false;
    const writing = stream.write(new Uint8Array(6 * 1024 * KiB)).then(() => (written = true));
    // Nothing here waits on a clock: the write is done after the flush, or never.
    for (let i = 0; i < 5 && !written; i++) await new Promise((r) => setImmediate(r));
    expect(written).toBe(true);
    await writing;
    expect(t.headers().filter((h) => h.type === MessageType.STREAM)).toHaveLength(24);
  });
});
