/**
 * virsh's network commands beside those in commands.ts, objects.ts, queries.ts and
 * inventory.ts: `net-create`, `net-dhcp-leases`, `net-update`, the network port commands
 * (`net-port-create`, `net-port-delete`, `net-port-dumpxml`, `net-port-list`) and `net-event`.
 * Networks are found as virsh finds them: a 36-character word by UUID first, then by name.
 */
import {
  VIR_IP_ADDR_TYPE_IPV4,
  VIR_IP_ADDR_TYPE_IPV6,
  VIR_NETWORK_CREATE_VALIDATE,
  VIR_NETWORK_PORT_CREATE_VALIDATE,
  VIR_NETWORK_UPDATE_AFFECT_CONFIG,
  VIR_NETWORK_UPDATE_AFFECT_CURRENT,
  VIR_NETWORK_UPDATE_AFFECT_LIVE,
  VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
} from '../../protocol/constants.js';
import type { RemoteNetworkDhcpLease, RemoteNonnullNetwork, RemoteNonnullNetworkPort } from '../../protocol/remote.js';
import { type Context, WITH_RESULTS } from './commands.js';
import { table, toJson, uuidString } from './format.js';
import { INT, exclusiveArgs, failed, integerOption, readVirshFile, stringOption } from './virsh-options.js';
import { type VirshArgs, type VirshCommandSpec, virshCommand } from './virsh-args.js';
import type { CliIo, Registry } from './registry.js';
import { EVENT_OPTIONS, type EventFamily, caseBlind, messageOf, parseUuid, waitForEvents } from './secrets.js';

const done = (c: Context, fields: Record<string, unknown>, text: string) => (c.json ? toJson(fields) + '\n' : `${text}\n\n`);

/** A network by UUID (a 36-character word) or name, failing with virsh's two lines. */
export async function findNetwork(c: Context, ref: string): Promise<RemoteNonnullNetwork> {
  const uuid = ref.length === 36 ? parseUuid(ref) : undefined;
  if (uuid) {
    const byUuid = await c.conn.networkLookupByUUID(uuid).catch(() => undefined);
    if (byUuid) return byUuid;
  }
  return c.conn.networkLookupByName(ref).catch((e: unknown) => {
    throw failed(`failed to get network '${ref}'`, e);
  });
}

/** `net-create FILE [--validate]`: a transient network, started. */
export async function netCreate(c: Context, args: VirshArgs): Promise<string> {
  const file = stringOption(args, 'file')!;
  const xml = readVirshFile(file);
  // Without flags virsh calls the older API, whose name a refusal carries.
  const net = await (args.has('validate') ? c.conn.networkCreateXMLFlags(xml, VIR_NETWORK_CREATE_VALIDATE) : c.conn.networkCreateXML(xml)).catch((e: unknown) => {
    throw failed(`Failed to create network from ${file}`, e);
  });
  return done(c, { name: net.name, uuid: uuidString(net.uuid) }, `Network ${net.name} created from ${file}`);
}

/** `2024-01-31 12:34:56` in local time, as g_date_time_format writes a lease's expiry. */
function localTime(seconds: bigint): string {
  const d = new Date(Number(seconds) * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** `net-dhcp-leases NETWORK [--mac MAC]`: the leases, by MAC address. */
export async function netDhcpLeases(c: Context, args: VirshArgs): Promise<string> {
  const mac = stringOption(args, 'mac');
  const name = stringOption(args, 'network')!;
  const net = await findNetwork(c, name);
  const { leases } = await c.conn.networkGetDHCPLeases(net, mac ?? null, WITH_RESULTS, 0).catch((e: unknown) => {
    throw failed(`Failed to get leases info for ${name}`, e);
  });
  leases.sort((a, b) => caseBlind(a.mac ?? '', b.mac ?? ''));
  const protocol = (l: RemoteNetworkDhcpLease) => (l.type === VIR_IP_ADDR_TYPE_IPV4 ? 'ipv4' : l.type === VIR_IP_ADDR_TYPE_IPV6 ? 'ipv6' : null);
  if (c.json) {
    return (
      toJson(
        leases.map((l) => ({
          expiryTime: Number(l.expirytime),
          mac: l.mac,
          protocol: protocol(l),
          ipAddress: l.ipaddr,
          prefix: l.prefix,
          hostname: l.hostname,
          clientId: l.clientid,
          iaid: l.iaid,
          interface: l.iface,
        })),
      ) + '\n'
    );
  }
  return table(
    ['Expiry Time', 'MAC address', 'Protocol', 'IP address', 'Hostname', 'Client ID or DUID'],
    leases.map((l) => [localTime(l.expirytime), l.mac ?? '-', protocol(l) ?? '-', `${l.ipaddr}/${l.prefix}`, l.hostname ?? '-', l.clientid ?? '-']),
  );
}

/** virsh's names for the update commands and sections (virNetworkUpdateCommand, virNetworkUpdateSection). */
const UPDATE_COMMANDS = ['none', 'modify', 'delete', 'add-last', 'add-first'];
const UPDATE_SECTIONS = ['none', 'bridge', 'domain', 'ip', 'ip-dhcp-host', 'ip-dhcp-range', 'forward', 'forward-interface', 'forward-pf', 'portgroup', 'dns-host', 'dns-txt', 'dns-srv'];

/**
 * `net-update NETWORK COMMAND SECTION XML [--parent-index N] [--config] [--live] [--current]`:
 * XML is the element itself when it starts with `<`, else a file holding it.
 */
export async function netUpdate(c: Context, args: VirshArgs): Promise<string> {
  exclusiveArgs(args, 'current', 'live');
  exclusiveArgs(args, 'current', 'config');
  const net = await findNetwork(c, stringOption(args, 'network')!);
  const commandName = stringOption(args, 'command')!;
  const command = commandName === 'add' ? VIR_NETWORK_UPDATE_COMMAND_ADD_LAST : UPDATE_COMMANDS.indexOf(commandName);
  if (command <= 0) throw new Error(`unrecognized command name '${commandName}'`);
  const sectionName = stringOption(args, 'section')!;
  const section = UPDATE_SECTIONS.indexOf(sectionName);
  if (section <= 0) throw new Error(`unrecognized section name '${sectionName}'`);
  const parentIndex = Number(integerOption(args, 'parent-index', INT[0], INT[1]) ?? -1n);
  let xml = stringOption(args, 'xml')!;
  if (!xml.startsWith('<')) xml = readVirshFile(xml);
  const config = args.has('config');
  const live = args.has('live');
  const flags = VIR_NETWORK_UPDATE_AFFECT_CURRENT | (config ? VIR_NETWORK_UPDATE_AFFECT_CONFIG : 0) | (live ? VIR_NETWORK_UPDATE_AFFECT_LIVE : 0);
  await c.conn.networkUpdate(net, command, section, parentIndex, xml, flags).catch((e: unknown) => {
    throw failed(`Failed to update network ${net.name}`, e);
  });
  // With neither, libvirt changed the running network if it runs, else its definition.
  const running = config || live ? live : (await c.conn.networkIsActive(net)) !== 0;
  const what = config ? (live ? 'persistent config and live state' : 'persistent config') : running ? 'live state' : 'persistent config';
  // virsh's message has no newline of its own: only the one that ends every command.
  return c.json ? toJson({ network: net.name, config: config || !running, live: running }) + '\n' : `Updated network ${net.name} ${what}\n`;
}

/**
 * A failure virsh reports but counts as success (net-port-dumpxml and net-port-delete go to
 * their cleanup with the result still true): its line on stderr, exit status 0.
 */
function reportedOnly(c: Context, io: CliIo, line: string): string {
  io.stderr(`error: ${line}\n`);
  return c.json ? toJson({ error: line }) + '\n' : '\n';
}

/** The network and port of net-port-dumpxml and net-port-delete, or the line virsh prints instead. */
async function findPort(c: Context, args: VirshArgs): Promise<RemoteNonnullNetworkPort | string> {
  const netRef = stringOption(args, 'network')!;
  let net: RemoteNonnullNetwork;
  try {
    net = await findNetwork(c, netRef);
  } catch (e) {
    return messageOf(e).split('\nerror: ')[0]!;
  }
  const portRef = stringOption(args, 'port')!;
  const uuid = parseUuid(portRef);
  const port = uuid ? await c.conn.networkPortLookupByUUID(net, uuid).catch(() => undefined) : undefined;
  return port ?? `failed to get network port '${portRef}'`;
}

/** `net-port-create NETWORK FILE [--validate]`. */
export async function netPortCreate(c: Context, args: VirshArgs): Promise<string> {
  const net = await findNetwork(c, stringOption(args, 'network')!);
  const file = stringOption(args, 'file')!;
  const xml = readVirshFile(file);
  const port = await c.conn.networkPortCreateXML(net, xml, args.has('validate') ? VIR_NETWORK_PORT_CREATE_VALIDATE : 0).catch((e: unknown) => {
    throw failed(`Failed to create network from ${file}`, e);
  });
  const uuid = uuidString(port.uuid);
  return done(c, { network: net.name, uuid }, `Network port ${uuid} created from ${file}`);
}

/** `net-port-dumpxml NETWORK PORT`. */
export async function netPortDumpxml(c: Context, io: CliIo, args: VirshArgs): Promise<string> {
  const port = await findPort(c, args);
  if (typeof port === 'string') return reportedOnly(c, io, port);
  // Here too virsh keeps its result true, and says nothing.
  const xml = await c.conn.networkPortGetXMLDesc(port, 0).catch(() => undefined);
  if (xml === undefined) return c.json ? '{}\n' : '\n';
  return c.json ? toJson({ xml }) + '\n' : `${xml}\n`;
}

/** `net-port-delete NETWORK PORT`. */
export async function netPortDelete(c: Context, io: CliIo, args: VirshArgs): Promise<string> {
  const port = await findPort(c, args);
  if (typeof port === 'string') return reportedOnly(c, io, port);
  const uuid = uuidString(port.uuid);
  try {
    await c.conn.networkPortDelete(port, 0);
  } catch {
    return reportedOnly(c, io, `Failed to delete network port ${uuid}`);
  }
  return done(c, { uuid, deleted: true }, `Network port ${uuid} deleted`);
}

/** Bytes in memcmp's order. */
const byteOrder = (a: Uint8Array, b: Uint8Array) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
};

/** `net-port-list NETWORK [--uuid] [--table]`. */
export async function netPortList(c: Context, args: VirshArgs): Promise<string> {
  if (args.has('table') && args.has('uuid')) throw new Error('Only one argument from --table and --uuid may be specified.');
  const net = await findNetwork(c, stringOption(args, 'network')!);
  const { ports } = await c.conn.networkListAllPorts(net, WITH_RESULTS, 0);
  const uuids = ports.sort((a, b) => byteOrder(a.uuid, b.uuid)).map((p) => uuidString(p.uuid));
  if (c.json) return toJson(uuids.map((uuid) => ({ uuid }))) + '\n';
  if (args.has('uuid')) return uuids.map((u) => `${u}\n`).join('') + '\n';
  return table(['UUID'], uuids.map((u) => [u]));
}

const NETWORK_LIFECYCLE = ['Defined', 'Undefined', 'Started', 'Stopped'];

/** The network events as `net-event` shows them (libvirt 9.0's virsh knows lifecycle only). */
const NETWORK_EVENTS = (args: VirshArgs): EventFamily => ({
  family: 'network',
  names: ['lifecycle'],
  describe: (_name, e: { net: RemoteNonnullNetwork; event: number }) => `event 'lifecycle' for network ${e.net.name}: ${NETWORK_LIFECYCLE[e.event] ?? 'unknown'}`,
  fields: (_name, e: { net: RemoteNonnullNetwork; event: number }) => ({ network: e.net.name, type: NETWORK_LIFECYCLE[e.event] ?? 'unknown' }),
  filter: async (c) => {
    const ref = stringOption(args, 'network');
    if (ref === undefined) return {};
    try {
      return { filter: await findNetwork(c, ref) };
    } catch (e) {
      const [printed, reason] = messageOf(e).split('\nerror: ');
      return { printed: printed!, ...(reason !== undefined ? { reason } : {}) };
    }
  },
});

// ---------------------------------------------------------------------------------------------
// The definitions

const NETWORK = { name: 'network', kind: 'data' as const, required: true, help: 'network name or uuid' };
const PORT = { name: 'port', kind: 'data' as const, required: true, help: 'port UUID' };
const VALIDATE = { name: 'validate', kind: 'bool' as const, help: 'validate the XML against the schema' };

export function register(registry: Registry): void {
  const { io } = registry;
  const specs: VirshCommandSpec[] = [
    {
      name: 'net-create',
      help: 'create a network from an XML file',
      description: 'Create a network.',
      options: [{ name: 'file', kind: 'data', required: true, help: 'file containing an XML network description' }, VALIDATE],
      run: (a) => (c) => netCreate(c, a),
    },
    {
      name: 'net-dhcp-leases',
      help: 'print lease info for a given network',
      description: 'Print lease info for a given network',
      options: [NETWORK, { name: 'mac', kind: 'string', help: 'MAC address' }],
      run: (a) => (c) => netDhcpLeases(c, a),
    },
    {
      name: 'net-update',
      help: "update parts of an existing network's configuration",
      description: '',
      options: [
        NETWORK,
        { name: 'command', kind: 'data', required: true, help: 'type of update (add-first, add-last (add), delete, or modify)' },
        { name: 'section', kind: 'data', required: true, help: 'which section of network configuration to update' },
        {
          name: 'xml',
          kind: 'data',
          required: true,
          help: "name of file containing xml (or, if it starts with '<', the complete xml element itself) to add/modify, or to be matched for search",
        },
        { name: 'parent-index', kind: 'number', help: 'which parent object to search through' },
        { name: 'config', kind: 'bool', help: 'affect next network startup' },
        { name: 'live', kind: 'bool', help: 'affect running network' },
        { name: 'current', kind: 'bool', help: 'affect current state of network' },
      ],
      run: (a) => (c) => netUpdate(c, a),
    },
    {
      name: 'net-port-create',
      help: 'create a network port from an XML file',
      description: 'Create a network port.',
      options: [NETWORK, { name: 'file', kind: 'data', required: true, help: 'file containing an XML network port description' }, VALIDATE],
      run: (a) => (c) => netPortCreate(c, a),
    },
    {
      name: 'net-port-dumpxml',
      help: 'network port information in XML',
      description: 'Output the network port information as an XML dump to stdout.',
      options: [NETWORK, PORT],
      run: (a) => (c) => netPortDumpxml(c, io, a),
    },
    {
      name: 'net-port-delete',
      help: 'delete the specified network port',
      description: 'Delete the specified network port.',
      options: [NETWORK, PORT],
      run: (a) => (c) => netPortDelete(c, io, a),
    },
    {
      name: 'net-port-list',
      help: 'list network ports',
      description: 'Returns list of network ports.',
      options: [NETWORK, { name: 'uuid', kind: 'bool', help: "list uuid's only" }, { name: 'table', kind: 'bool', help: 'list table (default)' }],
      run: (a) => (c) => netPortList(c, a),
    },
    {
      name: 'net-event',
      help: 'Network Events',
      description: 'List event types, or wait for network events to occur',
      options: [{ name: 'network', kind: 'string', help: 'filter by network name or uuid' }, ...EVENT_OPTIONS],
      run: (a) => (c) => waitForEvents(c, io, NETWORK_EVENTS(a), a),
    },
  ];
  for (const spec of specs) virshCommand(registry, spec);
}
