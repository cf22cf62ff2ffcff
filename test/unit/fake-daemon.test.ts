/**
 * `libvirt-rpc/testing` as a user's own unit tests use it: typed handlers, libvirt errors,
 * events, and data streams both ways through the public stream API.
 */
import {
  Connection,
  type Dialer,
  LibvirtError,
  type ProcedureInfo,
  VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM,
  qemuProcedures,
  remoteProcedures,
  type RemoteNonnullDomain,
  type RemoteNonnullStorageVol,
} from '../../src/index.js';
import { VirNetMessageErrorCodec, decodeValue } from '../../src/protocol.js';
import { MessageStatus, MessageType, PAYLOAD_OFFSET, readHeader } from '../../src/rpc/header.js';
import { FakeDaemon, type FakeStream, frame } from '../../src/testing/index.js';

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
    let seen!: (what: string) => void;
    const first = new Promise<string>((r) => (seen = r));
    await conn.subscribe('domain:lifecycle', (e) => seen(`${e.dom.name}:${e.event}`));
    daemon.event(remoteProcedures.domainEventCallbackLifecycle, { callbackID: 1, msg: { dom, event: 2, detail: 0 } });
    expect(await first).toBe('guest:2');
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

  describe('event registrations', () => {
    const net = { name: 'default', uuid: new Uint8Array(16) };

    it("lets a test stop listening: subscribe's stop function, and a for-await loop that breaks", async () => {
      const daemon = new FakeDaemon();
      const conn = await open(daemon);
      const stop = await conn.subscribe('domain:lifecycle', () => undefined);
      await stop();
      const lifecycle = await conn.domainEvents('lifecycle');
      // The daemon numbers registrations from 1: this one is the second.
      daemon.event(remoteProcedures.domainEventCallbackLifecycle, { callbackID: 2, msg: { dom, event: 0, detail: 0 } });
      for await (const e of lifecycle) {
        expect(e.dom.name).toBe('guest');
        break;
      }
      expect(daemon.calls.filter((c) => c === 'connectDomainEventCallbackDeregisterAny')).toHaveLength(2);
      await conn.close();
    });

    it('deregisters when a listener of each family stops: domain, network, storage pool, node device, secret, qemu monitor', async () => {
      const daemon = new FakeDaemon();
      const conn = await open(daemon);
      const families = [
        ['domain:lifecycle', 'connectDomainEventCallbackRegisterAny', 'connectDomainEventCallbackDeregisterAny'],
        ['network:lifecycle', 'connectNetworkEventRegisterAny', 'connectNetworkEventDeregisterAny'],
        ['storage-pool:refresh', 'connectStoragePoolEventRegisterAny', 'connectStoragePoolEventDeregisterAny'],
        ['node-device:update', 'connectNodeDeviceEventRegisterAny', 'connectNodeDeviceEventDeregisterAny'],
        ['secret:value-changed', 'connectSecretEventRegisterAny', 'connectSecretEventDeregisterAny'],
        ['qemu:monitor', 'qemu.connectDomainMonitorEventRegister', 'qemu.connectDomainMonitorEventDeregister'],
      ] as const;
      const subscribe = conn.subscribe.bind(conn) as (e: string, l: () => void) => Promise<() => Promise<void>>;
      for (const [event, register, deregister] of families) {
        const stop = await subscribe(event, () => undefined);
        expect(daemon.registrations).toEqual([{ procedure: register, callbackID: expect.any(Number), args: expect.anything() }]);
        await stop();
        expect(daemon.registrations).toEqual([]);
        expect(daemon.calls.slice(-2)).toEqual([register, deregister]);
      }
      await conn.close();
    });

    it('deregisters when a for-await loop over events breaks, and the connection goes on', async () => {
      const daemon = new FakeDaemon().handle('connectGetHostname', () => ({ hostname: 'still here' }));
      const conn = await open(daemon);
      const seen: string[] = [];
      const networks = await conn.events('network:lifecycle');
      const callbackID = daemon.registrations[0]!.callbackID!;
      daemon.event(remoteProcedures.networkEventLifecycle, { callbackID, net, event: 0, detail: 0 });
      for await (const e of networks) {
        seen.push(e.net.name);
        break;
      }
      // QEMU monitor events travel in the QEMU program, registration and messages alike.
      const monitor = await conn.events('qemu:monitor', { qemuEvent: 'STOP' });
      const qemu = daemon.registrations[0]!;
      expect(qemu.args).toEqual({ dom: null, event: 'STOP', flags: 0 });
      daemon.event(qemuProcedures.domainMonitorEvent, { callbackID: qemu.callbackID!, dom, event: 'STOP', seconds: 1n, micros: 2, details: null });
      for await (const e of monitor) {
        seen.push(`${e.dom.name}:${e.event}`);
        break;
      }
      expect(seen).toEqual(['default', 'guest:STOP']);
      expect(daemon.registrations).toEqual([]);
      expect(await conn.connectGetHostname()).toBe('still here');
      await conn.close();
    });

    it('serves legacy domain registrations (no callback IDs) and the close callback', async () => {
      // A daemon from before REMOTE_EVENT_CALLBACK (feature 14): the client registers by event ID.
      const daemon = new FakeDaemon().handle('connectSupportsFeature', ({ feature }) => ({ supported: feature === 14 ? 0 : 1 }));
      const conn = await open(daemon);
      let rebooted!: (name: string) => void;
      const seen = new Promise<string>((r) => (rebooted = r));
      const stop = await conn.subscribe('domain:reboot', (e) => rebooted(e.dom.name));
      expect(daemon.registrations).toEqual([{ procedure: 'connectDomainEventRegisterAny', eventID: 1, args: { eventID: 1 } }]);
      daemon.event(remoteProcedures.domainEventReboot, { dom });
      expect(await seen).toBe('guest');
      await stop();
      expect(daemon.registrations).toEqual([]);
      expect(daemon.calls.slice(-1)).toEqual(['connectDomainEventDeregisterAny']);

      await conn.subscribe('connection:closed', () => undefined);
      expect(daemon.registrations).toEqual([{ procedure: 'connectRegisterCloseCallback', args: undefined }]);
      await conn.close();
    });

    /** One call in raw frames: what a client other than Connection (or a bug in it) sends. */
    async function rawClient(daemon: FakeDaemon) {
      let serial = 0;
      const waiting = new Map<number, (f: Uint8Array) => void>();
      const transport = await daemon.dialer()({
        data: (f) => waiting.get(readHeader(new DataView(f.buffer, f.byteOffset), 0).serial)?.(f),
        drain: () => undefined,
        closed: () => undefined,
      });
      return async (proc: ProcedureInfo<any, any, any>, args?: unknown): Promise<{ ok: true; ret: any } | { ok: false; message: string }> => {
        const s = ++serial;
        const reply = new Promise<Uint8Array>((r) => waiting.set(s, r));
        transport.write(frame({ prog: proc.program, vers: proc.version, proc: proc.number, type: MessageType.CALL, serial: s, status: MessageStatus.OK }, proc.args, args));
        const f = await reply;
        const h = readHeader(new DataView(f.buffer, f.byteOffset), 0);
        expect([h.prog, h.vers, h.proc, h.type]).toEqual([proc.program, proc.version, proc.number, MessageType.REPLY]);
        const payload = f.subarray(PAYLOAD_OFFSET);
        if (h.status === MessageStatus.OK) return { ok: true, ret: proc.ret ? decodeValue(proc.ret, payload) : undefined };
        return { ok: false, message: decodeValue(VirNetMessageErrorCodec, payload).message! };
      };
    }

    it('answers every register and deregister procedure, and refuses what is not registered (or twice) as libvirtd does', async () => {
      const daemon = new FakeDaemon();
      const call = await rawClient(daemon);
      const r = remoteProcedures;
      const q = qemuProcedures;
      const families = [
        [r.connectDomainEventCallbackRegisterAny, r.connectDomainEventCallbackDeregisterAny, { eventID: 0, dom: null }, 'domain event callback'],
        [r.connectNetworkEventRegisterAny, r.connectNetworkEventDeregisterAny, { eventID: 0, net: null }, 'network event callback'],
        [r.connectStoragePoolEventRegisterAny, r.connectStoragePoolEventDeregisterAny, { eventID: 0, pool: null }, 'storage pool event callback'],
        [r.connectNodeDeviceEventRegisterAny, r.connectNodeDeviceEventDeregisterAny, { eventID: 0, dev: null }, 'node device event callback'],
        [r.connectSecretEventRegisterAny, r.connectSecretEventDeregisterAny, { eventID: 0, secret: null }, 'secret event callback'],
        [q.connectDomainMonitorEventRegister, q.connectDomainMonitorEventDeregister, { dom: null, event: null, flags: 0 }, 'qemu monitor event callback'],
      ] as const;
      const ids: number[] = [];
      for (const [register, , args] of families) {
        const reply = await call(register, args);
        expect(reply).toEqual({ ok: true, ret: { callbackID: expect.any(Number) } });
        ids.push((reply as { ret: { callbackID: number } }).ret.callbackID);
      }
      expect(new Set(ids).size).toBe(families.length);
      expect(daemon.registrations.map((x) => x.callbackID)).toEqual(ids);
      // Each family keeps its own list: the domain family's ID is not a network registration.
      expect(await call(r.connectNetworkEventDeregisterAny, { callbackID: ids[0] })).toEqual({ ok: false, message: `network event callback ${ids[0]} not registered` });
      for (const [i, [, deregister, , what]] of families.entries()) {
        expect(await call(deregister, { callbackID: ids[i] })).toEqual({ ok: true, ret: undefined });
        expect(await call(deregister, { callbackID: ids[i] })).toEqual({ ok: false, message: `${what} ${ids[i]} not registered` });
      }
      expect(daemon.registrations).toEqual([]);

      // Legacy domain registrations: one per event ID; the oldest API is lifecycle only.
      expect(await call(r.connectDomainEventRegisterAny, { eventID: 3 })).toEqual({ ok: true, ret: undefined });
      expect(await call(r.connectDomainEventRegisterAny, { eventID: 3 })).toEqual({ ok: false, message: 'event callback already tracked' });
      expect(await call(r.connectDomainEventRegisterAny, { eventID: 16 })).toEqual({ ok: false, message: 'unsupported event ID 16' });
      expect(await call(r.connectDomainEventRegister)).toEqual({ ok: true, ret: { cb_registered: 0 } });
      expect(await call(r.connectDomainEventRegisterAny, { eventID: 0 })).toEqual({ ok: false, message: 'event callback already tracked' });
      expect(daemon.registrations.map((x) => [x.procedure, x.eventID])).toEqual([
        ['connectDomainEventRegisterAny', 3],
        ['connectDomainEventRegister', 0],
      ]);
      expect(await call(r.connectDomainEventDeregister)).toEqual({ ok: true, ret: { cb_registered: 0 } });
      expect(await call(r.connectDomainEventDeregister)).toEqual({ ok: false, message: 'domain event 0 not registered' });
      expect(await call(r.connectDomainEventDeregisterAny, { eventID: 3 })).toEqual({ ok: true, ret: undefined });
      expect(await call(r.connectDomainEventDeregisterAny, { eventID: 3 })).toEqual({ ok: false, message: 'domain event 3 not registered' });

      expect(await call(r.connectRegisterCloseCallback)).toEqual({ ok: true, ret: undefined });
      expect(daemon.registrations).toEqual([{ procedure: 'connectRegisterCloseCallback', args: undefined }]);
      expect(await call(r.connectUnregisterCloseCallback)).toEqual({ ok: true, ret: undefined });
      expect(daemon.registrations).toEqual([]);
    });
  });
});

/** Everything a download stream carries, as text. */
async function textOf(stream: { chunks(): AsyncIterable<Uint8Array> }): Promise<string> {
  let text = '';
  for await (const chunk of stream.chunks()) text += new TextDecoder().decode(chunk);
  return text;
}

describe('generated methods: only what a plain call or a stream can do', () => {
  it('a streaming method resolves with the stream and the unwrapped reply, on a Connection and as a function', async () => {
    const { openClient, domainScreenshot, storageVolDownload } = await import('../../src/client.js');
    const daemon = new FakeDaemon()
      .handle('domainScreenshot', (_args, ctx) => {
        ctx.stream!.send(new Uint8Array([0x89, 0x50]));
        ctx.stream!.end();
        return { mime: 'image/png' };
      })
      .handle('storageVolDownload', (_args, ctx) => {
        ctx.stream!.send(new TextEncoder().encode('abc'));
        ctx.stream!.end();
      });
    const conn = await open(daemon);
    const shot = await conn.domainScreenshot(dom, 0);
    expect(shot.reply).toBe('image/png');
    const bytes: number[] = [];
    for await (const chunk of shot.stream.chunks()) bytes.push(...chunk);
    expect(bytes).toEqual([0x89, 0x50]);
    const down = await conn.storageVolDownload(vol, 0n, 0n);
    expect(down.reply).toBeUndefined();
    expect(await textOf(down.stream)).toBe('abc');
    await conn.close();

    const client = await openClient('qemu:///system', { dialer: daemon.dialer(), keepalive: false });
    const lean = await storageVolDownload(client, vol, 0n, 0n);
    expect(await textOf(lean.stream)).toBe('abc');
    expect((await domainScreenshot(client, dom, 0)).reply).toBe('image/png');
    await client.close();
  });

  it('has no method for event registration or for passing file descriptors; the tables keep them', async () => {
    const client = await import('../../src/client.js');
    const conn = await open(new FakeDaemon());
    for (const name of ['connectDomainEventRegisterAny', 'connectDomainEventCallbackRegisterAny', 'connectRegisterCloseCallback', 'domainOpenGraphicsFD', 'domainCreateXMLWithFiles']) {
      expect({ name, onConnection: name in conn, asFunction: name in client }).toEqual({ name, onConnection: false, asFunction: false });
      expect(remoteProcedures[name as keyof typeof remoteProcedures]).toBeDefined();
    }
    expect('connectDomainMonitorEventRegister' in conn.qemu).toBe(false);
    expect(qemuProcedures.connectDomainMonitorEventRegister.registersEvents).toBe(true);
    // Through the raw call they are refused for what they are, before anything is sent.
    await expect(conn.call(remoteProcedures.connectDomainEventCallbackRegisterAny, { eventID: 0, dom: null })).rejects.toThrow(/registers for events: use a Connection's subscribe/);
    await expect(conn.call(remoteProcedures.domainOpenGraphicsFD, { dom, idx: 0, flags: 0 })).rejects.toThrow(/passes file descriptors/);
    await expect(conn.call(remoteProcedures.storageVolDownload, { vol, offset: 0n, length: 0n, flags: 0 })).rejects.toThrow(/carries a data stream: call storageVolDownload\(\) or openStream\(\)/);
    await conn.close();
  });
});
