/**
 * The handle face without a daemon: every C function the protocol carries has exactly one
 * home and that home exists; options become the flag numbers the flat face sends; results
 * become plain values (checked on the bytes a fake daemon answers with).
 */
import {
  Connection,
  Domain,
  DomainSnapshots,
  Domains,
  Host,
  StorageVolume,
  StorageVolumes,
  VIR_CONNECT_LIST_DOMAINS_ACTIVE,
  VIR_CONNECT_LIST_DOMAINS_PERSISTENT,
  jsonReplacer,
  qemuProcedures,
  remoteProcedures,
  uuidBytes,
  uuidString,
} from '../../src/index.js';
import * as handles from '../../handles/handles.js';
import { homes } from '../../handles/homes.js';
import { flagsOf, callOptionsOf } from '../../src/handles/runtime.js';
import { keyedValues } from '../../src/handles/values.js';
import { FakeDaemon } from '../../src/testing/index.js';

const UUID = '4dea22b3-1d52-d8f3-2516-782e98ab3fa0';
const wireDom = { name: 'guest', uuid: uuidBytes(UUID), id: 3 };

describe('homes', () => {
  const carried = [...Object.values(remoteProcedures), ...Object.values(qemuProcedures)].filter((p) => p.cFunction && !p.fds && !p.message);

  it('gives every C function a callable procedure carries exactly one home', () => {
    const counts = new Map<string, number>();
    for (const h of homes) counts.set(h.cFunction, (counts.get(h.cFunction) ?? 0) + 1);
    expect(carried.filter((p) => counts.get(p.cFunction!) !== 1).map((p) => p.cFunction)).toEqual([]);
    expect(homes.filter((h) => !carried.some((p) => p.cFunction === h.cFunction)).map((h) => h.cFunction)).toEqual([]);
    expect(homes.length).toBeGreaterThan(370);
    expect(new Set(homes.map((h) => h.path)).size).toBe(homes.filter((h) => h.path !== 'conn.subscribe' && h.path !== 'connect()').length + 2);
  });

  it('finds each home as a method of its class', () => {
    const classOf: Record<string, { prototype: object }> = {
      conn: Connection,
      'conn.host': Host,
      dom: Domain,
      'dom.snapshots': DomainSnapshots,
      'conn.domains': Domains,
      'pool.volumes': StorageVolumes,
      vol: StorageVolume,
    };
    const examples: Record<string, string> = { net: 'Network', 'net.ports': 'NetworkPorts', port: 'NetworkPort', pool: 'StoragePool', 'conn.storagePools': 'StoragePools', 'conn.storageVolumes': 'AnyStorageVolumes', dev: 'NodeDevice', 'conn.nodeDevices': 'NodeDevices', iface: 'Interface', 'conn.interfaces': 'Interfaces', secret: 'Secret', 'conn.secrets': 'Secrets', filter: 'NWFilter', 'conn.nwfilters': 'NWFilters', binding: 'NWFilterBinding', 'conn.nwfilterBindings': 'NWFilterBindings', snap: 'DomainSnapshot', cp: 'DomainCheckpoint', 'dom.checkpoints': 'DomainCheckpoints', 'conn.networks': 'Networks' };
    for (const [path, name] of Object.entries(examples)) classOf[path] = (handles as unknown as Record<string, { prototype: object }>)[name]!;
    const missing: string[] = [];
    for (const h of homes) {
      if (h.path === 'connect()') continue;
      const at = h.path.lastIndexOf('.');
      const cls = classOf[h.path.slice(0, at)];
      const method = h.path.slice(at + 1);
      if (!cls || typeof (cls.prototype as Record<string, unknown>)[method] !== 'function') missing.push(`${h.cFunction} → ${h.path}`);
    }
    expect(missing).toEqual([]);
  });
});

describe('options', () => {
  const table = { inactive: 2, secure: 1 };

  it('turns booleans into bits, adds raw flags, and passes numbers through', () => {
    expect(flagsOf(undefined, table)).toBe(0);
    expect(flagsOf(3, table)).toBe(3);
    expect(flagsOf({ inactive: true, secure: false } as never, table)).toBe(2);
    expect(flagsOf({ inactive: true, flags: 0x80 } as never, table)).toBe(0x82);
    expect(flagsOf({ flags: 0x80000000 }, table)).toBe(0x80000000);
  });

  it('refuses an unknown name or a non-boolean, saying what is known', () => {
    expect(() => flagsOf({ inactiv: true } as never, table)).toThrow("unknown option 'inactiv' (known: inactive, secure, signal, timeoutMs, flags)");
    expect(() => flagsOf({ inactive: 1 } as never, table)).toThrow("option 'inactive' must be a boolean, not number");
    expect(() => flagsOf({ secure: true } as never)).toThrow("unknown option 'secure' (this call takes signal, timeoutMs and flags)");
    expect(() => flagsOf({ toString: true } as never, table)).toThrow("unknown option 'toString'");
  });

  it('keeps signal and timeoutMs for the call', () => {
    const signal = new AbortController().signal;
    expect(callOptionsOf({ inactive: true, signal, timeoutMs: 5 } as never)).toMatchObject({ signal, timeoutMs: 5 });
    expect(callOptionsOf(2)).toBeUndefined();
    expect(callOptionsOf(undefined)).toBeUndefined();
  });
});

describe('plain values', () => {
  it('writes and reads UUIDs as libvirt does, refusing what is not one', () => {
    expect(uuidString(uuidBytes(UUID))).toBe(UUID);
    expect(uuidString(uuidBytes(UUID.replace(/-/g, '').toUpperCase()))).toBe(UUID);
    expect(() => uuidBytes('4dea22b3')).toThrow(RangeError);
    expect(() => uuidBytes(new Uint8Array(15))).toThrow('a UUID is 16 bytes, not 15');
  });

  it('keys tag/value lists by name, keeping unknown tags by number', () => {
    expect(keyedValues([{ tag: 6, val: 5n }, { tag: 99, val: 1n }], 'tag', 'val', { 6: 'actualBalloon' })).toEqual({ actualBalloon: 5n, 99: 1n });
  });

  it('has one JSON form: safe integers as numbers, larger as strings, 16 bytes as a UUID', () => {
    expect(JSON.stringify({ a: 5n, b: 2n ** 60n, u: uuidBytes(UUID), o: new Uint8Array([1, 2]) }, jsonReplacer)).toBe(`{"a":5,"b":"1152921504606846976","u":"${UUID}","o":"AQI="}`);
  });
});

describe('results through a fake daemon', () => {
  let daemon: FakeDaemon;
  let conn: Connection;
  let listFlags: number[];
  let paramCalls: number[];

  beforeAll(async () => {
    listFlags = [];
    paramCalls = [];
    daemon = new FakeDaemon()
      .handle('connectListAllDomains', (a) => (listFlags.push(a.flags), { domains: [wireDom], ret: 1 }))
      .handle('domainGetState', () => ({ state: 3, reason: 2 }))
      .handle('domainIsActive', () => ({ active: 1 }))
      .handle('domainMemoryStats', () => ({ stats: [{ tag: 6, val: 2097152n }, { tag: 7, val: 1024n }] }))
      .handle('domainGetMemoryParameters', (a) => {
        paramCalls.push(a.nparams);
        return a.nparams === 0 ? { params: [], nparams: 1 } : { params: [{ field: 'hard_limit', value: { type: 4, ul: 1024n } }], nparams: 1 };
      })
      .handle('domainSnapshotCurrent', () => ({ snap: { name: 's1', dom: wireDom } }))
      .handle('connectGetHostname', () => ({ hostname: 'node-7' }));
    conn = await Connection.open(daemon.dialer(), 'test:///default', 'test:///default', { keepalive: false });
  });
  afterAll(() => conn.close());

  it('lists handles from options, with the list flags the options name', async () => {
    const [dom] = await conn.domains.listAll({ active: true, persistent: true });
    expect(listFlags).toEqual([VIR_CONNECT_LIST_DOMAINS_ACTIVE | VIR_CONNECT_LIST_DOMAINS_PERSISTENT]);
    expect(dom).toBeInstanceOf(Domain);
    expect([dom!.name, dom!.uuid, dom!.id]).toEqual(['guest', UUID, 3]);
    expect(dom!.toJSON()).toEqual({ name: 'guest', uuid: UUID, id: 3 });
  });

  it('names states and their reasons, and gives booleans', async () => {
    const dom = new Domain(conn, wireDom);
    expect(await dom.getState()).toEqual({ state: 'paused', reason: 'migration' }); // VIR_DOMAIN_PAUSED_MIGRATION
    expect(await dom.isActive()).toBe(true);
  });

  it('keys memory stats by name and asks the daemon its parameter count first', async () => {
    const dom = new Domain(conn, wireDom);
    expect(await dom.memoryStats()).toEqual({ actualBalloon: 2097152n, rss: 1024n });
    expect(await dom.getMemoryParameters()).toEqual({ hard_limit: 1024n });
    expect(paramCalls).toEqual([0, 1]);
  });

  it('gives nested handles their owner, and host calls live on conn.host', async () => {
    const snap = await new Domain(conn, wireDom).snapshots.current();
    expect(snap.domain.equals(new Domain(conn, wireDom))).toBe(true);
    expect(snap.toJSON()).toEqual({ name: 's1', domain: { name: 'guest', uuid: UUID, id: 3 } });
    expect(await conn.host.getHostname()).toBe('node-7');
  });

  it('rejects a bad option before anything is sent', async () => {
    const before = daemon.calls.length;
    await expect(conn.domains.listAll({ activ: true } as never)).rejects.toThrow(TypeError);
    expect(daemon.calls.length).toBe(before);
  });
});
