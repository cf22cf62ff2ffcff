/**
 * virsh's host interface commands that change things: `iface-define`, `iface-undefine`,
 * `iface-start`, `iface-destroy`, the change transaction (`iface-begin`, `iface-commit`,
 * `iface-rollback`), and `iface-bridge` / `iface-unbridge`, which rewrite an interface's
 * definition with the typed XML layer as virsh rewrites it with libxml2. (The read commands,
 * `iface-list`, `iface-dumpxml`, `iface-name` and `iface-mac`, are in inventory.ts.)
 */
import type { RemoteNonnullInterface } from '../../protocol/remote.js';
import { VIR_INTERFACE_DEFINE_VALIDATE, VIR_INTERFACE_XML_INACTIVE } from '../../protocol/constants.js';
import type { InterfaceXML } from '../../xml/index.js';
import { type Context, typedXml } from './commands.js';
import { LibvirtError } from '../errors.js';
import { toJson } from './format.js';
import { UINT, failed, integerOption, readVirshFile, stringOption } from './virsh-options.js';
import { type VirshArgs, type VirshCommandSpec, virshCommand } from './virsh-args.js';
import { FailureReport, type Registry } from './registry.js';

/** Whether a word reads as a MAC address to libvirt (virMacAddrParse): six hex pairs, then the end or a blank. */
export function looksLikeMac(word: string): boolean {
  // A byte over 0x7f is a negative char in C, which libvirt's check lets through like a blank.
  return /^[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}(?:$|[\x00-\x20\u0080-\uffff])/i.test(word);
}

/**
 * An interface by name or MAC address, as virsh looks it up: a MAC-like word by MAC, any
 * other by name, and only in the ways the command allows; a failure names the word, then
 * libvirt's reason when a lookup was tried.
 */
export async function findInterface(c: Context, ref: string, by: { name?: boolean; mac?: boolean } = { name: true, mac: true }): Promise<RemoteNonnullInterface> {
  const mac = looksLikeMac(ref);
  const notFound = `failed to get interface '${ref}'`;
  if (!mac && by.name) return c.conn.interfaceLookupByName(ref).catch((e: unknown) => Promise.reject(failed(notFound, e)));
  if (mac && by.mac) return c.conn.interfaceLookupByMACString(ref).catch((e: unknown) => Promise.reject(failed(notFound, e)));
  throw new Error(notFound);
}

const done = (c: Context, fields: Record<string, unknown>, text: string) => (c.json ? toJson(fields) + '\n' : text);

/** `iface-define FILE [--validate]`: define (or redefine) an interface. */
export async function ifaceDefine(c: Context, args: VirshArgs): Promise<string> {
  const file = stringOption(args, 'file')!;
  const xml = readVirshFile(file);
  let iface: RemoteNonnullInterface;
  try {
    iface = await c.conn.interfaceDefineXML(xml, args.has('validate') ? VIR_INTERFACE_DEFINE_VALIDATE : 0);
  } catch (e) {
    throw failed(`Failed to define interface from ${file}`, e);
  }
  return done(c, { name: iface.name, file }, `Interface ${iface.name} defined from ${file}\n\n`);
}

type Action = 'undefine' | 'start' | 'destroy';

/** `iface-undefine`, `iface-start` and `iface-destroy` IFACE (a name or a MAC address). */
export async function ifaceAction(c: Context, args: VirshArgs, action: Action): Promise<string> {
  const ref = stringOption(args, 'interface')!;
  const iface = await findInterface(c, ref);
  try {
    if (action === 'undefine') await c.conn.interfaceUndefine(iface);
    else if (action === 'start') await c.conn.interfaceCreate(iface, 0);
    else await c.conn.interfaceDestroy(iface, 0);
  } catch (e) {
    throw failed(`Failed to ${action} interface ${ref}`, e);
  }
  const past = { undefine: 'undefined', start: 'started', destroy: 'destroyed' }[action];
  const text = done(c, { name: ref, [past]: true }, `Interface ${ref} ${past}\n\n`);
  // virsh 9.0's iface-destroy reports failure after destroying the interface: its status is 1.
  if (action === 'destroy') throw new FailureReport(text);
  return text;
}

type Transaction = 'begin' | 'commit' | 'rollback';

/** `iface-begin`, `iface-commit` and `iface-rollback`: the host's network configuration transaction. */
export async function ifaceTransaction(c: Context, step: Transaction): Promise<string> {
  try {
    if (step === 'begin') await c.conn.interfaceChangeBegin(0);
    else if (step === 'commit') await c.conn.interfaceChangeCommit(0);
    else await c.conn.interfaceChangeRollback(0);
  } catch (e) {
    throw failed(`Failed to ${step} network config change transaction`, e);
  }
  const outcome = { begin: 'started', commit: 'committed', rollback: 'rolled back' }[step];
  return done(c, { transaction: step === 'rollback' ? 'rolledBack' : outcome }, `Network config change transaction ${outcome}\n\n`);
}

/** An interface's persistent definition, read as virsh reads it for a rewrite. */
async function definitionOf(c: Context, iface: RemoteNonnullInterface, name: string): Promise<InterfaceXML> {
  const xml = await c.conn.interfaceGetXMLDesc(iface, VIR_INTERFACE_XML_INACTIVE);
  const { parseInterfaceXML } = await typedXml();
  try {
    return parseInterfaceXML(xml);
  } catch (e) {
    throw new Error(`Failed to parse configuration of ${name}`, { cause: e });
  }
}

/** The lines virsh prints as it goes, before a later step may still fail. */
type Emit = (text: string) => void;

/**
 * `iface-bridge IFACE BRIDGE [--no-stp] [--delay N] [--no-start]`: a new bridge named BRIDGE
 * with IFACE attached, its MAC, bond and VLAN moved down into the attached device.
 */
export async function ifaceBridge(c: Context, args: VirshArgs, emit: Emit): Promise<string> {
  const ifName = stringOption(args, 'interface')!;
  const iface = await findInterface(c, ifName, { name: true });
  const brName = stringOption(args, 'bridge')!;
  const existing = await c.conn.interfaceLookupByName(brName).then(
    () => true,
    (e: unknown) => e as Error,
  );
  if (existing === true) throw new Error(`Network device ${brName} already exists`);
  // virsh keeps that lookup's error: a later failure of its own is followed by it, until
  // another call fails and replaces it.
  const withLookupError = (e: unknown) => (e instanceof LibvirtError || (e as Error).cause instanceof LibvirtError ? e : failed((e as Error).message, existing));
  try {
    const stp = !args.has('no-stp');
    const delay = Number(integerOption(args, 'delay', ...UINT) ?? 0n);
    const def = await definitionOf(c, iface, ifName);
    if (def.type === 'bridge') throw new Error(`Existing device ${ifName} is already a bridge`);
    if (def.name !== ifName) throw new Error(`Interface name from config ${def.name ?? '(null)'} doesn't match given supplied name ${ifName}`);
    return await defineBridge(c, def, ifName, brName, stp, delay, args.has('no-start'), emit);
  } catch (e) {
    throw withLookupError(e);
  }
}

/** The bridge defined (and started unless asked not to) from the device's definition. */
async function defineBridge(c: Context, def: InterfaceXML, ifName: string, brName: string, stp: boolean, delay: number, nostart: boolean, emit: Emit): Promise<string> {
  const { mac, bond, vlan, ...rest } = def;
  const attached = { type: def.type as 'bond' | 'ethernet' | 'vlan', name: ifName, ...(mac ? { mac } : {}), ...(bond ? { bond } : {}), ...(vlan ? { vlan } : {}) };
  const bridged: InterfaceXML = { ...rest, type: 'bridge', name: brName, bridge: { stp, ...(stp ? { delay } : {}), interface: [attached] } };
  const { formatInterfaceXML } = await typedXml();
  let bridge: RemoteNonnullInterface;
  try {
    bridge = await c.conn.interfaceDefineXML(formatInterfaceXML(bridged), 0);
  } catch (e) {
    throw failed(`Failed to define new bridge interface ${brName}`, e);
  }
  const fields = { bridge: brName, interface: ifName, started: !nostart };
  emit(c.json ? '' : `Created bridge ${brName} with attached device ${ifName}\n`);
  if (!nostart) {
    try {
      await c.conn.interfaceCreate(bridge, 0);
    } catch (e) {
      throw failed(`Failed to start bridge interface ${brName}`, e);
    }
    emit(c.json ? '' : `Bridge interface ${brName} started\n`);
  }
  return c.json ? toJson(fields) + '\n' : '\n';
}

/**
 * `iface-unbridge BRIDGE [--no-start]`: the bridge's one attached device defined on its own
 * again (its MAC, bond and VLAN moved back up), the bridge destroyed and undefined.
 */
export async function ifaceUnbridge(c: Context, args: VirshArgs, emit: Emit): Promise<string> {
  const brName = stringOption(args, 'bridge')!;
  const bridge = await findInterface(c, brName, { name: true });
  const nostart = args.has('no-start');
  const def = await definitionOf(c, bridge, brName);
  if (def.type !== 'bridge') throw new Error(`Device ${brName} is not a bridge`);
  if (def.name !== brName) throw new Error(`Interface name from config ${def.name ?? '(null)'} doesn't match given supplied name ${brName}`);
  if (!def.bridge) throw new Error('No bridge node in xml document');
  const members = def.bridge.interface ?? [];
  if (members.length > 1) throw new Error('Multiple interfaces attached to bridge');
  const member = members[0];
  if (!member) throw new Error('No interface attached to bridge');
  if (!member.name) throw new Error(`Device attached to bridge ${brName} has no name`);
  const { mac, bond, vlan, ...left } = member;
  // As virsh: the <bridge> element stays, emptied of what moved up; the device's type and name become the top's.
  const detached = { ...def, type: member.type, name: member.name, bridge: { ...def.bridge, interface: [left] }, ...(mac ? { mac } : {}), ...(bond ? { bond } : {}), ...(vlan ? { vlan } : {}) } as InterfaceXML;
  const { formatInterfaceXML } = await typedXml();
  const xml = formatInterfaceXML(detached);
  try {
    await c.conn.interfaceDestroy(bridge, 0);
  } catch (e) {
    throw failed(`Failed to destroy bridge interface ${brName}`, e);
  }
  try {
    await c.conn.interfaceUndefine(bridge);
  } catch (e) {
    throw failed(`Failed to undefine bridge interface ${brName}`, e);
  }
  let iface: RemoteNonnullInterface;
  try {
    iface = await c.conn.interfaceDefineXML(xml, 0);
  } catch (e) {
    throw failed(`Failed to define new interface ${member.name}`, e);
  }
  emit(c.json ? '' : `Device ${member.name} un-attached from bridge ${brName}\n`);
  if (!nostart) {
    try {
      await c.conn.interfaceCreate(iface, 0);
    } catch (e) {
      throw failed(`Failed to start interface ${member.name}`, e);
    }
    emit(c.json ? '' : `Interface ${member.name} started\n`);
  }
  return c.json ? toJson({ bridge: brName, interface: member.name, started: !nostart }) + '\n' : '\n';
}

const INTERFACE = { name: 'interface', kind: 'data', required: true, help: 'interface name or MAC address' } as const;

export function register(registry: Registry): void {
  const emit: Emit = (text) => text && registry.io.stdout(text);
  const specs: VirshCommandSpec[] = [
    {
      name: 'iface-define',
      help: 'define an inactive persistent physical host interface or modify an existing persistent one from an XML file',
      description: 'Define or modify a persistent physical host interface.',
      options: [
        { name: 'file', kind: 'data', required: true, help: 'file containing an XML interface description' },
        { name: 'validate', kind: 'bool', help: 'validate the XML against the schema' },
      ],
      run: (a) => (c) => ifaceDefine(c, a),
    },
    {
      name: 'iface-undefine',
      help: 'undefine a physical host interface (remove it from configuration)',
      description: 'undefine an interface.',
      options: [INTERFACE],
      run: (a) => (c) => ifaceAction(c, a, 'undefine'),
    },
    {
      name: 'iface-start',
      help: 'start a physical host interface (enable it / "if-up")',
      description: 'start a physical host interface.',
      options: [INTERFACE],
      run: (a) => (c) => ifaceAction(c, a, 'start'),
    },
    {
      name: 'iface-destroy',
      help: 'destroy a physical host interface (disable it / "if-down")',
      description: 'forcefully stop a physical host interface.',
      options: [INTERFACE],
      run: (a) => (c) => ifaceAction(c, a, 'destroy'),
    },
    {
      name: 'iface-begin',
      help: 'create a snapshot of current interfaces settings, which can be later committed (iface-commit) or restored (iface-rollback)',
      description: 'Create a restore point for interfaces settings',
      run: () => (c) => ifaceTransaction(c, 'begin'),
    },
    {
      name: 'iface-commit',
      help: 'commit changes made since iface-begin and free restore point',
      description: 'commit changes and free restore point',
      run: () => (c) => ifaceTransaction(c, 'commit'),
    },
    {
      name: 'iface-rollback',
      help: 'rollback to previous saved configuration created via iface-begin',
      description: 'rollback to previous restore point',
      run: () => (c) => ifaceTransaction(c, 'rollback'),
    },
    {
      name: 'iface-bridge',
      help: 'create a bridge device and attach an existing network device to it',
      description: 'bridge an existing network device',
      options: [
        { name: 'interface', kind: 'data', required: true, help: 'existing interface name' },
        { name: 'bridge', kind: 'data', required: true, help: 'new bridge device name' },
        { name: 'no-stp', kind: 'bool', help: 'do not enable STP for this bridge' },
        { name: 'delay', kind: 'number', help: 'number of seconds to squelch traffic on newly connected ports' },
        { name: 'no-start', kind: 'bool', help: "don't start the bridge immediately" },
      ],
      run: (a) => (c) => ifaceBridge(c, a, emit),
    },
    {
      name: 'iface-unbridge',
      help: 'undefine a bridge device after detaching its device(s)',
      description: 'unbridge a network device',
      options: [
        { name: 'bridge', kind: 'data', required: true, help: 'current bridge device name' },
        { name: 'no-start', kind: 'bool', help: "don't start the detached interface immediately (not recommended)" },
      ],
      run: (a) => (c) => ifaceUnbridge(c, a, emit),
    },
  ];
  for (const spec of specs) virshCommand(registry, spec);
}
