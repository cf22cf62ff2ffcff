/**
 * virsh's storage commands beyond the listing ones: volumes from XML (`vol-create`,
 * `vol-create-from`), `vol-resize`, `vol-wipe`; pools from XML or options (`pool-create`,
 * `pool-create-as`, `pool-define`), `pool-delete`, `pool-capabilities`, source discovery
 * (`find-storage-pool-sources`, `-as`) and `pool-event`. Pools and volumes are looked up as
 * virsh looks them up, and failures are reported with virsh's words.
 *
 * Also virsh's option readers that the block job commands share: scaled integers (`10M`,
 * `1GiB`, `512KB`), plain unsigned numbers, `--timeout`, and XML files read as virsh reads them.
 */
import type { Command } from 'commander';
import type { RemoteNonnullStoragePool, RemoteNonnullStorageVol } from '../../protocol/remote.js';
import {
  VIR_ERR_NO_SUPPORT,
  VIR_STORAGE_POOL_CREATE_WITH_BUILD,
  VIR_STORAGE_POOL_CREATE_WITH_BUILD_NO_OVERWRITE,
  VIR_STORAGE_POOL_CREATE_WITH_BUILD_OVERWRITE,
  VIR_STORAGE_POOL_DEFINE_VALIDATE,
  VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA,
  VIR_STORAGE_VOL_CREATE_REFLINK,
  VIR_STORAGE_VOL_CREATE_VALIDATE,
  VIR_STORAGE_VOL_RESIZE_ALLOCATE,
  VIR_STORAGE_VOL_RESIZE_DELTA,
  VIR_STORAGE_VOL_RESIZE_SHRINK,
  VIR_STORAGE_VOL_WIPE_ALG_ZERO,
} from '../../protocol/constants.js';
import { LibvirtError } from '../errors.js';
import { uuidBytes } from '../handles/values.js';
import type { Context } from './commands.js';
import { toJson } from './format.js';
import { withInterrupt } from './progress.js';
import { FailureReport, type Registry } from './registry.js';
import { literalFlag } from './virsh-args.js';
import { OptionError, exclusive, failed, readScaled, readVirshFile, timeoutOption } from './virsh-options.js';

// ---------------------------------------------------------------------------------------
// Looking pools and volumes up as virsh does

/** A pool by UUID (when the text is one's length) or name; virsh's two lines when neither finds it. */
export async function findPool(c: Context, ref: string): Promise<RemoteNonnullStoragePool> {
  if (ref.length === 36) {
    const byUuid = await Promise.resolve()
      .then(() => c.conn.storagePoolLookupByUUID(uuidBytes(ref)))
      .catch(() => undefined);
    if (byUuid) return byUuid;
  }
  return c.conn.storagePoolLookupByName(ref).catch((e: unknown) => {
    throw failed(`failed to get pool '${ref}'`, e);
  });
}

/**
 * A volume as virsh finds one: by name in the pool given with `--<poolOption>` (which must be
 * active), else by key, else by path; and, with a pool, only a volume of that pool.
 */
export async function findVolume(c: Context, ref: string, poolRef: string | undefined, poolOption = 'pool'): Promise<RemoteNonnullStorageVol> {
  let pool: RemoteNonnullStoragePool | undefined;
  if (poolRef !== undefined) {
    pool = await findPool(c, poolRef);
    if ((await c.conn.storagePoolIsActive(pool).catch(() => 0)) !== 1) throw new Error(`pool '${poolRef}' is not active`);
  }
  let lastError: unknown;
  const attempt = (lookup: () => Promise<RemoteNonnullStorageVol>) =>
    lookup().catch((e: unknown) => {
      lastError = e;
      return undefined;
    });
  const vol =
    (pool && (await attempt(() => c.conn.storageVolLookupByName(pool!, ref)))) ||
    (await attempt(() => c.conn.storageVolLookupByKey(ref))) ||
    (await attempt(() => c.conn.storageVolLookupByPath(ref)));
  if (!vol) throw failed(pool ? `failed to get vol '${ref}'` : `failed to get vol '${ref}', specifying --${poolOption} might help`, lastError);
  if (pool) {
    const owner = await c.conn.storagePoolLookupByVolume(vol).catch(() => undefined);
    if (owner && owner.name !== pool.name) throw new Error(`Requested volume '${ref}' is not in pool '${pool.name}'`);
  }
  return vol;
}

// ---------------------------------------------------------------------------------------
// Volumes

export interface VolCreateOptions {
  preallocMetadata?: boolean;
  validate?: boolean;
  reflink?: boolean;
  inputpool?: string;
}

const createFlags = (o: VolCreateOptions) =>
  (o.preallocMetadata ? VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA : 0) | (o.reflink ? VIR_STORAGE_VOL_CREATE_REFLINK : 0) | (o.validate ? VIR_STORAGE_VOL_CREATE_VALIDATE : 0);

/** `vol-create POOL FILE [--prealloc-metadata] [--validate]`. */
export async function volCreate(c: Context, poolRef: string, file: string, o: VolCreateOptions): Promise<string> {
  const pool = await findPool(c, poolRef);
  const xml = readVirshFile(file);
  const vol = await c.conn.storageVolCreateXML(pool, xml, createFlags(o)).catch((e: unknown) => {
    throw failed(`Failed to create vol from ${file}`, e);
  });
  return c.json ? toJson({ name: vol.name, pool: vol.pool, key: vol.key }) + '\n' : `Vol ${vol.name} created from ${file}\n\n`;
}

/** `vol-create-from POOL FILE VOL [--inputpool P] [--prealloc-metadata] [--reflink] [--validate]`: a new volume with another's content. */
export async function volCreateFrom(c: Context, poolRef: string, file: string, ref: string, o: VolCreateOptions): Promise<string> {
  const pool = await findPool(c, poolRef);
  const input = await findVolume(c, ref, o.inputpool, 'inputpool');
  const xml = readVirshFile(file);
  const vol = await c.conn.storageVolCreateXMLFrom(pool, xml, input, createFlags(o)).catch((e: unknown) => {
    throw failed(`Failed to create vol from ${file}`, e);
  });
  return c.json ? toJson({ name: vol.name, pool: vol.pool, key: vol.key, from: input.name }) + '\n' : `Vol ${vol.name} created from input vol ${input.name}\n\n`;
}

export interface VolResizeOptions {
  pool?: string;
  allocate?: boolean;
  delta?: boolean;
  shrink?: boolean;
}

/** `vol-resize VOL CAPACITY [--pool P] [--allocate] [--delta] [--shrink]`; a negative size with --shrink shrinks by it. */
export async function volResize(c: Context, ref: string, capacity: string, o: VolResizeOptions): Promise<string> {
  let flags = (o.allocate ? VIR_STORAGE_VOL_RESIZE_ALLOCATE : 0) | (o.shrink ? VIR_STORAGE_VOL_RESIZE_SHRINK : 0);
  const vol = await findVolume(c, ref, o.pool);
  let text = capacity.replace(/^[\t\n\v\f\r ]+/, '');
  let delta = !!o.delta;
  if (text.startsWith('-')) {
    if (!o.shrink) throw new Error('negative size requires --shrink');
    text = text.slice(1);
    delta = true;
  }
  if (delta) flags |= VIR_STORAGE_VOL_RESIZE_DELTA;
  const size = readScaled(text);
  if (size.value === null) throw new OptionError(`Malformed size ${text}`, size.reason);
  const bytes = size.value;
  const how = delta ? 'by' : 'to';
  await c.conn.storageVolResize(vol, bytes, flags).catch((e: unknown) => {
    throw failed(`Failed to change size of volume '${vol.name}' ${how} ${text}`, e);
  });
  return c.json ? toJson({ name: vol.name, [delta ? 'delta' : 'capacity']: bytes }) + '\n' : `Size of volume '${vol.name}' successfully changed ${how} ${text}\n\n`;
}

/** virsh's names for virStorageVolWipeAlgorithm, in its order. */
const WIPE_ALGORITHMS = ['zero', 'nnsa', 'dod', 'bsi', 'gutmann', 'schneier', 'pfitzner7', 'pfitzner33', 'random', 'trim'];

/** `vol-wipe VOL [--pool P] [--algorithm A]`: the plain wipe where a driver has no patterns and zeroes were asked for. */
export async function volWipe(c: Context, ref: string, o: { pool?: string; algorithm?: string }): Promise<string> {
  const vol = await findVolume(c, ref, o.pool);
  const algorithm = o.algorithm === undefined ? VIR_STORAGE_VOL_WIPE_ALG_ZERO : WIPE_ALGORITHMS.indexOf(o.algorithm);
  if (algorithm < 0) throw new Error(`Unsupported algorithm '${o.algorithm}'`);
  try {
    await c.conn.storageVolWipePattern(vol, algorithm, 0).catch((e: unknown) => {
      if (e instanceof LibvirtError && e.code === VIR_ERR_NO_SUPPORT && algorithm === VIR_STORAGE_VOL_WIPE_ALG_ZERO) return c.conn.storageVolWipe(vol, 0);
      throw e;
    });
  } catch (e) {
    throw failed(`Failed to wipe vol ${ref}`, e);
  }
  return c.json ? toJson({ name: vol.name, algorithm: WIPE_ALGORITHMS[algorithm] }) + '\n' : `Vol ${ref} wiped\n\n`;
}

// ---------------------------------------------------------------------------------------
// Pools

export interface BuildOptions {
  build?: boolean;
  overwrite?: boolean;
  noOverwrite?: boolean;
}

/** `--build --overwrite --no-overwrite` as virStoragePoolCreateFlags. */
function buildFlags(o: BuildOptions): number {
  exclusive('overwrite', o.overwrite, 'no-overwrite', o.noOverwrite);
  return (o.build ? VIR_STORAGE_POOL_CREATE_WITH_BUILD : 0) | (o.overwrite ? VIR_STORAGE_POOL_CREATE_WITH_BUILD_OVERWRITE : 0) | (o.noOverwrite ? VIR_STORAGE_POOL_CREATE_WITH_BUILD_NO_OVERWRITE : 0);
}

/** `pool-create FILE [--build] [--overwrite | --no-overwrite]`: a transient pool, started. */
export async function poolCreate(c: Context, file: string, o: BuildOptions): Promise<string> {
  const flags = buildFlags(o);
  const xml = readVirshFile(file);
  const pool = await c.conn.storagePoolCreateXML(xml, flags).catch((e: unknown) => {
    throw failed(`Failed to create pool from ${file}`, e);
  });
  return c.json ? toJson({ name: pool.name, uuid: pool.uuid }) + '\n' : `Pool ${pool.name} created from ${file}\n\n`;
}

/** `pool-define FILE [--validate]`: a persistent pool, or a changed definition. */
export async function poolDefine(c: Context, file: string, o: { validate?: boolean }): Promise<string> {
  const xml = readVirshFile(file);
  const pool = await c.conn.storagePoolDefineXML(xml, o.validate ? VIR_STORAGE_POOL_DEFINE_VALIDATE : 0).catch((e: unknown) => {
    throw failed(`Failed to define pool from ${file}`, e);
  });
  return c.json ? toJson({ name: pool.name, uuid: pool.uuid }) + '\n' : `Pool ${pool.name} defined from ${file}\n\n`;
}

/** The options virsh builds a pool document from (`pool-create-as`, `pool-define-as`). */
export interface PoolAsOptions extends BuildOptions {
  printXml?: boolean;
  sourceHost?: string;
  sourcePath?: string;
  sourceDev?: string;
  sourceName?: string;
  target?: string;
  sourceFormat?: string;
  authType?: string;
  authUsername?: string;
  secretUsage?: string;
  secretUuid?: string;
  adapterName?: string;
  adapterWwnn?: string;
  adapterWwpn?: string;
  adapterParent?: string;
  adapterParentWwnn?: string;
  adapterParentWwpn?: string;
  adapterParentFabricWwn?: string;
  sourceProtocolVer?: string;
  sourceInitiator?: string;
}

/**
 * The pool document virsh writes from its options, line for line as virsh writes it (values
 * go in as given, unescaped, as virsh puts them in).
 */
export function poolXmlFromOptions(name: string, type: string, o: PoolAsOptions): string {
  exclusive('secret-usage', o.secretUsage, 'secret-uuid', o.secretUuid);
  const lines = [`<pool type='${type}'>`, `  <name>${name}</name>`];
  const fc = o.adapterWwnn !== undefined && o.adapterWwpn !== undefined;
  const some = (...values: (string | undefined)[]) => values.some((v) => v !== undefined);
  if (some(o.sourceHost, o.sourcePath, o.sourceDev, o.sourceInitiator, o.sourceFormat, o.sourceName, o.adapterName) || fc) {
    const s = (line: string) => lines.push(`    ${line}`);
    lines.push('  <source>');
    if (o.sourceHost !== undefined) s(`<host name='${o.sourceHost}'/>`);
    if (o.sourcePath !== undefined) s(`<dir path='${o.sourcePath}'/>`);
    if (o.sourceDev !== undefined) s(`<device path='${o.sourceDev}'/>`);
    if (o.sourceInitiator !== undefined) {
      s('<initiator>');
      s(`  <iqn name='${o.sourceInitiator}'/>`);
      s('</initiator>');
    }
    if (fc) {
      const parent =
        o.adapterParent !== undefined ? ` parent='${o.adapterParent}'`
        : o.adapterParentWwnn !== undefined && o.adapterParentWwpn !== undefined ? ` parent_wwnn='${o.adapterParentWwnn}' parent_wwpn='${o.adapterParentWwpn}'`
        : o.adapterParentFabricWwn !== undefined ? ` parent_fabric_wwn='${o.adapterParentFabricWwn}'`
        : '';
      s(`<adapter type='fc_host'${parent} wwnn='${o.adapterWwnn}' wwpn='${o.adapterWwpn}'/>`);
    } else if (o.adapterName !== undefined) s(`<adapter type='scsi_host' name='${o.adapterName}'/>`);
    if (o.authType !== undefined && o.authUsername !== undefined && (o.secretUsage !== undefined || o.secretUuid !== undefined)) {
      s(`<auth type='${o.authType}' username='${o.authUsername}'>`);
      s(o.secretUsage !== undefined ? `  <secret usage='${o.secretUsage}'/>` : `  <secret uuid='${o.secretUuid}'/>`);
      s('</auth>');
    }
    if (o.sourceFormat !== undefined) s(`<format type='${o.sourceFormat}'/>`);
    if (o.sourceName !== undefined) s(`<name>${o.sourceName}</name>`);
    if (o.sourceProtocolVer !== undefined) s(`<protocol ver='${o.sourceProtocolVer}'/>`);
    lines.push('  </source>');
  }
  if (o.target !== undefined) lines.push('  <target>', `    <path>${o.target}</path>`, '  </target>');
  lines.push('</pool>');
  return lines.join('\n') + '\n';
}

/** `pool-create-as NAME TYPE [options]`: a transient pool from options, or its XML with --print-xml. */
export async function poolCreateAs(c: Context, name: string, type: string, o: PoolAsOptions): Promise<string> {
  const flags = buildFlags(o);
  const xml = poolXmlFromOptions(name, type, o);
  if (o.printXml) return `${xml}\n`;
  await c.conn.storagePoolCreateXML(xml, flags).catch((e: unknown) => {
    throw failed(`Failed to create pool ${name}`, e);
  });
  return c.json ? toJson({ name }) + '\n' : `Pool ${name} created\n\n`;
}

/** `pool-delete POOL`: the pool's storage itself (its directory, ...), not the definition. */
export async function poolDelete(c: Context, ref: string): Promise<string> {
  const pool = await findPool(c, ref);
  await c.conn.storagePoolDelete(pool, 0).catch((e: unknown) => {
    throw failed(`Failed to delete pool ${ref}`, e);
  });
  return c.json ? toJson({ name: pool.name }) + '\n' : `Pool ${ref} deleted\n\n`;
}

/** `pool-capabilities`: the storage driver's capabilities XML. */
export async function poolCapabilities(c: Context): Promise<string> {
  const caps = await c.conn.connectGetStoragePoolCapabilities(0).catch((e: unknown) => {
    throw failed('failed to get storage pool capabilities', e);
  });
  return `${caps}\n\n`;
}

/** `find-storage-pool-sources TYPE [--srcSpec FILE]`. */
export async function findStoragePoolSources(c: Context, type: string, srcSpecFile?: string): Promise<string> {
  const spec = srcSpecFile === undefined ? null : readVirshFile(srcSpecFile);
  return discover(c, type, spec);
}

/** `find-storage-pool-sources-as TYPE [--host H [--port P] [--initiator IQN]]`: the query document built as virsh builds it. */
export async function findStoragePoolSourcesAs(c: Context, type: string, o: { host?: string; port?: string; initiator?: string }): Promise<string> {
  let spec: string | null = null;
  if (o.host !== undefined) {
    const lines = ['<source>', `  <host name='${o.host}'${o.port !== undefined ? ` port='${o.port}'` : ''}/>`];
    if (o.initiator !== undefined) lines.push('  <initiator>', `    <iqn name='${o.initiator}'/>`, '  </initiator>');
    lines.push('</source>');
    spec = lines.join('\n') + '\n';
  }
  return discover(c, type, spec);
}

async function discover(c: Context, type: string, spec: string | null): Promise<string> {
  const sources = await c.conn.connectFindStoragePoolSources(type, spec, 0).catch((e: unknown) => {
    throw failed(`Failed to find any ${type} pool sources`, e);
  });
  return `${sources}\n`;
}

// ---------------------------------------------------------------------------------------
// pool-event

const POOL_EVENTS = ['lifecycle', 'refresh'];
const LIFECYCLE = ['Defined', 'Undefined', 'Started', 'Stopped', 'Created', 'Deleted'];

export interface PoolEventOptions {
  pool?: string;
  event?: string;
  loop?: boolean;
  timeout?: string;
  list?: boolean;
  timestamp?: boolean;
}

/** virTimeStringNowRaw: `2026-12-03 17:47:01.055+0000`, in UTC. */
const timestampNow = () => new Date().toISOString().replace('T', ' ').replace('Z', '+0000');

/**
 * `pool-event [--pool P] --event E [--loop] [--timeout S] [--timestamp]` or `--list`: the pool
 * events as virsh prints them, one (or all with --loop) until the timeout or Ctrl-C; like
 * virsh it fails (exit 1, its report still printed) when no event came.
 */
export async function poolEvent(c: Context, o: PoolEventOptions, print: (s: string) => void): Promise<string> {
  if (o.list) return POOL_EVENTS.map((e) => `${e}\n`).join('') + '\n';
  if (o.event === undefined) throw new Error('either --list or --event <type> is required');
  if (!POOL_EVENTS.includes(o.event)) throw new Error(`unknown event type ${o.event}`);
  const timeout = timeoutOption(o.timeout);
  const filter = o.pool !== undefined ? await findPool(c, o.pool) : undefined;
  const name = o.event;
  let count = 0;
  let finish!: (why: string) => void;
  const finished = new Promise<string>((resolve) => (finish = resolve));
  const subscribe = c.conn.subscribe.bind(c.conn) as (ev: string, l: (e: any) => void, opts: object) => Promise<() => Promise<void>>;
  const stop = await subscribe(
    `storage-pool:${name}`,
    (e: { pool: RemoteNonnullStoragePool; event?: number }) => {
      if (!o.loop && count) return;
      const what = name === 'lifecycle' ? `event 'lifecycle' for storage pool ${e.pool.name}: ${LIFECYCLE[e.event!] ?? 'unknown'}` : `event '${name}' for storage pool ${e.pool.name}`;
      print(`${o.timestamp ? `${timestampNow()}: ` : ''}${what}\n`);
      count++;
      if (!o.loop) finish('');
    },
    filter ? { filter } : {},
  );
  const timer = timeout ? setTimeout(() => finish('event loop timed out\n'), timeout) : undefined;
  const why = await withInterrupt(() => finish('event loop interrupted\n'), () => finished);
  if (timer) clearTimeout(timer);
  await stop();
  const report = `${why}events received: ${count}\n\n`;
  if (!count) throw new FailureReport(report, '', 'event loop timed out');
  return report;
}

// ---------------------------------------------------------------------------------------

export function register({ program, act, io }: Registry): void {
  program
    .command('vol-create <pool> <file>')
    .description('create a vol from an XML file')
    .option('--prealloc-metadata', 'preallocate metadata (for qcow2 instead of full allocation)')
    .option('--validate', 'validate the XML against the schema')
    .action((p: string, f: string, o: VolCreateOptions) => act((c) => volCreate(c, p, f, o)));
  program
    .command('vol-create-from <pool> <file> <vol>')
    .description('create a vol, using another volume as input')
    .option('--inputpool <string>', "pool name or uuid of the input volume's pool")
    .option('--prealloc-metadata', 'preallocate metadata (for qcow2 instead of full allocation)')
    .option('--reflink', 'use btrfs COW lightweight copy')
    .option('--validate', 'validate the XML against the schema')
    .action((p: string, f: string, v: string, o: VolCreateOptions) => act((c) => volCreateFrom(c, p, f, v, o)));
  program
    .command('vol-resize <vol> <capacity>')
    .description('resize a vol')
    .option('--pool <string>', 'pool name or uuid')
    .option('--allocate', 'allocate the new capacity, rather than leaving it sparse')
    .option('--delta', 'use capacity as a delta to current size, rather than the new size')
    .option('--shrink', 'allow the resize to shrink the volume')
    // A negative capacity (`-1M`, with --shrink) is data to virsh, not an option.
    .allowUnknownOption()
    .allowExcessArguments()
    .action((v: string, size: string, o: VolResizeOptions, command: Command) => {
      // What commander let through is taken or refused as virsh does, before connecting.
      const stray = command.args.find((a) => a.startsWith('--'));
      if (stray) command.error(`error: command 'vol-resize' doesn't support option ${stray}`);
      const [, , pool, ...rest] = command.args;
      if (pool !== undefined && o.pool !== undefined) command.error('error: option --pool already seen');
      if (rest.length) command.error(`error: unexpected data '${rest[0]}'`);
      return act((c) => volResize(c, v, size, { ...o, ...(pool !== undefined ? { pool: o.pool ?? pool } : {}) }));
    });
  program
    .command('vol-wipe <vol>')
    .description('wipe a vol')
    .option('--pool <string>', 'pool name or uuid')
    .option('--algorithm <string>', 'perform selected wiping algorithm')
    .action((v: string, o: { pool?: string; algorithm?: string }) => act((c) => volWipe(c, v, o)));
  const build = (cmd: Command) =>
    cmd.option('--build', 'build the pool as normal').addOption(literalFlag('--no-overwrite', 'do not overwrite any existing data')).option('--overwrite', 'overwrite any existing data');
  build(program.command('pool-create <file>').description('create a pool from an XML file')).action((f: string, o: BuildOptions) => act((c) => poolCreate(c, f, o)));
  const poolAs = program.command('pool-create-as <name> <type>').description('create a pool from a set of args').option('--print-xml', "print XML document, but don't define/create");
  for (const [flag, help] of POOL_AS_OPTIONS) poolAs.option(flag, help);
  build(poolAs).action((n: string, t: string, o: PoolAsOptions) => act((c) => poolCreateAs(c, n, t, o)));
  program
    .command('pool-define <file>')
    .description('define an inactive persistent storage pool or modify an existing persistent one from an XML file')
    .option('--validate', 'validate the XML against the schema')
    .action((f: string, o: { validate?: boolean }) => act((c) => poolDefine(c, f, o)));
  program.command('pool-delete <pool>').description('delete a pool').action((p: string) => act((c) => poolDelete(c, p)));
  program.command('pool-capabilities').description('storage pool capabilities').action(() => act((c) => poolCapabilities(c)));
  program
    .command('find-storage-pool-sources <type>')
    .description('discover potential storage pool sources')
    .option('--srcSpec <string>', 'optional file of source xml to query for pools')
    .action((t: string, o: { srcSpec?: string }) => act((c) => findStoragePoolSources(c, t, o.srcSpec)));
  program
    .command('find-storage-pool-sources-as <type>')
    .description('find potential storage pool sources')
    .option('--host <string>', 'optional host to query')
    .option('--port <string>', 'optional port to query')
    .option('--initiator <string>', 'optional initiator IQN to use for query')
    .action((t: string, o: { host?: string; port?: string; initiator?: string }) => act((c) => findStoragePoolSourcesAs(c, t, o)));
  program
    .command('pool-event')
    .description('Storage Pool Events')
    .option('--pool <string>', 'filter by storage pool name or uuid')
    .option('--event <string>', 'which event type to wait for')
    .option('--loop', 'loop until timeout or interrupt, rather than one-shot')
    .option('--timeout <number>', 'timeout seconds')
    .option('--list', 'list valid event types')
    .option('--timestamp', 'show timestamp for each printed event')
    .action((o: PoolEventOptions) => act((c) => poolEvent(c, o, io.stdout)));
}

/** pool-create-as's options besides --print-xml and the build ones, with virsh's help. */
const POOL_AS_OPTIONS: [string, string][] = [
  ['--source-host <string>', 'source-host for underlying storage'],
  ['--source-path <string>', 'source path for underlying storage'],
  ['--source-dev <string>', 'source device for underlying storage'],
  ['--source-name <string>', 'source name for underlying storage'],
  ['--target <string>', 'target for underlying storage'],
  ['--source-format <string>', 'format for underlying storage'],
  ['--auth-type <string>', 'auth type to be used for underlying storage'],
  ['--auth-username <string>', 'auth username to be used for underlying storage'],
  ['--secret-usage <string>', 'auth secret usage to be used for underlying storage'],
  ['--secret-uuid <string>', 'auth secret UUID to be used for underlying storage'],
  ['--adapter-name <string>', 'adapter name to be used for underlying storage'],
  ['--adapter-wwnn <string>', 'adapter wwnn to be used for underlying storage'],
  ['--adapter-wwpn <string>', 'adapter wwpn to be used for underlying storage'],
  ['--adapter-parent <string>', 'adapter parent scsi_hostN to be used for underlying vHBA storage'],
  ['--adapter-parent-wwnn <string>', 'adapter parent scsi_hostN wwnn to be used for underlying vHBA storage'],
  ['--adapter-parent-wwpn <string>', 'adapter parent scsi_hostN wwpn to be used for underlying vHBA storage'],
  ['--adapter-parent-fabric-wwn <string>', 'adapter parent scsi_hostN fabric_wwn to be used for underlying vHBA storage'],
  ['--source-protocol-ver <string>', 'nfsvers value for NFS pool mount option'],
  ['--source-initiator <string>', 'initiator iqn for underlying storage'],
];
