/**
 * virsh's everyday read and tuning commands for a domain or the host: block devices,
 * interfaces and their addresses, vCPUs, memory, free memory, CPU statistics, and the small
 * name/id/UUID lookups; each prints what virsh prints. The domain's devices are read from its
 * XML through the typed XML layer (loaded by these commands only).
 */
import type { RemoteNonnullDomain } from '../../protocol/remote.js';
import {
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_VCPU_MAXIMUM,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_ERR_NO_SUPPORT,
  VIR_IP_ADDR_TYPE_IPV4,
} from '../../protocol/constants.js';
import { LibvirtError } from '../errors.js';
import { uuidBytes } from '../handles/values.js';
import { type Context, findDomain, typedXml as xmlLayer } from './commands.js';
import { keyValues, numericOption, table, toJson, uuidString } from './format.js';
import { scaledOption } from './virsh-options.js';
import { type Registry, affectOptions } from './registry.js';

/** A child's attribute read from a typed element whose branches differ (any of the names given). */
function attrOf(el: unknown, ...names: string[]): string | undefined {
  if (!el || typeof el !== 'object') return undefined;
  for (const n of names) {
    const v = (el as Record<string, unknown>)[n];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return undefined;
}

async function domainXml(c: Context, ref: string, inactive: boolean) {
  const dom = await findDomain(c.conn, ref);
  const { parseDomainXML } = await xmlLayer();
  return { dom, def: parseDomainXML(await c.conn.domainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0)) };
}

/** `domblklist DOMAIN [--details] [--inactive]`. */
export async function domblklist(c: Context, ref: string, o: { details?: boolean; inactive?: boolean }): Promise<string> {
  const { def } = await domainXml(c, ref, !!o.inactive);
  const disks = (def.devices?.disk ?? []).map((d) => ({
    type: d.type ?? 'file',
    device: d.device ?? 'disk',
    target: d.target.dev,
    source: attrOf(d.source, 'file', 'dev', 'dir', 'name', 'volume') ?? '-',
  }));
  if (c.json) return toJson(disks) + '\n';
  if (o.details) return table(['Type', 'Device', 'Target', 'Source'], disks.map((d) => [d.type, d.device, d.target, d.source]));
  return table(['Target', 'Source'], disks.map((d) => [d.target, d.source]));
}

/** `domiflist DOMAIN [--inactive]`. */
export async function domiflist(c: Context, ref: string, o: { inactive?: boolean }): Promise<string> {
  const { def } = await domainXml(c, ref, !!o.inactive);
  const ifaces = (def.devices?.interface ?? []).map((i) => ({
    interface: attrOf(i.target, 'dev') ?? '-',
    type: i.type,
    source: attrOf((i as { source?: unknown }).source, 'bridge', 'network', 'dev', 'path') ?? '-',
    model: attrOf(i.model, 'type') ?? '-',
    mac: attrOf(i.mac, 'address') ?? '-',
  }));
  if (c.json) return toJson(ifaces) + '\n';
  return table(['Interface', 'Type', 'Source', 'Model', 'MAC'], ifaces.map((i) => [i.interface, i.type, i.source, i.model, i.mac]));
}

/** `domifaddr DOMAIN [--source lease|agent|arp]`: one line per address, the name and MAC on the first. */
export async function domifaddr(c: Context, ref: string, o: { source?: string }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const sources = ['lease', 'agent', 'arp'];
  const source = o.source === undefined ? 0 : sources.indexOf(o.source);
  if (source < 0) throw new Error(`Unknown data source '${o.source}'`);
  const ifaces = await c.conn.domainInterfaceAddresses(dom, source, 0);
  if (c.json) return toJson(ifaces.map((i) => ({ name: i.name, mac: i.hwaddr, addresses: i.addrs.map((a) => ({ type: a.type === VIR_IP_ADDR_TYPE_IPV4 ? 'ipv4' : 'ipv6', address: a.addr, prefix: a.prefix })) }))) + '\n';
  const line = (name: string, mac: string, proto: string, addr: string) => ` ${name.padEnd(10)} ${mac.padEnd(17)}    ${proto.padEnd(12)} ${addr}`;
  const lines = [line('Name', 'MAC address', 'Protocol', 'Address'), '-'.repeat(79)];
  for (const i of ifaces) {
    if (!i.addrs.length) lines.push(line(i.name, i.hwaddr ?? '-', 'N/A', 'N/A'));
    i.addrs.forEach((a, k) => {
      const proto = a.type === VIR_IP_ADDR_TYPE_IPV4 ? 'ipv4' : 'ipv6';
      lines.push(k === 0 ? line(i.name, i.hwaddr ?? '-', proto, `${a.addr}/${a.prefix}`) : line('-', '-', proto, `${a.addr}/${a.prefix}`));
    });
  }
  return `${lines.join('\n')}\n\n`;
}

/** `vcpucount DOMAIN`: maximum and current, configured and live (live only while it runs). */
export async function vcpucount(c: Context, ref: string): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const rows: [string, string, number][] = [];
  for (const [which, max] of [['maximum', VIR_DOMAIN_VCPU_MAXIMUM], ['current', 0]] as const) {
    for (const [where, flag] of [['config', VIR_DOMAIN_AFFECT_CONFIG], ['live', VIR_DOMAIN_AFFECT_LIVE]] as const) {
      const n = await c.conn.domainGetVcpusFlags(dom, max | flag).catch(() => null);
      if (n !== null) rows.push([which, where, n]);
    }
  }
  if (c.json) return toJson(rows.map(([which, where, count]) => ({ which, where, count }))) + '\n';
  return rows.map(([a, b, n]) => `${a.padEnd(12)} ${b.padEnd(12)} ${String(n).padStart(3)}`).join('\n') + '\n\n';
}

/** `maxvcpus [--type TYPE]`: the domain capabilities' figure, else the driver's. */
export async function maxvcpus(c: Context, o: { type?: string }): Promise<string> {
  let count: number | null = null;
  try {
    const caps = await c.conn.connectGetDomainCapabilities(null, null, null, o.type ?? null, 0);
    const { parseDomainCapabilitiesXML } = await xmlLayer();
    const max = parseDomainCapabilitiesXML(caps).vcpu?.max;
    if (typeof max === 'number') count = max;
  } catch {
    // Drivers without domain capabilities (the test driver) have the older call.
  }
  count ??= await c.conn.connectGetMaxVcpus(o.type ?? null);
  return c.json ? toJson({ maxvcpus: count }) + '\n' : `${count}\n\n`;
}

/** `freecell [--all] [--cellno N]`: free memory, in all or per NUMA cell. */
export async function freecell(c: Context, o: { all?: boolean; cellno?: string }): Promise<string> {
  if (o.cellno !== undefined) {
    const cell = Number(o.cellno);
    const [free] = await c.conn.nodeGetCellsFreeMemory(cell, 1);
    return c.json ? toJson({ cell, free: free! / 1024n }) + '\n' : `${cell}: ${free! / 1024n} KiB\n\n`;
  }
  if (!o.all) {
    const free = await c.conn.nodeGetFreeMemory();
    return c.json ? toJson({ free: free / 1024n }) + '\n' : `Total: ${free / 1024n} KiB\n\n`;
  }
  const { parseCapabilitiesXML } = await xmlLayer();
  const cells = parseCapabilitiesXML(await c.conn.connectGetCapabilities()).host.topology?.cells?.cell ?? [];
  const rows: [number, bigint][] = [];
  for (const cell of cells) rows.push([Number(cell.id), (await c.conn.nodeGetCellsFreeMemory(Number(cell.id), 1))[0]! / 1024n]);
  const total = rows.reduce((a, [, v]) => a + v, 0n);
  if (c.json) return toJson({ cells: rows.map(([cell, free]) => ({ cell, free })), total }) + '\n';
  return `${rows.map(([id, v]) => `${String(id).padStart(5)}: ${String(v).padStart(10)} KiB`).join('\n')}\n${'-'.repeat(20)}\nTotal: ${String(total).padStart(10)} KiB\n\n`;
}

/** `nodecpustats [--cpu N]`: the host's CPU times in nanoseconds. */
export async function nodecpustats(c: Context, o: { cpu?: string }): Promise<string> {
  const cpu = o.cpu === undefined ? -1 : Number(o.cpu);
  // VIR_NODE_CPU_STATS_ALL_CPUS is -1; a first call with no room says how many there are.
  const { nparams } = await c.conn.nodeGetCPUStats(cpu, 0, 0);
  const { params } = await c.conn.nodeGetCPUStats(cpu, nparams, 0);
  const by = new Map(params.map((p) => [p.field, p.value]));
  // virsh's names and order: the kernel's time is `system`.
  const rows = ([['user', 'user'], ['system', 'kernel'], ['idle', 'idle'], ['iowait', 'iowait']] as const).filter(([, f]) => by.has(f)).map(([n, f]) => [n, by.get(f)!] as const);
  if (c.json) return toJson(Object.fromEntries(rows)) + '\n';
  return rows.map(([n, v]) => `${`${n}:`.padEnd(15)} ${String(v).padStart(20)}`).join('\n') + '\n\n';
}

/** `sysinfo`: the host's SMBIOS as XML. */
export async function sysinfo(c: Context): Promise<string> {
  return `${await c.conn.connectGetSysinfo(0)}\n`;
}

/** `domblkinfo DOMAIN DEVICE`: capacity, allocation and physical size in bytes. */
export async function domblkinfo(c: Context, ref: string, device: string): Promise<string> {
  const i = await c.conn.domainGetBlockInfo(await findDomain(c.conn, ref), device, 0);
  if (c.json) return toJson(i) + '\n';
  return keyValues([['Capacity', String(i.capacity)], ['Allocation', String(i.allocation)], ['Physical', String(i.physical)]], 15) + '\n';
}

const MEMORY_STATS = ['swap_in', 'swap_out', 'major_fault', 'minor_fault', 'unused', 'available', 'actual', 'rss', 'usable', 'last_update', 'disk_caches', 'hugetlb_pgalloc', 'hugetlb_pgfail'];

/** `dommemstat DOMAIN`: the balloon's statistics, in the daemon's order. */
export async function dommemstat(c: Context, ref: string): Promise<string> {
  const stats = await c.conn.domainMemoryStats(await findDomain(c.conn, ref), MEMORY_STATS.length, 0);
  const named = stats.filter((s) => MEMORY_STATS[s.tag]).map((s) => [MEMORY_STATS[s.tag]!, s.val] as const);
  if (c.json) return toJson(Object.fromEntries(named)) + '\n';
  return named.map(([n, v]) => `${n} ${v}`).join('\n') + '\n\n';
}

/** `domhostname DOMAIN`. */
export async function domhostname(c: Context, ref: string): Promise<string> {
  const h = await c.conn.domainGetHostname(await findDomain(c.conn, ref), 0);
  return c.json ? toJson({ hostname: h }) + '\n' : `${h}\n\n`;
}

/** `domid`, `domuuid` and `domname`: one of a domain's three names for it. */
export async function domIdentity(c: Context, ref: string, what: 'id' | 'uuid' | 'name'): Promise<string> {
  // virsh looks a domain up by the two names the command does not print.
  const by = what === 'id' ? { name: true, uuid: true } : what === 'uuid' ? { name: true, id: true } : { id: true, uuid: true };
  const dom: RemoteNonnullDomain = await findDomain(c.conn, ref, by);
  const v = what === 'id' ? (dom.id >= 0 ? String(dom.id) : '-') : what === 'uuid' ? uuidString(dom.uuid) : dom.name;
  return c.json ? toJson({ [what]: what === 'id' ? (dom.id >= 0 ? dom.id : null) : v }) + '\n' : `${v}\n\n`;
}

/** `net-name UUID` and `net-uuid NAME`. */
export async function netIdentity(c: Context, ref: string, what: 'name' | 'uuid'): Promise<string> {
  const net = what === 'name' ? await c.conn.networkLookupByUUID(uuidBytes(ref)) : await c.conn.networkLookupByName(ref);
  const v = what === 'name' ? net.name : uuidString(net.uuid);
  return c.json ? toJson({ [what]: v }) + '\n' : `${v}\n\n`;
}

/** `net-autostart NETWORK [--disable]` and `pool-autostart POOL [--disable]`. */
export async function autostartOf(c: Context, kind: 'net' | 'pool', ref: string, disable: boolean): Promise<string> {
  if (kind === 'net') await c.conn.networkSetAutostart(await c.conn.networkLookupByName(ref), disable ? 0 : 1);
  else await c.conn.storagePoolSetAutostart(await c.conn.storagePoolLookupByName(ref), disable ? 0 : 1);
  return `${kind === 'net' ? 'Network' : 'Pool'} ${ref} ${disable ? 'unmarked' : 'marked'} as autostarted\n\n`;
}

/** `pool-start`, `pool-destroy` and `pool-refresh` POOL. */
export async function poolAction(c: Context, action: 'start' | 'destroy' | 'refresh', ref: string): Promise<string> {
  const pool = await c.conn.storagePoolLookupByName(ref);
  if (action === 'start') await c.conn.storagePoolCreate(pool, 0);
  else if (action === 'destroy') await c.conn.storagePoolDestroy(pool);
  else await c.conn.storagePoolRefresh(pool, 0);
  return `Pool ${ref} ${action === 'start' ? 'started' : action === 'destroy' ? 'destroyed' : 'refreshed'}\n\n`;
}

/** virsh's `--config --live --current` as the affect flags. */
const affect = (o: { config?: boolean; live?: boolean; current?: boolean }) => (o.config ? VIR_DOMAIN_AFFECT_CONFIG : 0) | (o.live ? VIR_DOMAIN_AFFECT_LIVE : 0);

/** setmem's size as virsh reads it (a scaled integer, a bare number in KiB), in KiB rounded up. */
export function kibOf(size: string): bigint {
  return (scaledOption('size', size, 1024n) + 1023n) / 1024n;
}

/** `setmem DOMAIN SIZE [--config] [--live] [--current]` and `setmaxmem` likewise. */
export async function setMemory(c: Context, ref: string, size: string, max: boolean, o: { config?: boolean; live?: boolean; current?: boolean }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const kib = kibOf(size);
  const flags = affect(o);
  // As virsh: the older calls without flags, the flagged one (VIR_DOMAIN_MEM_MAXIMUM = 4) with.
  if (flags === 0) await (max ? c.conn.domainSetMaxMemory(dom, kib) : c.conn.domainSetMemory(dom, kib));
  else await c.conn.domainSetMemoryFlags(dom, kib, flags | (max ? 4 : 0));
  return '\n';
}

/** `setvcpus DOMAIN COUNT [--config] [--live] [--current] [--maximum]`. */
export async function setvcpus(c: Context, ref: string, count: string, o: { config?: boolean; live?: boolean; current?: boolean; maximum?: boolean }): Promise<string> {
  await c.conn.domainSetVcpusFlags(await findDomain(c.conn, ref), numericOption('count', count), affect(o) | (o.maximum ? VIR_DOMAIN_VCPU_MAXIMUM : 0));
  return '\n';
}

/** `cpu-models ARCH`: the CPU models the hypervisor knows for an architecture. */
export async function cpuModels(c: Context, arch: string): Promise<string> {
  const { models } = await c.conn.connectGetCPUModelNames(arch, 1, 0);
  return c.json ? toJson(models) + '\n' : models.map((m) => `${m}\n`).join('') + '\n';
}

/** `domtime DOMAIN`: the guest's clock, seconds since the epoch (from its agent). */
export async function domtime(c: Context, ref: string): Promise<string> {
  const t = await c.conn.domainGetTime(await findDomain(c.conn, ref), 0);
  return c.json ? toJson({ seconds: t.seconds, nseconds: t.nseconds }) + '\n' : `Time: ${t.seconds}\n`;
}

/** `domifstat DOMAIN INTERFACE`: the interface's traffic counters, virsh's names. */
export async function domifstat(c: Context, ref: string, device: string): Promise<string> {
  const s = await c.conn.domainInterfaceStats(await findDomain(c.conn, ref), device);
  if (c.json) return toJson(s) + '\n';
  // virsh leaves out what the hypervisor does not count (-1).
  return Object.entries(s).filter(([, v]) => v >= 0n).map(([k, v]) => `${device} ${k} ${v}`).join('\n') + '\n\n';
}

/** The block statistics' typed-parameter names, as virsh prints them (its older names first). */
const BLOCK_STATS: [string, string][] = [
  ['rd_operations', 'rd_req'],
  ['rd_bytes', 'rd_bytes'],
  ['wr_operations', 'wr_req'],
  ['wr_bytes', 'wr_bytes'],
  ['errs', 'errs'],
  ['flush_operations', 'flush_operations'],
  ['rd_total_times', 'rd_total_times'],
  ['wr_total_times', 'wr_total_times'],
  ['flush_total_times', 'flush_total_times'],
];

/** `domblkstat DOMAIN DEVICE`: the device's I/O counters. */
export async function domblkstat(c: Context, ref: string, device: string): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  let rows: (readonly [string, unknown])[];
  try {
    // A first call with no room says how many statistics there are.
    const { nparams } = await c.conn.domainBlockStatsFlags(dom, device, 0, 0);
    const { params } = await c.conn.domainBlockStatsFlags(dom, device, nparams, 0);
    const known = BLOCK_STATS.filter(([f]) => params[f] !== undefined).map(([f, n]) => [n, params[f]] as const);
    rows = [...known, ...Object.entries(params).filter(([f]) => !BLOCK_STATS.some(([k]) => k === f))];
  } catch (e) {
    // As virsh: a driver without the typed call has the fixed one (what it does not count is -1).
    if (!(e instanceof LibvirtError) || e.code !== VIR_ERR_NO_SUPPORT) throw e;
    rows = Object.entries(await c.conn.domainBlockStats(dom, device)).filter(([, v]) => v >= 0n);
  }
  if (c.json) return toJson(Object.fromEntries(rows)) + '\n';
  return rows.map(([n, v]) => `${device} ${n} ${v}`).join('\n') + '\n\n';
}

/** Adds this module's commands to the program. */
export function register(registry: Registry): void {
  const { program, io } = registry;
  const run = (work: (c: Context) => Promise<string>) => () => registry.act(work);
  program
    .command('domblklist <domain>')
    .description('list all domain blocks')
    .option('--details', 'additionally display the type and device value')
    .option('--inactive', 'get inactive rather than running configuration')
    .action((d: string, o: { details?: boolean; inactive?: boolean }) => run((c) => domblklist(c, d, o))());
  program
    .command('domiflist <domain>')
    .description('list all domain virtual interfaces')
    .option('--inactive', 'get inactive rather than running configuration')
    .action((d: string, o: { inactive?: boolean }) => run((c) => domiflist(c, d, o))());
  program
    .command('domifaddr <domain>')
    .description('Get network interfaces\' addresses for a running domain')
    .option('--source <source>', 'address source: lease, agent or arp')
    .action((d: string, o: { source?: string }) => run((c) => domifaddr(c, d, o))());
  program.command('vcpucount <domain>').description('domain vcpu counts').action((d: string) => run((c) => vcpucount(c, d))());
  program
    .command('maxvcpus')
    .description('connection vcpu maximum')
    .option('--type <type>', 'domain type')
    .action((o: { type?: string }) => run((c) => maxvcpus(c, o))());
  program
    .command('freecell')
    .description('NUMA free memory')
    .option('--all', 'show free memory for all NUMA cells')
    .option('--cellno <cell>', 'NUMA cell number')
    .action((o: { all?: boolean; cellno?: string }) => run((c) => freecell(c, o))());
  program
    .command('nodecpustats')
    .description('Prints cpu stats of the node.')
    .option('--cpu <n>', 'prints specified cpu statistics only')
    .action((o: { cpu?: string }) => run((c) => nodecpustats(c, o))());
  program.command('sysinfo').description('print the hypervisor sysinfo').action(run((c) => sysinfo(c)));
  program.command('domblkinfo <domain> <device>').description('domain block device size information').action((d: string, dev: string) => run((c) => domblkinfo(c, d, dev))());
  program.command('dommemstat <domain>').description('get memory statistics for a domain').action((d: string) => run((c) => dommemstat(c, d))());
  program.command('domhostname <domain>').description('print the domain\'s hostname').action((d: string) => run((c) => domhostname(c, d))());
  for (const [name, what] of [['domid', 'id'], ['domuuid', 'uuid'], ['domname', 'name']] as const) {
    program.command(`${name} <domain>`).description(`convert a domain to its ${what}`).action((d: string) => run((c) => domIdentity(c, d, what))());
  }
  program.command('net-name <network>').description('convert a network UUID to network name').action((n: string) => run((c) => netIdentity(c, n, 'name'))());
  program.command('net-uuid <network>').description('convert a network name to network UUID').action((n: string) => run((c) => netIdentity(c, n, 'uuid'))());
  for (const kind of ['net', 'pool'] as const) {
    program
      .command(`${kind}-autostart <${kind === 'net' ? 'network' : 'pool'}>`)
      .description(`autostart a ${kind === 'net' ? 'network' : 'pool'}`)
      .option('--disable', 'disable autostarting')
      .action((n: string, o: { disable?: boolean }) => run((c) => autostartOf(c, kind, n, !!o.disable))());
  }
  for (const action of ['start', 'destroy', 'refresh'] as const) {
    program.command(`pool-${action} <pool>`).description(`${action} a pool`).action((p: string) => run((c) => poolAction(c, action, p))());
  }
  for (const [name, max] of [['setmem', false], ['setmaxmem', true]] as const) {
    affectOptions(program.command(`${name} <domain> <size>`).description(max ? 'change maximum memory limit' : 'change memory allocation')).action(
      (d: string, size: string, o: { config?: boolean; live?: boolean; current?: boolean }) => run((c) => setMemory(c, d, size, max, o))(),
    );
  }
  affectOptions(program.command('setvcpus <domain> <count>').description('change number of virtual CPUs'))
    .option('--maximum', 'set maximum limit on next boot')
    .action((d: string, n: string, o: { config?: boolean; live?: boolean; current?: boolean; maximum?: boolean }) => run((c) => setvcpus(c, d, n, o))());
  program.command('cpu-models <arch>').description('CPU models').action((a: string) => run((c) => cpuModels(c, a))());
  program.command('domtime <domain>').description('domain time').action((d: string) => run((c) => domtime(c, d))());
  program.command('domifstat <domain> <interface>').description('get network interface stats for a domain').action((d: string, i: string) => run((c) => domifstat(c, d, i))());
  program.command('domblkstat <domain> <device>').description('get device block stats for a domain').action((d: string, dev: string) => run((c) => domblkstat(c, d, dev))());
}
