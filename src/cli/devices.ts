/**
 * virsh's device commands: `attach-device`, `detach-device` and `update-device` from an XML
 * file, and `attach-disk`, `detach-disk`, `attach-interface` and `detach-interface` from
 * options, with virsh's `--config --live --current --persistent`. The devices they build are
 * written with the typed XML layer; a device to detach is found in the domain's XML as virsh
 * finds it.
 */
import { readFileSync } from 'node:fs';
import type { RemoteNonnullDomain } from '../../protocol/remote.js';
import { VIR_DOMAIN_AFFECT_CONFIG, VIR_DOMAIN_AFFECT_LIVE, VIR_DOMAIN_XML_INACTIVE } from '../../protocol/constants.js';
import type { Connection } from '../api/connection.js';
import { type Context, findDomain, typedXml } from './commands.js';
import type { Command } from 'commander';
import { type AffectOptions, type Registry, affectOptions } from './registry.js';
import { failed } from './virsh-options.js';

export interface DeviceAffectOptions extends AffectOptions {
  /** The definition, and the running guest too when it runs. */
  persistent?: boolean;
}

/** The flags virsh passes, or null when it calls the flagless form (no option given). */
async function affectFlags(conn: Connection, dom: RemoteNonnullDomain, o: DeviceAffectOptions): Promise<number | null> {
  if (o.current && (o.config || o.live || o.persistent)) throw new Error('Options --current and --live/--config/--persistent are mutually exclusive');
  let flags = (o.config ? VIR_DOMAIN_AFFECT_CONFIG : 0) | (o.live ? VIR_DOMAIN_AFFECT_LIVE : 0);
  if (o.persistent) flags |= VIR_DOMAIN_AFFECT_CONFIG | ((await conn.domainIsActive(dom)) ? VIR_DOMAIN_AFFECT_LIVE : 0);
  return flags || o.current ? flags : null;
}

type Verb = 'attach' | 'detach' | 'update';

async function modify(c: Context, dom: RemoteNonnullDomain, verb: Verb, xml: string, o: DeviceAffectOptions): Promise<void> {
  const flags = await affectFlags(c.conn, dom, o);
  if (verb === 'update') await c.conn.domainUpdateDeviceFlags(dom, xml, flags ?? 0);
  else if (verb === 'attach') await (flags === null ? c.conn.domainAttachDevice(dom, xml) : c.conn.domainAttachDeviceFlags(dom, xml, flags));
  else await (flags === null ? c.conn.domainDetachDevice(dom, xml) : c.conn.domainDetachDeviceFlags(dom, xml, flags));
}

const past = { attach: 'attached', detach: 'detached', update: 'updated' } as const;

/** `attach-device`, `detach-device` and `update-device` DOMAIN FILE. */
export async function deviceFromFile(c: Context, verb: Verb, ref: string, file: string, o: DeviceAffectOptions): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const xml = readFileSync(file, 'utf8');
  try {
    await modify(c, dom, verb, xml, o);
  } catch (e) {
    throw failed(`Failed to ${verb} device from ${file}`, e);
  }
  return `Device ${past[verb]} successfully\n\n`;
}

export interface DiskOptions extends DeviceAffectOptions {
  targetbus?: string;
  driver?: string;
  subdriver?: string;
  cache?: string;
  type?: string;
  mode?: string;
  sourcetype?: string;
  serial?: string;
}

/** `attach-disk DOMAIN SOURCE TARGET`: a disk built from options, as virsh builds it. */
export async function attachDisk(c: Context, ref: string, source: string, target: string, o: DiskOptions): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const { formatDomainXML } = await typedXml();
  const kind = o.sourcetype ?? 'file';
  const disk: Record<string, unknown> = {
    type: kind,
    device: o.type ?? 'disk',
    ...(o.driver || o.subdriver || o.cache ? { driver: { ...(o.driver ? { name: o.driver } : {}), ...(o.subdriver ? { type: o.subdriver } : {}), ...(o.cache ? { cache: o.cache } : {}) } } : {}),
    source: kind === 'block' ? { dev: source } : { file: source },
    target: { dev: target, ...(o.targetbus ? { bus: o.targetbus } : {}) },
    ...(o.mode === 'readonly' ? { readonly: true } : o.mode === 'shareable' ? { shareable: true } : {}),
    ...(o.serial ? { serial: o.serial } : {}),
  };
  const xml = deviceXml(formatDomainXML({ type: 'kvm', name: 'x', devices: { disk: [disk as never] } }), 'disk');
  try {
    await modify(c, dom, 'attach', xml, o);
  } catch (e) {
    throw failed('Failed to attach disk', e);
  }
  return 'Disk attached successfully\n\n';
}

export interface InterfaceOptions extends DeviceAffectOptions {
  target?: string;
  mac?: string;
  model?: string;
}

/** `attach-interface DOMAIN TYPE SOURCE`: `network`, `bridge` or `direct`, with options. */
export async function attachInterface(c: Context, ref: string, type: string, source: string, o: InterfaceOptions): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const { formatDomainXML } = await typedXml();
  const sourceKey = type === 'network' ? 'network' : type === 'bridge' ? 'bridge' : 'dev';
  const iface: Record<string, unknown> = {
    type,
    source: { [sourceKey]: source },
    ...(o.target ? { target: { dev: o.target } } : {}),
    ...(o.mac ? { mac: { address: o.mac } } : {}),
    ...(o.model ? { model: { type: o.model } } : {}),
  };
  const xml = deviceXml(formatDomainXML({ type: 'kvm', name: 'x', devices: { interface: [iface as never] } }), 'interface');
  try {
    await modify(c, dom, 'attach', xml, o);
  } catch (e) {
    throw failed('Failed to attach interface', e);
  }
  return 'Interface attached successfully\n\n';
}

/** The one device element of a domain document written to carry it. */
function deviceXml(doc: string, element: string): string {
  const start = doc.indexOf(`<${element}`);
  const close = `</${element}>`;
  const end = doc.lastIndexOf(close);
  const text = end >= 0 ? doc.slice(start, end + close.length) : doc.slice(start, doc.indexOf('/>', start) + 2);
  return text.replace(/^ {4}/gm, '');
}

/** `detach-disk DOMAIN TARGET`: the disk whose target or source is TARGET, from the domain's XML. */
export async function detachDisk(c: Context, ref: string, target: string, o: DeviceAffectOptions): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const { formatDomainXML, parseDomainXML } = await typedXml();
  const flags = await affectFlags(c.conn, dom, o);
  const inactive = flags !== null && !(flags & VIR_DOMAIN_AFFECT_LIVE) && !!(flags & VIR_DOMAIN_AFFECT_CONFIG);
  const def = parseDomainXML(await c.conn.domainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0));
  const disk = (def.devices?.disk ?? []).find((d) => {
    const s = d.source as Record<string, unknown> | undefined;
    return d.target.dev === target || (s && [s.file, s.dev, s.dir, s.name].includes(target));
  });
  if (!disk) throw new Error(`No disk found whose source path or target is ${target}`);
  const xml = deviceXml(formatDomainXML({ type: 'kvm', name: 'x', devices: { disk: [{ ...disk } as never] } }), 'disk');
  try {
    await modify(c, dom, 'detach', xml, o);
  } catch (e) {
    throw failed('Failed to detach disk', e);
  }
  return 'Disk detached successfully\n\n';
}

/** `detach-interface DOMAIN TYPE [--mac MAC]`: the interface of that type (and MAC), from the domain's XML. */
export async function detachInterface(c: Context, ref: string, type: string, o: DeviceAffectOptions & { mac?: string }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const { formatDomainXML, parseDomainXML } = await typedXml();
  const flags = await affectFlags(c.conn, dom, o);
  const inactive = flags !== null && !(flags & VIR_DOMAIN_AFFECT_LIVE) && !!(flags & VIR_DOMAIN_AFFECT_CONFIG);
  const def = parseDomainXML(await c.conn.domainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0));
  const matches = (def.devices?.interface ?? []).filter((i) => i.type === type && (!o.mac || (i.mac?.address ?? '').toLowerCase() === o.mac.toLowerCase()));
  if (!matches.length) throw new Error(o.mac ? `No interface with MAC address ${o.mac} was found` : `No interface found whose type is ${type}`);
  if (matches.length > 1) throw new Error(`Domain has ${matches.length} interfaces. Please specify which one to detach using --mac`);
  const xml = deviceXml(formatDomainXML({ type: 'kvm', name: 'x', devices: { interface: [{ ...matches[0]! } as never] } }), 'interface');
  try {
    await modify(c, dom, 'detach', xml, o);
  } catch (e) {
    throw failed('Failed to detach interface', e);
  }
  return 'Interface detached successfully\n\n';
}

export function register({ program, act }: Registry): void {
  const deviceAffect = (command: Command) => affectOptions(command).option('--persistent', 'make live change persistent');
  for (const verb of ['attach', 'detach', 'update'] as const) {
    deviceAffect(program.command(`${verb}-device <domain> <file>`).description(`${verb} device from an XML file`)).action((d: string, f: string, o: DeviceAffectOptions) =>
      act((c) => deviceFromFile(c, verb, d, f, o)),
    );
  }
  deviceAffect(program.command('attach-disk <domain> <source> <target>').description('attach disk device'))
    .option('--targetbus <bus>', 'target bus of disk device')
    .option('--driver <driver>', 'driver of disk device')
    .option('--subdriver <subdriver>', 'subdriver of disk device')
    .option('--cache <cache>', 'cache mode of disk device')
    .option('--type <type>', 'target device type')
    .option('--mode <mode>', 'mode of device reading and writing')
    .option('--sourcetype <type>', 'type of source (block|file)')
    .option('--serial <serial>', 'serial of disk device')
    .action((d: string, src: string, t: string, o: DiskOptions) => act((c) => attachDisk(c, d, src, t, o)));
  deviceAffect(program.command('detach-disk <domain> <target>').description('detach disk device')).action((d: string, t: string, o: DeviceAffectOptions) => act((c) => detachDisk(c, d, t, o)));
  deviceAffect(program.command('attach-interface <domain> <type> <source>').description('attach network interface'))
    .option('--target <target>', 'target network name')
    .option('--mac <mac>', 'MAC address')
    .option('--model <model>', 'model type')
    .action((d: string, t: string, src: string, o: InterfaceOptions) => act((c) => attachInterface(c, d, t, src, o)));
  deviceAffect(program.command('detach-interface <domain> <type>').description('detach network interface'))
    .option('--mac <mac>', 'MAC address')
    .action((d: string, t: string, o: DeviceAffectOptions & { mac?: string }) => act((c) => detachInterface(c, d, t, o)));
}
