/**
 * The read-only sweep: procedures the test driver serves, each with the python3-libvirt
 * expression that gives the same value through libvirt's C client.
 */
import type { Connection } from '../../src/index.js';
import { LibvirtError } from '../../src/errors.js';
import { type ThrowawayDaemon, pythonLibvirt } from './libvirtd.js';
import { normalize, uuidString } from './normalize.js';

export interface Case {
  name: string;
  ours: (c: Connection) => Promise<unknown>;
  /** A Python expression over `conn` (a virConnect) giving the same value. */
  python: string;
}

const DOM = `conn.lookupByName('test')`;
const NET = `conn.networkLookupByName('default')`;
const POOL = `conn.storagePoolLookupByName('default-pool')`;

function dict(params: { field: string; value: unknown }[]): Record<string, unknown> {
  return Object.fromEntries(params.map((p) => [p.field, p.value]));
}

const names = (list: { name: string }[]) => list.map((x) => x.name).sort();

export const CASES: Case[] = [
  // Connection and host
  { name: 'connectGetLibVersion', ours: (c) => c.connectGetLibVersion(), python: 'conn.getLibVersion()' },
  { name: 'connectGetVersion', ours: (c) => c.connectGetVersion(), python: 'conn.getVersion()' },
  { name: 'connectGetHostname', ours: (c) => c.connectGetHostname(), python: 'conn.getHostname()' },
  { name: 'connectGetType', ours: (c) => c.connectGetType(), python: 'conn.getType()' },
  { name: 'connectGetCapabilities', ours: (c) => c.connectGetCapabilities(), python: 'conn.getCapabilities()' },
  { name: 'connectGetMaxVcpus', ours: (c) => c.connectGetMaxVcpus(null), python: 'conn.getMaxVcpus(None)' },
  { name: 'connectGetSysinfo', ours: (c) => c.connectGetSysinfo(), python: 'conn.getSysinfo(0)' },
  { name: 'connectGetCPUModelNames', ours: async (c) => (await c.connectGetCPUModelNames('x86_64', 1, 0)).models, python: "conn.getCPUModelNames('x86_64')" },
  { name: 'connectGetDomainCapabilities', ours: (c) => c.connectGetDomainCapabilities(null, null, null, null), python: 'conn.getDomainCapabilities()' },
  {
    name: 'nodeGetInfo',
    ours: async (c) => {
      const i = await c.nodeGetInfo();
      return [i.model, i.memory / 1024n, i.cpus, i.mhz, i.nodes, i.sockets, i.cores, i.threads];
    },
    python: 'conn.getInfo()',
  },
  { name: 'nodeGetFreeMemory', ours: (c) => c.nodeGetFreeMemory(), python: 'conn.getFreeMemory()' },
  { name: 'nodeGetCellsFreeMemory', ours: (c) => c.nodeGetCellsFreeMemory(0, 2), python: 'conn.getCellsFreeMemory(0, 2)' },
  { name: 'nodeGetCPUStats', ours: async (c) => dict((await c.nodeGetCPUStats(-1, 16, 0)).params), python: 'conn.getCPUStats(-1)' },
  { name: 'nodeGetMemoryStats', ours: async (c) => dict((await c.nodeGetMemoryStats(16, -1, 0)).params), python: 'conn.getMemoryStats(-1)' },
  { name: 'nodeGetCPUMap', ours: async (c) => (await c.nodeGetCPUMap(1, 1, 0)).ret, python: 'conn.getCPUMap()[0]' },
  { name: 'nodeGetSecurityModel', ours: async (c) => Object.values(await c.nodeGetSecurityModel()), python: 'conn.getSecurityModel()' },

  // Domains
  {
    name: 'connectListAllDomains',
    ours: async (c) => (await c.connectListAllDomains(1, 0)).domains.map((d) => [d.name, uuidString(d.uuid), d.id]).sort(),
    python: 'sorted([[d.name(), d.UUIDString(), d.ID()] for d in conn.listAllDomains()])',
  },
  { name: 'connectNumOfDomains', ours: (c) => c.connectNumOfDomains(), python: 'conn.numOfDomains()' },
  { name: 'connectListDomains', ours: (c) => c.connectListDomains(16384), python: 'conn.listDomainsID()' },
  { name: 'connectNumOfDefinedDomains', ours: (c) => c.connectNumOfDefinedDomains(), python: 'conn.numOfDefinedDomains()' },
  { name: 'connectListDefinedDomains', ours: (c) => c.connectListDefinedDomains(16384), python: 'conn.listDefinedDomains()' },
  { name: 'domainLookupByID', ours: async (c) => (await c.domainLookupByID(1)).name, python: 'conn.lookupByID(1).name()' },
  {
    name: 'domainLookupByUUID',
    ours: async (c) => (await c.domainLookupByUUID((await c.domainLookupByName('test')).uuid)).name,
    python: `conn.lookupByUUID(${DOM}.UUID()).name()`,
  },
  {
    name: 'domainGetInfo',
    ours: async (c) => {
      const i = await c.domainGetInfo(await c.domainLookupByName('test'));
      return [i.state, i.maxMem, i.memory, i.nrVirtCpu];
    },
    python: `${DOM}.info()[:4]`,
  },
  { name: 'domainGetState', ours: async (c) => Object.values(await c.domainGetState(await c.domainLookupByName('test'), 0)), python: `${DOM}.state()` },
  { name: 'domainGetXMLDesc', ours: async (c) => c.domainGetXMLDesc(await c.domainLookupByName('test'), 0), python: `${DOM}.XMLDesc(0)` },
  { name: 'domainGetMaxMemory', ours: async (c) => c.domainGetMaxMemory(await c.domainLookupByName('test')), python: `${DOM}.maxMemory()` },
  { name: 'domainGetMaxVcpus', ours: async (c) => c.domainGetMaxVcpus(await c.domainLookupByName('test')), python: `${DOM}.maxVcpus()` },
  { name: 'domainGetOSType', ours: async (c) => c.domainGetOSType(await c.domainLookupByName('test')), python: `${DOM}.OSType()` },
  { name: 'domainGetAutostart', ours: async (c) => c.domainGetAutostart(await c.domainLookupByName('test')), python: `${DOM}.autostart()` },
  { name: 'domainIsActive', ours: async (c) => c.domainIsActive(await c.domainLookupByName('test')), python: `${DOM}.isActive()` },
  { name: 'domainIsPersistent', ours: async (c) => c.domainIsPersistent(await c.domainLookupByName('test')), python: `${DOM}.isPersistent()` },
  { name: 'domainIsUpdated', ours: async (c) => c.domainIsUpdated(await c.domainLookupByName('test')), python: `${DOM}.isUpdated()` },
  {
    name: 'domainGetSchedulerType',
    ours: async (c) => Object.values(await c.domainGetSchedulerType(await c.domainLookupByName('test'))),
    python: `${DOM}.schedulerType()`,
  },
  {
    name: 'domainGetSchedulerParameters',
    ours: async (c) => c.domainGetSchedulerParameters(await c.domainLookupByName('test'), 16),
    python: `${DOM}.schedulerParameters()`,
  },
  {
    name: 'domainGetSchedulerParametersFlags',
    ours: async (c) => c.domainGetSchedulerParametersFlags(await c.domainLookupByName('test'), 16, 0),
    python: `${DOM}.schedulerParametersFlags(0)`,
  },
  { name: 'domainGetVcpusFlags', ours: async (c) => c.domainGetVcpusFlags(await c.domainLookupByName('test'), 0), python: `${DOM}.vcpusFlags(0)` },
  { name: 'domainHasManagedSaveImage', ours: async (c) => c.domainHasManagedSaveImage(await c.domainLookupByName('test'), 0), python: `${DOM}.hasManagedSaveImage(0)` },
  {
    name: 'domainGetMemoryParameters',
    ours: async (c) => (await c.domainGetMemoryParameters(await c.domainLookupByName('test'), 16, 0)).params,
    python: `${DOM}.memoryParameters(0)`,
  },
  {
    name: 'domainGetBlkioParameters',
    ours: async (c) => (await c.domainGetBlkioParameters(await c.domainLookupByName('test'), 16, 0)).params,
    python: `${DOM}.blkioParameters(0)`,
  },
  {
    name: 'domainGetNumaParameters',
    ours: async (c) => (await c.domainGetNumaParameters(await c.domainLookupByName('test'), 16, 0)).params,
    python: `${DOM}.numaParameters(0)`,
  },
  {
    name: 'domainGetPerfEvents',
    ours: async (c) => c.domainGetPerfEvents(await c.domainLookupByName('test'), 0),
    python: `${DOM}.perfEvents(0)`,
  },
  {
    name: 'domainGetInterfaceParameters',
    ours: async (c) => (await c.domainGetInterfaceParameters(await c.domainLookupByName('test'), 'testnet0', 16, 0)).params,
    python: `${DOM}.interfaceParameters('testnet0', 0)`,
  },
  {
    name: 'domainGetBlockIoTune',
    ours: async (c) => (await c.domainGetBlockIoTune(await c.domainLookupByName('test'), 'vda', 32, 0)).params,
    python: `${DOM}.blockIoTune('vda', 0)`,
  },
  {
    name: 'domainBlockStats',
    // The test driver derives these counters from the clock: compare the shape, not values.
    ours: async (c) => Object.values(await c.domainBlockStats(await c.domainLookupByName('test'), 'vda')).map((v) => typeof v),
    python: `['bigint' for v in ${DOM}.blockStats('vda')]`,
  },
  {
    name: 'domainInterfaceStats',
    ours: async (c) => Object.values(await c.domainInterfaceStats(await c.domainLookupByName('test'), 'testnet0')).length,
    python: `len(${DOM}.interfaceStats('testnet0'))`,
  },
  { name: 'domainSnapshotNum', ours: async (c) => c.domainSnapshotNum(await c.domainLookupByName('test'), 0), python: `${DOM}.snapshotNum(0)` },
  {
    name: 'domainListAllSnapshots',
    ours: async (c) => names((await c.domainListAllSnapshots(await c.domainLookupByName('test'), 1, 0)).snapshots),
    python: `sorted([s.getName() for s in ${DOM}.listAllSnapshots(0)])`,
  },
  { name: 'domainGetHostname', ours: async (c) => c.domainGetHostname(await c.domainLookupByName('test'), 0), python: `${DOM}.hostname(0)` },
  {
    name: 'domainGetTime',
    ours: async (c) => typeof (await c.domainGetTime(await c.domainLookupByName('test'), 0)).seconds,
    python: `type(${DOM}.getTime(0)['seconds']).__name__ == 'int' and 'bigint'`,
  },
  {
    name: 'domainGetVcpuPinInfo',
    ours: async (c) => (await c.domainGetVcpuPinInfo(await c.domainLookupByName('test'), 2, 2, 0)).num,
    python: `len(${DOM}.vcpuPinInfo(0))`,
  },
  {
    name: 'domainGetJobInfo',
    ours: async (c) => (await c.domainGetJobInfo(await c.domainLookupByName('test'))).type,
    python: `${DOM}.jobInfo()[0]`,
  },
  { name: 'domainGetControlInfo', ours: async (c) => Object.values(await c.domainGetControlInfo(await c.domainLookupByName('test'), 0)), python: `${DOM}.controlInfo(0)` },
  {
    name: 'connectGetAllDomainStats',
    ours: async (c) => (await c.connectGetAllDomainStats([], 0, 0)).map((r) => [r.dom.name, withoutCpuTime(r.params)]),
    python: "[[d.name(), {k: v for k, v in s.items() if not k.startswith('cpu.')}] for d, s in conn.getAllDomainStats()]",
  },

  // Networks
  {
    name: 'connectListAllNetworks',
    ours: async (c) => (await c.connectListAllNetworks(1, 0)).nets.map((n) => [n.name, uuidString(n.uuid)]),
    python: '[[n.name(), n.UUIDString()] for n in conn.listAllNetworks()]',
  },
  { name: 'connectNumOfNetworks', ours: (c) => c.connectNumOfNetworks(), python: 'conn.numOfNetworks()' },
  { name: 'connectListNetworks', ours: (c) => c.connectListNetworks(16384), python: 'conn.listNetworks()' },
  { name: 'connectNumOfDefinedNetworks', ours: (c) => c.connectNumOfDefinedNetworks(), python: 'conn.numOfDefinedNetworks()' },
  { name: 'networkGetXMLDesc', ours: async (c) => c.networkGetXMLDesc(await c.networkLookupByName('default'), 0), python: `${NET}.XMLDesc(0)` },
  { name: 'networkGetBridgeName', ours: async (c) => c.networkGetBridgeName(await c.networkLookupByName('default')), python: `${NET}.bridgeName()` },
  { name: 'networkGetAutostart', ours: async (c) => c.networkGetAutostart(await c.networkLookupByName('default')), python: `${NET}.autostart()` },
  { name: 'networkIsActive', ours: async (c) => c.networkIsActive(await c.networkLookupByName('default')), python: `${NET}.isActive()` },
  { name: 'networkIsPersistent', ours: async (c) => c.networkIsPersistent(await c.networkLookupByName('default')), python: `${NET}.isPersistent()` },
  {
    name: 'networkGetDHCPLeases',
    ours: async (c) => (await c.networkGetDHCPLeases(await c.networkLookupByName('default'), null, 1, 0)).leases.length,
    python: `len(${NET}.DHCPLeases())`,
  },
  {
    name: 'networkListAllPorts',
    ours: async (c) => (await c.networkListAllPorts(await c.networkLookupByName('default'), 1, 0)).ports.length,
    python: `len(${NET}.listAllPorts(0))`,
  },

  // Storage
  {
    name: 'connectListAllStoragePools',
    ours: async (c) => (await c.connectListAllStoragePools(1, 0)).pools.map((p) => [p.name, uuidString(p.uuid)]),
    python: '[[p.name(), p.UUIDString()] for p in conn.listAllStoragePools()]',
  },
  { name: 'connectNumOfStoragePools', ours: (c) => c.connectNumOfStoragePools(), python: 'conn.numOfStoragePools()' },
  { name: 'connectListStoragePools', ours: (c) => c.connectListStoragePools(16384), python: 'conn.listStoragePools()' },
  { name: 'storagePoolGetInfo', ours: async (c) => Object.values(await c.storagePoolGetInfo(await c.storagePoolLookupByName('default-pool'))), python: `${POOL}.info()` },
  { name: 'storagePoolGetXMLDesc', ours: async (c) => c.storagePoolGetXMLDesc(await c.storagePoolLookupByName('default-pool'), 0), python: `${POOL}.XMLDesc(0)` },
  { name: 'storagePoolGetAutostart', ours: async (c) => c.storagePoolGetAutostart(await c.storagePoolLookupByName('default-pool')), python: `${POOL}.autostart()` },
  { name: 'storagePoolIsActive', ours: async (c) => c.storagePoolIsActive(await c.storagePoolLookupByName('default-pool')), python: `${POOL}.isActive()` },
  { name: 'storagePoolNumOfVolumes', ours: async (c) => c.storagePoolNumOfVolumes(await c.storagePoolLookupByName('default-pool')), python: `${POOL}.numOfVolumes()` },
  {
    name: 'storagePoolListAllVolumes',
    ours: async (c) => names((await c.storagePoolListAllVolumes(await c.storagePoolLookupByName('default-pool'), 1, 0)).vols),
    python: `sorted([v.name() for v in ${POOL}.listAllVolumes(0)])`,
  },

  // Interfaces, node devices, secrets, filters
  { name: 'connectListAllInterfaces', ours: async (c) => names((await c.connectListAllInterfaces(1, 0)).ifaces), python: 'sorted([i.name() for i in conn.listAllInterfaces()])' },
  { name: 'connectNumOfInterfaces', ours: (c) => c.connectNumOfInterfaces(), python: 'conn.numOfInterfaces()' },
  { name: 'interfaceGetXMLDesc', ours: async (c) => c.interfaceGetXMLDesc(await c.interfaceLookupByName('eth1'), 0), python: "conn.interfaceLookupByName('eth1').XMLDesc(0)" },
  { name: 'interfaceIsActive', ours: async (c) => c.interfaceIsActive(await c.interfaceLookupByName('eth1')), python: "conn.interfaceLookupByName('eth1').isActive()" },
  { name: 'connectListAllNodeDevices', ours: async (c) => names((await c.connectListAllNodeDevices(1, 0)).devices), python: 'sorted([d.name() for d in conn.listAllDevices()])' },
  { name: 'nodeNumOfDevices', ours: (c) => c.nodeNumOfDevices(null, 0), python: 'conn.numOfDevices(None)' },
  { name: 'nodeDeviceGetXMLDesc', ours: (c) => c.nodeDeviceGetXMLDesc('computer', 0), python: "conn.nodeDeviceLookupByName('computer').XMLDesc(0)" },
  { name: 'nodeDeviceListCaps', ours: (c) => c.nodeDeviceListCaps('computer', 16), python: "conn.nodeDeviceLookupByName('computer').listCaps()" },
  { name: 'nodeDeviceGetParent', ours: (c) => c.nodeDeviceGetParent('test-scsi-host-vport'), python: "conn.nodeDeviceLookupByName('test-scsi-host-vport').parent()" },
  { name: 'connectListAllSecrets', ours: async (c) => (await c.connectListAllSecrets(1, 0)).secrets.length, python: 'len(conn.listAllSecrets())' },
  { name: 'connectNumOfSecrets', ours: (c) => c.connectNumOfSecrets(), python: 'conn.numOfSecrets()' },
  { name: 'connectListAllNWFilters', ours: async (c) => names((await c.connectListAllNWFilters(1, 0)).filters), python: 'sorted([f.name() for f in conn.listAllNWFilters()])' },
  { name: 'connectListAllNWFilterBindings', ours: async (c) => (await c.connectListAllNWFilterBindings(1, 0)).bindings.length, python: 'len(conn.listAllNWFilterBindings())' },
];

function withoutCpuTime(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([k]) => !k.startsWith('cpu.')));
}

async function capture(work: () => Promise<unknown>): Promise<unknown> {
  try {
    return normalize(await work());
  } catch (e) {
    if (e instanceof LibvirtError) return { error: e.code };
    throw e;
  }
}

/** Python helpers: big integers as strings (JSON numbers lose precision), errors as codes. */
const PYTHON_PRELUDE = `
def norm(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v if abs(v) <= 2**53 else str(v)
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    return v

def attempt(f):
    try:
        return norm(f())
    except libvirt.libvirtError as e:
        return {'error': e.get_error_code()}
`;

/** Runs every case through python3-libvirt on `uri` in one process and returns the answers. */
export async function cReference(daemon: ThrowawayDaemon, uri: string): Promise<unknown[]> {
  const program = ['out = []', ...CASES.map((c) => `out.append(attempt(lambda: ${c.python}))`), 'print(json.dumps(out, default=str))'].join('\n');
  const theirs = (await pythonLibvirt(daemon, uri, PYTHON_PRELUDE + program)) as unknown[];
  if (process.env.SWEEP_DEBUG) console.log(JSON.stringify(CASES.map((c, i) => [c.name, theirs[i]])));
  return theirs;
}

/** Our answer to case `i`: the normalized value, or the libvirt error code. */
export function ours(conn: Connection, i: number): Promise<unknown> {
  return capture(() => CASES[i]!.ours(conn));
}
