/**
 * The commands, each printing what virsh prints (or JSON with `--json`). Each returns its
 * output as text so tests can compare it with virsh's.
 */
import { readFileSync } from 'node:fs';
import type { Connection } from '../api/connection.js';
import { LibvirtError } from '../errors.js';
import type { RemoteNonnullDomain } from '../../protocol/remote.js';
import {
  VIR_CONNECT_LIST_DOMAINS_ACTIVE,
  VIR_CONNECT_LIST_DOMAINS_INACTIVE,
  VIR_CONNECT_LIST_NETWORKS_ACTIVE,
  VIR_CONNECT_LIST_NETWORKS_INACTIVE,
  VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE,
  VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE,
} from '../../protocol/constants.js';
import { domainStateName, keyValues, poolStateName, table, toJson, uuidString, versionString } from './format.js';
import type { Registry } from './registry.js';

/** The typed XML layer, loaded by the commands that read or write XML only. */
export const typedXml = () => import('../../xml/index.js');

/** The `need_results` argument of the ListAll calls: return the objects, not only how many there are. */
export const WITH_RESULTS = 1;

export interface Context {
  conn: Connection;
  uri: string;
  json: boolean;
}

const yesNo = (v: number) => (v ? 'yes' : 'no');

/** A domain by name, id or UUID, as virsh accepts it (some commands take only some of them). */
export async function findDomain(conn: Connection, ref: string, by: { id?: boolean; uuid?: boolean; name?: boolean } = { id: true, uuid: true, name: true }): Promise<RemoteNonnullDomain> {
  const notFound = (cause?: unknown) => new Error(`failed to get domain '${ref}'`, { cause });
  if (by.id && /^\d+$/.test(ref)) {
    const byId = await conn.domainLookupByID(Number(ref)).catch(() => undefined);
    if (byId) return byId;
  }
  if (by.uuid && /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(ref)) {
    const bytes = Uint8Array.from(ref.replace(/-/g, '').match(/../g)!, (h) => parseInt(h, 16));
    const byUuid = await conn.domainLookupByUUID(bytes).catch(() => undefined);
    if (byUuid) return byUuid;
  }
  if (!by.name) throw notFound();
  return conn.domainLookupByName(ref).catch((e: unknown) => {
    // virsh names what it looked for rather than repeating the daemon's generic message.
    if (e instanceof LibvirtError && e.isNotFound()) throw notFound(e);
    throw e;
  });
}

export async function version(c: Context): Promise<string> {
  const [type, lib, hv] = await Promise.all([c.conn.connectGetType(), c.conn.connectGetLibVersion(), c.conn.connectGetVersion()]);
  if (c.json) return toJson({ api: type, libVersion: versionString(lib), hypervisor: type, hypervisorVersion: versionString(hv) }) + '\n';
  return `Using API: ${type} ${versionString(lib)}\nRunning hypervisor: ${type} ${versionString(hv)}\n\n`;
}

export async function uri(c: Context): Promise<string> {
  return c.json ? toJson({ uri: c.uri }) + '\n' : `${c.uri}\n\n`;
}

export async function hostname(c: Context): Promise<string> {
  const h = await c.conn.connectGetHostname();
  return c.json ? toJson({ hostname: h }) + '\n' : `${h}\n\n`;
}

export async function nodeinfo(c: Context): Promise<string> {
  const i = await c.conn.nodeGetInfo();
  if (c.json) return toJson(i) + '\n';
  return (
    keyValues(
      [
        ['CPU model', i.model],
        ['CPU(s)', String(i.cpus)],
        ['CPU frequency', `${i.mhz} MHz`],
        ['CPU socket(s)', String(i.sockets)],
        ['Core(s) per socket', String(i.cores)],
        ['Thread(s) per core', String(i.threads)],
        ['NUMA cell(s)', String(i.nodes)],
        ['Memory size', `${i.memory} KiB`],
      ],
      20,
    ) + '\n'
  );
}

export interface ListOptions {
  all?: boolean;
  inactive?: boolean;
  name?: boolean;
  uuid?: boolean;
}

export async function list(c: Context, o: ListOptions): Promise<string> {
  const flags = o.all ? 0 : o.inactive ? VIR_CONNECT_LIST_DOMAINS_INACTIVE : VIR_CONNECT_LIST_DOMAINS_ACTIVE;
  const { domains } = await c.conn.connectListAllDomains(WITH_RESULTS, flags);
  // virsh's order: running domains by id, then the others by name.
  domains.sort((a, b) => (a.id >= 0 && b.id >= 0 ? a.id - b.id : a.id >= 0 ? -1 : b.id >= 0 ? 1 : a.name.localeCompare(b.name)));
  const states = await Promise.all(domains.map((d) => c.conn.domainGetState(d, 0)));
  if (c.json) {
    return toJson(domains.map((d, i) => ({ id: d.id >= 0 ? d.id : null, name: d.name, uuid: d.uuid, state: domainStateName(states[i]!.state) }))) + '\n';
  }
  if (o.name) return domains.map((d) => `${d.name}\n`).join('') + '\n';
  if (o.uuid) return domains.map((d) => `${uuidString(d.uuid)}\n`).join('') + '\n';
  return table(
    ['Id', 'Name', 'State'],
    domains.map((d, i) => [d.id >= 0 ? String(d.id) : '-', d.name, domainStateName(states[i]!.state)]),
  );
}

export async function dominfo(c: Context, ref: string): Promise<string> {
  const conn = c.conn;
  const dom = await findDomain(conn, ref);
  const [info, os, persistent, autostart, managed, model] = await Promise.all([
    conn.domainGetInfo(dom),
    conn.domainGetOSType(dom),
    conn.domainIsPersistent(dom).catch(() => -1),
    conn.domainGetAutostart(dom).catch(() => -1),
    conn.domainHasManagedSaveImage(dom, 0).catch(() => -1),
    conn.nodeGetSecurityModel().catch(() => undefined),
  ]);
  const label = model?.model ? await conn.domainGetSecurityLabel(dom).catch(() => undefined) : undefined;
  const fields = {
    id: dom.id >= 0 ? dom.id : null,
    name: dom.name,
    uuid: uuidString(dom.uuid),
    osType: os,
    state: domainStateName(info.state),
    cpus: info.nrVirtCpu,
    cpuTime: info.cpuTime,
    maxMemory: info.maxMem,
    usedMemory: info.memory,
    persistent: persistent < 0 ? null : persistent === 1,
    autostart: autostart < 0 ? null : autostart === 1,
    managedSave: managed < 0 ? null : managed === 1,
    ...(model?.model ? { securityModel: model.model, securityDoi: model.doi, securityLabel: label?.label ?? null, enforcing: label ? label.enforcing === 1 : null } : {}),
  };
  if (c.json) return toJson(fields) + '\n';
  const unknownOr = (v: number, yes: string, no: string) => (v < 0 ? 'unknown' : v ? yes : no);
  const pairs: [string, string][] = [
    ['Id', dom.id >= 0 ? String(dom.id) : '-'],
    ['Name', dom.name],
    ['UUID', uuidString(dom.uuid)],
    ['OS Type', os],
    ['State', domainStateName(info.state)],
    ['CPU(s)', String(info.nrVirtCpu)],
    ...(info.state === 1 || info.cpuTime > 0n ? [['CPU time', `${(Number(info.cpuTime) / 1e9).toFixed(1)}s`] as [string, string]] : []),
    ['Max memory', `${info.maxMem} KiB`],
    ['Used memory', `${info.memory} KiB`],
    ['Persistent', unknownOr(persistent, 'yes', 'no')],
    ['Autostart', unknownOr(autostart, 'enable', 'disable')],
    ['Managed save', unknownOr(managed, 'yes', 'no')],
  ];
  if (model?.model) {
    pairs.push(['Security model', model.model], ['Security DOI', model.doi]);
    if (label?.label) pairs.push(['Security label', `${label.label} (${label.enforcing ? 'enforcing' : 'permissive'})`]);
  }
  return keyValues(pairs, 15) + '\n';
}

export async function domstate(c: Context, ref: string): Promise<string> {
  const { state } = await c.conn.domainGetState(await findDomain(c.conn, ref), 0);
  return c.json ? toJson({ state: domainStateName(state) }) + '\n' : `${domainStateName(state)}\n\n`;
}

export async function dumpxml(c: Context, ref: string, flags = 0): Promise<string> {
  return (await c.conn.domainGetXMLDesc(await findDomain(c.conn, ref), flags)) + '\n';
}

export async function netList(c: Context, o: { all?: boolean; inactive?: boolean }): Promise<string> {
  const flags = o.all ? 0 : o.inactive ? VIR_CONNECT_LIST_NETWORKS_INACTIVE : VIR_CONNECT_LIST_NETWORKS_ACTIVE;
  const { nets } = await c.conn.connectListAllNetworks(WITH_RESULTS, flags);
  nets.sort((a, b) => a.name.localeCompare(b.name));
  const rows = await Promise.all(
    nets.map(async (n) => {
      const [active, autostart, persistent] = await Promise.all([
        c.conn.networkIsActive(n),
        c.conn.networkGetAutostart(n),
        c.conn.networkIsPersistent(n),
      ]);
      return { name: n.name, uuid: n.uuid, active: active === 1, autostart: autostart === 1, persistent: persistent === 1 };
    }),
  );
  if (c.json) return toJson(rows) + '\n';
  return table(
    ['Name', 'State', 'Autostart', 'Persistent'],
    rows.map((r) => [r.name, r.active ? 'active' : 'inactive', yesNo(+r.autostart), yesNo(+r.persistent)]),
  );
}

export async function poolList(c: Context, o: { all?: boolean; inactive?: boolean }): Promise<string> {
  const flags = o.all ? 0 : o.inactive ? VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE : VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE;
  const { pools } = await c.conn.connectListAllStoragePools(WITH_RESULTS, flags);
  pools.sort((a, b) => a.name.localeCompare(b.name));
  const rows = await Promise.all(
    pools.map(async (p) => {
      const [info, autostart] = await Promise.all([c.conn.storagePoolGetInfo(p), c.conn.storagePoolGetAutostart(p)]);
      return { name: p.name, uuid: p.uuid, state: poolStateName(info.state), autostart: autostart === 1, capacity: info.capacity, allocation: info.allocation, available: info.available };
    }),
  );
  if (c.json) return toJson(rows) + '\n';
  return table(
    ['Name', 'State', 'Autostart'],
    rows.map((r) => [r.name, r.state === 'running' ? 'active' : r.state === 'inactive' ? 'inactive' : r.state, yesNo(+r.autostart)]),
  );
}

export async function volList(c: Context, poolName: string): Promise<string> {
  const pool = await c.conn.storagePoolLookupByName(poolName);
  const { vols } = await c.conn.storagePoolListAllVolumes(pool, WITH_RESULTS, 0);
  vols.sort((a, b) => a.name.localeCompare(b.name));
  const rows = await Promise.all(vols.map(async (v) => ({ name: v.name, path: await c.conn.storageVolGetPath(v), key: v.key })));
  if (c.json) return toJson(rows) + '\n';
  return table(['Name', 'Path'], rows.map((r) => [r.name, r.path]));
}

/** Domain actions that take a domain and print virsh's one-line confirmation. */
export const DOMAIN_ACTIONS: Record<string, { run(conn: Connection, dom: RemoteNonnullDomain): Promise<unknown>; done: string }> = {
  start: { run: (conn, dom) => conn.domainCreate(dom), done: 'started' },
  shutdown: { run: (conn, dom) => conn.domainShutdown(dom), done: 'is being shutdown' },
  reboot: { run: (conn, dom) => conn.domainReboot(dom, 0), done: 'is being rebooted' },
  destroy: { run: (conn, dom) => conn.domainDestroy(dom), done: 'destroyed' },
  suspend: { run: (conn, dom) => conn.domainSuspend(dom), done: 'suspended' },
  resume: { run: (conn, dom) => conn.domainResume(dom), done: 'resumed' },
};

export async function domainAction(c: Context, action: string, ref: string): Promise<string> {
  const a = DOMAIN_ACTIONS[action]!;
  const dom = await findDomain(c.conn, ref);
  await a.run(c.conn, dom);
  return `Domain '${dom.name}' ${a.done}\n\n`;
}

export async function define(c: Context, file: string, xml: string): Promise<string> {
  const dom = await c.conn.domainDefineXML(xml);
  return `Domain '${dom.name}' defined from ${file}\n\n`;
}

/** Adds this module's commands to the program. */
export function register(registry: Registry): void {
  const { program, io } = registry;
  const run = (work: (c: Context) => Promise<string>) => () => registry.act(work);
  program.command('version').description('show versions').action(run((c) => version(c)));
  program.command('uri').description('print the connection URI').action(run((c) => uri(c)));
  program.command('hostname').description("print the hypervisor's hostname").action(run((c) => hostname(c)));
  program.command('nodeinfo').description('node information').action(run((c) => nodeinfo(c)));
  program
    .command('list')
    .description('list domains')
    .option('--all', 'active and inactive domains')
    .option('--inactive', 'inactive domains')
    .option('--name', 'names only')
    .option('--uuid', 'UUIDs only')
    .action((o: ListOptions) => run((c) => list(c, o))());
  program.command('dominfo <domain>').description('domain information').action((d: string) => run((c) => dominfo(c, d))());
  program.command('domstate <domain>').description('domain state').action((d: string) => run((c) => domstate(c, d))());
  program
    .command('dumpxml <domain>')
    .description('domain XML')
    .option('--security-info', 'include security-sensitive information')
    .option('--inactive', 'the persistent configuration')
    .action((d: string, o: { securityInfo?: boolean; inactive?: boolean }) =>
      run((c) => dumpxml(c, d, (o.securityInfo ? 1 : 0) | (o.inactive ? 2 : 0)))(),
    );
  program.command('define <file>').description('define a domain from an XML file').action((f: string) => run((c) => define(c, f, readFileSync(f, 'utf8')))());
  for (const action of Object.keys(DOMAIN_ACTIONS)) {
    program.command(`${action} <domain>`).description(`${action} a domain`).action((d: string) => run((c) => domainAction(c, action, d))());
  }
  program
    .command('net-list')
    .description('list networks')
    .option('--all', 'active and inactive')
    .option('--inactive', 'inactive only')
    .action((o: { all?: boolean; inactive?: boolean }) => run((c) => netList(c, o))());
  program
    .command('pool-list')
    .description('list storage pools')
    .option('--all', 'active and inactive')
    .option('--inactive', 'inactive only')
    .action((o: { all?: boolean; inactive?: boolean }) => run((c) => poolList(c, o))());
  program.command('vol-list <pool>').description('list the volumes of a pool').action((p: string) => run((c) => volList(c, p))());
}
