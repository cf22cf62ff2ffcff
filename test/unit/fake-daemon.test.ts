/**
 * `libvirt-rpc/testing` as a user's own unit tests use it: typed handlers, libvirt errors,
 * events, and data streams both ways through the public stream API.
 */
import {
  Connection,
  type Dialer,
  LibvirtError,
  VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM,
  remoteProcedures,
  type RemoteNonnullDomain,
  type RemoteNonnullStorageVol,
} from '../../src/index.js';
import { FakeDaemon, type FakeStream } from '../../src/testing/index.js';

const dom: RemoteNonnullDomain = { name: 'guest', uuid: new Uint8Array(16), id: 1 };
const vol: RemoteNonnullStorageVol = { pool: 'default', name: 'disk.raw', key: '/pool/disk.raw' };

/** Message types of the frames the daemon sent, in order ('REPLY', 'STREAM', ...). */
type SeenFrames = string[];

async function open(daemon: FakeDaemon, seen?: SeenFrames): Promise<Connection> {
  const dial = daemon.dialer();
  // The fake daemon hands over whole frames, one per data() call.
  const recording: Dialer = (events, signal) =>
    dial({ ...events, data: (bytes) => (seen?.push(TYPE_NAMES[new DataView(bytes.buffer, bytes.byteOffset).getUint32(16)]!), events.data(bytes)) }, signal);
  return Connection.open(recording, 'qemu:///system', 'qemu:///system', { keepalive: false });
}

const TYPE_NAMES = ['CALL', 'REPLY', 'MESSAGE', 'STREAM', 'CALL_WITH_FDS', 'REPLY_WITH_FDS', 'STREAM_HOLE'];

/** Bytes that differ from chunk to chunk, so a reordering or a lost packet shows. */
const pattern = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 10)) & 0xff);

describe('FakeDaemon', () => {
  it('answers with typed handlers and records the calls', async () => {
    const daemon = new FakeDaemon()
      .handle('domainLookupByName', ({ name }) => ({ dom: { ...dom, name } }))
      .handle('domainGetInfo', ({ dom: d }) => ({ state: d.name === 'guest' ? 1 : 5, maxMem: 2048n, memory: 1024n, nrVirtCpu: 2, cpuTime: 7n }));
    const conn = await open(daemon);
    const found = await conn.domainLookupByName('guest');
    expect(found.name).toBe('guest');
    expect(await conn.domainGetInfo(found)).toEqual({ state: 1, maxMem: 2048n, memory: 1024n, nrVirtCpu: 2, cpuTime: 7n });
    expect(daemon.calls.slice(-2)).toEqual(['domainLookupByName', 'domainGetInfo']);
    await conn.close();
  });

  it('fails a call with a libvirt error, and names a procedure it has no handler for', async () => {
    const daemon = new FakeDaemon().handle('domainLookupByName', ({ name }, ctx) => ctx.error({ code: 42, domain: 10, message: `no domain '${name}'` }));
    const conn = await open(daemon);
    const err = await conn.domainLookupByName('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).toMatchObject({ code: 42, message: expect.stringContaining("no domain 'nope'") });
    await expect(conn.connectGetHostname()).rejects.toThrow(/no handler for procedure REMOTE_PROC_CONNECT_GET_HOSTNAME/);
    await conn.close();
  });

  it('emits events to subscribers', async () => {
    const daemon = new FakeDaemon();
    const conn = await open(daemon);
    const seen: string[] = [];
    await conn.subscribe('domain:lifecycle', (e) => seen.push(`${e.dom.name}:${e.event}`));
    daemon.event(remoteProcedures.domainEventCallbackLifecycle, { callbackID: 1, msg: { dom, event: 2, detail: 0 } });
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['guest:2']);
    await conn.close();
  });

  it('serves a download: data after the reply, in 256 KiB packets, then the end', async () => {
    const body = pattern(700 * 1024);
    let served: FakeStream | undefined;
    const daemon = new FakeDaemon()
      .handle('storageVolDownload', (args, ctx) => {
        expect(args).toEqual({ vol, offset: 0n, length: 0n, flags: 0 });
        served = ctx.stream;
        // Sent before the reply is returned: the client still gets it after the reply.
        ctx.stream!.send(body);
        ctx.stream!.end();
      })
      .handle('connectGetHostname', () => ({ hostname: 'h' }));
    const seen: SeenFrames = [];
    const conn = await open(daemon, seen);
    const opened = seen.length;
    const { stream } = await conn.openStream(remoteProcedures.storageVolDownload, { vol, offset: 0n, length: 0n, flags: 0 });
    const sizes: number[] = [];
    const got: Uint8Array[] = [];
    for await (const chunk of stream.chunks()) {
      sizes.push(chunk.length);
      got.push(chunk);
    }
    expect(sizes).toEqual([262144, 262144, 192512]);
    expect(Buffer.concat(got).equals(Buffer.from(body))).toBe(true);
    expect(await served!.done).toBe('finished');
    // The reply, three data packets, the empty end, and the confirmation of the client's finish.
    expect(seen.slice(opened)).toEqual(['REPLY', 'STREAM', 'STREAM', 'STREAM', 'STREAM', 'STREAM']);
    expect(await conn.connectGetHostname()).toBe('h');
    await conn.close();
  });

  it('serves holes of a sparse download', async () => {
    const daemon = new FakeDaemon().handle('storageVolDownload', (_args, ctx) => {
      ctx.stream!.send(pattern(10));
      ctx.stream!.sendHole(1n << 40n);
      ctx.stream!.send(pattern(3, 2));
      ctx.stream!.end();
    });
    const conn = await open(daemon);
    const { stream } = await conn.openStream(remoteProcedures.storageVolDownload, { vol, offset: 0n, length: 0n, flags: VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM });
    const items = [];
    for (let item = await stream.read(); item; item = await stream.read()) items.push(item instanceof Uint8Array ? item.length : item);
    expect(items).toEqual([10, { hole: 1n << 40n }, 3]);
    await conn.close();
  });

  it('receives an upload, data and holes, and confirms the client finish', async () => {
    let received: Promise<Uint8Array> | undefined;
    const daemon = new FakeDaemon().handle('storageVolUpload', (args, ctx) => {
      expect(args.length).toBe(600_005n);
      received = ctx.stream!.receiveAll();
    });
    const conn = await open(daemon);
    const { stream } = await conn.openStream(remoteProcedures.storageVolUpload, { vol, offset: 0n, length: 600_005n, flags: 0 });
    const head = pattern(300_000, 3);
    const tail = pattern(200_005, 4);
    await stream.write(head);
    await stream.writeHole(100_000n);
    await stream.write(tail);
    await stream.finish();
    const expected = new Uint8Array(600_005);
    expected.set(head, 0);
    expected.set(tail, 400_000);
    expect(Buffer.from(await received!).equals(Buffer.from(expected))).toBe(true);
    await conn.close();
  });

  it('sees the client abort an upload, and the connection stays usable', async () => {
    let served: FakeStream | undefined;
    const daemon = new FakeDaemon()
      .handle('storageVolUpload', (_args, ctx) => void (served = ctx.stream))
      .handle('connectGetHostname', () => ({ hostname: 'still here' }));
    const conn = await open(daemon);
    const { stream } = await conn.openStream(remoteProcedures.storageVolUpload, { vol, offset: 0n, length: 10n, flags: 0 });
    await stream.write(pattern(5));
    const reading = served!.receiveAll();
    await stream.abort();
    expect(await served!.done).toBe('aborted');
    await expect(reading).rejects.toThrow(/aborted the stream/);
    expect(await conn.connectGetHostname()).toBe('still here');
    await conn.close();
  });

  it('fails a stream with a libvirt error that the client reads', async () => {
    const daemon = new FakeDaemon().handle('storageVolDownload', (_args, ctx) => {
      ctx.stream!.send(pattern(100));
      ctx.stream!.fail({ code: 38, message: 'disk went away' });
    });
    const conn = await open(daemon);
    const { stream } = await conn.openStream(remoteProcedures.storageVolDownload, { vol, offset: 0n, length: 0n, flags: 0 });
    expect(await stream.read()).toHaveLength(100);
    await expect(stream.read()).rejects.toMatchObject({ code: 38, message: expect.stringContaining('disk went away') });
    await conn.close();
  });

  it('sends no stream data when the call itself fails', async () => {
    const daemon = new FakeDaemon().handle('storageVolDownload', (_args, ctx) => {
      ctx.stream!.send(pattern(100));
      ctx.error({ code: 55, message: 'no such volume' });
    });
    const seen: SeenFrames = [];
    const conn = await open(daemon, seen);
    const opened = seen.length;
    await expect(conn.openStream(remoteProcedures.storageVolDownload, { vol, offset: 0n, length: 0n, flags: 0 })).rejects.toMatchObject({ code: 55 });
    await new Promise((r) => setTimeout(r, 10));
    expect(seen.slice(opened)).toEqual(['REPLY']);
    await conn.close();
  });
});
