/**
 * virsh's commands for the ways into a running domain: `domdisplay` (the URI of its graphical
 * display), `vncdisplay`, `ttyconsole` (the console's pseudo-terminal) and `domcontrol` (the
 * state of the hypervisor's control channel to it). The display and console are read from the
 * live XML through the typed XML layer, as virsh reads them with XPath. Registered by
 * tuning.ts with the rest of the family.
 */
import { VIR_DOMAIN_CONTROL_ERROR, VIR_DOMAIN_CONTROL_OK, VIR_DOMAIN_XML_SECURE } from '../../protocol/constants.js';
import type { RemoteNonnullDomain } from '../../protocol/remote.js';
import type { DomainGraphic } from '../../xml/types.js';
import { type Context, findDomain, typedXml } from './commands.js';
import { cFixed, toJson } from './format.js';
import { FailureReport } from './registry.js';

/**
 * A failure after some output: virsh has printed `output` by the time it reports `failure`.
 * The module that registers the command writes `output` before the error goes on.
 */
export class FailureAfterOutput extends Error {
  constructor(
    readonly output: string,
    readonly failure: unknown,
  ) {
    super(failure instanceof Error ? failure.message : String(failure), { cause: failure });
  }
}

async function domainXml(c: Context, dom: RemoteNonnullDomain, flags = 0) {
  const { parseDomainXML } = await typedXml();
  return parseDomainXML(await c.conn.domainGetXMLDesc(dom, flags));
}

/** The first value `pick` finds among the graphics of a type, as XPath's string() takes the first match. */
function firstOf<T>(graphics: DomainGraphic[], type: string, pick: (g: Record<string, unknown>) => T | undefined): T | undefined {
  for (const g of graphics) {
    if (g.type !== type) continue;
    const v = pick(g as unknown as Record<string, unknown>);
    if (v !== undefined) return v;
  }
  return undefined;
}

const firstListen = (g: Record<string, unknown>) => (g.listenElement as Record<string, unknown>[] | undefined)?.[0];

/** Whether an address is 0.0.0.0 or ::, which virsh replaces by the connection's host. */
function isWildcard(address: string): boolean {
  if (/^0+\.0+\.0+\.0+$/.test(address)) return true;
  if (!address.includes(':')) return false;
  try {
    return new URL(`http://[${address}]/`).hostname === '[::]';
  } catch {
    return false;
  }
}

/** The host of the connection URI, as libvirt's URI parser gives it (no brackets), or undefined. */
function uriHost(uri: string): string | undefined {
  try {
    const host = new URL(uri).hostname;
    return host ? host.replace(/^\[(.*)\]$/, '$1') : undefined;
  } catch {
    return undefined;
  }
}

export interface DomdisplayOptions {
  type?: string;
  all?: boolean;
  includePassword?: boolean;
}

/** `domdisplay DOMAIN [--type TYPE] [--all] [--include-password]`: the display's URI. */
export async function domdisplay(c: Context, ref: string, o: DomdisplayOptions): Promise<string> {
  if (o.all && o.type !== undefined) throw new Error('Options --all and --type are mutually exclusive');
  const dom = await findDomain(c.conn, ref);
  if (!(await c.conn.domainIsActive(dom))) throw new Error('Domain is not running');
  if (o.type === '') throw new Error("Failed to get option 'type': Option argument is empty");
  const def = await domainXml(c, dom, o.includePassword ? VIR_DOMAIN_XML_SECURE : 0);
  const graphics = def.devices?.graphics ?? [];
  const uris: string[] = [];
  for (const scheme of ['vnc', 'spice', 'rdp', 'dbus']) {
    if (!o.all && o.type !== undefined && o.type !== scheme) continue;
    const port = firstOf(graphics, scheme, (g) => (typeof g.port === 'number' ? g.port : undefined)) ?? 0;
    const tlsPort = firstOf(graphics, scheme, (g) => (typeof g.tlsPort === 'number' ? g.tlsPort : undefined)) ?? 0;
    let listen = firstOf(graphics, scheme, (g) => g.listen as string | undefined);
    const listenType = firstOf(graphics, scheme, (g) => firstListen(g)?.type as string | undefined);
    const socket = listenType === 'socket' ? firstOf(graphics, scheme, (g) => firstListen(g)?.socket as string | undefined) : undefined;
    if (!port && !tlsPort && !socket) continue;
    if (listen === undefined) listen = firstOf(graphics, scheme, (g) => firstListen(g)?.address as string | undefined);
    else if (isWildcard(listen)) listen = uriHost(c.uri);
    const passwd = firstOf(graphics, scheme, (g) => g.passwd as string | undefined);
    let uri = socket ? `${scheme}+unix://` : `${scheme}://`;
    if (scheme === 'vnc' && passwd !== undefined) uri += `:${passwd}@`;
    if (socket) uri += socket;
    else if (listen === undefined) uri += 'localhost';
    else uri += listen.includes(':') ? `[${listen}]` : listen;
    // VNC viewers take the display number, the port less 5900.
    if (port) uri += `:${scheme === 'vnc' ? port - 5900 : port}`;
    let query = false;
    if (tlsPort) {
      uri += `?tls-port=${tlsPort}`;
      query = true;
    }
    if (scheme === 'spice' && passwd !== undefined) uri += `${query ? '&' : '?'}password=${passwd}`;
    uris.push(uri);
    if (!o.all) break;
  }
  if (!uris.length) throw new Error(o.type !== undefined ? `No graphical display with type '${o.type}' found` : 'No graphical display found');
  if (c.json) return toJson(o.all ? uris.map((uri) => ({ uri })) : { uri: uris[0] }) + '\n';
  return o.all ? uris.map((u) => `${u}\n`).join('') + '\n' : `${uris[0]}\n`;
}

/** `vncdisplay DOMAIN`: the VNC server's address and display number. */
export async function vncdisplay(c: Context, ref: string): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  if (!(await c.conn.domainIsActive(dom))) throw new Error('Domain is not running');
  const def = await domainXml(c, dom);
  const graphics = def.devices?.graphics ?? [];
  const port = firstOf(graphics, 'vnc', (g) => (typeof g.port === 'number' ? g.port : undefined));
  if (port === undefined) throw new Error('Failed to get VNC port. Is this domain using VNC?');
  const listen = firstOf(graphics, 'vnc', (g) => g.listen as string | undefined) ?? firstOf(graphics, 'vnc', (g) => firstListen(g)?.address as string | undefined);
  const display = `${listen === undefined || listen === '0.0.0.0' ? '' : listen}:${port - 5900}`;
  return c.json ? toJson({ display }) + '\n' : `${display}\n\n`;
}

/** `ttyconsole DOMAIN`: the console's pseudo-terminal; without one virsh fails with no message. */
export async function ttyconsole(c: Context, ref: string): Promise<string> {
  const def = await domainXml(c, await findDomain(c.conn, ref));
  const tty = (def.devices?.console ?? []).find((con) => con.tty !== undefined)?.tty;
  if (tty === undefined) throw new FailureReport(c.json ? '' : '\n');
  return c.json ? toJson({ tty }) + '\n' : `${tty}\n\n`;
}

const CONTROL_STATES = ['ok', 'background job', 'occupied', 'error'];
const CONTROL_ERROR_REASONS = ['', 'unknown', 'monitor failure', 'internal (locking) error'];

/** `domcontrol DOMAIN`: the control channel's state, how long it has been busy, or why it failed. */
export async function domcontrol(c: Context, ref: string): Promise<string> {
  const info = await c.conn.domainGetControlInfo(await findDomain(c.conn, ref), 0);
  const state = CONTROL_STATES[info.state] ?? 'unknown';
  if (c.json) {
    const details = info.state === VIR_DOMAIN_CONTROL_ERROR && info.details > 0 ? (CONTROL_ERROR_REASONS[info.details] ?? 'unknown') : null;
    return toJson({ state, details, stateTime: info.stateTime }) + '\n';
  }
  if (info.state !== VIR_DOMAIN_CONTROL_OK && info.state !== VIR_DOMAIN_CONTROL_ERROR) return `${state} (${cFixed(Number(info.stateTime) / 1000, 3)}s)\n\n`;
  if (info.state === VIR_DOMAIN_CONTROL_ERROR && info.details > 0) return `${state}: ${CONTROL_ERROR_REASONS[info.details] ?? 'unknown'}\n\n`;
  return `${state}\n\n`;
}
