/**
 * virsh's commands for the objects beside domains: volumes (path, key, name, pool, XML,
 * clone), pools (XML, UUID and name, define-as, build, undefine), networks (define,
 * undefine), host interfaces (list, XML, name and MAC), node devices (XML) and snapshots
 * (current, info, XML); each prints what virsh prints.
 */
import { readFileSync } from 'node:fs';
import type { RemoteNonnullStorageVol } from '../../protocol/remote.js';
import { LibvirtError } from '../errors.js';
import { uuidBytes } from '../handles/values.js';
import { type Context, findDomain, typedXml as xmlLayer, WITH_RESULTS } from './commands.js';
import { table, toJson, uuidString } from './format.js';
import type { Registry } from './registry.js';
const line = (c: Context, key: string, value: string) => (c.json ? toJson({ [key]: value }) + '\n' : `${value}\n\n`);

/** A volume as virsh finds one: by name in `--pool`, else by key, else by path. */
export async function findVolume(c: Context, ref: string, poolName?: string): Promise<RemoteNonnullStorageVol> {
  const failed = (cause?: unknown) => new Error(`failed to get vol '${ref}'`, { cause });
  if (poolName !== undefined) {
    const pool = await c.conn.storagePoolLookupByName(poolName);
    return c.conn.storageVolLookupByName(pool, ref).catch((e: unknown) => {
      throw failed(e);
    });
  }
  return c.conn.storageVolLookupByKey(ref).catch(() =>
    c.conn.storageVolLookupByPath(ref).catch((e: unknown) => {
      throw failed(e);
    }),
  );
}

/** `vol-path`, `vol-key`, `vol-name` and `vol-pool` VOL [--pool P]. */
export async function volIdentity(c: Context, ref: string, what: 'path' | 'key' | 'name' | 'pool', poolName?: string): Promise<string> {
  const vol = await findVolume(c, ref, poolName);
  const value = what === 'path' ? await c.conn.storageVolGetPath(vol) : what === 'key' ? vol.key : what === 'name' ? vol.name : vol.pool;
  return line(c, what, value);
}

/** `vol-dumpxml VOL [--pool P]`. */
export async function volDumpxml(c: Context, ref: string, poolName?: string): Promise<string> {
  return `${await c.conn.storageVolGetXMLDesc(await findVolume(c, ref, poolName), 0)}\n`;
}

/** `vol-clone VOL NEWNAME [--pool P]`: the new volume's XML is the old one's, renamed, in the same pool. */
export async function volClone(c: Context, ref: string, name: string, poolName?: string): Promise<string> {
  const vol = await findVolume(c, ref, poolName);
  const pool = await c.conn.storagePoolLookupByName(vol.pool);
  const { formatStorageVolumeXML, parseStorageVolumeXML } = await xmlLayer();
  const def = parseStorageVolumeXML(await c.conn.storageVolGetXMLDesc(vol, 0));
  // The clone gets its own key and path from the pool.
  const { key: _key, ...rest } = def;
  const target = rest.target && { ...rest.target, path: undefined };
  await c.conn.storageVolCreateXMLFrom(pool, formatStorageVolumeXML({ ...rest, name, ...(target ? { target } : {}) }), vol, 0);
  return `Vol ${name} cloned from ${vol.name}\n\n`;
}

/** `pool-dumpxml POOL [--inactive]`. */
export async function poolDumpxml(c: Context, name: string, inactive: boolean): Promise<string> {
  // VIR_STORAGE_XML_INACTIVE = 1.
  return `${await c.conn.storagePoolGetXMLDesc(await c.conn.storagePoolLookupByName(name), inactive ? 1 : 0)}\n`;
}

/** `pool-uuid NAME` and `pool-name UUID`. */
export async function poolIdentity(c: Context, ref: string, what: 'uuid' | 'name'): Promise<string> {
  const pool = what === 'uuid' ? await c.conn.storagePoolLookupByName(ref) : await c.conn.storagePoolLookupByUUID(uuidBytes(ref));
  return line(c, what, what === 'uuid' ? uuidString(pool.uuid) : pool.name);
}

/** `pool-define-as NAME TYPE [--target DIR] [--source-host H] [--source-path P] [--source-dev D] [--source-name N] [--source-format F]`. */
export async function poolDefineAs(
  c: Context,
  name: string,
  type: string,
  o: { target?: string; sourceHost?: string; sourcePath?: string; sourceDev?: string; sourceName?: string; sourceFormat?: string; print?: boolean },
): Promise<string> {
  const { formatStoragePoolXML } = await xmlLayer();
  const source: Record<string, unknown> = {};
  if (o.sourceHost) source.host = [{ name: o.sourceHost }];
  if (o.sourcePath) source.dir = { path: o.sourcePath };
  if (o.sourceDev) source.device = [{ path: o.sourceDev }];
  if (o.sourceName) source.name = o.sourceName;
  if (o.sourceFormat) source.format = { type: o.sourceFormat };
  const def = { type, name, ...(Object.keys(source).length ? { source } : {}), ...(o.target ? { target: { path: o.target } } : {}) };
  const xml = formatStoragePoolXML(def as never);
  if (o.print) return `${xml}\n`;
  const pool = await c.conn.storagePoolDefineXML(xml, 0);
  return `Pool ${pool.name} defined\n\n`;
}

/** `pool-build POOL` and `pool-undefine POOL`. */
export async function poolBuildUndefine(c: Context, name: string, action: 'build' | 'undefine'): Promise<string> {
  const pool = await c.conn.storagePoolLookupByName(name);
  if (action === 'build') await c.conn.storagePoolBuild(pool, 0);
  else await c.conn.storagePoolUndefine(pool);
  return `Pool ${name} ${action === 'build' ? 'built' : 'has been undefined'}\n\n`;
}

/** `net-define FILE` and `net-undefine NETWORK`. */
export async function netDefineUndefine(c: Context, ref: string, define: boolean): Promise<string> {
  if (define) {
    const net = await c.conn.networkDefineXML(readFileSync(ref, 'utf8'));
    return `Network ${net.name} defined from ${ref}\n\n`;
  }
  await c.conn.networkUndefine(await c.conn.networkLookupByName(ref));
  return `Network ${ref} has been undefined\n\n`;
}

/** `iface-list [--all] [--inactive]`: host interfaces with their state and MAC. */
export async function ifaceList(c: Context, o: { all?: boolean; inactive?: boolean }): Promise<string> {
  // VIR_CONNECT_LIST_INTERFACES_INACTIVE = 1, _ACTIVE = 2.
  const flags = o.all ? 0 : o.inactive ? 1 : 2;
  const { ifaces } = await c.conn.connectListAllInterfaces(WITH_RESULTS, flags);
  ifaces.sort((a, b) => a.name.localeCompare(b.name));
  const rows = await Promise.all(ifaces.map(async (i) => ({ name: i.name, active: (await c.conn.interfaceIsActive(i)) === 1, mac: i.mac })));
  if (c.json) return toJson(rows) + '\n';
  return table(['Name', 'State', 'MAC Address'], rows.map((r) => [r.name, r.active ? 'active' : 'inactive', r.mac]));
}

/** `iface-dumpxml IFACE [--inactive]`. */
export async function ifaceDumpxml(c: Context, name: string, inactive: boolean): Promise<string> {
  return `${await c.conn.interfaceGetXMLDesc(await c.conn.interfaceLookupByName(name), inactive ? 1 : 0)}\n`;
}

/** `iface-name MAC` and `iface-mac NAME`. */
export async function ifaceIdentity(c: Context, ref: string, what: 'name' | 'mac'): Promise<string> {
  const iface = what === 'name' ? await c.conn.interfaceLookupByMACString(ref) : await c.conn.interfaceLookupByName(ref);
  return line(c, what, what === 'name' ? iface.name : iface.mac);
}

/** `nodedev-dumpxml DEVICE`. */
export async function nodedevDumpxml(c: Context, name: string): Promise<string> {
  return `${await c.conn.nodeDeviceGetXMLDesc(name, 0)}\n`;
}

/** `snapshot-current DOMAIN [--name]`: the current snapshot's XML, or its name. */
export async function snapshotCurrent(c: Context, ref: string, nameOnly: boolean): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const snap = await c.conn.domainSnapshotCurrent(dom, 0).catch((e: unknown) => {
    if (e instanceof LibvirtError && e.isNotFound()) throw new Error(`domain '${dom.name}' has no current snapshot`, { cause: e });
    throw e;
  });
  // virsh prints the name with no blank line after it.
  if (nameOnly) return c.json ? toJson({ name: snap.name }) + '\n' : `${snap.name}\n`;
  return `${await c.conn.domainSnapshotGetXMLDesc(snap, 0)}\n`;
}

/** `snapshot-dumpxml DOMAIN SNAPSHOT`. */
export async function snapshotDumpxml(c: Context, ref: string, name: string): Promise<string> {
  const snap = await c.conn.domainSnapshotLookupByName(await findDomain(c.conn, ref), name, 0);
  return `${await c.conn.domainSnapshotGetXMLDesc(snap, 0)}\n`;
}

/** `snapshot-info DOMAIN SNAPSHOT`: name, domain, whether current, state, location, family. */
export async function snapshotInfo(c: Context, ref: string, name: string): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const snap = await c.conn.domainSnapshotLookupByName(dom, name, 0);
  const { parseDomainSnapshotXML } = await xmlLayer();
  const def = parseDomainSnapshotXML(await c.conn.domainSnapshotGetXMLDesc(snap, 0));
  const [current, parent, children, descendants, metadata] = await Promise.all([
    c.conn.domainSnapshotIsCurrent(snap, 0),
    c.conn.domainSnapshotGetParent(snap, 0).then((p) => p.name, () => '-'),
    c.conn.domainSnapshotNumChildren(snap, 0),
    // VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS = 1.
    c.conn.domainSnapshotNumChildren(snap, 1),
    c.conn.domainSnapshotHasMetadata(snap, 0),
  ]);
  // virsh's location: a memory image or disks outside the guest's images are external.
  const memory = def.memory?.snapshot;
  const disks = (def.disks?.disk ?? []).map((d) => d.snapshot).filter((s) => s && s !== 'no');
  const external = memory === 'external' || disks.includes('external');
  const internal = memory === 'internal' || disks.includes('internal');
  const location = external && internal ? 'mixed' : external ? 'external' : internal ? 'internal' : 'none';
  const state = def.state ?? '';
  const info = { name: snap.name, domain: dom.name, current: current === 1, state, location, parent, children, descendants, metadata: metadata === 1 };
  if (c.json) return toJson(info) + '\n';
  const rows: [string, string][] = [
    ['Name', snap.name],
    ['Domain', dom.name],
    ['Current', current ? 'yes' : 'no'],
    ['State', state],
    ['Location', location],
    ['Parent', parent],
    ['Children', String(children)],
    ['Descendants', String(descendants)],
    ['Metadata', metadata ? 'yes' : 'no'],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(15)} ${v}`).join('\n') + '\n\n';
}

/** Adds this module's commands to the program. */
export function register(registry: Registry): void {
  const { program, io } = registry;
  const run = (work: (c: Context) => Promise<string>) => () => registry.act(work);
  for (const what of ['path', 'key', 'name', 'pool'] as const) {
    program
      .command(`vol-${what} <vol>`)
      .description(`returns the volume ${what} for a given volume name, key or path`)
      .option('--pool <pool>', 'pool name or uuid')
      .action((v: string, o: { pool?: string }) => run((c) => volIdentity(c, v, what, o.pool))());
  }
  program
    .command('vol-dumpxml <vol>')
    .description('vol information in XML')
    .option('--pool <pool>', 'pool name or uuid')
    .action((v: string, o: { pool?: string }) => run((c) => volDumpxml(c, v, o.pool))());
  program
    .command('vol-clone <vol> <newname>')
    .description('clone a volume.')
    .option('--pool <pool>', 'pool name or uuid')
    .action((v: string, n: string, o: { pool?: string }) => run((c) => volClone(c, v, n, o.pool))());
  program
    .command('pool-dumpxml <pool>')
    .description('pool information in XML')
    .option('--inactive', 'show inactive defined XML')
    .action((p: string, o: { inactive?: boolean }) => run((c) => poolDumpxml(c, p, !!o.inactive))());
  program.command('pool-uuid <pool>').description('convert a pool name to pool UUID').action((p: string) => run((c) => poolIdentity(c, p, 'uuid'))());
  program.command('pool-name <pool>').description('convert a pool UUID to pool name').action((p: string) => run((c) => poolIdentity(c, p, 'name'))());
  program
    .command('pool-define-as <name> <type>')
    .description('define a pool from a set of args')
    .option('--print-xml', 'print XML document, but don\'t define/create')
    .option('--source-host <host>', 'source-host for underlying storage')
    .option('--source-path <path>', 'source path for underlying storage')
    .option('--source-dev <dev>', 'source device for underlying storage')
    .option('--source-name <name>', 'source name for underlying storage')
    .option('--source-format <format>', 'format for underlying storage')
    .option('--target <dir>', 'target for underlying storage')
    .action((n: string, t: string, o: { printXml?: boolean; sourceHost?: string; sourcePath?: string; sourceDev?: string; sourceName?: string; sourceFormat?: string; target?: string }) =>
      run((c) => poolDefineAs(c, n, t, { ...o, print: !!o.printXml }))(),
    );
  for (const action of ['build', 'undefine'] as const) {
    program.command(`pool-${action} <pool>`).description(`${action} a pool`).action((p: string) => run((c) => poolBuildUndefine(c, p, action))());
  }
  program.command('net-define <file>').description('define an inactive persistent virtual network from an XML file').action((f: string) => run((c) => netDefineUndefine(c, f, true))());
  program.command('net-undefine <network>').description('undefine a persistent network').action((n: string) => run((c) => netDefineUndefine(c, n, false))());
  program
    .command('iface-list')
    .description('list physical host interfaces')
    .option('--all', 'list inactive & active interfaces')
    .option('--inactive', 'list inactive interfaces')
    .action((o: { all?: boolean; inactive?: boolean }) => run((c) => ifaceList(c, o))());
  program
    .command('iface-dumpxml <interface>')
    .description('interface information in XML')
    .option('--inactive', 'show inactive defined XML')
    .action((i: string, o: { inactive?: boolean }) => run((c) => ifaceDumpxml(c, i, !!o.inactive))());
  program.command('iface-name <interface>').description('convert an interface MAC address to interface name').action((i: string) => run((c) => ifaceIdentity(c, i, 'name'))());
  program.command('iface-mac <interface>').description('convert an interface name to interface MAC address').action((i: string) => run((c) => ifaceIdentity(c, i, 'mac'))());
  program.command('nodedev-dumpxml <device>').description('node device details in XML').action((d: string) => run((c) => nodedevDumpxml(c, d))());
  program
    .command('snapshot-current <domain>')
    .description('Get or set the current snapshot')
    .option('--name', 'list the name, rather than the full xml')
    .action((d: string, o: { name?: boolean }) => run((c) => snapshotCurrent(c, d, !!o.name))());
  program.command('snapshot-info <domain> <snapshot>').description('snapshot information').action((d: string, n: string) => run((c) => snapshotInfo(c, d, n))());
  program.command('snapshot-dumpxml <domain> <snapshot>').description('Dump XML for a domain snapshot').action((d: string, n: string) => run((c) => snapshotDumpxml(c, d, n))());
}
