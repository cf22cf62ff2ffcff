/**
 * virsh's checkpoint, backup and snapshot commands: `checkpoint-create`, `checkpoint-create-as`,
 * `checkpoint-delete`, `checkpoint-dumpxml`, `checkpoint-info`, `checkpoint-list`,
 * `checkpoint-parent`, `backup-begin`, `backup-dumpxml`, `snapshot-create`, `snapshot-parent`
 * and `snapshot-list` with all its filters; each prints what virsh prints. Their arguments are
 * read as virsh reads them: a bare word fills the next option not given by name.
 */
import type { Command } from 'commander';
import type { RemoteNonnullDomain, RemoteNonnullDomainCheckpoint, RemoteNonnullDomainSnapshot } from '../../protocol/remote.js';
import {
  VIR_DOMAIN_BACKUP_BEGIN_REUSE_EXTERNAL,
  VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE,
  VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE,
  VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE,
  VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN,
  VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY,
  VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY,
  VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS,
  VIR_DOMAIN_CHECKPOINT_LIST_LEAVES,
  VIR_DOMAIN_CHECKPOINT_LIST_NO_LEAVES,
  VIR_DOMAIN_CHECKPOINT_LIST_ROOTS,
  VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL,
  VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN,
  VIR_DOMAIN_CHECKPOINT_XML_SECURE,
  VIR_DOMAIN_CHECKPOINT_XML_SIZE,
  VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC,
  VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT,
  VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY,
  VIR_DOMAIN_SNAPSHOT_CREATE_HALT,
  VIR_DOMAIN_SNAPSHOT_CREATE_LIVE,
  VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA,
  VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE,
  VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE,
  VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT,
  VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE,
  VIR_DOMAIN_SNAPSHOT_LIST_ACTIVE,
  VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS,
  VIR_DOMAIN_SNAPSHOT_LIST_DISK_ONLY,
  VIR_DOMAIN_SNAPSHOT_LIST_EXTERNAL,
  VIR_DOMAIN_SNAPSHOT_LIST_INACTIVE,
  VIR_DOMAIN_SNAPSHOT_LIST_INTERNAL,
  VIR_DOMAIN_SNAPSHOT_LIST_LEAVES,
  VIR_DOMAIN_SNAPSHOT_LIST_METADATA,
  VIR_DOMAIN_SNAPSHOT_LIST_NO_LEAVES,
  VIR_DOMAIN_SNAPSHOT_LIST_NO_METADATA,
  VIR_DOMAIN_SNAPSHOT_LIST_ROOTS,
  VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL,
  VIR_ERR_INVALID_ARG,
  VIR_ERR_NO_DOMAIN_CHECKPOINT,
  VIR_ERR_NO_DOMAIN_SNAPSHOT,
  VIR_ERR_NO_SUPPORT,
} from '../../protocol/constants.js';
import { LibvirtError } from '../errors.js';
import { type Context, findDomain, typedXml, WITH_RESULTS } from './commands.js';
import { keyValues, table, toJson } from './format.js';
import type { Registry } from './registry.js';
import { DOMAIN, virshOption, virshWordsCommand } from './virsh-args.js';
import { exclusive, failed, readVirshFile, requireNonEmpty } from './virsh-options.js';

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The other order, where virsh reports libvirt's reason first and then what it concludes. */
const afterReason = (e: unknown, conclusion: string) => new Error(`${reason(e)}\nerror: ${conclusion}`, { cause: e });

/** The domain of a command: `--domain` or the first word, by name, id or UUID. */
async function domainOf(c: Context, ref: string): Promise<RemoteNonnullDomain> {
  requireNonEmpty('domain', ref);
  return findDomain(c.conn, ref);
}

// ---------------------------------------------------------------------------------------------
// Shapes virsh prints.

/** virBufferEscapeString: nothing for an absent or empty value, else the value XML-escaped into `format`. */
function escaped(format: string, value: string | undefined): string {
  if (!value) return '';
  const text = value
    // virsh drops the control characters XML 1.0 cannot carry.
    .replace(/[\x01-\x08\x0b\x0c\x0e-\x19]/g, '')
    .replace(/[&<>'"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;', '"': '&quot;' })[ch]!);
  return format.replace('%s', text);
}

/** vshStringToArray: `a,b,,c` → `a`, `b,c` (a doubled comma is a comma). */
function commaList(text: string): string[] {
  const items: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== ',') current += text[i];
    else if (text[i + 1] === ',') {
      current += ',';
      i++;
    } else {
      items.push(current);
      current = '';
    }
  }
  items.push(current);
  return items;
}

/** `2026-11-24 16:57:22 +0000`: a creation time in local time, as virsh prints it. */
function localTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${sign}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
}

/** strcasecmp: ASCII letters compared without case, byte by byte. */
function caseless(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * vshTreePrint: each root, its children under `+- `, `|` down the side while siblings
 * follow, and a line of indent after the last leaf of each branch.
 */
function tree(names: string[], parents: (string | null)[]): string {
  let out = '';
  const walk = (id: number, last: number, root: boolean, indent: string) => {
    out += `${indent}${root ? '' : '+- '}${names[id]}\n`;
    const inner = root ? indent : indent + (id === last ? ' ' : '|') + ' ';
    let lastChild = -1;
    names.forEach((_n, i) => {
      if (parents[i] === names[id]) lastChild = i;
    });
    if (lastChild !== -1) out += `${inner}  |\n`;
    names.forEach((_n, i) => {
      if (parents[i] === names[id]) walk(i, lastChild, false, inner + '  ');
    });
    if (lastChild === -1 && id === last) out += `${inner}\n`;
  };
  names.forEach((_n, i) => {
    if (parents[i] === null) walk(i, i, true, '');
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checkpoints.

export interface CheckpointCreateOptions {
  domain: string;
  xmlfile?: string;
  redefine?: boolean;
  redefineValidate?: boolean;
  quiesce?: boolean;
}

async function createCheckpoint(c: Context, dom: RemoteNonnullDomain, xml: string, flags: number, from?: string): Promise<string> {
  const checkpoint = await c.conn.domainCheckpointCreateXML(dom, xml, flags);
  if (c.json) return toJson({ name: checkpoint.name }) + '\n';
  return `Domain checkpoint ${checkpoint.name} created${from === undefined ? '' : ` from '${from}'`}\n`;
}

/** `checkpoint-create DOMAIN [XMLFILE] [--redefine [--redefine-validate]] [--quiesce]`. */
export async function checkpointCreate(c: Context, o: CheckpointCreateOptions): Promise<string> {
  if (o.redefineValidate && !o.redefine) throw new Error('Option --redefine is required by option --redefine-validate');
  const flags =
    (o.redefine ? VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE : 0) | (o.redefineValidate ? VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE : 0) | (o.quiesce ? VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE : 0);
  const dom = await domainOf(c, o.domain);
  requireNonEmpty('xmlfile', o.xmlfile);
  const xml = o.xmlfile === undefined ? '<domaincheckpoint/>' : readVirshFile(o.xmlfile);
  return createCheckpoint(c, dom, xml, flags, o.xmlfile);
}

export interface CheckpointCreateAsOptions {
  domain: string;
  name?: string;
  description?: string;
  printXml?: boolean;
  quiesce?: boolean;
  diskspec?: string[];
}

/** One `--diskspec disk[,checkpoint=type][,bitmap=name]` as a `<disk>` line. */
function checkpointDisk(spec: string): string {
  const [name, ...rest] = commaList(spec);
  let checkpoint: string | undefined;
  let bitmap: string | undefined;
  for (const item of rest) {
    if (checkpoint === undefined && item.startsWith('checkpoint=')) checkpoint = item.slice('checkpoint='.length);
    else if (bitmap === undefined && item.startsWith('bitmap=')) bitmap = item.slice('bitmap='.length);
    else throw new Error(`unable to parse diskspec: ${spec}`);
  }
  // virsh escapes the disk's name but writes the other attributes as given.
  return `    ${escaped("<disk name='%s'", name)}${checkpoint === undefined ? '' : ` checkpoint='${checkpoint}'`}${bitmap === undefined ? '' : ` bitmap='${bitmap}'`}/>\n`;
}

/** `checkpoint-create-as DOMAIN [NAME] [DESCRIPTION] [--print-xml] [--quiesce] [DISKSPEC]...`. */
export async function checkpointCreateAs(c: Context, o: CheckpointCreateAsOptions): Promise<string> {
  const flags = o.quiesce ? VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE : 0;
  const dom = await domainOf(c, o.domain);
  requireNonEmpty('name', o.name);
  requireNonEmpty('description', o.description);
  let xml = '<domaincheckpoint>\n';
  xml += escaped('  <name>%s</name>\n', o.name);
  xml += escaped('  <description>%s</description>\n', o.description);
  if (o.diskspec?.length) xml += '  <disks>\n' + o.diskspec.map(checkpointDisk).join('') + '  </disks>\n';
  xml += '</domaincheckpoint>\n';
  if (o.printXml) return `${xml}\n\n`;
  return createCheckpoint(c, dom, xml, flags);
}

async function checkpointByName(c: Context, dom: RemoteNonnullDomain, option: string, name: string | undefined): Promise<RemoteNonnullDomainCheckpoint> {
  requireNonEmpty(option, name);
  if (name === undefined) throw new Error(`--${option} is required`);
  return c.conn.domainCheckpointLookupByName(dom, name, 0);
}

/** The checkpoint's parent's name, or null for a root. */
async function checkpointParentName(c: Context, checkpoint: RemoteNonnullDomainCheckpoint): Promise<string | null> {
  try {
    return (await c.conn.domainCheckpointGetParent(checkpoint, 0)).name;
  } catch (e) {
    if (e instanceof LibvirtError && e.code === VIR_ERR_NO_DOMAIN_CHECKPOINT) return null;
    throw afterReason(e, 'unable to determine if checkpoint has parent');
  }
}

export interface CheckpointRefOptions {
  domain: string;
  checkpointname?: string;
}

/** `checkpoint-info DOMAIN CHECKPOINT`: name, domain, parent, children and descendants. */
export async function checkpointInfo(c: Context, o: CheckpointRefOptions): Promise<string> {
  const dom = await domainOf(c, o.domain);
  const checkpoint = await checkpointByName(c, dom, 'checkpointname', o.checkpointname);
  const parent = await checkpointParentName(c, checkpoint);
  const [children, descendants] = await Promise.all([
    c.conn.domainCheckpointListAllChildren(checkpoint, 0, 0),
    c.conn.domainCheckpointListAllChildren(checkpoint, 0, VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS),
  ]);
  if (c.json) return toJson({ name: checkpoint.name, domain: dom.name, parent, children: children.ret, descendants: descendants.ret }) + '\n';
  return (
    keyValues(
      [
        ['Name', checkpoint.name],
        ['Domain', dom.name],
        ['Parent', parent ?? '-'],
        ['Children', String(children.ret)],
        ['Descendants', String(descendants.ret)],
      ],
      15,
    ) + '\n'
  );
}

/** `checkpoint-parent DOMAIN CHECKPOINT`: the parent's name, or virsh's complaint that there is none. */
export async function checkpointParent(c: Context, o: CheckpointRefOptions): Promise<string> {
  const dom = await domainOf(c, o.domain);
  const checkpoint = await checkpointByName(c, dom, 'checkpointname', o.checkpointname);
  const parent = await checkpointParentName(c, checkpoint);
  if (parent === null) throw new Error(`checkpoint '${checkpoint.name}' has no parent`);
  return c.json ? toJson({ parent }) + '\n' : `${parent}\n`;
}

export interface CheckpointDumpxmlOptions extends CheckpointRefOptions {
  securityInfo?: boolean;
  noDomain?: boolean;
  size?: boolean;
}

/** `checkpoint-dumpxml DOMAIN CHECKPOINT [--security-info] [--no-domain] [--size]`. */
export async function checkpointDumpxml(c: Context, o: CheckpointDumpxmlOptions): Promise<string> {
  const flags = (o.securityInfo ? VIR_DOMAIN_CHECKPOINT_XML_SECURE : 0) | (o.noDomain ? VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN : 0) | (o.size ? VIR_DOMAIN_CHECKPOINT_XML_SIZE : 0);
  const dom = await domainOf(c, o.domain);
  const checkpoint = await checkpointByName(c, dom, 'checkpointname', o.checkpointname);
  return `${await c.conn.domainCheckpointGetXMLDesc(checkpoint, flags)}\n`;
}

export interface CheckpointDeleteOptions extends CheckpointRefOptions {
  children?: boolean;
  childrenOnly?: boolean;
  metadata?: boolean;
}

/** `checkpoint-delete DOMAIN CHECKPOINT [--children | --children-only] [--metadata]`. */
export async function checkpointDelete(c: Context, o: CheckpointDeleteOptions): Promise<string> {
  const dom = await domainOf(c, o.domain);
  const checkpoint = await checkpointByName(c, dom, 'checkpointname', o.checkpointname);
  const flags = (o.children ? VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN : 0) | (o.childrenOnly ? VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY : 0) | (o.metadata ? VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY : 0);
  try {
    await c.conn.domainCheckpointDelete(checkpoint, flags);
  } catch (e) {
    throw failed(`Failed to delete checkpoint ${checkpoint.name}`, e);
  }
  return `Domain checkpoint ${checkpoint.name} ${o.childrenOnly ? 'children deleted' : 'deleted'}\n\n`;
}

export interface CheckpointListOptions {
  domain: string;
  parent?: boolean;
  roots?: boolean;
  leaves?: boolean;
  noLeaves?: boolean;
  tree?: boolean;
  from?: string;
  descendants?: boolean;
  name?: boolean;
  topological?: boolean;
}

/** `checkpoint-list DOMAIN [--parent] [--roots] [--leaves] [--no-leaves] [--tree] [--from C [--descendants]] [--name] [--topological]`. */
export async function checkpointList(c: Context, o: CheckpointListOptions): Promise<string> {
  const from = o.from !== undefined;
  exclusive('tree', o.tree, 'name', o.name);
  exclusive('parent', o.parent, 'roots', o.roots);
  exclusive('parent', o.parent, 'tree', o.tree);
  exclusive('roots', o.roots, 'tree', o.tree);
  exclusive('roots', o.roots, 'from', from);
  let flags = 0;
  for (const [option, given, flag] of [
    ['leaves', o.leaves, VIR_DOMAIN_CHECKPOINT_LIST_LEAVES],
    ['no-leaves', o.noLeaves, VIR_DOMAIN_CHECKPOINT_LIST_NO_LEAVES],
  ] as const) {
    if (!given) continue;
    if (o.tree) throw new Error(`--${option} and --tree are mutually exclusive`);
    flags |= flag;
  }
  if (o.topological) flags |= VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL;
  if (o.roots) flags |= VIR_DOMAIN_CHECKPOINT_LIST_ROOTS;
  if (o.descendants) {
    if (!from) throw new Error('--descendants requires --from');
    flags |= VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS;
  }
  const dom = await domainOf(c, o.domain);
  const start = from ? await checkpointByName(c, dom, 'from', o.from) : undefined;
  let checkpoints: RemoteNonnullDomainCheckpoint[];
  try {
    checkpoints = (start ? await c.conn.domainCheckpointListAllChildren(start, WITH_RESULTS, flags) : await c.conn.domainListAllCheckpoints(dom, WITH_RESULTS, flags)).checkpoints;
  } catch (e) {
    throw failed('unexpected problem querying checkpoints', e);
  }
  let parents: (string | null)[] = [];
  if (o.tree) {
    parents = await Promise.all(checkpoints.map((k) => checkpointParentName(c, k)));
    // With --from, the tree starts at that checkpoint.
    if (start) {
      checkpoints.push(start);
      parents.push(null);
    }
  }
  const order = checkpoints.map((_k, i) => i);
  if (!o.topological) order.sort((a, b) => caseless(checkpoints[a]!.name, checkpoints[b]!.name));
  const names = order.map((i) => checkpoints[i]!.name);
  if (o.tree) {
    const sortedParents = order.map((i) => parents[i]!);
    if (c.json) return toJson(names.map((name, i) => ({ name, parent: sortedParents[i] }))) + '\n';
    return tree(names, sortedParents) + '\n';
  }
  if (o.name && !c.json) return names.map((n) => `${n}\n`).join('') + '\n';
  const { parseDomainCheckpointXML } = await typedXml();
  const rows: { name: string; creationTime: number; parent: string | null }[] = [];
  for (const i of order) {
    const checkpoint = checkpoints[i]!;
    // As virsh, a checkpoint whose XML cannot be read is left out rather than failing the list.
    const def = await c.conn
      .domainCheckpointGetXMLDesc(checkpoint, VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN)
      .then((xml) => parseDomainCheckpointXML(xml))
      .catch(() => undefined);
    if (!def || def.creationTime === undefined) continue;
    rows.push({ name: checkpoint.name, creationTime: Number(def.creationTime), parent: def.parent?.name ?? null });
  }
  if (c.json) return toJson(o.name ? rows.map((r) => r.name) : rows) + '\n';
  return o.parent
    ? table(['Name', 'Creation Time', 'Parent'], rows.map((r) => [r.name, localTime(r.creationTime), r.parent ?? '']))
    : table(['Name', 'Creation Time'], rows.map((r) => [r.name, localTime(r.creationTime)]));
}

// ---------------------------------------------------------------------------------------------
// Backups.

export interface BackupBeginOptions {
  domain: string;
  backupxml?: string;
  checkpointxml?: string;
  reuseExternal?: boolean;
}

/** `backup-begin DOMAIN [BACKUPXML] [CHECKPOINTXML] [--reuse-external]`: a push or pull backup, maybe with a checkpoint. */
export async function backupBegin(c: Context, o: BackupBeginOptions): Promise<string> {
  const flags = o.reuseExternal ? VIR_DOMAIN_BACKUP_BEGIN_REUSE_EXTERNAL : 0;
  const dom = await domainOf(c, o.domain);
  const backupXml = o.backupxml ? readVirshFile(o.backupxml) : '<domainbackup/>';
  const checkpointXml = o.checkpointxml ? readVirshFile(o.checkpointxml) : null;
  await c.conn.domainBackupBegin(dom, backupXml, checkpointXml, flags);
  return 'Backup started\n\n';
}

/** `backup-dumpxml DOMAIN`: the running backup job's XML. */
export async function backupDumpxml(c: Context, o: { domain: string }): Promise<string> {
  const dom = await domainOf(c, o.domain);
  return `${await c.conn.domainBackupGetXMLDesc(dom, 0)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Snapshots.

export interface SnapshotCreateOptions {
  domain: string;
  xmlfile?: string;
  redefine?: boolean;
  current?: boolean;
  noMetadata?: boolean;
  halt?: boolean;
  diskOnly?: boolean;
  reuseExternal?: boolean;
  quiesce?: boolean;
  atomic?: boolean;
  live?: boolean;
  validate?: boolean;
}

/** `snapshot-create DOMAIN [XMLFILE] [--redefine [--current]] [--no-metadata] [--halt] [--disk-only] ...`. */
export async function snapshotCreate(c: Context, o: SnapshotCreateOptions): Promise<string> {
  let flags = 0;
  for (const [given, flag] of [
    [o.redefine, VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE],
    [o.current, VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT],
    [o.noMetadata, VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA],
    [o.halt, VIR_DOMAIN_SNAPSHOT_CREATE_HALT],
    [o.diskOnly, VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY],
    [o.reuseExternal, VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT],
    [o.quiesce, VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE],
    [o.atomic, VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC],
    [o.live, VIR_DOMAIN_SNAPSHOT_CREATE_LIVE],
    [o.validate, VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE],
  ] as const) {
    if (given) flags |= flag;
  }
  const dom = await domainOf(c, o.domain);
  requireNonEmpty('xmlfile', o.xmlfile);
  const xml = o.xmlfile === undefined ? '<domainsnapshot/>' : readVirshFile(o.xmlfile);
  const create = () => c.conn.domainSnapshotCreateXML(dom, xml, flags);
  const refusedWith = (e: unknown, code: number) => e instanceof LibvirtError && e.code === code;
  let halt = false;
  let snapshot: RemoteNonnullDomainSnapshot;
  try {
    snapshot = await create();
  } catch (e) {
    if (refusedWith(e, VIR_ERR_NO_SUPPORT) && o.xmlfile === undefined && flags & VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE) {
      // As virsh: a daemon that does not know --validate gets the generated XML without it.
      flags &= ~VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE;
      snapshot = await create();
    } else if (refusedWith(e, VIR_ERR_INVALID_ARG) && flags & VIR_DOMAIN_SNAPSHOT_CREATE_HALT) {
      // And a daemon that refuses --halt gets the snapshot, then the domain is destroyed here.
      if (!(await c.conn.domainIsPersistent(dom))) throw new Error('cannot halt after snapshot of transient domain');
      halt = (await c.conn.domainIsActive(dom)) === 1;
      flags &= ~VIR_DOMAIN_SNAPSHOT_CREATE_HALT;
      snapshot = await create();
    } else throw e;
  }
  if (halt) await c.conn.domainDestroy(dom);
  if (c.json) return toJson({ name: snapshot.name }) + '\n';
  return `Domain snapshot ${snapshot.name} created${o.xmlfile === undefined ? '' : ` from '${o.xmlfile}'`}\n`;
}

/** virshLookupSnapshot: the snapshot named by `option`, or the current one with `--current`. */
async function snapshotByNameOrCurrent(c: Context, dom: RemoteNonnullDomain, option: string, name: string | undefined, current: boolean | undefined): Promise<RemoteNonnullDomainSnapshot> {
  requireNonEmpty(option, name);
  if (current && name !== undefined) throw new Error(`--${option} and --current are mutually exclusive`);
  if (name !== undefined) return c.conn.domainSnapshotLookupByName(dom, name, 0);
  if (current) return c.conn.domainSnapshotCurrent(dom, 0);
  throw new Error(`--${option} or --current is required`);
}

/** The snapshot's parent's name, or null for a root; from its XML where the daemon lacks the call. */
async function snapshotParentName(c: Context, snapshot: RemoteNonnullDomainSnapshot): Promise<string | null> {
  try {
    return (await c.conn.domainSnapshotGetParent(snapshot, 0)).name;
  } catch (e) {
    if (e instanceof LibvirtError && e.code === VIR_ERR_NO_DOMAIN_SNAPSHOT) return null;
    try {
      const { parseDomainSnapshotXML } = await typedXml();
      return parseDomainSnapshotXML(await c.conn.domainSnapshotGetXMLDesc(snapshot, 0)).parent?.name ?? null;
    } catch (again) {
      throw afterReason(again, 'unable to determine if snapshot has parent');
    }
  }
}

export interface SnapshotParentOptions {
  domain: string;
  snapshotname?: string;
  current?: boolean;
}

/** `snapshot-parent DOMAIN {SNAPSHOT | --current}`: the parent's name. */
export async function snapshotParent(c: Context, o: SnapshotParentOptions): Promise<string> {
  const dom = await domainOf(c, o.domain);
  const snapshot = await snapshotByNameOrCurrent(c, dom, 'snapshotname', o.snapshotname, o.current);
  const parent = await snapshotParentName(c, snapshot);
  if (parent === null) throw new Error(`snapshot '${snapshot.name}' has no parent`);
  return c.json ? toJson({ parent }) + '\n' : `${parent}\n`;
}

export interface SnapshotListOptions {
  domain: string;
  parent?: boolean;
  roots?: boolean;
  leaves?: boolean;
  noLeaves?: boolean;
  metadata?: boolean;
  noMetadata?: boolean;
  inactive?: boolean;
  active?: boolean;
  diskOnly?: boolean;
  internal?: boolean;
  external?: boolean;
  tree?: boolean;
  from?: string;
  current?: boolean;
  descendants?: boolean;
  name?: boolean;
  topological?: boolean;
}

/** `snapshot-list DOMAIN [filters] [--parent | --tree | --name] [--from S | --current [--descendants]] [--topological]`. */
export async function snapshotList(c: Context, o: SnapshotListOptions): Promise<string> {
  const from = o.from !== undefined;
  exclusive('tree', o.tree, 'name', o.name);
  exclusive('parent', o.parent, 'roots', o.roots);
  exclusive('parent', o.parent, 'tree', o.tree);
  exclusive('roots', o.roots, 'tree', o.tree);
  exclusive('roots', o.roots, 'from', from);
  exclusive('roots', o.roots, 'current', o.current);
  let flags = 0;
  for (const [option, given, flag] of [
    ['leaves', o.leaves, VIR_DOMAIN_SNAPSHOT_LIST_LEAVES],
    ['no-leaves', o.noLeaves, VIR_DOMAIN_SNAPSHOT_LIST_NO_LEAVES],
    ['inactive', o.inactive, VIR_DOMAIN_SNAPSHOT_LIST_INACTIVE],
    ['active', o.active, VIR_DOMAIN_SNAPSHOT_LIST_ACTIVE],
    ['disk-only', o.diskOnly, VIR_DOMAIN_SNAPSHOT_LIST_DISK_ONLY],
    ['internal', o.internal, VIR_DOMAIN_SNAPSHOT_LIST_INTERNAL],
    ['external', o.external, VIR_DOMAIN_SNAPSHOT_LIST_EXTERNAL],
  ] as const) {
    if (!given) continue;
    if (o.tree) throw new Error(`--${option} and --tree are mutually exclusive`);
    flags |= flag;
  }
  if (o.topological) flags |= VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL;
  if (o.roots) flags |= VIR_DOMAIN_SNAPSHOT_LIST_ROOTS;
  if (o.metadata) flags |= VIR_DOMAIN_SNAPSHOT_LIST_METADATA;
  if (o.noMetadata) flags |= VIR_DOMAIN_SNAPSHOT_LIST_NO_METADATA;
  if (o.descendants) {
    if (!from && !o.current) throw new Error('--descendants requires either --from or --current');
    flags |= VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS;
  }
  const dom = await domainOf(c, o.domain);
  const start = from || o.current ? await snapshotByNameOrCurrent(c, dom, 'from', o.from, o.current) : undefined;
  const snapshots = (start ? await c.conn.domainSnapshotListAllChildren(start, WITH_RESULTS, flags) : await c.conn.domainListAllSnapshots(dom, WITH_RESULTS, flags)).snapshots;
  let parents: (string | null)[] = [];
  if (o.tree) {
    parents = await Promise.all(snapshots.map((s) => snapshotParentName(c, s)));
    if (start) {
      snapshots.push(start);
      parents.push(null);
    }
  }
  const order = snapshots.map((_s, i) => i);
  if (!o.topological) order.sort((a, b) => caseless(snapshots[a]!.name, snapshots[b]!.name));
  const names = order.map((i) => snapshots[i]!.name);
  if (o.tree) {
    const sortedParents = order.map((i) => parents[i]!);
    if (c.json) return toJson(names.map((name, i) => ({ name, parent: sortedParents[i] }))) + '\n';
    return tree(names, sortedParents) + '\n';
  }
  if (o.name && !c.json) return names.map((n) => `${n}\n`).join('') + '\n';
  const { parseDomainSnapshotXML } = await typedXml();
  const rows: { name: string; creationTime: number; state: string; parent: string | null }[] = [];
  for (const i of order) {
    const snapshot = snapshots[i]!;
    const def = await c.conn
      .domainSnapshotGetXMLDesc(snapshot, 0)
      .then((xml) => parseDomainSnapshotXML(xml))
      .catch(() => undefined);
    if (!def || def.state === undefined || def.creationTime === undefined) continue;
    rows.push({ name: snapshot.name, creationTime: Number(def.creationTime), state: def.state, parent: def.parent?.name ?? null });
  }
  if (c.json) return toJson(o.name ? rows.map((r) => r.name) : rows) + '\n';
  return o.parent
    ? table(['Name', 'Creation Time', 'State', 'Parent'], rows.map((r) => [r.name, localTime(r.creationTime), r.state, r.parent ?? '']))
    : table(['Name', 'Creation Time', 'State'], rows.map((r) => [r.name, localTime(r.creationTime), r.state]));
}

// ---------------------------------------------------------------------------------------------


export function register(r: Registry): void {
  const flag = (command: Command, ...flags: [string, string][]) => flags.reduce((cmd, [f, help]) => virshOption(cmd, f, help), command);
  virshWordsCommand<CheckpointCreateOptions>(r, 'checkpoint-create', 'Create a checkpoint from XML', [DOMAIN, { option: 'xmlfile', help: 'domain checkpoint XML' }], (cmd) =>
    flag(cmd, ['--redefine', 'redefine metadata for existing checkpoint'], ['--redefine-validate', 'validate the redefined checkpoint'], ['--quiesce', "quiesce guest's file systems"]),
    checkpointCreate,
  );
  virshWordsCommand<CheckpointCreateAsOptions>(
    r,
    'checkpoint-create-as',
    'Create a checkpoint from a set of args',
    [DOMAIN, { option: 'name', help: 'name of checkpoint' }, { option: 'description', help: 'description of checkpoint' }, { option: 'diskspec', many: true, help: 'disk attributes: disk[,checkpoint=type][,bitmap=name]' }],
    (cmd) => flag(cmd, ['--print-xml', 'print XML document rather than create'], ['--quiesce', "quiesce guest's file systems"]),
    checkpointCreateAs,
  );
  const checkpointSlots = [DOMAIN, { option: 'checkpointname', help: 'checkpoint name' }];
  virshWordsCommand<CheckpointDeleteOptions>(r, 'checkpoint-delete', 'Delete a domain checkpoint', checkpointSlots, (cmd) =>
    flag(cmd, ['--children', 'delete checkpoint and all children'], ['--children-only', 'delete children but not checkpoint'], ['--metadata', 'delete only libvirt metadata, leaving checkpoint contents behind']),
    checkpointDelete,
  );
  virshWordsCommand<CheckpointDumpxmlOptions>(r, 'checkpoint-dumpxml', 'Dump XML for a domain checkpoint', checkpointSlots, (cmd) =>
    flag(cmd, ['--security-info', 'include security sensitive information in XML dump'], ['--no-domain', 'exclude <domain> from XML'], ['--size', 'include backup size estimate in XML dump']),
    checkpointDumpxml,
  );
  virshWordsCommand<CheckpointRefOptions>(r, 'checkpoint-info', 'checkpoint information', checkpointSlots, (cmd) => cmd, checkpointInfo);
  virshWordsCommand<CheckpointRefOptions>(r, 'checkpoint-parent', 'Get the name of the parent of a checkpoint', checkpointSlots, (cmd) => cmd, checkpointParent);
  virshWordsCommand<CheckpointListOptions>(r, 'checkpoint-list', 'List checkpoints for a domain', [DOMAIN, { option: 'from', help: 'limit list to children of given checkpoint' }], (cmd) =>
    flag(
      cmd,
      ['--parent', 'add a column showing parent checkpoint'],
      ['--roots', 'list only checkpoints without parents'],
      ['--leaves', 'list only checkpoints without children'],
      ['--no-leaves', 'list only checkpoints that are not leaves (with children)'],
      ['--tree', 'list checkpoints in a tree'],
      ['--descendants', 'with --from, list all descendants'],
      ['--name', 'list checkpoint names only'],
      ['--topological', 'sort list topologically rather than by name'],
    ),
    checkpointList,
  );
  virshWordsCommand<BackupBeginOptions>(r, 'backup-begin', 'Start a disk backup of a live domain', [DOMAIN, { option: 'backupxml', help: 'domain backup XML' }, { option: 'checkpointxml', help: 'domain checkpoint XML' }], (cmd) =>
    flag(cmd, ['--reuse-external', 'reuse files provided by caller']),
    backupBegin,
  );
  virshWordsCommand<{ domain: string }>(r, 'backup-dumpxml', 'Dump XML for an ongoing domain block backup job', [DOMAIN], (cmd) => cmd, backupDumpxml);
  virshWordsCommand<SnapshotCreateOptions>(r, 'snapshot-create', 'Create a snapshot from XML', [DOMAIN, { option: 'xmlfile', help: 'domain snapshot XML' }], (cmd) =>
    flag(
      cmd,
      ['--redefine', 'redefine metadata for existing snapshot'],
      ['--current', 'with redefine, set current snapshot'],
      ['--no-metadata', 'take snapshot but create no metadata'],
      ['--halt', 'halt domain after snapshot is created'],
      ['--disk-only', 'capture disk state but not vm state'],
      ['--reuse-external', 'reuse any existing external files'],
      ['--quiesce', "quiesce guest's file systems"],
      ['--atomic', 'require atomic operation'],
      ['--live', 'take a live snapshot'],
      ['--validate', 'validate the XML against the schema'],
    ),
    snapshotCreate,
  );
  virshWordsCommand<SnapshotParentOptions>(r, 'snapshot-parent', 'Get the name of the parent of a snapshot', [DOMAIN, { option: 'snapshotname', help: 'find parent of snapshot name' }], (cmd) =>
    flag(cmd, ['--current', 'find parent of current snapshot']),
    snapshotParent,
  );
  virshWordsCommand<SnapshotListOptions>(r, 'snapshot-list', 'List snapshots for a domain', [DOMAIN, { option: 'from', help: 'limit list to children of given snapshot' }], (cmd) =>
    flag(
      cmd,
      ['--parent', 'add a column showing parent snapshot'],
      ['--roots', 'list only snapshots without parents'],
      ['--leaves', 'list only snapshots without children'],
      ['--no-leaves', 'list only snapshots that are not leaves (with children)'],
      ['--metadata', 'list only snapshots that have metadata that would prevent undefine'],
      ['--no-metadata', 'list only snapshots that have no metadata managed by libvirt'],
      ['--inactive', 'filter by snapshots taken while inactive'],
      ['--active', 'filter by snapshots taken while active (full system snapshots)'],
      ['--disk-only', 'filter by disk-only snapshots'],
      ['--internal', 'filter by internal snapshots'],
      ['--external', 'filter by external snapshots'],
      ['--tree', 'list snapshots in a tree'],
      ['--current', 'limit list to children of current snapshot'],
      ['--descendants', 'with --from, list all descendants'],
      ['--name', 'list snapshot names only'],
      ['--topological', 'sort list topologically rather than by name'],
    ),
    snapshotList,
  );
}
