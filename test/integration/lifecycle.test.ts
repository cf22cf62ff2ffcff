/**
 * Changes made through the library, checked after every step: domains, snapshots, networks,
 * storage pools and volumes on the test driver, and a real QEMU/TCG guest.
 */
import {
  type Connection,
  connect,
  LibvirtError,
  VIR_DOMAIN_PAUSED,
  VIR_DOMAIN_RUNNING,
  VIR_DOMAIN_SHUTOFF,
  VIR_NETWORK_SECTION_DNS_HOST,
  VIR_NETWORK_UPDATE_AFFECT_LIVE,
  VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
  VIR_NETWORK_UPDATE_COMMAND_DELETE,
} from '../../src/index.js';
import { testDriverDomainXml, tinyGuestXml } from '../harness/guests.js';
import { type ThrowawayDaemon, sharedDaemon, forEachGeneration } from '../helpers/libvirtd.js';


forEachGeneration((generation) => describe('lifecycle on the test driver', () => {
  let daemon: ThrowawayDaemon;
  let conn: Connection;

  beforeAll(async () => {
    daemon = await sharedDaemon(generation);
    // One connection stays open for the whole file: the test driver resets its state when
    // the last connection closes.
    conn = await connect(daemon.testUri);
  });
  afterAll(() => conn?.close());

  const state = async (name: string) => (await conn.domainGetState(await conn.domainLookupByName(name), 0)).state;

  it('defines, starts, suspends, resumes, shuts down, destroys and undefines a domain', async () => {
    const dom = await conn.domainDefineXML(testDriverDomainXml('life'));
    expect(dom.name).toBe('life');
    expect(await state('life')).toBe(VIR_DOMAIN_SHUTOFF);
    await conn.domainCreate(dom);
    expect(await state('life')).toBe(VIR_DOMAIN_RUNNING);
    const running = await conn.domainLookupByName('life');
    expect(running.id).toBeGreaterThan(0);
    await conn.domainSuspend(running);
    expect(await state('life')).toBe(VIR_DOMAIN_PAUSED);
    await conn.domainResume(running);
    expect(await state('life')).toBe(VIR_DOMAIN_RUNNING);
    await conn.domainShutdown(running);
    expect(await state('life')).toBe(VIR_DOMAIN_SHUTOFF);
    await conn.domainCreate(dom);
    await conn.domainDestroy(await conn.domainLookupByName('life'));
    expect(await state('life')).toBe(VIR_DOMAIN_SHUTOFF);
    await conn.domainUndefine(dom);
    const gone = await conn.domainLookupByName('life').catch((e) => e);
    expect(gone).toBeInstanceOf(LibvirtError);
    expect(gone.codeName).toBe('VIR_ERR_NO_DOMAIN');
  });

  it('creates, lists, reverts to and deletes snapshots', async () => {
    const dom = await conn.domainLookupByName('test');
    const snap = await conn.domainSnapshotCreateXML(dom, '<domainsnapshot><name>s1</name></domainsnapshot>', 0);
    expect(snap.name).toBe('s1');
    const { snapshots } = await conn.domainListAllSnapshots(dom, 1, 0);
    expect(snapshots.map((s) => s.name)).toContain('s1');
    expect(await conn.domainSnapshotNum(dom, 0)).toBe(snapshots.length);
    const current = await conn.domainSnapshotCurrent(dom, 0);
    expect(current.name).toBe('s1');
    await conn.domainRevertToSnapshot(snap, 0);
    expect(await conn.domainSnapshotGetXMLDesc(snap, 0)).toContain('<name>s1</name>');
    await conn.domainSnapshotDelete(snap, 0);
    expect((await conn.domainListAllSnapshots(dom, 1, 0)).snapshots.map((s) => s.name)).not.toContain('s1');
  });

  it('defines, starts, stops and undefines a network', async () => {
    const net = await conn.networkDefineXML(
      `<network><name>lifenet</name><bridge name='lifebr0'/><ip address='192.168.150.1' netmask='255.255.255.0'/></network>`,
    );
    expect(await conn.networkIsActive(net)).toBe(0);
    await conn.networkCreate(net);
    expect(await conn.networkIsActive(net)).toBe(1);
    expect(await conn.networkGetBridgeName(net)).toBe('lifebr0');
    await conn.networkDestroy(net);
    expect(await conn.networkIsActive(net)).toBe(0);
    await conn.networkUndefine(net);
    expect((await conn.connectListAllNetworks(1, 0)).nets.map((n) => n.name)).not.toContain('lifenet');
  });

  it('updates a network in place (command and section in the order the daemon expects)', async () => {
    const net = await conn.networkLookupByName('default');
    const host = `<host ip='192.168.122.77'><hostname>seventy-seven</hostname></host>`;
    await conn.networkUpdate(net, VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, VIR_NETWORK_SECTION_DNS_HOST, -1, host, VIR_NETWORK_UPDATE_AFFECT_LIVE);
    expect(await conn.networkGetXMLDesc(net, 0)).toContain('seventy-seven');
    await conn.networkUpdate(net, VIR_NETWORK_UPDATE_COMMAND_DELETE, VIR_NETWORK_SECTION_DNS_HOST, -1, host, VIR_NETWORK_UPDATE_AFFECT_LIVE);
    expect(await conn.networkGetXMLDesc(net, 0)).not.toContain('seventy-seven');
    expect(conn.features.networkUpdateHasCorrectOrder).toBe(true);
  });

  it('defines, starts, fills, stops and undefines a storage pool', async () => {
    const pool = await conn.storagePoolDefineXML(`<pool type='dir'><name>lifepool</name><target><path>/lifepool</path></target></pool>`, 0);
    await conn.storagePoolCreate(pool, 0);
    expect(await conn.storagePoolIsActive(pool)).toBe(1);
    const vol = await conn.storageVolCreateXML(
      pool,
      `<volume><name>disk1</name><capacity unit='MiB'>10</capacity></volume>`,
      0,
    );
    const info = await conn.storageVolGetInfo(vol);
    expect(info.capacity).toBe(10n * 1024n * 1024n);
    expect((await conn.storagePoolListAllVolumes(pool, 1, 0)).vols.map((v) => v.name)).toEqual(['disk1']);
    await conn.storageVolDelete(vol, 0);
    await conn.storagePoolDestroy(pool);
    expect(await conn.storagePoolIsActive(pool)).toBe(0);
    await conn.storagePoolUndefine(pool);
  });

  it('reports missing objects with the right codes', async () => {
    const code = (p: Promise<unknown>) => p.then(() => 'no error', (e: LibvirtError) => e.codeName);
    expect(await code(conn.domainLookupByName('missing'))).toBe('VIR_ERR_NO_DOMAIN');
    expect(await code(conn.networkLookupByName('missing'))).toBe('VIR_ERR_NO_NETWORK');
    expect(await code(conn.storagePoolLookupByName('missing'))).toBe('VIR_ERR_NO_STORAGE_POOL');
    expect(await code(conn.interfaceLookupByName('missing'))).toBe('VIR_ERR_NO_INTERFACE');
    expect(await code(conn.nodeDeviceLookupByName('missing'))).toBe('VIR_ERR_NO_NODE_DEVICE');
    expect(await code(conn.storageVolLookupByPath('/no/such/volume'))).toBe('VIR_ERR_NO_STORAGE_VOL');
  });

  it('settles 1,000 concurrent calls on one connection with the right results', async () => {
    const names = ['test', 'missing'];
    const results = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) => conn.domainLookupByName(names[i % 2]!)));
    results.forEach((r, i) => {
      if (i % 2 === 0) expect(r.status === 'fulfilled' && r.value.name).toBe('test');
      else expect(r.status === 'rejected' && (r.reason as LibvirtError).codeName).toBe('VIR_ERR_NO_DOMAIN');
    });
    expect(conn.stats.droppedReplies).toBe(0);
  });
}));

forEachGeneration((generation) => describe('a real QEMU/TCG guest on qemu:///session', () => {
  let daemon: ThrowawayDaemon;
  let conn: Connection;

  beforeAll(async () => {
    daemon = await sharedDaemon(generation);
    conn = await connect(daemon.qemuUri);
  });
  afterAll(() => conn?.close());

  it('defines, starts, inspects, asks the monitor, destroys and undefines it', async () => {
    const dom = await conn.domainDefineXML(tinyGuestXml('rpc-guest'));
    try {
      await conn.domainCreate(dom);
      const running = await conn.domainLookupByName('rpc-guest');
      const info = await conn.domainGetInfo(running);
      expect(info.state).toBe(VIR_DOMAIN_RUNNING);
      expect(info.nrVirtCpu).toBe(1);
      const status = JSON.parse(await conn.qemu.domainMonitorCommand(running, '{"execute":"query-status"}', 0));
      expect(status.return.status).toBe('running');
      expect(status.return.running).toBe(true);
      await conn.domainDestroy(running);
      expect((await conn.domainGetState(running, 0)).state).toBe(VIR_DOMAIN_SHUTOFF);
    } finally {
      await conn.domainUndefine(dom);
    }
    expect((await conn.connectListAllDomains(1, 0)).domains.map((d) => d.name)).not.toContain('rpc-guest');
  });
}));
