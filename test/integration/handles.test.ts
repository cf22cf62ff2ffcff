/**
 * The handle face against a real daemon, value by value against python3-libvirt's object API
 * on the same daemon: the read-only sweep (domains, host, networks, pools, volumes, devices,
 * interfaces, secrets), the lifecycle through handles, options, events and transfers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Connection,
  Domain,
  LibvirtError,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_XML_SECURE,
  connect,
  toJSONText,
} from '../../src/index.js';
import { testDriverDomainXml, tinyGuestXml } from '../harness/guests.js';
import { type ThrowawayDaemon, forEachGeneration, pythonLibvirt, sharedDaemon } from '../helpers/libvirtd.js';


/** Our enum names for python's numbers: the names are lower camel case of the C suffix. */
const DOMAIN_STATES = ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended'];
const RUNNING_REASONS = ['unknown', 'booted', 'migrated', 'restored', 'fromSnapshot', 'unpaused', 'migrationCanceled', 'saveCanceled', 'wakeup', 'crashed', 'postcopy', 'postcopyFailed'];
const POOL_STATES = ['inactive', 'building', 'running', 'degraded', 'inaccessible'];

forEachGeneration((generation) => describe('the handle face on the test driver', () => {
  let daemon: ThrowawayDaemon;
  let conn: Connection;
  const py = (code: string) => pythonLibvirt(daemon, daemon.testUri, code);

  beforeAll(async () => {
    daemon = await sharedDaemon(generation);
    // The test driver's state lives while a connection is open: this one stays open.
    conn = await connect(daemon.testUri);
  });
  afterAll(() => conn?.close());

  it('lists domains as handles with the identity python3-libvirt gives, readable without a call', async () => {
    const ours = await conn.domains.listAll();
    const theirs = await py(`print(json.dumps(sorted([[d.name(), d.UUIDString(), d.ID()] for d in conn.listAllDomains()])))`);
    expect(ours.every((d) => d instanceof Domain)).toBe(true);
    expect(ours.map((d) => [d.name, d.uuid, d.id]).sort()).toEqual(theirs);
    const active = await conn.domains.listAll({ active: true });
    const activeTheirs = await py(`print(json.dumps(sorted([d.name() for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)])))`);
    expect(active.map((d) => d.name).sort()).toEqual(activeTheirs);
  });

  it('reads a domain as python3-libvirt does: info, state, booleans, XML, autostart, OS type, max memory', async () => {
    const dom = await conn.domains.lookupByName('test');
    const theirs = await py(`d = conn.lookupByName('test')
print(json.dumps({'info': d.info(), 'state': d.state(), 'active': bool(d.isActive()), 'persistent': bool(d.isPersistent()),
  'updated': bool(d.isUpdated()), 'xml': d.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE), 'autostart': bool(d.autostart()),
  'ostype': d.OSType(), 'maxmem': d.maxMemory(), 'managed': bool(d.hasManagedSaveImage()), 'vcpus': d.maxVcpus()}))`);
    const info = await dom.getInfo();
    expect(info).toEqual({
      state: DOMAIN_STATES[theirs.info[0]],
      maxMem: BigInt(theirs.info[1]),
      memory: BigInt(theirs.info[2]),
      nrVirtCpu: theirs.info[3],
      cpuTime: expect.any(BigInt),
    });
    expect(await dom.getState()).toEqual({ state: DOMAIN_STATES[theirs.state[0]], reason: expect.any(String) });
    expect(theirs.state[0]).toBe(1);
    expect((await dom.getState()).reason).toBe(RUNNING_REASONS[theirs.state[1]]);
    expect(await dom.isActive()).toBe(theirs.active);
    expect(await dom.isPersistent()).toBe(theirs.persistent);
    expect(await dom.isUpdated()).toBe(theirs.updated);
    expect(await dom.getXMLDesc({ inactive: true })).toBe(theirs.xml);
    expect(await dom.getXMLDesc(VIR_DOMAIN_XML_INACTIVE)).toBe(theirs.xml);
    expect(await dom.getAutostart()).toBe(theirs.autostart);
    expect(await dom.getOSType()).toBe(theirs.ostype);
    expect(await dom.getMaxMemory()).toBe(BigInt(theirs.maxmem));
    expect(await dom.hasManagedSaveImage()).toBe(theirs.managed);
    expect(await dom.getMaxVcpus()).toBe(theirs.vcpus);
  });

  it('finds the same object by name, UUID string, UUID bytes and id, and compares handles by identity', async () => {
    const byName = await conn.domains.lookupByName('test');
    const byUuid = await conn.domains.lookupByUUID(byName.uuid);
    const byBytes = await conn.domains.lookupByUUID(byName.wire.uuid);
    const byId = await conn.domains.lookupByID(byName.id);
    expect(byUuid.equals(byName) && byBytes.equals(byName) && byId.equals(byName)).toBe(true);
    expect(byName.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(byName.conn).toBe(conn);
    expect(JSON.parse(JSON.stringify(byName))).toEqual({ name: 'test', uuid: byName.uuid, id: byName.id });
    const err = await conn.domains.lookupByUUID('not-a-uuid').catch((e) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toMatch(/not a UUID/);
  });

  it('reads the host as python3-libvirt does', async () => {
    const theirs = await py(`print(json.dumps({'hostname': conn.getHostname(), 'info': conn.getInfo(), 'lib': conn.getLibVersion(),
  'version': conn.getVersion(), 'type': conn.getType(), 'caps': conn.getCapabilities(), 'secure': bool(conn.isSecure()),
  'free': conn.getFreeMemory(), 'cells': conn.getCellsFreeMemory(0, 2)}))`);
    expect(await conn.host.getHostname()).toBe(theirs.hostname);
    const info = await conn.host.getInfo();
    expect([info.model, Number(info.memory) >> 10, info.cpus, info.mhz, info.nodes, info.sockets, info.cores, info.threads]).toEqual(theirs.info);
    expect(await conn.host.getLibVersion()).toBe(BigInt(theirs.lib));
    expect(await conn.host.getVersion()).toBe(BigInt(theirs.version));
    expect(await conn.host.getType()).toBe(theirs.type);
    expect(await conn.host.getCapabilities()).toBe(theirs.caps);
    expect(await conn.host.isSecure()).toBe(theirs.secure);
    expect(await conn.host.getFreeMemory()).toBe(BigInt(theirs.free));
    expect((await conn.host.getCellsFreeMemory(0, 2)).map(Number)).toEqual(theirs.cells);
  });

  it('reads networks, pools, volumes, devices, interfaces and secrets as python3-libvirt does', async () => {
    const theirs = await py(`print(json.dumps({
  'nets': sorted([[n.name(), n.UUIDString(), bool(n.isActive()), bool(n.isPersistent()), n.bridgeName(), bool(n.autostart())] for n in conn.listAllNetworks()]),
  'pools': sorted([[p.name(), p.UUIDString(), p.info(), bool(p.isActive()), bool(p.autostart()), sorted([[v.name(), v.key(), v.path(), v.info()] for v in p.listAllVolumes()]) if p.isActive() else []] for p in conn.listAllStoragePools()]),
  'devices': sorted([[d.name(), d.parent(), d.listCaps()] for d in conn.listAllDevices()]),
  'ifaces': sorted([[i.name(), i.MACString(), bool(i.isActive())] for i in conn.listAllInterfaces()]),
}))`);
    const nets = await Promise.all((await conn.networks.listAll()).map(async (n) => [n.name, n.uuid, await n.isActive(), await n.isPersistent(), await n.getBridgeName(), await n.getAutostart()]));
    expect(nets.sort()).toEqual(theirs.nets);
    const pools = await Promise.all(
      (await conn.storagePools.listAll()).map(async (p) => {
        const info = await p.getInfo();
        const active = await p.isActive();
        const vols = active ? await Promise.all((await p.volumes.listAll()).map(async (v) => {
          const vi = await v.getInfo();
          return [v.name, v.key, await v.getPath(), [['file', 'block', 'dir', 'network', 'netdir', 'ploop'].indexOf(vi.type as string), Number(vi.capacity), Number(vi.allocation)]];
        })) : [];
        return [p.name, p.uuid, [POOL_STATES.indexOf(info.state as string), Number(info.capacity), Number(info.allocation), Number(info.available)], active, await p.getAutostart(), vols.sort()];
      }),
    );
    expect(pools.sort()).toEqual(theirs.pools);
    const devices = await Promise.all((await conn.nodeDevices.listAll()).map(async (d) => [d.name, await d.getParent(), await d.listCaps()]));
    expect(devices.sort()).toEqual(theirs.devices);
    const ifaces = await Promise.all((await conn.interfaces.listAll()).map(async (i) => [i.name, i.mac, await i.isActive()]));
    expect(ifaces.sort()).toEqual(theirs.ifaces);
    // The test driver has no secrets driver: both clients get libvirt's error.
    const noSecrets = await conn.secrets.listAll().catch((e) => e);
    expect(noSecrets).toBeInstanceOf(LibvirtError);
    expect(noSecrets.codeName).toBe('VIR_ERR_NO_SUPPORT');
    await expect(py('conn.listAllSecrets()')).rejects.toThrow(/not supported by the connection driver: virConnectListAllSecrets/);
  });

  it('drives a lifecycle through handles, each step read back with python3-libvirt', async () => {
    const state = () => py(`print(json.dumps(conn.lookupByName('handles-life').state()[0]))`);
    const dom = await conn.domains.defineXML(testDriverDomainXml('handles-life'));
    expect(dom.name).toBe('handles-life');
    expect(await state()).toBe(5);
    await dom.create();
    expect(await state()).toBe(1);
    await dom.suspend();
    expect(await state()).toBe(3);
    expect((await dom.getState()).state).toBe('paused');
    await dom.resume();
    await dom.destroy();
    expect(await state()).toBe(5);
    await dom.setAutostart(1);
    expect(await dom.getAutostart()).toBe(true);
    await dom.undefine();
    const gone = await conn.domains.lookupByName('handles-life').catch((e) => e);
    expect(gone).toBeInstanceOf(LibvirtError);
    expect(gone.codeName).toBe('VIR_ERR_NO_DOMAIN');
  });

  it('creates, lists, reverts and deletes snapshots through dom.snapshots', async () => {
    const dom = await conn.domains.lookupByName('test');
    const snap = await dom.snapshots.createXML('<domainsnapshot><name>handle-s1</name></domainsnapshot>');
    expect(snap.name).toBe('handle-s1');
    expect(snap.domain.equals(dom)).toBe(true);
    const theirs = await py(`print(json.dumps(sorted([s.getName() for s in conn.lookupByName('test').listAllSnapshots()])))`);
    expect((await dom.snapshots.listAll()).map((s) => s.name).sort()).toEqual(theirs);
    expect(await dom.snapshots.num()).toBe(theirs.length);
    expect((await dom.snapshots.current()).equals(snap)).toBe(true);
    expect(await dom.snapshots.hasCurrent()).toBe(true);
    expect(await snap.isCurrent()).toBe(true);
    await snap.revert();
    expect(await snap.getXMLDesc()).toContain('<name>handle-s1</name>');
    await snap.delete();
    expect((await dom.snapshots.listAll()).map((s) => s.name)).not.toContain('handle-s1');
  });

  it('creates and deletes a volume through pool.volumes, and finds it by key and path from the connection', async () => {
    const pool = await conn.storagePools.lookupByName('default-pool');
    const vol = await pool.volumes.createXML("<volume><name>handles.img</name><capacity unit='KiB'>64</capacity></volume>");
    expect((await conn.storageVolumes.lookupByKey(vol.key)).equals(vol)).toBe(true);
    expect((await conn.storageVolumes.lookupByPath(await vol.getPath())).equals(vol)).toBe(true);
    expect((await vol.lookupPool()).equals(pool)).toBe(true);
    expect(await py(`print(json.dumps(conn.storagePoolLookupByName('default-pool').storageVolLookupByName('handles.img').info()[1]))`)).toBe(65536);
    await vol.delete();
    expect((await pool.volumes.listAll()).map((v) => v.name)).not.toContain('handles.img');
  });

  it('takes flags as options or numbers, refuses unknown option names before sending, and carries signal and timeoutMs', async () => {
    const dom = await conn.domains.lookupByName('test');
    expect(await dom.getXMLDesc({ inactive: true, secure: true })).toBe(await conn.domainGetXMLDesc(dom.wire, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE));
    expect(await dom.getXMLDesc({ flags: VIR_DOMAIN_XML_INACTIVE })).toBe(await dom.getXMLDesc({ inactive: true }));
    const typo = await dom.getXMLDesc({ inactiv: true } as never).catch((e) => e);
    expect(typo).toBeInstanceOf(TypeError);
    expect(typo.message).toMatch(/unknown option 'inactiv' \(known: secure, inactive, updateCpu, migratable/);
    const aborted = await dom.getXMLDesc({ inactive: true, signal: AbortSignal.abort() }).catch((e) => e);
    expect(aborted.name).toBe('AbortError');
    expect(await dom.getXMLDesc({ inactive: true, timeoutMs: 30_000 })).toContain('<name>test</name>');
  });

  it('gives results a JSON form: bigints as numbers or strings, handles as their identity', async () => {
    const dom = await conn.domains.lookupByName('test');
    const json = JSON.parse(toJSONText({ dom, info: await dom.getInfo(), big: 2n ** 60n }));
    expect(json.dom).toEqual({ name: 'test', uuid: dom.uuid, id: dom.id });
    expect(json.info.state).toBe('running');
    expect(typeof json.info.maxMem).toBe('number');
    expect(json.big).toBe('1152921504606846976');
  });

  it('delivers events of one domain to its handle only', async () => {
    const a = await conn.domains.defineXML(testDriverDomainXml('handles-ev-a'));
    const b = await conn.domains.defineXML(testDriverDomainXml('handles-ev-b'));
    const seen: string[] = [];
    const stop = await a.on('lifecycle', (e) => seen.push(`${e.dom.name}:${e.event}`));
    const iterator = await a.events('lifecycle');
    await b.create();
    await a.create();
    const first = await iterator.next();
    expect(first.value.dom.name).toBe('handles-ev-a');
    expect(seen).toEqual(['handles-ev-a:2']); // VIR_DOMAIN_EVENT_STARTED, only a's
    await stop();
    await iterator.return?.();
    for (const d of [a, b]) {
      await d.destroy();
      await d.undefine();
    }
  });
}));

forEachGeneration((generation) => describe('the handle face on QEMU (session)', () => {
  let daemon: ThrowawayDaemon;
  let conn: Connection;

  beforeAll(async () => {
    daemon = await sharedDaemon(generation);
    conn = await connect(daemon.qemuUri);
  });
  afterAll(() => conn?.close());

  it('reads a running guest as python3-libvirt does: state, memory stats keyed by name, host CPU and memory stats', async () => {
    const dom = await conn.domains.defineXML(tinyGuestXml('handles-guest'));
    try {
      await dom.createWithFlags({ paused: true });
      const running = await conn.domains.lookupByName('handles-guest');
      expect(running.id).toBeGreaterThan(0);
      const theirs = await pythonLibvirt(daemon, daemon.qemuUri, `d = conn.lookupByName('handles-guest')
print(json.dumps({'state': d.state(), 'stats': d.memoryStats(), 'cpu': sorted(conn.getCPUStats(-1).keys()), 'mem': sorted(conn.getMemoryStats(-1).keys())}))`);
      expect(await running.getState()).toEqual({ state: 'paused', reason: 'user' });
      expect(theirs.state).toEqual([3, 1]); // VIR_DOMAIN_PAUSED_USER
      const stats = await running.memoryStats();
      // python3-libvirt names VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON 'actual'; the rest are snake case of ours.
      const pythonName = (k: string) => (k === 'actualBalloon' ? 'actual' : k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
      expect(Object.keys(stats).map(pythonName).sort()).toEqual(Object.keys(theirs.stats).sort());
      expect(Number(stats.actualBalloon)).toBe(theirs.stats.actual);
      expect(Object.keys(await conn.host.getCPUStats(-1)).sort()).toEqual(theirs.cpu);
      expect(Object.keys(await conn.host.getMemoryStats(-1)).sort()).toEqual(theirs.mem);
      const stream = await running.openConsole();
      await stream.abort();
    } finally {
      await dom.destroy().catch(() => undefined);
      await dom.undefine();
    }
  });

  it('uploads and downloads a volume through vol.upload and vol.download', async () => {
    const dir = mkdtempSync(join(daemon.dir, 'handles-pool-'));
    if (daemon.user) execFileSync('chown', [daemon.user, dir]);
    const pool = await conn.storagePools.createXML(`<pool type='dir'><name>handles-${process.pid}</name><target><path>${daemon.pathInDaemon(dir)}</path></target></pool>`);
    try {
      const vol = await pool.volumes.createXML("<volume><name>data.raw</name><capacity unit='KiB'>256</capacity></volume>");
      const local = mkdtempSync(join(tmpdir(), 'handles-'));
      const data = new Uint8Array(256 * 1024).map((_, k) => (k * 7) & 0xff);
      writeFileSync(join(local, 'in.raw'), data);
      expect(await vol.upload(join(local, 'in.raw'))).toBe(BigInt(data.length));
      expect(await vol.download(join(local, 'out.raw'))).toBe(BigInt(data.length));
      expect(new Uint8Array(readFileSync(join(local, 'out.raw')))).toEqual(data);
      await vol.delete();
    } finally {
      await pool.destroy();
    }
  });
}));
