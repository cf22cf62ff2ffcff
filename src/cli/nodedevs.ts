/**
 * virsh's node device commands: `nodedev-list` (plain, by capability, or as a tree),
 * `nodedev-info`, `nodedev-create` / `nodedev-destroy`, `nodedev-define` / `nodedev-undefine`,
 * `nodedev-start`, `nodedev-autostart`, `nodedev-event`, and the PCI host-driver ones
 * (`nodedev-detach`, `nodedev-reattach`, `nodedev-reset`). `nodedev-dumpxml` is in
 * inventory.ts. Devices are found as virsh finds them: by name, or a SCSI host by its
 * `wwnn,wwpn` pair where the command allows it.
 */
import * as K from '../../protocol/constants.js';
import type { RemoteNonnullNodeDevice } from '../../protocol/remote.js';
import { type Context, WITH_RESULTS } from './commands.js';
import { keyValues, toJson } from './format.js';
import { failed, readVirshFile, splitCommas, stringOption } from './virsh-options.js';
import { type VirshArgs, type VirshCommandSpec, virshCommand } from './virsh-args.js';
import type { Registry } from './registry.js';
import { EVENT_OPTIONS, type EventFamily, caseBlind, unsupported, waitForEvents } from './secrets.js';

const done = (c: Context, fields: Record<string, unknown>, text: string) => (c.json ? toJson(fields) + '\n' : `${text}\n\n`);

/** A WWN as libvirt's virValidateWWN accepts it: 16 hex digits, `0x` before them allowed. */
function validWwn(wwn: string): boolean {
  return /^(0x)?[0-9a-fA-F]{16}$/.test(wwn);
}

/**
 * A device by name, or a SCSI host by `wwnn,wwpn` (virsh's vshFindNodeDevice), failing with
 * virsh's words.
 */
export async function findNodeDevice(c: Context, value: string): Promise<RemoteNonnullNodeDevice> {
  let lookup: Promise<RemoteNonnullNodeDevice>;
  if (value.includes(',')) {
    const pair = splitCommas(value);
    if (pair.length !== 2) throw new Error(`Malformed device value '${value}'`);
    // libvirt's own check, whose error virsh reports alone.
    for (const wwn of pair) if (!validWwn(wwn)) throw new Error(`internal error: Malformed wwn: ${wwn}`);
    lookup = c.conn.nodeDeviceLookupSCSIHostByWWN(pair[0]!, pair[1]!, 0);
  } else {
    lookup = c.conn.nodeDeviceLookupByName(value);
  }
  return lookup.catch((e: unknown) => {
    throw failed(`Could not find matching device '${value}'`, e);
  });
}

/** A device by name only (the commands that take a "device key"). */
async function deviceByName(c: Context, name: string): Promise<RemoteNonnullNodeDevice> {
  return c.conn.nodeDeviceLookupByName(name).catch((e: unknown) => {
    throw failed(`Could not find matching device '${name}'`, e);
  });
}

/** virsh's capability names (virNodeDevCapType in libvirt 9.0) and their list filters. */
const CAPABILITY_FLAGS: Record<string, number> = {
  system: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_SYSTEM,
  pci: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV,
  usb_device: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV,
  usb: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_INTERFACE,
  net: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET,
  scsi_host: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_HOST,
  scsi_target: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_TARGET,
  scsi: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI,
  storage: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_STORAGE,
  fc_host: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_FC_HOST,
  vports: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPORTS,
  scsi_generic: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_GENERIC,
  drm: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_DRM,
  mdev_types: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES,
  mdev: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV,
  ccw: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_CCW_DEV,
  css: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_CSS_DEV,
  vdpa: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_VDPA,
  ap_card: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_CARD,
  ap_queue: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_QUEUE,
  ap_matrix: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_MATRIX,
  vpd: K.VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPD,
};

/**
 * The devices `flags` asks for, by the newest API the driver has; the older one ignores the
 * state flags, and the capabilities are matched here then, as virsh matches them.
 */
async function collectDevices(c: Context, caps: string[], flags: number): Promise<string[]> {
  let names: string[];
  try {
    names = (await c.conn.connectListAllNodeDevices(WITH_RESULTS, flags)).devices.map((d) => d.name);
  } catch (e) {
    if (!unsupported(e)) throw failed('Failed to list node devices', e);
    const count = await c.conn.nodeNumOfDevices(null, 0).catch((err: unknown) => {
      throw failed('Failed to count node devices', err);
    });
    if (count === 0) return [];
    const listed = await c.conn.nodeListDevices(null, count, 0).catch((err: unknown) => {
      throw failed('Failed to list node devices', err);
    });
    const found = await Promise.all(listed.map((n) => c.conn.nodeDeviceLookupByName(n).then((d) => d.name, () => undefined)));
    names = found.filter((n): n is string => n !== undefined);
    if (caps.length) {
      const kept: string[] = [];
      for (const name of names) {
        const ncaps = await c.conn.nodeDeviceNumOfCaps(name).catch((err: unknown) => {
          throw failed('Failed to get capability numbers of the device', err);
        });
        const own = await c.conn.nodeDeviceListCaps(name, ncaps).catch((err: unknown) => {
          throw failed('Failed to get capability names of the device', err);
        });
        if (own.some((cap) => caps.includes(cap))) kept.push(name);
      }
      names = kept;
    }
  }
  return names.sort(caseBlind);
}

/**
 * The tree virsh draws (vshTreePrint): each root, then its children under `+- `, with `|`
 * carrying on past a child that has younger siblings, a `|` line before a device's first
 * child, and a line of the indent alone after the last child of a branch.
 */
export function deviceTree(names: string[], parents: (string | undefined)[]): string {
  let out = '';
  const walk = (devid: number, lastdev: number, root: boolean, indent: string) => {
    const dev = names[devid]!;
    out += `${indent}${root ? '' : '+- '}${dev}\n`;
    if (!root) indent += devid === lastdev ? '  ' : '| ';
    let nextLast = -1;
    for (let i = 0; i < names.length; i++) if (parents[i] === dev) nextLast = i;
    if (nextLast !== -1) out += `${indent}  |\n`;
    for (let i = 0; i < names.length; i++) if (parents[i] === dev) walk(i, nextLast, false, indent + '  ');
    if (nextLast === -1 && devid === lastdev) out += `${indent}\n`;
  };
  for (let i = 0; i < names.length; i++) if (parents[i] === undefined) walk(i, i, true, '');
  return out;
}

/** `nodedev-list [--tree] [--cap CAPS] [--inactive] [--all]`. */
export async function nodedevList(c: Context, args: VirshArgs): Promise<string> {
  const capText = args.value('cap');
  const caps = capText ? splitCommas(capText) : [];
  const inactive = args.has('inactive');
  const all = args.has('all');
  const tree = args.has('tree');
  if (all && inactive) throw new Error('Option --all is incompatible with --inactive');
  if (tree && (capText || inactive)) throw new Error('Option --tree is incompatible with --cap and --inactive');
  let flags = 0;
  for (const cap of caps) {
    if (!Object.hasOwn(CAPABILITY_FLAGS, cap)) throw new Error('Invalid capability type');
    flags |= CAPABILITY_FLAGS[cap]!;
  }
  if (inactive || all) flags |= K.VIR_CONNECT_LIST_NODE_DEVICES_INACTIVE;
  if (!inactive) flags |= K.VIR_CONNECT_LIST_NODE_DEVICES_ACTIVE;
  const names = await collectDevices(c, caps, flags >>> 0);
  if (!tree) return c.json ? toJson(names) + '\n' : names.map((n) => `${n}\n`).join('') + '\n';
  // virsh asks every device but the root for its parent.
  const parents = await Promise.all(names.map((n) => (n === 'computer' ? undefined : c.conn.nodeDeviceGetParent(n).then((p) => p ?? undefined, () => undefined))));
  if (c.json) return toJson(names.map((name, i) => ({ name, parent: parents[i] ?? null }))) + '\n';
  return deviceTree(names, parents) + '\n';
}

/** `nodedev-info DEVICE`: name, parent, and whether active, persistent and autostarted. */
export async function nodedevInfo(c: Context, args: VirshArgs): Promise<string> {
  const dev = await findNodeDevice(c, stringOption(args, 'device')!);
  const [parent, active, persistent, autostart] = await Promise.all([
    c.conn.nodeDeviceGetParent(dev.name).catch(() => null),
    // virsh counts a failed query (-1) as yes.
    c.conn.nodeDeviceIsActive(dev.name).catch(() => -1),
    c.conn.nodeDeviceIsPersistent(dev.name).catch(() => -1),
    c.conn.nodeDeviceGetAutostart(dev.name).catch(() => undefined),
  ]);
  if (c.json) return toJson({ name: dev.name, parent, active: active !== 0, persistent: persistent !== 0, autostart: autostart === undefined ? null : autostart !== 0 }) + '\n';
  return (
    keyValues(
      [
        ['Name', dev.name],
        ['Parent', parent ?? ''],
        ['Active', active ? 'yes' : 'no'],
        ['Persistent', persistent ? 'yes' : 'no'],
        ['Autostart', autostart === undefined ? 'no autostart' : autostart ? 'yes' : 'no'],
      ],
      15,
    ) + '\n'
  );
}

/** `nodedev-create FILE [--validate]`. */
export async function nodedevCreate(c: Context, args: VirshArgs): Promise<string> {
  const file = stringOption(args, 'file')!;
  const xml = readVirshFile(file);
  const dev = await c.conn.nodeDeviceCreateXML(xml, args.has('validate') ? K.VIR_NODE_DEVICE_CREATE_XML_VALIDATE : 0).catch((e: unknown) => {
    throw failed(`Failed to create node device from ${file}`, e);
  });
  return done(c, { name: dev.name }, `Node device ${dev.name} created from ${file}`);
}

/** `nodedev-destroy DEVICE`. */
export async function nodedevDestroy(c: Context, args: VirshArgs): Promise<string> {
  const value = stringOption(args, 'device')!;
  const dev = await findNodeDevice(c, value);
  await c.conn.nodeDeviceDestroy(dev.name).catch((e: unknown) => {
    throw failed(`Failed to destroy node device '${value}'`, e);
  });
  return done(c, { name: dev.name, destroyed: true }, `Destroyed node device '${value}'`);
}

/** `nodedev-define FILE [--validate]`. */
export async function nodedevDefine(c: Context, args: VirshArgs): Promise<string> {
  const file = stringOption(args, 'file')!;
  const xml = readVirshFile(file);
  const dev = await c.conn.nodeDeviceDefineXML(xml, args.has('validate') ? K.VIR_NODE_DEVICE_DEFINE_XML_VALIDATE : 0).catch((e: unknown) => {
    throw failed(`Failed to define node device from '${file}'`, e);
  });
  return done(c, { name: dev.name }, `Node device '${dev.name}' defined from '${file}'`);
}

/** `nodedev-undefine DEVICE`. */
export async function nodedevUndefine(c: Context, args: VirshArgs): Promise<string> {
  const value = stringOption(args, 'device')!;
  const dev = await findNodeDevice(c, value);
  await c.conn.nodeDeviceUndefine(dev.name, 0).catch((e: unknown) => {
    throw failed(`Failed to undefine node device '${value}'`, e);
  });
  return done(c, { name: dev.name, undefined: true }, `Undefined node device '${value}'`);
}

/** `nodedev-start DEVICE`. */
export async function nodedevStart(c: Context, args: VirshArgs): Promise<string> {
  const name = stringOption(args, 'device')!;
  const dev = await deviceByName(c, name);
  await c.conn.nodeDeviceCreate(dev.name, 0).catch((e: unknown) => {
    throw failed(`Failed to start device ${name}`, e);
  });
  return done(c, { name: dev.name, started: true }, `Device ${name} started`);
}

/** `nodedev-autostart DEVICE [--disable]`. */
export async function nodedevAutostart(c: Context, args: VirshArgs): Promise<string> {
  const name = stringOption(args, 'device')!;
  const dev = await findNodeDevice(c, name);
  const on = !args.has('disable');
  await c.conn.nodeDeviceSetAutostart(dev.name, on ? 1 : 0).catch((e: unknown) => {
    throw failed(`failed to ${on ? 'mark' : 'unmark'} device ${name} as autostarted`, e);
  });
  return done(c, { name: dev.name, autostart: on }, `Device ${name} ${on ? 'marked' : 'unmarked'} as autostarted`);
}

/** `nodedev-detach DEVICE [--driver NAME]`, `nodedev-reattach DEVICE` and `nodedev-reset DEVICE`. */
export async function nodedevHostDriver(c: Context, args: VirshArgs, action: 'detach' | 'reattach' | 'reset'): Promise<string> {
  const name = stringOption(args, 'device')!;
  const driver = action === 'detach' ? args.value('driver') : undefined;
  const dev = await deviceByName(c, name);
  const words = { detach: ['detach', 'detached'], reattach: ['re-attach', 're-attached'], reset: ['reset', 'reset'] }[action];
  try {
    if (action === 'reset') await c.conn.nodeDeviceReset(dev.name);
    else if (action === 'reattach') await c.conn.nodeDeviceReAttach(dev.name);
    // Without a driver virsh calls the older (misspelt) API, whose name a refusal carries.
    else if (driver) await c.conn.nodeDeviceDetachFlags(dev.name, driver, 0);
    else await c.conn.nodeDeviceDettach(dev.name);
  } catch (e) {
    throw failed(`Failed to ${words[0]} device ${name}`, e);
  }
  return done(c, { name: dev.name, [action === 'reattach' ? 'reattached' : action === 'reset' ? 'reset' : 'detached']: true }, `Device ${name} ${words[1]}`);
}

const NODEDEV_LIFECYCLE = ['Created', 'Deleted', 'Defined', 'Undefined'];

/** The node device events as `nodedev-event` shows them. */
const NODEDEV_EVENTS = (args: VirshArgs): EventFamily => ({
  family: 'node-device',
  names: ['lifecycle', 'update'],
  describe: (name, e: { dev: RemoteNonnullNodeDevice; event?: number }) =>
    name === 'lifecycle' ? `event 'lifecycle' for node device ${e.dev.name}: ${NODEDEV_LIFECYCLE[e.event!] ?? 'unknown'}` : `event '${name}' for node device ${e.dev.name}`,
  fields: (name, e: { dev: RemoteNonnullNodeDevice; event?: number }) => ({
    device: e.dev.name,
    ...(name === 'lifecycle' ? { type: NODEDEV_LIFECYCLE[e.event!] ?? 'unknown' } : {}),
  }),
  // Unlike secret-event and net-event, a device that is not there ends the command.
  filter: async (c) => {
    const name = stringOption(args, 'device');
    return name === undefined ? {} : { filter: await deviceByName(c, name) };
  },
});

// ---------------------------------------------------------------------------------------------
// The definitions

const DEVICE = { name: 'device', kind: 'data' as const, required: true, help: "device name or wwn pair in 'wwnn,wwpn' format" };
const DEVICE_KEY = { name: 'device', kind: 'data' as const, required: true, help: 'device key' };
const FILE = { name: 'file', kind: 'data' as const, required: true, help: 'file containing an XML description of the device' };
const VALIDATE = { name: 'validate', kind: 'bool' as const, help: 'validate the XML against the schema' };

export function register(registry: Registry): void {
  const specs: VirshCommandSpec[] = [
    {
      name: 'nodedev-list',
      help: 'enumerate devices on this host',
      description: '',
      options: [
        { name: 'tree', kind: 'bool', help: 'list devices in a tree' },
        { name: 'cap', kind: 'string', help: 'capability names, separated by comma' },
        { name: 'inactive', kind: 'bool', help: 'list inactive devices' },
        { name: 'all', kind: 'bool', help: 'list inactive & active devices' },
      ],
      run: (a) => (c) => nodedevList(c, a),
    },
    {
      name: 'nodedev-info',
      help: 'node device information',
      description: 'Returns basic information about the node device',
      options: [DEVICE],
      run: (a) => (c) => nodedevInfo(c, a),
    },
    {
      name: 'nodedev-create',
      help: 'create a device defined by an XML file on the node',
      description: 'Create a device on the node.  Note that this command creates devices on the physical host that can then be assigned to a virtual machine.',
      options: [FILE, VALIDATE],
      run: (a) => (c) => nodedevCreate(c, a),
    },
    {
      name: 'nodedev-destroy',
      help: 'destroy (stop) a device on the node',
      description: 'Destroy a device on the node.  Note that this command destroys devices on the physical host',
      options: [{ name: 'name', kind: 'alias', help: 'device', target: 'device' }, DEVICE],
      run: (a) => (c) => nodedevDestroy(c, a),
    },
    {
      name: 'nodedev-define',
      help: 'Define a device by an xml file on a node',
      description: 'Defines a persistent device on the node that can be assigned to a domain. The device must be started before it can be assigned to a domain.',
      options: [FILE, VALIDATE],
      run: (a) => (c) => nodedevDefine(c, a),
    },
    {
      name: 'nodedev-undefine',
      help: 'Undefine an inactive node device',
      description: 'Undefines the configuration for an inactive node device',
      options: [DEVICE],
      run: (a) => (c) => nodedevUndefine(c, a),
    },
    {
      name: 'nodedev-start',
      help: 'Start an inactive node device',
      description: 'Starts an inactive node device that was previously defined',
      options: [{ name: 'device', kind: 'data', required: true, help: 'device name' }],
      run: (a) => (c) => nodedevStart(c, a),
    },
    {
      name: 'nodedev-autostart',
      help: 'autostart a defined node device',
      description: 'Configure a node device to be automatically started at boot.',
      options: [DEVICE, { name: 'disable', kind: 'bool', help: 'disable autostarting' }],
      run: (a) => (c) => nodedevAutostart(c, a),
    },
    {
      name: 'nodedev-event',
      help: 'Node Device Events',
      description: 'List event types, or wait for node device events to occur',
      options: [{ name: 'device', kind: 'string', help: 'filter by node device name' }, ...EVENT_OPTIONS],
      run: (a) => (c) => waitForEvents(c, registry.io, NODEDEV_EVENTS(a), a),
    },
    {
      name: 'nodedev-detach',
      help: 'detach node device from its device driver',
      description: 'Detach node device from its device driver before assigning to a domain.',
      options: [DEVICE_KEY, { name: 'driver', kind: 'string', help: "pci device assignment backend driver (e.g. 'vfio' or 'xen')" }],
      run: (a) => (c) => nodedevHostDriver(c, a, 'detach'),
    },
    {
      name: 'nodedev-reattach',
      help: 'reattach node device to its device driver',
      description: 'Reattach node device to its device driver once released by the domain.',
      options: [DEVICE_KEY],
      run: (a) => (c) => nodedevHostDriver(c, a, 'reattach'),
    },
    {
      name: 'nodedev-reset',
      help: 'reset node device',
      description: 'Reset node device before or after assigning to a domain.',
      options: [DEVICE_KEY],
      run: (a) => (c) => nodedevHostDriver(c, a, 'reset'),
    },
  ];
  for (const spec of specs) virshCommand(registry, spec);
}
