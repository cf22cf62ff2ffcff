/**
 * virsh's commands that act on a guest, through the hypervisor or through the guest agent:
 * its metadata, description and title, its interfaces' link state, its file systems, users
 * and SSH keys (agent), keys, signals, NMI and reset, power management, lifecycle actions,
 * memory devices, detaching by alias, dirty-rate measuring, launch security, and QEMU monitor
 * events. Each prints what virsh 9.0 prints, and checks its options in virsh's order, so a
 * command refused for two reasons names the same one.
 *
 * Helpers of general use defined here: {@link libxmlNode} (an element written as libxml2's
 * xmlNodeDump writes it, which `--print-xml` outputs show).
 */
import type { Command } from 'commander';
import type { RemoteNonnullDomain } from '../../protocol/remote.js';
import {
  VIR_CONNECT_DOMAIN_QEMU_MONITOR_EVENT_REGISTER_NOCASE,
  VIR_CONNECT_DOMAIN_QEMU_MONITOR_EVENT_REGISTER_REGEX,
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_AGENT_RESPONSE_TIMEOUT_BLOCK,
  VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_APPEND,
  VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_REMOVE,
  VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP,
  VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_RING,
  VIR_DOMAIN_DIRTYRATE_MODE_PAGE_SAMPLING,
  VIR_DOMAIN_GUEST_INFO_DISKS,
  VIR_DOMAIN_GUEST_INFO_FILESYSTEM,
  VIR_DOMAIN_GUEST_INFO_HOSTNAME,
  VIR_DOMAIN_GUEST_INFO_INTERFACES,
  VIR_DOMAIN_GUEST_INFO_OS,
  VIR_DOMAIN_GUEST_INFO_TIMEZONE,
  VIR_DOMAIN_GUEST_INFO_USERS,
  VIR_DOMAIN_LAUNCH_SECURITY_SEV_SECRET,
  VIR_DOMAIN_LAUNCH_SECURITY_SEV_SECRET_HEADER,
  VIR_DOMAIN_LAUNCH_SECURITY_SEV_SECRET_SET_ADDRESS,
  VIR_DOMAIN_METADATA_DESCRIPTION,
  VIR_DOMAIN_METADATA_ELEMENT,
  VIR_DOMAIN_METADATA_TITLE,
  VIR_DOMAIN_PASSWORD_ENCRYPTED,
  VIR_DOMAIN_SEND_KEY_MAX_KEYS,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_ERR_NO_DOMAIN_METADATA,
  VIR_NODE_SUSPEND_TARGET_DISK,
  VIR_NODE_SUSPEND_TARGET_HYBRID,
  VIR_NODE_SUSPEND_TARGET_MEM,
} from '../../protocol/constants.js';
import { LibvirtError } from '../errors.js';
import { type TypedParams, typedParamTypes } from '../xdr/typed-params.js';
import { type XmlElement, type XmlNode, escapeAttr, escapeText, readXml } from '../xml/tokenizer.js';
import { type Context, findDomain } from './commands.js';
import { table, toJson, typedParamText } from './format.js';
import { type AffectOptions, FailureReport, type Registry, affectOptions } from './registry.js';
import { argvInTypedOrder } from './virsh-args.js';
import { INT, LLONG, UINT, ULLONG, exclusive, failed, integerValue, parseCInteger, readVirshFile, scaledOption, timeoutOption } from './virsh-options.js';

// ---------------------------------------------------------------------------------------------
// Helpers: virsh's option checks, numbers, files, typed parameters and libxml2's serialization.

/** Runs `call`, turning its failure into virsh's two-line report. */
async function reporting<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw failed(what, e);
  }
}

/** `--config --live --current` as virsh turns them into VIR_DOMAIN_AFFECT_* flags (current is 0). */
function affectFlags(o: AffectOptions): number {
  exclusive('current', o.current, 'live', o.live);
  exclusive('current', o.current, 'config', o.config);
  return (o.config ? VIR_DOMAIN_AFFECT_CONFIG : 0) | (o.live ? VIR_DOMAIN_AFFECT_LIVE : 0);
}

/** Each parameter as `[name, text]`, in the daemon's order. */
function typedParamLines(params: TypedParams): [string, string][] {
  const types = typedParamTypes(params) ?? {};
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) out.push([name, typedParamText(v, types[name])]);
  }
  return out;
}

/** Typed parameters as JSON: the names as the daemon gave them, the values as they are. */
const typedParamsJson = (params: TypedParams) => toJson(Object.fromEntries(Object.entries(params))) + '\n';

/**
 * An element as libxml2's xmlNodeDump writes it without formatting: the document's own white
 * space kept, double-quoted attributes, `<x/>` for an element with no children. virsh prints
 * devices it edited this way (`domif-setlink --print-xml`, `update-memory-device --print-xml`).
 */
export function libxmlNode(node: XmlNode): string {
  switch (node.kind) {
    case 'text':
      return node.cdata ? `<![CDATA[${node.text}]]>` : escapeText(node.text);
    case 'comment':
      return `<!--${node.text}-->`;
    case 'pi':
      return `<?${node.target}${node.text ? ` ${node.text}` : ''}?>`;
    case 'element': {
      const attrs = node.attrs.map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
      if (!node.children.length) return `<${node.name}${attrs}/>`;
      return `<${node.name}${attrs}>${node.children.map(libxmlNode).join('')}</${node.name}>`;
    }
  }
}

const elements = (el: XmlElement, name?: string) => el.children.filter((n): n is XmlElement => n.kind === 'element' && (!name || n.name === name));
const attr = (el: XmlElement | undefined, name: string) => el?.attrs.find(([k]) => k === name)?.[1];
const textOf = (el: XmlElement): string => el.children.map((n) => (n.kind === 'text' ? n.text : n.kind === 'element' ? textOf(n) : '')).join('');

/** Sets an attribute where libxml2's xmlSetProp would: in place if present, else last. */
function setAttr(el: XmlElement, name: string, value: string): void {
  const at = el.attrs.find(([k]) => k === name);
  if (at) at[1] = value;
  else el.attrs.push([name, value]);
}

/** The devices of a domain's XML (`/domain/devices/NAME`). */
async function devicesOf(c: Context, dom: RemoteNonnullDomain, name: string, inactive: boolean): Promise<XmlElement[]> {
  const { root } = readXml(await c.conn.domainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0));
  return elements(root, 'devices').flatMap((d) => elements(d, name));
}

/** A MAC address as virMacAddrParse reads it (1-2 hex digits, 6 groups), lower case and padded. */
function normalizedMac(text: string): string | undefined {
  const parts = text.split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return parts.map((p) => p.toLowerCase().padStart(2, '0')).join(':');
}

// ---------------------------------------------------------------------------------------------
// Metadata, description and title.

export interface MetadataOptions extends AffectOptions {
  key?: string;
  set?: string;
  remove?: boolean;
}

/** `metadata DOMAIN URI [--key K --set XML | --remove] [--config --live --current]`. */
export async function metadata(c: Context, ref: string, uri: string, o: MetadataOptions): Promise<string> {
  const flags = affectFlags(o);
  exclusive('remove', o.remove, 'set', o.set !== undefined);
  const dom = await findDomain(c.conn, ref);
  if (o.set !== undefined && o.key === undefined) throw new Error('namespace key is required when modifying metadata');
  if (o.set !== undefined || o.remove) {
    await c.conn.domainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, o.set ?? null, o.key ?? null, uri, flags);
    return o.remove ? 'Metadata removed\n\n' : 'Metadata modified\n\n';
  }
  const data = await c.conn.domainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, uri, flags);
  return c.json ? toJson({ uri, metadata: data }) + '\n' : `${data}\n\n`;
}

export interface DescOptions extends AffectOptions {
  title?: boolean;
}

/** The description or title, or '' when there is none (virsh's virshGetDomainDescription). */
async function currentDescription(c: Context, dom: RemoteNonnullDomain, title: boolean, config: boolean): Promise<string> {
  try {
    return await c.conn.domainGetMetadata(dom, title ? VIR_DOMAIN_METADATA_TITLE : VIR_DOMAIN_METADATA_DESCRIPTION, null, config ? VIR_DOMAIN_XML_INACTIVE : 0);
  } catch (e) {
    if (e instanceof LibvirtError && e.code === VIR_ERR_NO_DOMAIN_METADATA) return '';
    throw e;
  }
}

/**
 * `desc DOMAIN [--title] [--config --live --current] [[--new-desc] TEXT...]`: prints the
 * description (or title), or sets it to `words` (those given, in order), joined by spaces.
 */
export async function desc(c: Context, ref: string, words: string[], o: DescOptions): Promise<string> {
  const flags = affectFlags(o);
  const dom = await findDomain(c.conn, ref);
  await c.conn.domainGetState(dom, 0);
  const title = !!o.title;
  const given = words;
  const current = await currentDescription(c, dom, title, !!o.config);
  if (given.length) {
    await reporting(title ? 'Failed to set new domain title' : 'Failed to set new domain description', () =>
      c.conn.domainSetMetadata(dom, title ? VIR_DOMAIN_METADATA_TITLE : VIR_DOMAIN_METADATA_DESCRIPTION, given.join(' '), null, null, flags),
    );
    return title ? 'Domain title updated successfully\n' : 'Domain description updated successfully\n';
  }
  if (c.json) return toJson(title ? { title: current || null } : { description: current || null }) + '\n';
  if (current) return `${current}\n`;
  return `${title ? 'No title for domain' : 'No description for domain'}: ${dom.name}\n`;
}

// ---------------------------------------------------------------------------------------------
// Interface link state.

/** `domif-getlink DOMAIN INTERFACE [--config]`: INTERFACE is a MAC address or a target device. */
export async function domifGetlink(c: Context, ref: string, iface: string, o: { config?: boolean }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const mac = normalizedMac(iface);
  const matches = (await devicesOf(c, dom, 'interface', !!o.config)).filter(
    (i) => elements(i, 'mac').some((m) => attr(m, 'address') === (mac ?? '')) || elements(i, 'target').some((t) => attr(t, 'dev') === iface),
  );
  if (!matches.length) throw new Error(mac ? `Interface (mac: ${mac}) not found.` : `Interface (dev: ${iface}) not found.`);
  if (matches.length > 1) throw new Error('multiple matching interfaces found');
  const state = attr(elements(matches[0]!, 'link')[0], 'state') ?? 'up';
  return c.json ? toJson({ interface: iface, state }) + '\n' : `${iface} ${state}\n`;
}

/** `domif-setlink DOMAIN INTERFACE up|down [--config] [--print-xml]`, through update-device as virsh does. */
export async function domifSetlink(c: Context, ref: string, iface: string, state: string, o: { config?: boolean; printXml?: boolean }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  if (state !== 'up' && state !== 'down') throw new Error(`invalid link state '${state}'`);
  let flags = o.config ? VIR_DOMAIN_AFFECT_CONFIG : VIR_DOMAIN_AFFECT_LIVE;
  if ((await c.conn.domainIsActive(dom)) === 0) flags = VIR_DOMAIN_AFFECT_CONFIG;
  const interfaces = await devicesOf(c, dom, 'interface', !!o.config);
  if (!interfaces.length) throw new Error('Failed to extract interface information or no interfaces found');
  // A MAC is matched against <mac address>, anything else against <target dev>, ignoring case.
  const [element, attribute] = normalizedMac(iface) ? ['mac', 'address'] : ['target', 'dev'];
  const hit = interfaces.find((i) => elements(i, element).some((e) => attr(e, attribute)?.toLowerCase() === iface.toLowerCase()));
  if (!hit) throw new Error(`interface '${iface}' not found`);
  const link = elements(hit, 'link')[0];
  if (link) setAttr(link, 'state', state);
  else hit.children.push({ kind: 'element', name: 'link', attrs: [['state', state]], children: [] });
  const xml = libxmlNode(hit);
  if (o.printXml) return `${xml}\n`;
  await reporting('Failed to update interface link state', () => c.conn.domainUpdateDeviceFlags(dom, xml, flags));
  return 'Device updated successfully\n\n';
}

// ---------------------------------------------------------------------------------------------
// File systems, users and keys: the guest agent's commands.

/** `domfsinfo DOMAIN`: the guest's mounted file systems, from its agent. */
export async function domfsinfo(c: Context, ref: string): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const { info } = await reporting('Unable to get filesystem information', () => c.conn.domainGetFSInfo(dom, 0));
  if (c.json) return toJson(info.map((f) => ({ mountpoint: f.mountpoint, name: f.name, type: f.fstype, targets: f.dev_aliases }))) + '\n';
  if (!info.length) return 'No filesystems are mounted in the domain\n';
  return table(['Mountpoint', 'Name', 'Type', 'Target'], info.map((f) => [f.mountpoint, f.name, f.fstype, f.dev_aliases.join(',')]));
}

/** `domfsfreeze DOMAIN [MOUNTPOINT...]` and `domfsthaw DOMAIN [MOUNTPOINT...]`. */
export async function domfsFreezeThaw(c: Context, ref: string, mountpoints: string[], freeze: boolean): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const n = await reporting(freeze ? 'Unable to freeze filesystems' : 'Unable to thaw filesystems', () =>
    freeze ? c.conn.domainFSFreeze(dom, mountpoints, 0) : c.conn.domainFSThaw(dom, mountpoints, 0),
  );
  if (c.json) return toJson(freeze ? { frozen: n } : { thawed: n }) + '\n';
  return `${freeze ? 'Froze' : 'Thawed'} ${n} filesystem(s)\n\n`;
}

/** `domfstrim DOMAIN [--minimum BYTES] [--mountpoint PATH]`. */
export async function domfstrim(c: Context, ref: string, o: { minimum?: string; mountpoint?: string }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const minimum = o.minimum === undefined ? 0n : integerValue('minimum', o.minimum, ...ULLONG);
  await reporting('Unable to invoke fstrim', () => c.conn.domainFSTrim(dom, o.mountpoint ?? null, minimum, 0));
  return '\n';
}

export interface GuestinfoOptions {
  user?: boolean;
  os?: boolean;
  timezone?: boolean;
  hostname?: boolean;
  filesystem?: boolean;
  disk?: boolean;
  interface?: boolean;
}

/** `guestinfo DOMAIN [--user --os --timezone --hostname --filesystem --disk --interface]` (all when none). */
export async function guestinfo(c: Context, ref: string, o: GuestinfoOptions): Promise<string> {
  const types =
    (o.user ? VIR_DOMAIN_GUEST_INFO_USERS : 0) |
    (o.os ? VIR_DOMAIN_GUEST_INFO_OS : 0) |
    (o.timezone ? VIR_DOMAIN_GUEST_INFO_TIMEZONE : 0) |
    (o.hostname ? VIR_DOMAIN_GUEST_INFO_HOSTNAME : 0) |
    (o.filesystem ? VIR_DOMAIN_GUEST_INFO_FILESYSTEM : 0) |
    (o.disk ? VIR_DOMAIN_GUEST_INFO_DISKS : 0) |
    (o.interface ? VIR_DOMAIN_GUEST_INFO_INTERFACES : 0);
  const dom = await findDomain(c.conn, ref);
  const params = await c.conn.domainGetGuestInfo(dom, types, 0);
  if (c.json) return typedParamsJson(params);
  return typedParamLines(params).map(([k, v]) => `${k.padEnd(20)}: ${v}\n`).join('') + '\n';
}

/** `get-user-sshkeys DOMAIN USER`: the user's authorized keys. */
export async function getUserSshkeys(c: Context, ref: string, user: string): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const keys = await c.conn.domainAuthorizedSSHKeysGet(dom, user, 0);
  // virsh 9.0 prints the keys back to back, with no separator, and one newline at the end.
  return c.json ? toJson({ user, keys }) + '\n' : keys.join('') + '\n';
}

/** `set-user-sshkeys DOMAIN USER [--file F] [--reset | --remove]`: appends F's keys by default. */
export async function setUserSshkeys(c: Context, ref: string, user: string, o: { file?: string; reset?: boolean; remove?: boolean }): Promise<string> {
  if (o.remove && o.file === undefined) throw new Error('Option --file is required by option --remove');
  exclusive('reset', o.reset, 'remove', o.remove);
  const dom = await findDomain(c.conn, ref);
  let flags = 0;
  if (o.remove) flags = VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_REMOVE;
  else if (!o.reset) {
    flags = VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_APPEND;
    if (o.file === undefined) throw new Error('Option --file is required');
  }
  let keys: string[] = [];
  if (o.file !== undefined) {
    const text = readVirshFile(o.file);
    // virsh splits on newlines as g_strsplit does: a trailing newline leaves an empty last key.
    keys = text === '' ? [] : text.split('\n');
    if (!keys.length) throw new Error(`File ${o.file} contains no keys`);
  }
  await c.conn.domainAuthorizedSSHKeysSet(dom, user, keys, flags);
  return '\n';
}

/** `set-user-password DOMAIN USER PASSWORD [--encrypted]`. */
export async function setUserPassword(c: Context, ref: string, user: string, password: string, o: { encrypted?: boolean }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  await c.conn.domainSetUserPassword(dom, user, password, o.encrypted ? VIR_DOMAIN_PASSWORD_ENCRYPTED : 0);
  return `Password set successfully for ${user} in ${ref}\n`;
}

/** `guest-agent-timeout DOMAIN [--timeout SECONDS]`: without --timeout, wait forever (-2). */
export async function guestAgentTimeout(c: Context, ref: string, o: { timeout?: string }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const timeout = o.timeout === undefined ? VIR_DOMAIN_AGENT_RESPONSE_TIMEOUT_BLOCK : Number(integerValue('timeout', o.timeout, ...INT));
  await c.conn.domainAgentSetResponseTimeout(dom, timeout, 0);
  return '\n';
}

// ---------------------------------------------------------------------------------------------
// Keys, signals, NMI, reset, power management.

const CODESETS = ['linux', 'xt', 'atset1', 'atset2', 'atset3', 'os_x', 'xt_kbd', 'usb', 'win32', 'qnum'];

/**
 * The names of the linux codeset's keys (the kernel's input-event-codes, as libvirt's keymap
 * has them, without the `KEY_` prefix; `^` stands for `BTN_`): each token is the next code,
 * `@hex` jumps to a code, `|` separates names of the same code.
 */
const LINUX_KEY_NAMES =
  'RESERVED ESC 1 2 3 4 5 6 7 8 9 0 MINUS EQUAL BACKSPACE TAB Q W E R T Y U I O P LEFTBRACE RIGHTBRACE ENTER ' +
  'LEFTCTRL A S D F G H J K L SEMICOLON APOSTROPHE GRAVE LEFTSHIFT BACKSLASH Z X C V B N M COMMA DOT SLASH ' +
  'RIGHTSHIFT KPASTERISK LEFTALT SPACE CAPSLOCK F1 F2 F3 F4 F5 F6 F7 F8 F9 F10 NUMLOCK SCROLLLOCK KP7 KP8 KP9 ' +
  'KPMINUS KP4 KP5 KP6 KPPLUS KP1 KP2 KP3 KP0 KPDOT @55 ZENKAKUHANKAKU 102ND F11 F12 RO KATAKANA HIRAGANA HENKAN ' +
  'KATAKANAHIRAGANA MUHENKAN KPJPCOMMA KPENTER RIGHTCTRL KPSLASH SYSRQ RIGHTALT LINEFEED HOME UP PAGEUP LEFT ' +
  'RIGHT END DOWN PAGEDOWN INSERT DELETE MACRO MUTE VOLUMEDOWN VOLUMEUP POWER KPEQUAL KPPLUSMINUS PAUSE SCALE ' +
  'KPCOMMA HANGEUL|HANGUEL HANJA YEN LEFTMETA RIGHTMETA COMPOSE STOP AGAIN PROPS UNDO FRONT COPY OPEN PASTE FIND ' +
  'CUT HELP MENU CALC SETUP SLEEP WAKEUP FILE SENDFILE DELETEFILE XFER PROG1 PROG2 WWW MSDOS COFFEE|SCREENLOCK ' +
  'ROTATE_DISPLAY|DIRECTION CYCLEWINDOWS MAIL BOOKMARKS COMPUTER BACK FORWARD CLOSECD EJECTCD EJECTCLOSECD ' +
  'NEXTSONG PLAYPAUSE PREVIOUSSONG STOPCD RECORD REWIND PHONE ISO CONFIG HOMEPAGE REFRESH EXIT MOVE EDIT SCROLLUP ' +
  'SCROLLDOWN KPLEFTPAREN KPRIGHTPAREN NEW REDO F13 F14 F15 F16 F17 F18 F19 F20 F21 F22 F23 F24 @c8 PLAYCD ' +
  'PAUSECD PROG3 PROG4 ALL_APPLICATIONS|DASHBOARD SUSPEND CLOSE PLAY FASTFORWARD BASSBOOST PRINT HP CAMERA SOUND ' +
  'QUESTION EMAIL CHAT SEARCH CONNECT FINANCE SPORT SHOP ALTERASE CANCEL BRIGHTNESSDOWN BRIGHTNESSUP MEDIA ' +
  'SWITCHVIDEOMODE KBDILLUMTOGGLE KBDILLUMDOWN KBDILLUMUP SEND REPLY FORWARDMAIL SAVE DOCUMENTS BATTERY BLUETOOTH ' +
  'WLAN UWB UNKNOWN VIDEO_NEXT VIDEO_PREV BRIGHTNESS_CYCLE BRIGHTNESS_AUTO|BRIGHTNESS_ZERO DISPLAY_OFF WWAN|WIMAX ' +
  'RFKILL MICMUTE @100 ^MISC|^0 ^1 ^2 ^3 ^4 ^5 ^6 ^7 ^8 ^9 @110 ^MOUSE|^LEFT ^RIGHT ^MIDDLE ^SIDE ^EXTRA ^FORWARD ' +
  '^BACK ^TASK @120 ^JOYSTICK|^TRIGGER ^THUMB ^THUMB2 ^TOP ^TOP2 ^PINKIE ^BASE ^BASE2 ^BASE3 ^BASE4 ^BASE5 ^BASE6 ' +
  '@12f ^DEAD ^GAMEPAD|^SOUTH|^A ^EAST|^B ^C ^NORTH|^X ^WEST|^Y ^Z ^TL ^TR ^TL2 ^TR2 ^SELECT ^START ^MODE ^THUMBL ' +
  '^THUMBR @140 ^DIGI|^TOOL_PEN ^TOOL_RUBBER ^TOOL_BRUSH ^TOOL_PENCIL ^TOOL_AIRBRUSH ^TOOL_FINGER ^TOOL_MOUSE ' +
  '^TOOL_LENS ^TOOL_QUINTTAP ^STYLUS3 ^TOUCH ^STYLUS ^STYLUS2 ^TOOL_DOUBLETAP ^TOOL_TRIPLETAP ^TOOL_QUADTAP ' +
  '^WHEEL|^GEAR_DOWN ^GEAR_UP @160 OK SELECT GOTO CLEAR POWER2 OPTION INFO TIME VENDOR ARCHIVE PROGRAM CHANNEL ' +
  'FAVORITES EPG PVR MHP LANGUAGE TITLE SUBTITLE ANGLE FULL_SCREEN|ZOOM MODE KEYBOARD ASPECT_RATIO|SCREEN PC TV ' +
  'TV2 VCR VCR2 SAT SAT2 CD TAPE RADIO TUNER PLAYER TEXT DVD AUX MP3 AUDIO VIDEO DIRECTORY LIST MEMO CALENDAR RED ' +
  'GREEN YELLOW BLUE CHANNELUP CHANNELDOWN FIRST LAST AB NEXT RESTART SLOW SHUFFLE BREAK PREVIOUS DIGITS TEEN ' +
  'TWEN VIDEOPHONE GAMES ZOOMIN ZOOMOUT ZOOMRESET WORDPROCESSOR EDITOR SPREADSHEET GRAPHICSEDITOR PRESENTATION ' +
  'DATABASE NEWS VOICEMAIL ADDRESSBOOK MESSENGER DISPLAYTOGGLE|BRIGHTNESS_TOGGLE SPELLCHECK LOGOFF DOLLAR EURO ' +
  'FRAMEBACK FRAMEFORWARD CONTEXT_MENU MEDIA_REPEAT 10CHANNELSUP 10CHANNELSDOWN IMAGES @1bc NOTIFICATION_CENTER ' +
  'PICKUP_PHONE HANGUP_PHONE LINK_PHONE DEL_EOL DEL_EOS INS_LINE DEL_LINE @1d0 FN FN_ESC FN_F1 FN_F2 FN_F3 FN_F4 ' +
  'FN_F5 FN_F6 FN_F7 FN_F8 FN_F9 FN_F10 FN_F11 FN_F12 FN_1 FN_2 FN_D FN_E FN_F FN_S FN_B FN_RIGHT_SHIFT @1f1 ' +
  'BRL_DOT1 BRL_DOT2 BRL_DOT3 BRL_DOT4 BRL_DOT5 BRL_DOT6 BRL_DOT7 BRL_DOT8 BRL_DOT9 BRL_DOT10 @200 NUMERIC_0 ' +
  'NUMERIC_1 NUMERIC_2 NUMERIC_3 NUMERIC_4 NUMERIC_5 NUMERIC_6 NUMERIC_7 NUMERIC_8 NUMERIC_9 NUMERIC_STAR ' +
  'NUMERIC_POUND NUMERIC_A';

let linuxKeys: Map<string, number> | undefined;

/** A linux key name's code (`KEY_A` is 30). */
function linuxKeyCode(name: string): number | undefined {
  if (!linuxKeys) {
    linuxKeys = new Map();
    let code = -1;
    for (const token of LINUX_KEY_NAMES.split(' ')) {
      if (token.startsWith('@')) {
        code = parseInt(token.slice(1), 16) - 1;
        continue;
      }
      code++;
      for (const n of token.split('|')) linuxKeys.set(n.startsWith('^') ? `BTN_${n.slice(1)}` : `KEY_${n}`, code);
    }
  }
  return linuxKeys.get(name);
}

/** `send-key DOMAIN [--codeset SET] [--holdtime MS] KEYCODE...`: numbers in any codeset, names in linux's. */
export async function sendKey(c: Context, ref: string, keys: string[], o: { codeset?: string; holdtime?: string }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const holdtime = o.holdtime === undefined ? 0 : Number(integerValue('holdtime', o.holdtime, ...UINT));
  // qnum was called rfb once; virsh still takes the old name.
  const name = o.codeset === undefined || o.codeset === '' ? 'linux' : o.codeset === 'rfb' ? 'qnum' : o.codeset;
  const codeset = CODESETS.indexOf(name);
  if (codeset < 0) throw new Error(`unknown codeset: '${name}'`);
  const codes: number[] = [];
  for (const key of keys) {
    if (codes.length === VIR_DOMAIN_SEND_KEY_MAX_KEYS) throw new Error('too many keycodes');
    const n = parseCInteger(key, [0n, 0xffffn], { base0: true });
    const code = n !== undefined ? Number(n) : codeset === 0 ? linuxKeyCode(key) : undefined;
    if (code === undefined) throw new Error(`invalid keycode: '${key}'`);
    codes.push(code);
  }
  await c.conn.domainSendKey(dom, codeset, holdtime, codes, 0);
  return '\n';
}

/** Signal names by number as virsh knows them (`sigterm`, `SIG_TERM`, `term` and 15 are the same). */
const SIGNALS = [
  'nop', 'hup', 'int', 'quit', 'ill', 'trap', 'abrt', 'bus', 'fpe', 'kill', 'usr1', 'segv', 'usr2', 'pipe', 'alrm', 'term', 'stkflt', 'chld', 'cont',
  'stop', 'tstp', 'ttin', 'ttou', 'urg', 'xcpu', 'xfsz', 'vtalrm', 'prof', 'winch', 'poll', 'pwr', 'sys',
  ...Array.from({ length: 33 }, (_, i) => `rt${i}`),
];

function signalNumber(signame: string): number {
  const lower = signame.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
  const n = parseCInteger(lower, INT);
  if (n !== undefined) return Number(n);
  const bare = lower.startsWith('sig_') ? lower.slice(4) : lower.startsWith('sig') ? lower.slice(3) : lower;
  return SIGNALS.indexOf(bare);
}

/** `send-process-signal DOMAIN PID SIGNAME`. */
export async function sendProcessSignal(c: Context, ref: string, pid: string, signame: string): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const pidValue = integerValue('pid', pid, ...LLONG);
  const signum = signalNumber(signame);
  if (signum < 0) throw new Error(`malformed signal name: ${signame}`);
  await c.conn.domainSendProcessSignal(dom, pidValue, signum, 0);
  return '\n';
}

/** `inject-nmi DOMAIN`. */
export async function injectNmi(c: Context, ref: string): Promise<string> {
  await c.conn.domainInjectNMI(await findDomain(c.conn, ref), 0);
  return '\n';
}

/** `reset DOMAIN`: as the reset button; virsh names the domain as it was given. */
export async function reset(c: Context, ref: string): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  await reporting(`Failed to reset domain '${ref}'`, () => c.conn.domainReset(dom, 0));
  return `Domain '${ref}' was reset\n\n`;
}

const SUSPEND_TARGETS: Record<string, number> = { mem: VIR_NODE_SUSPEND_TARGET_MEM, disk: VIR_NODE_SUSPEND_TARGET_DISK, hybrid: VIR_NODE_SUSPEND_TARGET_HYBRID };

/** `dompmsuspend DOMAIN mem|disk|hybrid [--duration SECONDS]`, through the guest agent. */
export async function dompmsuspend(c: Context, ref: string, target: string, o: { duration?: string }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const duration = o.duration === undefined ? 0n : integerValue('duration', o.duration, ...ULLONG);
  const code = Object.hasOwn(SUSPEND_TARGETS, target) ? SUSPEND_TARGETS[target]! : undefined;
  if (code === undefined) throw new Error('Invalid target');
  await reporting(`Domain '${dom.name}' could not be suspended`, () => c.conn.domainPMSuspendForDuration(dom, code, duration, 0));
  return `Domain '${dom.name}' successfully suspended\n`;
}

/** `dompmwakeup DOMAIN`. */
export async function dompmwakeup(c: Context, ref: string): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  await reporting(`Domain '${dom.name}' could not be woken up`, () => c.conn.domainPMWakeup(dom, 0));
  return `Domain '${dom.name}' successfully woken up\n`;
}

const LIFECYCLE_TYPES = ['poweroff', 'reboot', 'crash'];
const LIFECYCLE_ACTIONS = ['destroy', 'restart', 'rename-restart', 'preserve', 'coredump-destroy', 'coredump-restart'];

/** `set-lifecycle-action DOMAIN poweroff|reboot|crash ACTION [--config --live --current]`. */
export async function setLifecycleAction(c: Context, ref: string, type: string, action: string, o: AffectOptions): Promise<string> {
  const flags = affectFlags(o);
  const t = LIFECYCLE_TYPES.indexOf(type);
  if (t < 0) throw new Error(`Invalid lifecycle type '${type}'.`);
  const a = LIFECYCLE_ACTIONS.indexOf(action);
  if (a < 0) throw new Error(`Invalid lifecycle action '${action}'.`);
  const dom = await findDomain(c.conn, ref);
  await reporting('Unable to change lifecycle action.', () => c.conn.domainSetLifecycleAction(dom, t, a, flags));
  return '\n';
}

// ---------------------------------------------------------------------------------------------
// Devices: memory devices and detaching by alias.

export interface MemoryDeviceOptions extends AffectOptions {
  printXml?: boolean;
  alias?: string;
  node?: string;
  requestedSize?: string;
}

/**
 * `update-memory-device DOMAIN [--alias A | --node N] [--requested-size SIZE] [--print-xml]`:
 * the one memory device chosen, with a virtio-mem device's <requested/> size changed (in KiB
 * by default), given to update-device or printed.
 */
export async function updateMemoryDevice(c: Context, ref: string, o: MemoryDeviceOptions): Promise<string> {
  const flags = affectFlags(o);
  exclusive('node', o.node !== undefined, 'alias', o.alias !== undefined);
  const dom = await findDomain(c.conn, ref);
  const node = o.node === undefined ? undefined : String(integerValue('node', o.node, ...INT));
  const requested = o.requestedSize === undefined ? undefined : scaledOption('requested-size', o.requestedSize, 1024n, ULLONG[1]);
  const all = await devicesOf(c, dom, 'memory', !!o.config);
  const chosen = all.filter((m) =>
    o.alias !== undefined ? elements(m, 'alias').some((a) => attr(a, 'name') === o.alias) : node !== undefined ? elements(m, 'target').some((t) => elements(t, 'node').some((n) => textOf(n) === node)) : true,
  );
  if (!chosen.length) throw new Error('no memory device found');
  if (chosen.length > 1) throw new Error('multiple memory devices found, use --alias or --node to select one');
  const device = chosen[0]!;
  if (requested !== undefined) {
    const el = elements(device, 'target').flatMap((t) => elements(t, 'requested'))[0];
    if (!el) throw new Error('virtio-mem device is missing <requested/>');
    // Bytes up to the next KiB, as virsh rounds.
    el.children = [{ kind: 'text', text: String((requested + 1023n) / 1024n) }];
  }
  const xml = libxmlNode(device);
  if (o.printXml) return `${xml}\n`;
  await c.conn.domainUpdateDeviceFlags(dom, xml, flags);
  return '\n';
}

/** `detach-device-alias DOMAIN ALIAS [--config --live --current]`. */
export async function detachDeviceAlias(c: Context, ref: string, alias: string, o: AffectOptions): Promise<string> {
  const flags = affectFlags(o);
  const dom = await findDomain(c.conn, ref);
  await reporting(`Failed to detach device with alias ${alias}`, () => c.conn.domainDetachDeviceAlias(dom, alias, flags));
  return 'Device detach request sent successfully\n\n';
}

const DIRTYRATE_MODES: Record<string, number> = {
  'page-sampling': VIR_DOMAIN_DIRTYRATE_MODE_PAGE_SAMPLING,
  'dirty-bitmap': VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP,
  'dirty-ring': VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_RING,
};

/** `domdirtyrate-calc DOMAIN [--seconds N] [--mode page-sampling|dirty-bitmap|dirty-ring]`. */
export async function domdirtyrateCalc(c: Context, ref: string, o: { seconds?: string; mode?: string }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const seconds = o.seconds === undefined ? 1 : Number(integerValue('seconds', o.seconds, ...INT));
  let flags = 0;
  if (o.mode !== undefined) {
    if (!Object.hasOwn(DIRTYRATE_MODES, o.mode)) throw new Error(`Unknown calculation mode '${o.mode}'`);
    flags = DIRTYRATE_MODES[o.mode]!;
  }
  await c.conn.domainStartDirtyRateCalc(dom, seconds, flags);
  return "Start to calculate domain's memory dirty rate successfully.\n\n";
}

// ---------------------------------------------------------------------------------------------
// Launch security.

/** `domlaunchsecinfo DOMAIN`: the launch security parameters (SEV's measurement, policy, ...). */
export async function domlaunchsecinfo(c: Context, ref: string): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const params = await reporting('Unable to get launch security parameters', () => c.conn.domainGetLaunchSecurityInfo(dom, 0));
  if (c.json) return typedParamsJson(params);
  return typedParamLines(params).map(([k, v]) => `${k.padEnd(15)}: ${v}\n`).join('') + '\n';
}

/** `domsetlaunchsecstate DOMAIN --secrethdr FILE --secret FILE [--set-address ADDR]`: injects an SEV secret. */
export async function domsetlaunchsecstate(c: Context, ref: string, o: { secrethdr?: string; secret?: string; setAddress?: string }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  if (o.secrethdr === undefined || o.secret === undefined) throw new Error('Both secret and the secret header are required');
  const header = readVirshFile(o.secrethdr);
  const secret = readVirshFile(o.secret);
  const params: Record<string, string | { type: 'ullong'; value: bigint }> = {
    [VIR_DOMAIN_LAUNCH_SECURITY_SEV_SECRET_HEADER]: header,
    [VIR_DOMAIN_LAUNCH_SECURITY_SEV_SECRET]: secret,
  };
  if (o.setAddress !== undefined) params[VIR_DOMAIN_LAUNCH_SECURITY_SEV_SECRET_SET_ADDRESS] = { type: 'ullong', value: integerValue('set-address', o.setAddress, ...ULLONG) };
  await reporting('Unable to set launch security state', () => c.conn.domainSetLaunchSecurityState(dom, params, 0));
  return '\n';
}

// ---------------------------------------------------------------------------------------------
// QEMU monitor events.

export interface QemuMonitorEventOptions {
  domain?: string;
  event?: string;
  pretty?: boolean;
  loop?: boolean;
  timeout?: string;
  regex?: boolean;
  noCase?: boolean;
  timestamp?: boolean;
}

/** Now as libvirt's virTimeStringNowRaw writes it: `2024-01-31 12:34:56.789+0000`. */
const timestampNow = () => new Date().toISOString().replace('T', ' ').replace('Z', '+0000');

/**
 * `qemu-monitor-event [--domain D] [--event NAME [--regex] [--no-case]] [--pretty] [--loop]
 * [--timeout SECONDS] [--timestamp]`: prints QEMU monitor events as they come (the first one,
 * or all with --loop), then how many; a wait that ends with none is a failure, as in virsh.
 */
export async function qemuMonitorEvent(c: Context, o: QemuMonitorEventOptions, print: (s: string) => void): Promise<string> {
  const timeoutMs = timeoutOption(o.timeout);
  const flags = (o.regex ? VIR_CONNECT_DOMAIN_QEMU_MONITOR_EVENT_REGISTER_REGEX : 0) | (o.noCase ? VIR_CONNECT_DOMAIN_QEMU_MONITOR_EVENT_REGISTER_NOCASE : 0);
  const filter = o.domain !== undefined ? await findDomain(c.conn, o.domain) : undefined;
  let count = 0;
  let finish!: (why: string) => void;
  const finished = new Promise<string>((resolve) => (finish = resolve));
  const stop = await c.conn.subscribe(
    'qemu:monitor',
    (e) => {
      if (!o.loop && count) return;
      count++;
      if (c.json) {
        print(JSON.stringify({ event: e.event, seconds: Number(e.seconds), micros: e.micros, domain: e.dom.name, details: e.details === null ? null : JSON.parse(e.details) }) + '\n');
      } else {
        let details = e.details ?? '<null>';
        if (o.pretty && e.details !== null) {
          // virsh's pretty JSON (json-c's) ends with a newline of its own.
          try {
            details = JSON.stringify(JSON.parse(e.details), null, 2) + '\n';
          } catch {
            // Not JSON: printed as it came.
          }
        }
        print(
          o.timestamp
            ? `${timestampNow()}: event ${e.event} for domain '${e.dom.name}': ${details}\n`
            : `event ${e.event} at ${e.seconds}.${String(e.micros).padStart(6, '0')} for domain '${e.dom.name}': ${details}\n`,
        );
      }
      if (!o.loop) finish('');
    },
    { ...(filter ? { filter } : {}), ...(o.event !== undefined ? { qemuEvent: o.event } : {}), qemuFlags: flags },
  );
  const timer = timeoutMs ? setTimeout(() => finish('event loop timed out\n'), timeoutMs) : undefined;
  const why = await finished;
  if (timer) clearTimeout(timer);
  await stop();
  const report = `${why}events received: ${count}\n\n`;
  // As virsh: the command failed when nothing came, its report printed all the same.
  if (!count) throw new FailureReport(report, '', 'event loop timed out');
  return report;
}

// ---------------------------------------------------------------------------------------------

/** Collects a repeatable option's values. */
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function register({ program, act, io }: Registry): void {
  affectOptions(program.command('metadata <domain> <uri>').description("show or set domain's custom XML metadata"))
    .option('--key <string>', 'key to be used as a namespace identifier')
    .option('--set <string>', 'new metadata to set')
    .option('--remove', 'remove the metadata corresponding to an uri')
    .action((d: string, uri: string, o: MetadataOptions) => act((c) => metadata(c, d, uri, o)));
  affectOptions(program.command('desc <domain> [newDesc...]').description("show or set domain's description or title"))
    .option('--title', 'modify/get the title instead of description')
    .option('--new-desc <string>', 'message')
    .action((d: string, words: string[], o: DescOptions & { newDesc?: string }, command: Command) =>
      act((c) => desc(c, d, argvInTypedOrder(command, 'new-desc', 1, [...(o.newDesc !== undefined ? [o.newDesc] : []), ...words]), o)),
    );
  program
    .command('domif-getlink <domain> <interface>')
    .description('get link state of a virtual interface')
    .option('--config', 'Get persistent interface state')
    .option('--persistent', 'alias of --config')
    .action((d: string, i: string, o: { config?: boolean; persistent?: boolean }) => act((c) => domifGetlink(c, d, i, { config: o.config || o.persistent })));
  program
    .command('domif-setlink <domain> <interface> <state>')
    .description('set link state of a virtual interface')
    .option('--config', 'affect next boot')
    .option('--persistent', 'alias of --config')
    .option('--print-xml', 'print XML document rather than set the interface link state')
    .action((d: string, i: string, s: string, o: { config?: boolean; persistent?: boolean; printXml?: boolean }) =>
      act((c) => domifSetlink(c, d, i, s, { config: o.config || o.persistent, printXml: o.printXml })),
    );
  program.command('domfsinfo <domain>').description("Get information of domain's mounted filesystems.").action((d: string) => act((c) => domfsinfo(c, d)));
  for (const [name, freeze] of [['domfsfreeze', true], ['domfsthaw', false]] as const) {
    program
      .command(`${name} <domain> [mountpoint...]`)
      .description(freeze ? "Freeze domain's mounted filesystems." : "Thaw domain's mounted filesystems.")
      .option('--mountpoint <string>', freeze ? 'mountpoint path to be frozen' : 'mountpoint path to be thawed', collect)
      .action((d: string, rest: string[], o: { mountpoint?: string[] }, command: Command) =>
        act((c) => domfsFreezeThaw(c, d, argvInTypedOrder(command, 'mountpoint', 1, [...(o.mountpoint ?? []), ...rest]), freeze)),
      );
  }
  program
    .command('domfstrim <domain>')
    .description("Invoke fstrim on domain's mounted filesystems.")
    .option('--minimum <number>', 'Just a hint to ignore contiguous free ranges smaller than this (Bytes)')
    .option('--mountpoint <string>', 'which mount point to trim')
    .action((d: string, o: { minimum?: string; mountpoint?: string }) => act((c) => domfstrim(c, d, o)));
  program
    .command('guestinfo <domain>')
    .description('query information about the guest (via agent)')
    .option('--user', 'report active users')
    .option('--os', 'report operating system information')
    .option('--timezone', 'report timezone information')
    .option('--hostname', 'report hostname')
    .option('--filesystem', 'report filesystem information')
    .option('--disk', 'report disk information')
    .option('--interface', 'report interface information')
    .action((d: string, o: GuestinfoOptions) => act((c) => guestinfo(c, d, o)));
  program.command('get-user-sshkeys <domain> <user>').description('list authorized SSH keys for given user (via agent)').action((d: string, u: string) => act((c) => getUserSshkeys(c, d, u)));
  program
    .command('set-user-sshkeys <domain> <user>')
    .description('manipulate authorized SSH keys file for given user (via agent)')
    .option('--file <string>', 'optional file to read keys from')
    .option('--reset', 'clear out authorized keys file before adding new keys')
    .option('--remove', 'remove keys from the authorized keys file')
    .action((d: string, u: string, o: { file?: string; reset?: boolean; remove?: boolean }) => act((c) => setUserSshkeys(c, d, u, o)));
  program
    .command('set-user-password <domain> <user> <password>')
    .description('set the user password inside the domain')
    .option('--encrypted', 'the password is already encrypted')
    .action((d: string, u: string, p: string, o: { encrypted?: boolean }) => act((c) => setUserPassword(c, d, u, p, o)));
  program
    .command('guest-agent-timeout <domain>')
    .description('Set the guest agent timeout')
    .option('--timeout <number>', 'timeout seconds.')
    .action((d: string, o: { timeout?: string }) => act((c) => guestAgentTimeout(c, d, o)));
  program
    .command('send-key <domain> [keycode...]')
    .description('Send keycodes to the guest')
    .option('--codeset <string>', 'the codeset of keycodes, default:linux')
    .option('--holdtime <number>', 'the time (in milliseconds) how long the keys will be held')
    .option('--keycode <string>', 'the key code', collect)
    .action((d: string, rest: string[], o: { codeset?: string; holdtime?: string; keycode?: string[] }, command: Command) =>
      act(async (c) => {
        const keys = argvInTypedOrder(command, 'keycode', 1, [...(o.keycode ?? []), ...rest]);
        if (!keys.length) throw new Error("command 'send-key' requires <keycode> option");
        return sendKey(c, d, keys, o);
      }),
    );
  program
    .command('send-process-signal <domain> <pid> <signame>')
    .description('Send signals to processes')
    .action((d: string, pid: string, s: string) => act((c) => sendProcessSignal(c, d, pid, s)));
  program.command('inject-nmi <domain>').description('Inject NMI to the guest').action((d: string) => act((c) => injectNmi(c, d)));
  program.command('reset <domain>').description('reset a domain').action((d: string) => act((c) => reset(c, d)));
  program
    .command('dompmsuspend <domain> <target>')
    .description('suspend a domain gracefully using power management functions')
    .option('--duration <number>', 'duration in seconds')
    .action((d: string, t: string, o: { duration?: string }) => act((c) => dompmsuspend(c, d, t, o)));
  program.command('dompmwakeup <domain>').description('wakeup a domain from pmsuspended state').action((d: string) => act((c) => dompmwakeup(c, d)));
  affectOptions(program.command('set-lifecycle-action <domain> <type> <action>').description('change lifecycle actions')).action(
    (d: string, t: string, a: string, o: AffectOptions) => act((c) => setLifecycleAction(c, d, t, a, o)),
  );
  affectOptions(program.command('update-memory-device <domain>').description('update memory device of a domain'))
    .option('--print-xml', 'print updated memory device XML instead of executing the change')
    .option('--alias <string>', 'memory device alias')
    .option('--node <number>', 'memory device target node')
    .option('--requested-size <number>', 'new value of <requested/> size, as scaled integer (default KiB)')
    .action((d: string, o: MemoryDeviceOptions) => act((c) => updateMemoryDevice(c, d, o)));
  affectOptions(program.command('detach-device-alias <domain> <alias>').description('detach device from an alias')).action(
    (d: string, a: string, o: AffectOptions) => act((c) => detachDeviceAlias(c, d, a, o)),
  );
  program
    .command('domdirtyrate-calc <domain>')
    .description("Calculate a vm's memory dirty rate")
    .option('--seconds <number>', 'calculate memory dirty rate within specified seconds, the supported value range from 1 to 60, default to 1.')
    .option('--mode <string>', "dirty page rate calculation mode, either of these 3 options 'page-sampling, dirty-bitmap, dirty-ring' can be specified.")
    .action((d: string, o: { seconds?: string; mode?: string }) => act((c) => domdirtyrateCalc(c, d, o)));
  program.command('domlaunchsecinfo <domain>').description('Get domain launch security info').action((d: string) => act((c) => domlaunchsecinfo(c, d)));
  program
    .command('domsetlaunchsecstate <domain>')
    .description('Set domain launch security state')
    .option('--secrethdr <string>', 'path to file containing the secret header')
    .option('--secret <string>', 'path to file containing the secret')
    .option('--set-address <number>', "physical address within the guest domain's memory to set the secret")
    .action((d: string, o: { secrethdr?: string; secret?: string; setAddress?: string }) => act((c) => domsetlaunchsecstate(c, d, o)));
  program
    .command('qemu-monitor-event')
    .description('QEMU Monitor Events')
    .option('--domain <string>', 'filter by domain name, id or uuid')
    .option('--event <string>', 'filter by event name')
    .option('--pretty', 'pretty-print any JSON output')
    .option('--loop', 'loop until timeout or interrupt, rather than one-shot')
    .option('--timeout <number>', 'timeout seconds')
    .option('--regex', 'treat event as a regex rather than literal filter')
    .option('--no-case', 'treat event case-insensitively')
    .option('--timestamp', 'show timestamp for each printed event')
    .action((o: QemuMonitorEventOptions & { case?: boolean }) => act((c) => qemuMonitorEvent(c, { ...o, noCase: o.case === false }, io.stdout)));
}
