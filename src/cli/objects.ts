/** Networks, pools, volumes, snapshots, secrets, stats and QEMU commands, in virsh's shapes. */
import type { TypedParams } from '../xdr/index.js';
import type { StorageVolumeTarget } from '../../xml/index.js';
import { WITH_RESULTS, findDomain, type Context, typedXml } from './commands.js';
import { keyValues, poolStateName, prettySize, table, toJson, typedParamText, uuidString } from './format.js';
import type { Registry } from './registry.js';

type VolumeFormat = NonNullable<StorageVolumeTarget['format']>['type'];

const yesNo = (v: number | boolean) => (v ? 'yes' : 'no');

/** `10M`, `1G`, `512KiB`, `1000KB`, `4096` → bytes, as virsh's scaled integers. */
export function parseSize(text: string): bigint {
  const m = /^(\d+)\s*([kmgtpe]?)(i?b?)$/i.exec(text.trim());
  if (!m) throw new Error(`'${text}' is not a size (like 10M, 1G, 512KiB or a number of bytes)`);
  const power = ' kmgtpe'.indexOf((m[2] || ' ').toLowerCase());
  const decimal = m[3]!.toLowerCase() === 'b' && m[2] !== '';
  return BigInt(m[1]!) * (decimal ? 1000n : 1024n) ** BigInt(power);
}

export async function capabilities(c: Context): Promise<string> {
  // virsh leaves one more blank line after the capabilities document than after others.
  return (await c.conn.connectGetCapabilities()) + '\n\n';
}

export async function domstats(c: Context, refs: string[]): Promise<string> {
  const doms = await Promise.all(refs.map((r) => findDomain(c.conn, r)));
  const records = await c.conn.connectGetAllDomainStats(doms, 0, 0);
  if (c.json) return toJson(records.map((r) => ({ domain: r.dom.name, params: r.params }))) + '\n';
  const block = (name: string, params: TypedParams) =>
    `Domain: '${name}'\n` +
    Object.entries(params)
      .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `  ${k}=${typedParamText(x)}\n`))
      .join('') +
    '\n';
  return records.map((r) => block(r.dom.name, r.params)).join('');
}

export async function autostart(c: Context, ref: string, disable: boolean): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  await c.conn.domainSetAutostart(dom, disable ? 0 : 1);
  return `Domain '${dom.name}' ${disable ? 'unmarked' : 'marked'} as autostarted\n\n`;
}

export async function netInfo(c: Context, name: string): Promise<string> {
  const net = await c.conn.networkLookupByName(name);
  const [active, persistent, auto, bridge] = await Promise.all([
    c.conn.networkIsActive(net),
    c.conn.networkIsPersistent(net),
    c.conn.networkGetAutostart(net),
    c.conn.networkGetBridgeName(net).catch(() => undefined),
  ]);
  const info = { name: net.name, uuid: uuidString(net.uuid), active: active === 1, persistent: persistent === 1, autostart: auto === 1, bridge: bridge ?? null };
  if (c.json) return toJson(info) + '\n';
  const pairs: [string, string][] = [
    ['Name', info.name],
    ['UUID', info.uuid],
    ['Active', yesNo(info.active)],
    ['Persistent', yesNo(info.persistent)],
    ['Autostart', yesNo(info.autostart)],
  ];
  if (bridge) pairs.push(['Bridge', bridge]);
  return keyValues(pairs, 15) + '\n';
}

export async function netDumpxml(c: Context, name: string): Promise<string> {
  return (await c.conn.networkGetXMLDesc(await c.conn.networkLookupByName(name), 0)) + '\n';
}

export async function netStartDestroy(c: Context, name: string, start: boolean): Promise<string> {
  const net = await c.conn.networkLookupByName(name);
  await (start ? c.conn.networkCreate(net) : c.conn.networkDestroy(net));
  return `Network ${name} ${start ? 'started' : 'destroyed'}\n\n`;
}

export async function poolInfo(c: Context, name: string): Promise<string> {
  const pool = await c.conn.storagePoolLookupByName(name);
  const [info, persistent, auto] = await Promise.all([
    c.conn.storagePoolGetInfo(pool),
    c.conn.storagePoolIsPersistent(pool),
    c.conn.storagePoolGetAutostart(pool),
  ]);
  const state = poolStateName(info.state);
  if (c.json) {
    return toJson({ name, uuid: uuidString(pool.uuid), state, persistent: persistent === 1, autostart: auto === 1, capacity: info.capacity, allocation: info.allocation, available: info.available }) + '\n';
  }
  const pairs: [string, string][] = [
    ['Name', name],
    ['UUID', uuidString(pool.uuid)],
    ['State', state],
    ['Persistent', yesNo(persistent)],
    ['Autostart', yesNo(auto)],
  ];
  if (state === 'running' || state === 'degraded') {
    pairs.push(['Capacity', prettySize(info.capacity)], ['Allocation', prettySize(info.allocation)], ['Available', prettySize(info.available)]);
  }
  return keyValues(pairs, 15) + '\n';
}

const VOL_TYPES = ['file', 'block', 'dir', 'network', 'netdir', 'ploop'];

export async function volInfo(c: Context, name: string, poolName: string): Promise<string> {
  const vol = await c.conn.storageVolLookupByName(await c.conn.storagePoolLookupByName(poolName), name);
  const info = await c.conn.storageVolGetInfo(vol);
  if (c.json) return toJson({ name, type: VOL_TYPES[info.type] ?? 'unknown', capacity: info.capacity, allocation: info.allocation }) + '\n';
  return (
    keyValues(
      [
        ['Name', name],
        ['Type', VOL_TYPES[info.type] ?? 'unknown'],
        ['Capacity', prettySize(info.capacity)],
        ['Allocation', prettySize(info.allocation)],
      ],
      15,
    ) + '\n'
  );
}

export async function volCreateAs(c: Context, poolName: string, name: string, size: string, o: { format?: string; allocation?: string }): Promise<string> {
  const pool = await c.conn.storagePoolLookupByName(poolName);
  const { formatStorageVolumeXML } = await typedXml();
  const xml = formatStorageVolumeXML({
    name,
    capacity: { value: parseSize(size) },
    ...(o.allocation ? { allocation: { value: parseSize(o.allocation) } } : {}),
    // An unknown format is refused here with the schema's list, before libvirt sees it.
    target: o.format ? { format: { type: o.format as VolumeFormat } } : {},
  });
  await c.conn.storageVolCreateXML(pool, xml, 0);
  return `Vol ${name} created\n\n`;
}

export async function volDelete(c: Context, name: string, poolName: string): Promise<string> {
  await c.conn.storageVolDelete(await c.conn.storageVolLookupByName(await c.conn.storagePoolLookupByName(poolName), name), 0);
  return `Vol ${name} deleted\n\n`;
}

export async function snapshotCreateAs(c: Context, ref: string, name: string | undefined, description: string | undefined): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const { formatDomainSnapshotXML } = await typedXml();
  const xml = formatDomainSnapshotXML({ ...(name ? { name } : {}), ...(description ? { description } : {}) });
  const snap = await c.conn.domainSnapshotCreateXML(dom, xml, 0);
  return `Domain snapshot ${snap.name} created\n`;
}

export async function snapshotRevertDelete(c: Context, ref: string, name: string, revert: boolean): Promise<string> {
  const snap = await c.conn.domainSnapshotLookupByName(await findDomain(c.conn, ref), name, 0);
  await (revert ? c.conn.domainRevertToSnapshot(snap, 0) : c.conn.domainSnapshotDelete(snap, 0));
  return `Domain snapshot ${name} ${revert ? 'reverted' : 'deleted'}\n\n`;
}

const SECRET_USAGE = ['none', 'volume', 'ceph', 'iscsi', 'tls', 'vtpm'];

export async function secretList(c: Context): Promise<string> {
  const { secrets } = await c.conn.connectListAllSecrets(WITH_RESULTS, 0);
  const rows = secrets.map((s) => ({ uuid: uuidString(s.uuid), usage: s.usageType ? `${SECRET_USAGE[s.usageType] ?? s.usageType} ${s.usageID}` : 'Unused' }));
  if (c.json) return toJson(rows) + '\n';
  return table(['UUID', 'Usage'], rows.map((r) => [r.uuid, r.usage]));
}

export async function qemuMonitorCommand(c: Context, ref: string, command: string, pretty: boolean): Promise<string> {
  const out = await c.conn.qemu.domainMonitorCommand(await findDomain(c.conn, ref), command, 0);
  return (pretty ? JSON.stringify(JSON.parse(out), null, 2) : out) + '\n';
}

export async function qemuAgentCommand(c: Context, ref: string, command: string, timeout: number): Promise<string> {
  const out = await c.conn.qemu.domainAgentCommand(await findDomain(c.conn, ref), command, timeout, 0);
  return `${out ?? ''}\n`;
}

/** Adds this module's commands to the program. */
export function register(registry: Registry): void {
  const { program, io } = registry;
  const run = (work: (c: Context) => Promise<string>) => () => registry.act(work);
  program.command('capabilities').description('host capabilities XML').action(run((c) => capabilities(c)));
  program.command('domstats <domain...>').description('domain statistics').action((d: string[]) => run((c) => domstats(c, d))());
  program
    .command('autostart <domain>')
    .description('start a domain with the host')
    .option('--disable', 'do not')
    .action((d: string, o: { disable?: boolean }) => run((c) => autostart(c, d, !!o.disable))());
  program.command('net-info <network>').description('network information').action((n: string) => run((c) => netInfo(c, n))());
  program.command('net-dumpxml <network>').description('network XML').action((n: string) => run((c) => netDumpxml(c, n))());
  program.command('net-start <network>').description('start a network').action((n: string) => run((c) => netStartDestroy(c, n, true))());
  program.command('net-destroy <network>').description('stop a network').action((n: string) => run((c) => netStartDestroy(c, n, false))());
  program.command('pool-info <pool>').description('storage pool information').action((p: string) => run((c) => poolInfo(c, p))());
  program
    .command('vol-info <vol>')
    .description('volume information')
    .requiredOption('--pool <pool>', 'the pool')
    .action((v: string, o: { pool: string }) => run((c) => volInfo(c, v, o.pool))());
  program
    .command('vol-create-as <pool> <name> <capacity>')
    .description('create a volume')
    .option('--allocation <size>', 'initial allocation')
    .option('--format <format>', 'raw, qcow2, ...')
    .action((p: string, n: string, size: string, o: { allocation?: string; format?: string }) => run((c) => volCreateAs(c, p, n, size, o))());
  program
    .command('vol-delete <vol>')
    .description('delete a volume')
    .requiredOption('--pool <pool>', 'the pool')
    .action((v: string, o: { pool: string }) => run((c) => volDelete(c, v, o.pool))());
  program
    .command('snapshot-create-as <domain> [name] [description]')
    .description('create a snapshot')
    .action((d: string, n?: string, desc?: string) => run((c) => snapshotCreateAs(c, d, n, desc))());
  program.command('snapshot-revert <domain> <snapshot>').description('revert to a snapshot').action((d: string, n: string) => run((c) => snapshotRevertDelete(c, d, n, true))());
  program.command('snapshot-delete <domain> <snapshot>').description('delete a snapshot').action((d: string, n: string) => run((c) => snapshotRevertDelete(c, d, n, false))());
  program.command('secret-list').description('list secrets').action(run((c) => secretList(c)));
  program
    .command('qemu-monitor-command <domain> <command>')
    .description('send a QMP command')
    .option('--pretty', 'indent the JSON reply')
    .action((d: string, q: string, o: { pretty?: boolean }) => run((c) => qemuMonitorCommand(c, d, q, !!o.pretty))());
  program
    .command('qemu-agent-command <domain> <command>')
    .description('send a guest agent command')
    .option('--timeout <seconds>', 'seconds to wait', '-2')
    .action((d: string, q: string, o: { timeout: string }) => run((c) => qemuAgentCommand(c, d, q, Number(o.timeout)))());
}
