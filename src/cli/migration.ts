/**
 * The migration commands, as virsh has them: `migrate` (managed, or with `--p2p`/`--direct` to
 * a URI), `domjobinfo`, `domjobabort`, `migrate-setspeed`/`getspeed`,
 * `migrate-setmaxdowntime`/`getmaxdowntime` and `migrate-postcopy`. `migrate --verbose`
 * prints virsh's `Migration: [ 42 %]` lines, or a progress bar on a terminal; Ctrl-C aborts
 * the job on the daemon, as in virsh.
 */
import { readFileSync } from 'node:fs';
import { connect } from '../api/connect.js';
import { type MigrateOptions, type MigrationJob, type MigrationProgress, startMigration, startMigrationToURI } from '../api/migrate.js';
import { AbortError, MigrationError } from '../errors.js';
import type { TypedParams } from '../xdr/index.js';
import { type Context, findDomain } from './commands.js';
import { numericOption, prettySize, toJson } from './format.js';
import { type ProgressIo, jobPercent, jobProgress, withInterrupt } from './progress.js';
import type { Registry } from './registry.js';

export interface MigrateIo extends ProgressIo {
  env: Record<string, string | undefined>;
}

/** virsh migrate's options (commander's camel case of them). */
export interface MigrateCliOptions {
  live?: boolean;
  offline?: boolean;
  p2p?: boolean;
  direct?: boolean;
  tunnelled?: boolean;
  persistent?: boolean;
  undefinesource?: boolean;
  suspend?: boolean;
  copyStorageAll?: boolean;
  copyStorageInc?: boolean;
  copyStorageSynchronousWrites?: boolean;
  changeProtection?: boolean;
  unsafe?: boolean;
  verbose?: boolean;
  compressed?: boolean;
  abortOnError?: boolean;
  autoConverge?: boolean;
  rdmaPinAll?: boolean;
  postcopy?: boolean;
  postcopyAfterPrecopy?: boolean;
  tls?: boolean;
  parallel?: boolean;
  zerocopy?: boolean;
  migrateuri?: string;
  graphicsuri?: string;
  listenAddress?: string;
  dname?: string;
  timeout?: string;
  timeoutSuspend?: boolean;
  timeoutPostcopy?: boolean;
  xml?: string;
  persistentXml?: string;
  migrateDisks?: string;
  migrateDisksDetectZeroes?: string;
  disksPort?: string;
  disksUri?: string;
  compMethods?: string;
  compMtLevel?: string;
  compMtThreads?: string;
  compMtDthreads?: string;
  compXbzrleCache?: string;
  compZlibLevel?: string;
  compZstdLevel?: string;
  autoConvergeInitial?: string;
  autoConvergeIncrement?: string;
  parallelConnections?: string;
  bandwidth?: string;
  postcopyBandwidth?: string;
  tlsDestination?: string;
}

const int = numericOption;
const list = (v: string) => v.split(',').filter(Boolean);

/** virsh's options as the library's. */
export function migrateOptions(o: MigrateCliOptions): MigrateOptions {
  const m: MigrateOptions = {
    live: !!o.live,
    offline: !!o.offline,
    peer2peer: !!o.p2p,
    tunnelled: !!o.tunnelled,
    persistDest: !!o.persistent,
    undefineSource: !!o.undefinesource,
    paused: !!o.suspend,
    nonSharedDisk: !!o.copyStorageAll,
    nonSharedInc: !!o.copyStorageInc,
    nonSharedSynchronousWrites: !!o.copyStorageSynchronousWrites,
    changeProtection: !!o.changeProtection,
    unsafe: !!o.unsafe,
    compressed: !!o.compressed,
    abortOnError: !!o.abortOnError,
    autoConverge: !!o.autoConverge,
    rdmaPinAll: !!o.rdmaPinAll,
    postcopy: !!(o.postcopy || o.postcopyAfterPrecopy),
    tls: !!o.tls,
    parallel: !!(o.parallel || o.parallelConnections),
    zerocopy: !!o.zerocopy,
  };
  const set = <K extends keyof MigrateOptions>(k: K, v: MigrateOptions[K] | undefined) => {
    if (v !== undefined) m[k] = v;
  };
  set('uri', o.migrateuri);
  set('graphicsUri', o.graphicsuri);
  set('listenAddress', o.listenAddress);
  set('destName', o.dname);
  // virsh reads the XML documents from files.
  set('destXml', o.xml === undefined ? undefined : readFileSync(o.xml, 'utf8'));
  set('persistXml', o.persistentXml === undefined ? undefined : readFileSync(o.persistentXml, 'utf8'));
  set('migrateDisks', o.migrateDisks === undefined ? undefined : list(o.migrateDisks));
  set('migrateDisksDetectZeroes', o.migrateDisksDetectZeroes === undefined ? undefined : list(o.migrateDisksDetectZeroes));
  set('disksPort', o.disksPort === undefined ? undefined : int('disks-port', o.disksPort));
  set('disksUri', o.disksUri);
  set('compression', o.compMethods === undefined ? undefined : list(o.compMethods));
  set('compressionMtLevel', o.compMtLevel === undefined ? undefined : int('comp-mt-level', o.compMtLevel));
  set('compressionMtThreads', o.compMtThreads === undefined ? undefined : int('comp-mt-threads', o.compMtThreads));
  set('compressionMtDthreads', o.compMtDthreads === undefined ? undefined : int('comp-mt-dthreads', o.compMtDthreads));
  set('compressionXbzrleCache', o.compXbzrleCache === undefined ? undefined : BigInt(int('comp-xbzrle-cache', o.compXbzrleCache)));
  set('compressionZlibLevel', o.compZlibLevel === undefined ? undefined : int('comp-zlib-level', o.compZlibLevel));
  set('compressionZstdLevel', o.compZstdLevel === undefined ? undefined : int('comp-zstd-level', o.compZstdLevel));
  set('autoConvergeInitial', o.autoConvergeInitial === undefined ? undefined : int('auto-converge-initial', o.autoConvergeInitial));
  set('autoConvergeIncrement', o.autoConvergeIncrement === undefined ? undefined : int('auto-converge-increment', o.autoConvergeIncrement));
  set('parallelConnections', o.parallelConnections === undefined ? undefined : int('parallel-connections', o.parallelConnections));
  set('bandwidth', o.bandwidth === undefined ? undefined : BigInt(int('bandwidth', o.bandwidth)));
  set('bandwidthPostcopy', o.postcopyBandwidth === undefined ? undefined : BigInt(int('postcopy-bandwidth', o.postcopyBandwidth)));
  set('tlsDestination', o.tlsDestination);
  if (o.timeout !== undefined) {
    const seconds = int('timeout', o.timeout);
    if (seconds < 1) throw new Error('migrate: Invalid timeout');
    if (!o.live) throw new Error('migrate: Unexpected timeout for offline migration');
    m.timeoutMs = seconds * 1000;
    m.timeoutAction = o.timeoutPostcopy ? 'postcopy' : 'suspend';
  }
  return m;
}

/** virsh's progress figure: how much of the data has moved, 99 at most until it is done. */
export const percentDone = (p: MigrationProgress) => jobPercent(p.dataRemaining, p.dataTotal);

/** The message virsh prints for a failed migration: libvirt's own, without our phase and host. */
function virshMessage(e: unknown): string {
  let cause: unknown = e;
  if (cause instanceof AbortError && cause.cause) cause = cause.cause;
  if (cause instanceof MigrationError) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * `migrate DOMAIN DESTURI [MIGRATEURI] [GRAPHICSURI] [LISTEN-ADDRESS] [DNAME]`: managed over a
 * connection to DESTURI, or with `--p2p`/`--direct` handed to the source daemon.
 */
export async function migrate(c: Context, io: MigrateIo, ref: string, desturi: string, o: MigrateCliOptions): Promise<string> {
  const options = migrateOptions(o);
  const dom = await findDomain(c.conn, ref);
  const verbose = o.verbose ? progressPrinter(io) : null;
  if (verbose) options.onProgress = verbose.update;
  const dconn = o.p2p || o.direct ? null : await connect(desturi, { env: io.env });
  let job: MigrationJob<unknown> | undefined;
  const interrupt = () => void job?.abort();
  let postcopyStarted = false;
  if (o.postcopyAfterPrecopy) {
    const update = options.onProgress;
    // virsh switches after the first pass over memory.
    options.onProgress = (p) => {
      update?.(p);
      if (!postcopyStarted && p.iteration > 1) {
        postcopyStarted = true;
        job?.startPostCopy().catch(() => {});
      }
    };
  }
  try {
    return await withInterrupt(interrupt, async () => {
      job = dconn ? startMigration(c.conn, dom, dconn, options) : startMigrationToURI(c.conn, dom, desturi, options);
      await job;
      verbose?.done();
      return '\n';
    });
  } catch (e) {
    verbose?.stop();
    throw new Error(virshMessage(e), { cause: e });
  } finally {
    await dconn?.close();
  }
}

/** virsh's `\rMigration: [ 42 %]` lines on stderr, or a progress bar on a terminal. */
function progressPrinter(io: MigrateIo) {
  return jobProgress<MigrationProgress>(io, 'Migration', percentDone, {
    format: ' Migration {bar} {percentage}% | {remaining} MiB to go',
    payload: (p) => ({ remaining: p === 'start' ? '?' : p === 'done' ? '0' : (p.dataRemaining / 1048576).toFixed(1) }),
  });
}

const JOB_TYPES = ['None', 'Bounded', 'Unbounded', 'Completed', 'Failed', 'Cancelled'];
const OPERATIONS = ['Unknown', 'Start', 'Save', 'Restore', 'Incoming migration', 'Outgoing migration', 'Snapshot', 'Snapshot revert', 'Dump', 'Backup', 'Snapshot delete'];

type Row = [label: string, field: string, format: 'ms' | 'size' | 'rate' | 'count' | 'pages' | 'bytes' | 'percent' | 'text'];

/** The statistics virsh prints, in its order, with its labels. */
const ROWS: Row[] = [
  ['Time elapsed:', 'time_elapsed', 'ms'],
  ['Time elapsed w/o network:', 'time_elapsed_net', 'ms'],
  ['Time remaining:', 'time_remaining', 'ms'],
  ['Data processed:', 'data_processed', 'size'],
  ['Data remaining:', 'data_remaining', 'size'],
  ['Data total:', 'data_total', 'size'],
  ['Memory processed:', 'memory_processed', 'size'],
  ['Memory remaining:', 'memory_remaining', 'size'],
  ['Memory total:', 'memory_total', 'size'],
  ['Memory bandwidth:', 'memory_bps', 'rate'],
  ['Dirty rate:', 'memory_dirty_rate', 'pages'],
  ['Page size:', 'memory_page_size', 'bytes'],
  ['Iteration:', 'memory_iteration', 'count'],
  ['Postcopy requests:', 'memory_postcopy_requests', 'count'],
  ['Constant pages:', 'memory_constant', 'count'],
  ['Normal pages:', 'memory_normal', 'count'],
  ['Normal data:', 'memory_normal_bytes', 'size'],
  ['File processed:', 'disk_processed', 'size'],
  ['File remaining:', 'disk_remaining', 'size'],
  ['File total:', 'disk_total', 'size'],
  ['File bandwidth:', 'disk_bps', 'rate'],
  ['Total downtime:', 'downtime', 'ms'],
  ['Downtime w/o network:', 'downtime_net', 'ms'],
  ['Setup time:', 'setup_time', 'ms'],
  ['Compression cache:', 'compression_cache', 'size'],
  ['Compressed data:', 'compression_bytes', 'size'],
  ['Compressed pages:', 'compression_pages', 'count'],
  ['Compression cache misses:', 'compression_cache_misses', 'count'],
  ['Compression overflows:', 'compression_overflow', 'count'],
  ['Auto converge throttle:', 'auto_converge_throttle', 'percent'],
  ['Temporary disk space use:', 'disk_temp_used', 'size'],
  ['Temporary disk space total:', 'disk_temp_total', 'size'],
  ['Error message:', 'errmsg', 'text'],
];

/** `domjobinfo DOMAIN [--completed] [--keep-completed]`. */
export async function domjobinfo(c: Context, ref: string, o: { completed?: boolean; keepCompleted?: boolean; anystats?: boolean; rawstats?: boolean }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  // VIR_DOMAIN_JOB_STATS_COMPLETED = 1, VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED = 2.
  const flags = (o.completed ? 1 : 0) | (o.keepCompleted ? 2 : 0);
  const { type, params } = await c.conn.domainGetJobStats(dom, flags);
  const operation = params.operation;
  if (c.json) return toJson({ type: (JOB_TYPES[type] ?? String(type)).toLowerCase(), operation: typeof operation === 'number' ? OPERATIONS[operation] ?? operation : null, stats: params }) + '\n';
  return jobInfoText(type, params, !!o.completed);
}

/** virsh's domjobinfo text for a job's type and statistics. */
export function jobInfoText(type: number, params: TypedParams, completed: boolean): string {
  const pad = (label: string) => label.padEnd(17);
  const lines = [`${pad('Job type:')} ${(JOB_TYPES[type] ?? String(type)).padEnd(12)}`];
  if (type === 0) return `${lines[0]}\n\n`;
  const op = params.operation;
  if (typeof op === 'number') lines.push(`${pad('Operation:')} ${(OPERATIONS[op] ?? String(op)).padEnd(12)}`);
  // virsh leaves the disk figures out when they are all zero.
  const disks = ['disk_processed', 'disk_remaining', 'disk_total'].some((f) => Number(params[f] ?? 0) !== 0);
  for (const [label, field, format] of ROWS) {
    const v = params[field];
    if (v === undefined || Array.isArray(v)) continue;
    if (field.startsWith('disk_') && !field.startsWith('disk_temp') && !disks) continue;
    // During a job the downtime is the one the hypervisor expects.
    const l = field === 'downtime' && !completed && type !== 3 ? 'Expected downtime:' : label;
    const n = typeof v === 'bigint' || typeof v === 'number' ? Number(v) : 0;
    const value =
      format === 'ms' ? `${String(v).padEnd(12)} ms`
      : format === 'size' ? prettySize(n, 3)
      : format === 'rate' ? `${prettySize(n, 3)}/s`
      : format === 'pages' ? `${String(v).padEnd(12)} pages/s`
      : format === 'bytes' ? `${String(v).padEnd(12)} bytes`
      : format === 'percent' ? `${String(v).padEnd(12)} %`
      : format === 'text' ? String(v)
      : String(v).padEnd(12);
    lines.push(`${pad(l)} ${value}`);
  }
  return `${lines.join('\n')}\n\n`;
}

/** `domjobabort DOMAIN [--postcopy]`. */
export async function domjobabort(c: Context, ref: string, o: { postcopy?: boolean }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  // VIR_DOMAIN_ABORT_JOB_POSTCOPY = 1: only the flagged call knows it.
  if (o.postcopy) await c.conn.domainAbortJobFlags(dom, 1);
  else await c.conn.domainAbortJob(dom);
  return '\n';
}

/** `migrate-setspeed DOMAIN BANDWIDTH [--postcopy]` and `migrate-getspeed DOMAIN [--postcopy]` (MiB/s). */
export async function migrateSpeed(c: Context, ref: string, bandwidth: string | undefined, o: { postcopy?: boolean }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const flags = o.postcopy ? 1 : 0; // VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY
  if (bandwidth === undefined) {
    const v = await c.conn.domainMigrateGetMaxSpeed(dom, flags);
    return c.json ? toJson({ bandwidth: v }) + '\n' : `${v}\n\n`;
  }
  await c.conn.domainMigrateSetMaxSpeed(dom, BigInt(int('bandwidth', bandwidth)), flags);
  return '\n';
}

/** `migrate-setmaxdowntime DOMAIN DOWNTIME` and `migrate-getmaxdowntime DOMAIN` (milliseconds). */
export async function migrateMaxDowntime(c: Context, ref: string, downtime: string | undefined): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  if (downtime === undefined) {
    const v = await c.conn.domainMigrateGetMaxDowntime(dom, 0);
    return c.json ? toJson({ downtime: v }) + '\n' : `${v}\n\n`;
  }
  const ms = int('downtime', downtime);
  if (ms < 1) throw new Error('migrate: Invalid downtime');
  await c.conn.domainMigrateSetMaxDowntime(dom, BigInt(ms), 0);
  return '\n';
}

/** `migrate-postcopy DOMAIN`: switch a running migration to post-copy. */
export async function migratePostcopy(c: Context, ref: string): Promise<string> {
  await c.conn.domainMigrateStartPostCopy(await findDomain(c.conn, ref), 0);
  return '\n';
}

/** Adds this module's commands to the program. */
export function register(registry: Registry): void {
  const { program, io } = registry;
  const run = (work: (c: Context) => Promise<string>) => () => registry.act(work);
  const flagOptions: [string, string][] = [
    ['--live', 'live migration'], ['--offline', 'offline migration'], ['--p2p', 'peer-2-peer migration'], ['--direct', 'direct migration'],
    ['--tunnelled', 'tunnelled migration'], ['--persistent', 'persist VM on destination'], ['--undefinesource', 'undefine VM on source'],
    ['--suspend', 'do not restart the domain on the destination host'], ['--copy-storage-all', 'migration with non-shared storage with full disk copy'],
    ['--copy-storage-inc', 'migration with non-shared storage with incremental copy'], ['--copy-storage-synchronous-writes', 'force guest disk writes to be synchronously written to the destination'],
    ['--change-protection', 'prevent any configuration changes to domain until migration ends'], ['--unsafe', 'force migration even if it may be unsafe'],
    ['--verbose', 'display the progress of migration'], ['--compressed', 'compress repeated pages during live migration'],
    ['--abort-on-error', 'abort on soft errors during migration'], ['--auto-converge', 'force convergence during live migration'],
    ['--rdma-pin-all', 'pin all memory before starting RDMA live migration'], ['--postcopy', 'enable post-copy migration; switch to it using migrate-postcopy command'],
    ['--postcopy-after-precopy', 'automatically switch to post-copy migration after one pass of pre-copy'], ['--tls', 'use TLS for migration'],
    ['--parallel', 'enable parallel migration'], ['--zerocopy', 'use zero-copy mechanism for migrating memory pages'],
    ['--timeout-suspend', 'suspend the guest after timeout'], ['--timeout-postcopy', 'switch to post-copy after timeout'],
  ];
  const valueOptions: [string, string][] = [
    ['--migrateuri <uri>', 'migration URI, usually can be omitted'], ['--graphicsuri <uri>', 'graphics URI to be used for seamless graphics migration'],
    ['--listen-address <address>', 'listen address that destination should bind to for incoming migration'], ['--dname <name>', 'rename to new name during migration'],
    ['--timeout <seconds>', 'run action specified by --timeout-* option (suspend by default) if live migration exceeds timeout (in seconds)'],
    ['--xml <file>', 'filename containing updated XML for the target'], ['--persistent-xml <file>', 'filename containing updated persistent XML for the target'],
    ['--migrate-disks <disks>', 'comma separated list of disks to be migrated'], ['--migrate-disks-detect-zeroes <disks>', 'comma separated list of disks to migrate sparsely'],
    ['--disks-port <port>', 'port to use by target server for incoming disks migration'], ['--disks-uri <uri>', 'URI to use for disks migration (overrides --disks-port)'],
    ['--comp-methods <methods>', 'comma separated list of compression methods to be used'], ['--comp-mt-level <level>', 'compress level for multithread compression'],
    ['--comp-mt-threads <n>', 'number of compression threads for multithread compression'], ['--comp-mt-dthreads <n>', 'number of decompression threads for multithread compression'],
    ['--comp-xbzrle-cache <bytes>', 'page cache size for xbzrle compression'], ['--comp-zlib-level <level>', 'compression level used for zlib compression'],
    ['--comp-zstd-level <level>', 'compression level used for zstd compression'], ['--auto-converge-initial <percent>', 'initial CPU throttling rate for auto-convergence'],
    ['--auto-converge-increment <percent>', 'CPU throttling rate increment for auto-convergence'], ['--parallel-connections <n>', 'number of connections for parallel migration'],
    ['--bandwidth <mib>', 'override the default bandwidth used for migration (in MiB/s)'], ['--postcopy-bandwidth <mib>', 'post-copy migration bandwidth limit in MiB/s'],
    ['--tls-destination <name>', 'override the destination host name used for TLS verification'],
  ];
  const migrateCommand = program
    .command('migrate <domain> <desturi> [migrateuri] [graphicsuri] [listen-address] [dname]')
    .description('migrate a domain to another host');
  for (const [flag, help] of [...flagOptions, ...valueOptions]) migrateCommand.option(flag, help);
  const migrateIo = { isTTY: !!io.isTTY, stderr: io.stderr, env: io.env, ...(io.progressStream ? { stderrStream: io.progressStream } : {}) };
  migrateCommand.action((d: string, dest: string, migrateuri: string | undefined, graphicsuri: string | undefined, listenAddress: string | undefined, dname: string | undefined, o: MigrateCliOptions) =>
    run((c) => migrate(c, migrateIo, d, dest, { migrateuri, graphicsuri, listenAddress, dname, ...o }))(),
  );
  program
    .command('domjobinfo <domain>')
    .description('domain job information')
    .option('--completed', 'return statistics of a recently completed job')
    .option('--keep-completed', "don't destroy statistics of a recently completed job when reading")
    .action((d: string, o: { completed?: boolean; keepCompleted?: boolean }) => run((c) => domjobinfo(c, d, o))());
  program
    .command('domjobabort <domain>')
    .description('abort active domain job')
    .option('--postcopy', 'interrupt post-copy migration')
    .action((d: string, o: { postcopy?: boolean }) => run((c) => domjobabort(c, d, o))());
  program
    .command('migrate-setspeed <domain> <bandwidth>')
    .description('Set the maximum migration bandwidth')
    .option('--postcopy', 'set post-copy migration bandwidth')
    .action((d: string, b: string, o: { postcopy?: boolean }) => run((c) => migrateSpeed(c, d, b, o))());
  program
    .command('migrate-getspeed <domain>')
    .description('Get the maximum migration bandwidth')
    .option('--postcopy', 'get post-copy migration bandwidth')
    .action((d: string, o: { postcopy?: boolean }) => run((c) => migrateSpeed(c, d, undefined, o))());
  program.command('migrate-setmaxdowntime <domain> <downtime>').description('set maximum tolerable downtime').action((d: string, t: string) => run((c) => migrateMaxDowntime(c, d, t))());
  program.command('migrate-getmaxdowntime <domain>').description('get maximum tolerable downtime').action((d: string) => run((c) => migrateMaxDowntime(c, d, undefined))());
  program.command('migrate-postcopy <domain>').description('Switch running migration from pre-copy to post-copy').action((d: string) => run((c) => migratePostcopy(c, d))());
}
