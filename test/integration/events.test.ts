/**
 * Events from a real daemon: domain lifecycle on the test driver, in order and with their
 * detail codes; network and storage pool events; filters; shared and removed registrations;
 * QEMU monitor events from a real guest.
 */
import {
  type Connection,
  type TraceEntry,
  connect,
  VIR_DOMAIN_EVENT_DEFINED,
  VIR_DOMAIN_EVENT_DEFINED_ADDED,
  VIR_DOMAIN_EVENT_RESUMED,
  VIR_DOMAIN_EVENT_RESUMED_UNPAUSED,
  VIR_DOMAIN_EVENT_STARTED,
  VIR_DOMAIN_EVENT_STARTED_BOOTED,
  VIR_DOMAIN_EVENT_STOPPED,
  VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
  VIR_DOMAIN_EVENT_SUSPENDED,
  VIR_DOMAIN_EVENT_SUSPENDED_PAUSED,
  VIR_DOMAIN_EVENT_UNDEFINED,
  VIR_DOMAIN_EVENT_UNDEFINED_REMOVED,
  VIR_NETWORK_EVENT_DEFINED,
  VIR_NETWORK_EVENT_STARTED,
  VIR_STORAGE_POOL_EVENT_DEFINED,
  VIR_SECRET_EVENT_DEFINED,
  VIR_SECRET_EVENT_UNDEFINED,
} from '../../src/index.js';
import { tinyGuestXml } from '../harness/guests.js';
import { familyEvents } from '../../src/api/events.js';
import type { RemoteEventPayloads } from '../../protocol/remote-events.js';
import { type ThrowawayDaemon, sharedDaemon, forEachGeneration } from '../helpers/libvirtd.js';

const domainXml = (name: string) =>
  `<domain type='test'><name>${name}</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`;

/** Waits until `list` has `n` items (events arrive asynchronously). */
async function until<T>(list: T[], n: number, ms = 5000): Promise<T[]> {
  const end = Date.now() + ms;
  while (list.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return list;
}

forEachGeneration((generation) => describe('events on the test driver', () => {
  let daemon: ThrowawayDaemon;
  let conn: Connection;
  const trace: TraceEntry[] = [];

  beforeAll(async () => {
    daemon = await sharedDaemon(generation);
    conn = await connect(daemon.testUri, { trace: (e) => trace.push(e) });
  });
  afterAll(() => conn?.close());

  it('delivers domain lifecycle events in order with their detail codes', async () => {
    const seen: { name: string; event: number; detail: number }[] = [];
    const stop = await conn.subscribe('domain:lifecycle', (e) => seen.push({ name: e.dom.name, event: e.event, detail: e.detail }));
    const dom = await conn.domainDefineXML(domainXml('ev1'));
    await conn.domainCreate(dom);
    const running = await conn.domainLookupByName('ev1');
    await conn.domainSuspend(running);
    await conn.domainResume(running);
    await conn.domainDestroy(running);
    await conn.domainUndefine(dom);
    await until(seen, 6);
    await stop();
    expect(seen.filter((e) => e.name === 'ev1').map((e) => [e.event, e.detail])).toEqual([
      [VIR_DOMAIN_EVENT_DEFINED, VIR_DOMAIN_EVENT_DEFINED_ADDED],
      [VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED],
      [VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED],
      [VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_UNPAUSED],
      [VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED],
      [VIR_DOMAIN_EVENT_UNDEFINED, VIR_DOMAIN_EVENT_UNDEFINED_REMOVED],
    ]);
  });

  it('filters by domain on the server, as an async iterator', async () => {
    const a = await conn.domainDefineXML(domainXml('ev-a'));
    const b = await conn.domainDefineXML(domainXml('ev-b'));
    const events = await conn.domainEvents('lifecycle', { domain: b });
    await conn.domainCreate(a);
    await conn.domainCreate(b);
    const first = await events.next();
    expect(first.value.dom.name).toBe('ev-b');
    expect(first.value.event).toBe(VIR_DOMAIN_EVENT_STARTED);
    await events.return!();
    for (const d of ['ev-a', 'ev-b']) await conn.domainDestroy(await conn.domainLookupByName(d));
    await conn.domainUndefine(a);
    await conn.domainUndefine(b);
  });

  it('shares one server registration between listeners and removes it with the last', async () => {
    const count = (name: string) => trace.filter((e) => e.direction === 'send' && e.procedure === name).length;
    const before = count('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY');
    const beforeDereg = count('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY');
    const one: unknown[] = [];
    const two: unknown[] = [];
    const [stop1, stop2] = await Promise.all([conn.subscribe('domain:reboot', (e) => one.push(e)), conn.subscribe('domain:reboot', (e) => two.push(e))]);
    expect(count('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY') - before).toBe(1);
    await stop1();
    expect(count('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY') - beforeDereg).toBe(0);
    await stop2();
    expect(count('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY') - beforeDereg).toBe(1);
  });

  it('stops delivering after unsubscribe: the daemon sends nothing more', async () => {
    const seen: unknown[] = [];
    const stop = await conn.subscribe('domain:lifecycle', (e) => seen.push(e));
    await stop();
    const frames = trace.length;
    const dom = await conn.domainDefineXML(domainXml('ev-quiet'));
    await conn.domainUndefine(dom);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    expect(trace.slice(frames).filter((e) => e.type === 'MESSAGE' && e.procedure.includes('EVENT'))).toEqual([]);
  });

  it('delivers network and storage pool events', async () => {
    const nets: { name: string; event: number }[] = [];
    const pools: { name: string; event: number }[] = [];
    const stopNet = await conn.subscribe('network:lifecycle', (e) => nets.push({ name: e.net.name, event: e.event }));
    const stopPool = await conn.subscribe('storage-pool:lifecycle', (e) => pools.push({ name: e.pool.name, event: e.event }));
    const net = await conn.networkDefineXML(`<network><name>evnet</name><bridge name='evbr0'/></network>`);
    await conn.networkCreate(net);
    await conn.networkDestroy(net);
    await conn.networkUndefine(net);
    const pool = await conn.storagePoolDefineXML(`<pool type='dir'><name>evpool</name><target><path>/evpool</path></target></pool>`, 0);
    await conn.storagePoolUndefine(pool);
    await until(nets, 4);
    await until(pools, 2);
    await stopNet();
    await stopPool();
    expect(nets.slice(0, 2)).toEqual([
      { name: 'evnet', event: VIR_NETWORK_EVENT_DEFINED },
      { name: 'evnet', event: VIR_NETWORK_EVENT_STARTED },
    ]);
    expect(pools[0]).toEqual({ name: 'evpool', event: VIR_STORAGE_POOL_EVENT_DEFINED });
  });

  it('refuses unknown event names clearly (for callers without the types)', async () => {
    const untyped = conn.subscribe.bind(conn) as (event: string, listener: () => void) => Promise<unknown>;
    await expect(untyped('domain:nonsense', () => {})).rejects.toThrow(/unknown domain event 'nonsense'/);
    await expect(untyped('lifecycle', () => {})).rejects.toThrow(/family:event/);
  });

  it('knows all 28 domain event ids, each with a typed payload', () => {
    expect(familyEvents('domain').size).toBe(28);
    // Compile-time: the payload of each name is the protocol's type.
    const lifecycle: RemoteEventPayloads['domain:lifecycle'] = { dom: { name: 'x', uuid: new Uint8Array(16), id: 1 }, event: 0, detail: 0 };
    const threshold: RemoteEventPayloads['domain:block-threshold'] = { dom: lifecycle.dom, dev: 'vda', path: '/p', threshold: 1n, excess: 2n };
    expect([lifecycle.event, threshold.dev]).toEqual([0, 'vda']);
  });
}));

forEachGeneration((generation) => describe('secret events', () => {
  it('sees a secret defined, its value changed, and undefined', async () => {
    const daemon = await sharedDaemon(generation);
    // The test driver has no secrets; the session daemon's secret driver does.
    const conn = await connect(daemon.qemuUri);
    const seen: string[] = [];
    const stopLife = await conn.subscribe('secret:lifecycle', (e) => seen.push(`lifecycle:${e.event}`));
    const stopValue = await conn.subscribe('secret:value-changed', () => seen.push('value-changed'));
    const secret = await conn.secretDefineXML(`<secret ephemeral='no' private='yes'><description>events</description></secret>`, 0);
    await conn.secretSetValue(secret, new TextEncoder().encode('s3cret'), 0);
    await conn.secretUndefine(secret);
    await until(seen, 3);
    await stopLife();
    await stopValue();
    await conn.close();
    expect(seen).toEqual([`lifecycle:${VIR_SECRET_EVENT_DEFINED}`, 'value-changed', `lifecycle:${VIR_SECRET_EVENT_UNDEFINED}`]);
  });
}));

forEachGeneration((generation) => describe('QEMU monitor events from a real guest', () => {
  it('sees STOP and RESUME through conn.qemu events', async () => {
    const daemon = await sharedDaemon(generation);
    const conn = await connect(daemon.qemuUri);
    const dom = await conn.domainDefineXML(tinyGuestXml('ev-guest'));
    try {
      await conn.domainCreate(dom);
      const running = await conn.domainLookupByName('ev-guest');
      const seen: string[] = [];
      const stop = await conn.subscribe('qemu:monitor', (e) => seen.push(e.event), { filter: running, qemuEvent: 'STOP|RESUME', qemuFlags: 1 });
      await conn.domainSuspend(running);
      await conn.domainResume(running);
      await until(seen, 2);
      await stop();
      expect(seen).toEqual(['STOP', 'RESUME']);
      await conn.domainDestroy(running);
    } finally {
      await conn.domainUndefine(dom);
      await conn.close();
    }
  });
}));
