import { REMOTE_PROGRAM } from '../../protocol/remote.js';
import { remoteProcedures, remoteProgram } from '../../protocol/remote-procedures.js';
import { KEEPALIVE_PROGRAM } from '../../protocol/keepalive.js';
import { RpcClient, type RpcTransport } from '../../src/rpc/client.js';
import { AbortError, ConnectionError, LibvirtError, ProtocolError, TimeoutError } from '../../src/errors.js';
import { FrameSplitter, HeaderScanner, MAX_FRAME } from '../../src/rpc/frame.js';
import { readHeader, writeHeader, type MessageHeader } from '../../src/rpc/header.js';
import { XdrWriter, XdrEncodeError } from '../../src/xdr/index.js';
import type { Codec } from '../../src/xdr/index.js';
import { VirNetMessageErrorCodec } from '../../protocol/virnet.js';

/** An in-memory peer: records what the client writes and lets the test answer. */
class FakePeer implements RpcTransport {
  writes: Uint8Array[] = [];
  accept = true;
  closedCalls = 0;
  client!: RpcClient;
  write(bytes: Uint8Array): boolean {
    this.writes.push(bytes.slice());
    return this.accept;
  }
  close(): void {
    this.closedCalls++;
  }
  /** Every frame the client sent so far, split and with headers decoded. */
  frames(): { h: MessageHeader; body: Uint8Array }[] {
    const out: { h: MessageHeader; body: Uint8Array }[] = [];
    const s = new FrameSplitter();
    for (const w of this.writes) s.push(w, (f) => out.push({ h: readHeader(new DataView(f.buffer, f.byteOffset), 0), body: f.slice(28) }));
    return out;
  }
}

function frame<T>(h: Omit<MessageHeader, 'prog' | 'vers'> & { prog?: number }, codec?: Codec<T>, value?: T): Uint8Array {
  const w = new XdrWriter();
  w.pos = 28;
  if (codec) codec.encode(w, value as T);
  const bytes = w.finish().slice();
  writeHeader(new DataView(bytes.buffer), 0, bytes.length, { prog: h.prog ?? REMOTE_PROGRAM, vers: 1, ...h });
  return bytes;
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const P = remoteProcedures;

function setup(opts: ConstructorParameters<typeof RpcClient>[1] = {}) {
  const peer = new FakePeer();
  const client = new RpcClient(peer, { programs: [remoteProgram], keepalive: false, ...opts });
  peer.client = client;
  return { peer, client };
}

describe('FrameSplitter', () => {
  it('gives the same frames however the stream is cut', () => {
    const frames = [1, 2, 3, 4, 5].map((serial) =>
      frame({ proc: 4, type: 1, serial, status: 0 }, P.connectGetHostname.ret!, { hostname: 'h'.repeat(serial * 37) }),
    );
    const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of frames) (all.set(f, at), (at += f.length));
    for (const size of [1, 2, 3, 7, 28, 29, 100, all.length]) {
      const s = new FrameSplitter();
      const got: string[] = [];
      for (let i = 0; i < all.length; i += size) s.push(all.subarray(i, i + size), (f) => got.push(Buffer.from(f).toString('hex')));
      expect(got).toEqual(frames.map((f) => Buffer.from(f).toString('hex')));
      expect(s.buffered).toBe(0);
    }
  });

  it('gathers large frames cut into pieces in buffers the consumer may keep', () => {
    // Small, large (256 KiB of stream data), small, large, large: every cut of the stream.
    const stream = (serial: number, n: number) => {
      const f = new Uint8Array(28 + n);
      new DataView(f.buffer).setUint32(0, f.length);
      for (let i = 28; i < f.length; i++) f[i] = (i * 7 + serial) & 0xff;
      return f;
    };
    const frames = [stream(1, 100), stream(2, 256 * 1024), stream(3, 5), stream(4, 300_000), stream(5, 65_536)];
    const all = Buffer.concat(frames);
    for (const size of [1000, 4096, 65_536, 65_537, 100_000, all.length]) {
      const s = new FrameSplitter();
      const got: [Buffer, boolean][] = [];
      for (let i = 0; i < all.length; i += size) s.push(all.subarray(i, i + size), (f, owned) => got.push([Buffer.from(f), owned]));
      expect(got.map(([f], i) => f.equals(frames[i]!))).toEqual([true, true, true, true, true]);
      // Owned only when gathered from pieces into a buffer of its own (never a view of a chunk).
      for (const [f, owned] of got) if (f.length < 64 * 1024) expect(owned).toBe(false);
      if (size < 65_536) expect(got.map(([, owned]) => owned)).toEqual([false, true, false, true, true]);
      expect(s.buffered).toBe(0);
    }
  });

  it('hands out owned frames that later input does not change', () => {
    const s = new FrameSplitter();
    const kept: Uint8Array[] = [];
    const f = new Uint8Array(100_000);
    new DataView(f.buffer).setUint32(0, f.length);
    f.fill(1, 28);
    for (let round = 0; round < 3; round++) {
      f.fill(round + 1, 28);
      for (let i = 0; i < f.length; i += 30_000) s.push(f.subarray(i, i + 30_000), (frame, owned) => owned && kept.push(frame));
    }
    expect(kept.map((k) => [k.length, k[28], k[99_999]])).toEqual([
      [100_000, 1, 1],
      [100_000, 2, 2],
      [100_000, 3, 3],
    ]);
  });

  it('gathers the next large frame into a buffer given back, and only into one it made', () => {
    const s = new FrameSplitter();
    const big = (fill: number) => {
      const f = new Uint8Array(100_000).fill(fill);
      new DataView(f.buffer).setUint32(0, f.length);
      return f;
    };
    const feed = (f: Uint8Array) => {
      let got: Uint8Array | undefined;
      for (let i = 0; i < f.length; i += 30_000) s.push(f.subarray(i, i + 30_000), (frame) => (got = frame));
      return got!;
    };
    const first = feed(big(1));
    const second = feed(big(2));
    expect(second.buffer).not.toBe(first.buffer);
    s.recycle(first.subarray(28));
    s.recycle(new Uint8Array(200_000)); // not one of its own: ignored
    const third = feed(big(3));
    expect(third.buffer).toBe(first.buffer);
    expect(third[50_000]).toBe(3);
    expect(second[50_000]).toBe(2);
    s.recycle(second);
    s.recycle(second); // given back twice before it is reused: kept once
    expect(feed(big(4)).buffer).toBe(second.buffer);
    expect(feed(big(6)).buffer).not.toBe(second.buffer);
    s.recycle(first);
    s.dropSpares();
    expect(feed(big(5)).buffer).not.toBe(first.buffer);
  });

  it('rejects lengths below the header size or above the maximum before allocating', () => {
    expect(() => new FrameSplitter().push(new Uint8Array([0, 0, 0, 27]), () => {})).toThrow(ProtocolError);
    const big = new Uint8Array(4);
    new DataView(big.buffer).setUint32(0, MAX_FRAME + 1);
    expect(() => new FrameSplitter().push(big, () => {})).toThrow(/over the/);
  });
});

describe('RpcClient', () => {
  it('takes back an owned stream payload once, so a stale view cannot free a later packet', async () => {
    const { peer, client } = setup();
    const got: Uint8Array[] = [];
    const sink = { serial: 0, packet: (_h: MessageHeader, p: Uint8Array, owned: boolean) => owned && got.push(p), failed: () => {} };
    void client.call(P.storageVolDownload, { vol: { pool: 'p', name: 'v', key: 'k' }, offset: 0n, length: 0n, flags: 0 }, undefined, undefined, sink);
    await tick();
    const serial = peer.frames()[0]!.h.serial;
    const packet = (fill: number) => {
      const f = frame({ proc: P.storageVolDownload.number, type: 3, serial, status: 2 });
      const full = new Uint8Array(28 + 100_000).fill(fill);
      full.set(f.subarray(0, 28));
      new DataView(full.buffer).setUint32(0, full.length);
      for (let i = 0; i < full.length; i += 40_000) client.receive(full.subarray(i, i + 40_000));
    };
    packet(1);
    client.recycleStreamData(got[0]!);
    packet(2); // gathered into the first packet's memory
    expect(got[1]!.buffer).toBe(got[0]!.buffer);
    client.recycleStreamData(got[0]!); // stale: ignored
    packet(3);
    expect(got[2]!.buffer).not.toBe(got[1]!.buffer);
    expect([got[1]![0], got[1]![99_999], got[2]![0]]).toEqual([2, 2, 3]);
  });

  it('reuses a large write buffer only after the transport says it is done with it', async () => {
    // A transport that holds on to each buffer for a while and reads it only when done, as a
    // socket does: reusing a buffer early would corrupt what it sends.
    const sent: Uint8Array[] = [];
    let handedOut = 0;
    const transport: RpcTransport = {
      write(bytes, written) {
        handedOut++;
        setTimeout(() => {
          sent.push(bytes.slice());
          written?.();
        }, 2);
        return true;
      },
      close() {},
    };
    const client = new RpcClient(transport, { programs: [remoteProgram], keepalive: false });
    const header = { prog: REMOTE_PROGRAM, vers: 1, proc: P.storageVolUpload.number, type: 3, serial: 1, status: 2 };
    const packets = Array.from({ length: 40 }, (_, n) => new Uint8Array(200_000).fill(n + 1));
    for (const p of packets) {
      client.sendStreamPacket(header, p);
      // One packet per flush; wait now and then, so that some buffers come back for reuse.
      await new Promise((r) => (p[0]! % 3 ? queueMicrotask(() => r(undefined)) : setTimeout(r, 5)));
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(handedOut).toBe(40);
    expect(sent).toHaveLength(40);
    const frames: number[] = [];
    const s = new FrameSplitter();
    for (const w of sent) s.push(w, (f) => frames.push(f[28]!, f[f.length - 1]!));
    expect(frames).toEqual(packets.flatMap((p) => [p[0]!, p[0]!]));
  });

  it('coalesces calls made in one tick into one write, with increasing serials', async () => {
    const { peer, client } = setup();
    void client.call(P.connectGetLibVersion, undefined);
    void client.call(P.connectGetHostname, undefined);
    void client.call(P.domainLookupByName, { name: 'x' });
    await tick();
    expect(peer.writes).toHaveLength(1);
    expect(peer.frames().map((f) => [f.h.serial, f.h.proc, f.h.type])).toEqual([
      [1, P.connectGetLibVersion.number, 0],
      [2, P.connectGetHostname.number, 0],
      [3, P.domainLookupByName.number, 0],
    ]);
  });

  it('routes replies by serial, out of order, and unwraps one-field replies', async () => {
    const { client } = setup();
    const a = client.call(P.connectGetLibVersion, undefined, undefined, 'lib_ver');
    const b = client.call(P.connectGetHostname, undefined, undefined, 'hostname');
    await tick();
    client.receive(frame({ proc: P.connectGetHostname.number, type: 1, serial: 2, status: 0 }, P.connectGetHostname.ret!, { hostname: 'node1' }));
    client.receive(frame({ proc: P.connectGetLibVersion.number, type: 1, serial: 1, status: 0 }, P.connectGetLibVersion.ret!, { lib_ver: 9000000n }));
    await expect(b).resolves.toBe('node1');
    await expect(a).resolves.toBe(9000000n);
    expect(client.inFlight).toBe(0);
  });

  it('turns an error reply into LibvirtError with every field', async () => {
    const { client } = setup();
    const p = client.call(P.domainLookupByName, { name: 'nope' });
    await tick();
    client.receive(
      frame({ proc: P.domainLookupByName.number, type: 1, serial: 1, status: 1 }, VirNetMessageErrorCodec, {
        code: 42, domain: 10, message: 'Domain not found', level: 2, dom: null, str1: 'x', str2: null, str3: null, int1: -1, int2: -1, net: null,
      }),
    );
    const e = await p.catch((x) => x);
    expect(e).toBeInstanceOf(LibvirtError);
    expect(e).toMatchObject({ code: 42, codeName: 'VIR_ERR_NO_DOMAIN', domainName: 'VIR_FROM_QEMU', message: 'Domain not found', str1: 'x' });
    expect(e.isNotFound()).toBe(true);
  });

  it('drops and counts a reply with an unknown serial', async () => {
    const { client } = setup();
    client.receive(frame({ proc: 4, type: 1, serial: 99, status: 0 }, P.connectGetHostname.ret!, { hostname: 'x' }));
    expect(client.stats.droppedReplies).toBe(1);
    expect(client.isOpen).toBe(true);
  });

  it('rejects a reply that names another procedure, and one that does not decode', async () => {
    const { client } = setup();
    const a = client.call(P.connectGetHostname, undefined);
    const b = client.call(P.connectGetHostname, undefined);
    await tick();
    client.receive(frame({ proc: 7, type: 1, serial: 1, status: 0 }));
    client.receive(frame({ proc: P.connectGetHostname.number, type: 1, serial: 2, status: 0 }));
    await expect(a).rejects.toThrow(ProtocolError);
    await expect(b).rejects.toThrow(/does not decode/);
  });

  it('times out, aborts, and drops the late reply', async () => {
    const { client } = setup();
    const t = client.call(P.connectGetHostname, undefined, { timeoutMs: 10 });
    const ac = new AbortController();
    const a = client.call(P.connectGetHostname, undefined, { signal: ac.signal });
    ac.abort(new Error('user gave up'));
    await expect(a).rejects.toBeInstanceOf(AbortError);
    await expect(t).rejects.toBeInstanceOf(TimeoutError);
    client.receive(frame({ proc: P.connectGetHostname.number, type: 1, serial: 1, status: 0 }, P.connectGetHostname.ret!, { hostname: 'late' }));
    expect(client.stats.droppedReplies).toBe(1);
    const pre = new AbortController();
    pre.abort();
    await expect(client.call(P.connectGetHostname, undefined, { signal: pre.signal })).rejects.toBeInstanceOf(AbortError);
  });

  it('refuses a bad argument before anything is queued', async () => {
    const { peer, client } = setup();
    await expect(client.call(P.domainLookupByName, { name: 5 as unknown as string })).rejects.toBeInstanceOf(XdrEncodeError);
    await tick();
    expect(peer.writes).toHaveLength(0);
  });

  it('settles every pending call with ConnectionError when the transport dies', async () => {
    const closes: ConnectionError[] = [];
    const { client } = setup({ onClose: (e) => closes.push(e) });
    const calls = Array.from({ length: 100 }, () => client.call(P.connectGetHostname, undefined));
    await tick();
    client.closed(new Error('ECONNRESET'));
    const results = await Promise.allSettled(calls);
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof ConnectionError)).toBe(true);
    expect(closes).toHaveLength(1);
    await expect(client.call(P.connectGetHostname, undefined)).rejects.toBeInstanceOf(ConnectionError);
  });

  it('closes on a frame length it cannot trust', async () => {
    const { peer, client } = setup();
    const p = client.call(P.connectGetHostname, undefined);
    client.receive(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    await expect(p).rejects.toThrow(/protocol error/);
    expect(peer.closedCalls).toBe(1);
  });

  it('waits for drain when the transport pushes back', async () => {
    const { peer, client } = setup();
    peer.accept = false;
    void client.call(P.connectGetHostname, undefined);
    await tick();
    void client.call(P.connectGetHostname, undefined);
    await tick();
    expect(peer.writes).toHaveLength(1);
    peer.accept = true;
    client.drain();
    expect(peer.writes).toHaveLength(2);
  });

  it('answers PING with PONG and counts unsolicited messages', async () => {
    const { peer, client } = setup();
    client.receive(frame({ prog: KEEPALIVE_PROGRAM, proc: 1, type: 2, serial: 0, status: 0 }));
    await tick();
    expect(peer.frames().map((f) => [f.h.prog, f.h.proc, f.h.type])).toEqual([[KEEPALIVE_PROGRAM, 2, 2]]);
    client.receive(frame({ proc: 207, type: 2, serial: 0, status: 0 }));
    expect(client.stats.droppedMessages).toBe(1);
  });

  it('declares the peer dead after count silent keepalive intervals', async () => {
    const { peer, client } = setup({ keepalive: { intervalMs: 20, count: 2 } });
    client.startKeepalive();
    const p = client.call(P.connectGetHostname, undefined);
    const started = Date.now();
    await expect(p).rejects.toThrow(/no answer from the peer/);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(20 * 3 + 200);
    expect(peer.frames().filter((f) => f.h.prog === KEEPALIVE_PROGRAM && f.h.proc === 1)).toHaveLength(2);
  });
});

describe('HeaderScanner', () => {
  /** A frame of `payload` bytes after the header, its serial set. */
  const frame = (serial: number, payload: number) => {
    const bytes = new Uint8Array(28 + payload).fill(0xee, 28);
    writeHeader(new DataView(bytes.buffer), 0, bytes.length, { prog: REMOTE_PROGRAM, vers: 1, proc: 1, type: 1, serial, status: 0 });
    return bytes;
  };

  it('reads each header once, whatever the chunks, passing over payloads', () => {
    const stream = Uint8Array.from([...frame(1, 0), ...frame(2, 300_000), ...frame(3, 5)]);
    for (const size of [1, 7, 28, 29, 4096, stream.length]) {
      const seen: number[] = [];
      const scanner = new HeaderScanner();
      for (let at = 0; at < stream.length; at += size) scanner.push(stream.subarray(at, at + size), (h) => seen.push(h.serial));
      expect(seen).toEqual([1, 2, 3]);
    }
  });

  it('refuses an impossible length, as the splitter does', () => {
    const bad = frame(1, 0);
    new DataView(bad.buffer).setUint32(0, 12);
    expect(() => new HeaderScanner().push(bad, () => undefined)).toThrow(ProtocolError);
    new DataView(bad.buffer).setUint32(0, MAX_FRAME + 1);
    expect(() => new HeaderScanner().push(bad, () => undefined)).toThrow(ProtocolError);
  });
});
