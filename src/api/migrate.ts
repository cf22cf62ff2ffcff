/**
 * Live migration driven by the client, as libvirt's own library drives it: for a managed
 * migration (virDomainMigrate3) the client holds both connections and runs version 3 of the
 * protocol itself (Begin on the source, Prepare on the destination, Perform on the source,
 * Finish on the destination, Confirm on the source), passing the cookies and the domain XML
 * along, with the extensible-parameter calls where both daemons have them and the fixed ones
 * where one lacks them; a peer-to-peer one (VIR_MIGRATE_PEER2PEER, virDomainMigrateToURI3) is
 * one Perform call, and the source daemon does the rest. On failure the phases that follow
 * are called with `cancelled` exactly where libvirt's library calls them, so the guest keeps
 * running where it was.
 *
 * Beyond libvirt's library: progress from the job statistics while the data moves (a
 * callback and an async iterator), an AbortSignal that aborts the job on the daemon, a
 * timeout that suspends, switches to post-copy or aborts (virsh's `--timeout`), and errors
 * that say which phase, which host, and where the guest is.
 */
import {
  VIR_DOMAIN_PAUSED,
  VIR_DOMAIN_RUNNING,
  VIR_ERR_MIGRATE_FINISH_OK,
  VIR_ERR_OPERATION_FAILED,
  VIR_FROM_QEMU,
  VIR_MIGRATE_ABORT_ON_ERROR,
  VIR_MIGRATE_AUTO_CONVERGE,
  VIR_MIGRATE_CHANGE_PROTECTION,
  VIR_MIGRATE_NON_SHARED_DISK,
  VIR_MIGRATE_NON_SHARED_INC,
  VIR_MIGRATE_OFFLINE,
  VIR_MIGRATE_PARAM_BANDWIDTH,
  VIR_MIGRATE_PARAM_DEST_NAME,
  VIR_MIGRATE_PARAM_DEST_XML,
  VIR_MIGRATE_PARAM_URI,
  VIR_MIGRATE_PAUSED,
  VIR_MIGRATE_PEER2PEER,
  VIR_MIGRATE_TUNNELLED,
  virDomainMigrateFlags,
} from '../../protocol/constants.js';
import {
  connectGetURI,
  connectSupportsFeature,
  domainAbortJob,
  domainGetJobStats,
  domainGetState,
  domainLookupByName,
  domainMigrateBegin3,
  domainMigrateBegin3Params,
  domainMigrateConfirm3,
  domainMigrateConfirm3Params,
  domainMigrateFinish3,
  domainMigrateFinish3Params,
  domainMigratePerform3,
  domainMigratePerform3Params,
  domainMigratePrepare3,
  domainMigratePrepare3Params,
  domainMigrateStartPostCopy,
  domainSuspend,
} from '../../protocol/remote-calls.js';
import type { RemoteNonnullDomain } from '../../protocol/remote.js';
import { AbortError, type ConnectionError, LibvirtError, MigrationError, type MigrationPhase, NotSupportedError } from '../errors.js';
import { parseLibvirtUri } from '../locate/uri.js';
import type { TypedParams, TypedParamsInput, TypedParamType } from '../xdr/index.js';
import type { Client } from './client.js';
import type { Connection } from './connection.js';
import { DRV_FEATURE } from './handshake.js';

/** The VIR_MIGRATE_* flags as booleans, named as everywhere in this library (`VIR_MIGRATE_PERSIST_DEST` is `persistDest`). */
export interface MigrateFlagOptions {
  live?: boolean;
  peer2peer?: boolean;
  tunnelled?: boolean;
  persistDest?: boolean;
  undefineSource?: boolean;
  paused?: boolean;
  nonSharedDisk?: boolean;
  nonSharedInc?: boolean;
  changeProtection?: boolean;
  unsafe?: boolean;
  offline?: boolean;
  compressed?: boolean;
  abortOnError?: boolean;
  autoConverge?: boolean;
  rdmaPinAll?: boolean;
  postcopy?: boolean;
  tls?: boolean;
  parallel?: boolean;
  nonSharedSynchronousWrites?: boolean;
  postcopyResume?: boolean;
  zerocopy?: boolean;
}

/** The VIR_MIGRATE_PARAM_* parameters, named likewise (`VIR_MIGRATE_PARAM_DEST_XML` is `destXml`). */
export interface MigrateParamOptions {
  /** The hypervisor's migration URI (`tcp://10.0.0.2:49152`); `--migrateuri`. */
  uri?: string;
  /** The guest's name on the destination. */
  destName?: string;
  /** The guest's XML on the destination (same ABI); `--xml`. */
  destXml?: string;
  /** The persistent definition on the destination, with `persistDest`. */
  persistXml?: string;
  /** MiB/s. */
  bandwidth?: number | bigint;
  bandwidthPostcopy?: number | bigint;
  bandwidthAvailSwitchover?: number | bigint;
  graphicsUri?: string;
  listenAddress?: string;
  /** Target names (`vda`) of the disks to copy, with `nonSharedDisk` or `nonSharedInc`. */
  migrateDisks?: string[];
  migrateDisksDetectZeroes?: string[];
  disksPort?: number;
  disksUri?: string;
  /** Compression methods (`xbzrle`, `mt`, `zlib`, `zstd`), with `compressed`. */
  compression?: string[];
  compressionMtLevel?: number;
  compressionMtThreads?: number;
  compressionMtDthreads?: number;
  compressionXbzrleCache?: number | bigint;
  compressionZlibLevel?: number;
  compressionZstdLevel?: number;
  autoConvergeInitial?: number;
  autoConvergeIncrement?: number;
  parallelConnections?: number;
  tlsDestination?: string;
}

/** What migration measures while the data moves (the job statistics, in plain units). */
export interface MigrationProgress {
  /** Milliseconds since the job started. */
  elapsedMs: number;
  /** Bytes in all, moved and left (memory and disks). */
  dataTotal: number;
  dataProcessed: number;
  dataRemaining: number;
  /** Bytes a second, memory. */
  memoryBps: number;
  /** The downtime the hypervisor expects at switch-over, milliseconds. */
  expectedDowntimeMs: number;
  /** Passes over guest memory so far. */
  iteration: number;
  /** Every statistic as the daemon sent it (`memory_dirty_rate`, `disk_total`, ...). */
  stats: TypedParams;
}

export interface MigrateOptions extends MigrateFlagOptions, MigrateParamOptions {
  /** More VIR_MIGRATE_* flags as a number, ORed with the booleans. */
  flags?: number;
  /** More parameters by libvirt's name (one newer than this library), as typed parameters. */
  params?: TypedParamsInput;
  /** Aborts the job on the daemon (or cancels the phases not yet run); the migration then rejects with an AbortError. */
  signal?: AbortSignal;
  /** Milliseconds the data may take to move; then `timeoutAction` (virsh's `--timeout`). */
  timeoutMs?: number;
  /** `suspend` (virsh's default: the rest moves with the guest paused), `postcopy`, or `abort`. */
  timeoutAction?: 'suspend' | 'postcopy' | 'abort';
  /** Called with each reading of the job statistics while the data moves. */
  onProgress?: (progress: MigrationProgress) => void;
  /** Milliseconds between readings; 500. */
  progressIntervalMs?: number;
  /**
   * The source daemon's migration events for the guest while the data moves: a new pass over
   * its memory (`iteration`), and the job's end with its final statistics (`completed`).
   * Needs a Connection (events) as the source.
   */
  onEvent?: (event: MigrationEvent) => void;
}

export type MigrationEvent = { type: 'iteration'; iteration: number } | { type: 'completed'; stats: TypedParams };

/** How a migration went: the guest's object on the destination (null when only the source was talked to and it cannot be looked up). */
export interface MigrationResult<D = RemoteNonnullDomain> {
  domain: D | null;
  /** `params` (v3 with extensible parameters), `v3` (the fixed ones), or `peer2peer`. */
  protocol: 'params' | 'v3' | 'peer2peer';
  /**
   * Set when the migration succeeded but the source could not be told (Confirm failed): the
   * guest runs on the destination, and the source may still hold a paused copy.
   */
  confirmError?: Error;
}

type ParamSpec = readonly [name: string, type: TypedParamType, many?: boolean];

/** Each parameter option: libvirt's name and typed-parameter type (a test checks this against every VIR_MIGRATE_PARAM_*). */
export const MIGRATE_PARAMS: Readonly<Record<keyof MigrateParamOptions, ParamSpec>> = {
  uri: ['migrate_uri', 'string'],
  destName: ['destination_name', 'string'],
  destXml: ['destination_xml', 'string'],
  persistXml: ['persistent_xml', 'string'],
  bandwidth: ['bandwidth', 'ullong'],
  bandwidthPostcopy: ['bandwidth.postcopy', 'ullong'],
  bandwidthAvailSwitchover: ['bandwidth.avail.switchover', 'ullong'],
  graphicsUri: ['graphics_uri', 'string'],
  listenAddress: ['listen_address', 'string'],
  migrateDisks: ['migrate_disks', 'string', true],
  migrateDisksDetectZeroes: ['migrate_disks_detect_zeroes', 'string', true],
  disksPort: ['disks_port', 'int'],
  disksUri: ['disks_uri', 'string'],
  compression: ['compression', 'string', true],
  compressionMtLevel: ['compression.mt.level', 'int'],
  compressionMtThreads: ['compression.mt.threads', 'int'],
  compressionMtDthreads: ['compression.mt.dthreads', 'int'],
  compressionXbzrleCache: ['compression.xbzrle.cache', 'ullong'],
  compressionZlibLevel: ['compression.zlib.level', 'int'],
  compressionZstdLevel: ['compression.zstd.level', 'int'],
  autoConvergeInitial: ['auto_converge.initial', 'int'],
  autoConvergeIncrement: ['auto_converge.increment', 'int'],
  parallelConnections: ['parallel.connections', 'int'],
  tlsDestination: ['tls.destination', 'string'],
};

/** `VIR_MIGRATE_NON_SHARED_DISK` → `nonSharedDisk`. */
const flagKey = (constant: string) => constant.slice('VIR_MIGRATE_'.length).toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
/** Each flag option's bit, from the generated constants. */
export const MIGRATE_FLAGS: Readonly<Record<string, number>> = /* @__PURE__ */ Object.fromEntries(Object.entries(virDomainMigrateFlags).map(([k, v]) => [flagKey(k), v]));
const CONTROL = new Set(['flags', 'params', 'signal', 'timeoutMs', 'timeoutAction', 'onProgress', 'progressIntervalMs', 'onEvent']);

/** The flags and the typed parameters of the options; an unknown option is a TypeError. */
export function migrationArguments(options: MigrateOptions = {}): { flags: number; params: TypedParamsInput } {
  let flags = options.flags ?? 0;
  const params: TypedParamsInput = { ...options.params };
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined || CONTROL.has(k)) continue;
    const bit = MIGRATE_FLAGS[k];
    if (bit !== undefined) {
      if (typeof v !== 'boolean') throw new TypeError(`migration option '${k}' must be a boolean`);
      if (v) flags |= bit;
      continue;
    }
    const spec = (MIGRATE_PARAMS as Record<string, ParamSpec>)[k];
    if (!spec) throw new TypeError(`'${k}' is not a migration option`);
    const [name, type, many] = spec;
    const values = many ? (Array.isArray(v) ? v : [v]) : [v];
    params[name] = values.map((value) => ({ type, value: type === 'ullong' && typeof value === 'number' ? BigInt(value) : value }));
  }
  return { flags: flags >>> 0, params };
}

/** A driver feature, as libvirt's library asks it: a daemon that does not know the question lacks the feature; a lost connection is an error. */
const supports = async (conn: Client, feature: number) =>
  (await connectSupportsFeature(conn, feature).catch((e: unknown) => {
    if (e instanceof LibvirtError) return 0;
    throw e;
  })) !== 0;

const param = (params: TypedParamsInput, name: string): unknown => {
  const v = params[name];
  const one = Array.isArray(v) ? v[0] : v;
  return one !== null && typeof one === 'object' ? one.value : one;
};

/** The job statistics as {@link MigrationProgress}. */
export function progressOf(stats: TypedParams): MigrationProgress {
  const n = (k: string) => {
    const v = stats[k];
    return typeof v === 'bigint' || typeof v === 'number' ? Number(v) : 0;
  };
  return {
    elapsedMs: n('time_elapsed'),
    dataTotal: n('data_total'),
    dataProcessed: n('data_processed'),
    dataRemaining: n('data_remaining'),
    memoryBps: n('memory_bps'),
    expectedDowntimeMs: n('downtime'),
    iteration: n('memory_iteration'),
    stats,
  };
}

/**
 * A migration under way: await it (it is a promise of its result), watch it with
 * `progress()`, and steer it with `abort()` and `startPostCopy()`.
 */
export class MigrationJob<T = MigrationResult> implements PromiseLike<T> {
  /** The phase running now (`done` once settled). */
  phase: MigrationPhase | 'done' | 'starting' = 'starting';
  readonly result: Promise<T>;
  private readonly waiting: ((r: IteratorResult<MigrationProgress>) => void)[] = [];
  private readonly queued: MigrationProgress[] = [];
  private watched = false;
  private readonly aborter = new AbortController();
  /** Set while Perform runs: aborts the job on the source daemon. */
  private abortJob: (() => Promise<void>) | null = null;
  private postCopy: (() => Promise<void>) | null = null;
  private readonly eventStops: (() => Promise<void>)[] = [];
  /** @internal Whether Perform was called: a source that ran it knows of a failure itself. */
  performStarted = false;

  constructor(run: (job: MigrationJob<T>) => Promise<T>, signal?: AbortSignal) {
    if (signal) {
      if (signal.aborted) this.aborter.abort(signal.reason);
      else signal.addEventListener('abort', () => void this.abort(), { once: true });
    }
    this.result = run(this).finally(async () => {
      await Promise.all(this.eventStops.splice(0).map((stop) => stop().catch(() => {})));
      this.phase = 'done';
      for (const w of this.waiting.splice(0)) w({ value: undefined, done: true });
    });
    // A job nobody awaits must not end the process with an unhandled rejection of its own.
    this.result.catch(() => {});
  }

  // A job is awaited as the promise of its result.
  then<A = T, B = never>(onfulfilled?: ((value: T) => A | PromiseLike<A>) | null, onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.result.then(onfulfilled, onrejected);
  }

  /** The readings of the job statistics as they come, ending when the migration settles. */
  progress(): AsyncIterableIterator<MigrationProgress> {
    this.watched = true;
    const it: AsyncIterableIterator<MigrationProgress> = {
      next: () => {
        const v = this.queued.shift();
        if (v) return Promise.resolve({ value: v, done: false });
        if (this.phase === 'done') return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.waiting.push(resolve));
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /** Aborts the migration: the job on the daemon while the data moves, otherwise the phases not yet run. */
  async abort(): Promise<void> {
    if (this.aborter.signal.aborted) return;
    this.aborter.abort(new AbortError('the migration was aborted'));
    await this.abortJob?.();
  }

  /** @internal Aborts the source's job without making the migration an aborted one (the caller decides what it was). */
  async abortSourceJob(): Promise<void> {
    await this.abortJob?.();
  }

  /** Switches a migration started with `postcopy` to post-copy (virDomainMigrateStartPostCopy). */
  async startPostCopy(): Promise<void> {
    if (!this.postCopy) throw new NotSupportedError(`post-copy can be started only while the data moves (phase: ${this.phase})`);
    await this.postCopy();
  }

  /** @internal */
  get aborted(): boolean {
    return this.aborter.signal.aborted;
  }

  /** @internal Runs `perform` with progress, timeout and abort wired to the source's job. */
  async moving<R>(src: Client, dom: RemoteNonnullDomain, options: MigrateOptions, perform: () => Promise<R>): Promise<R> {
    let performing = false;
    // An abort that comes as Perform starts may find no job yet on the daemon: ask again
    // until the job is there to abort, or Perform has ended.
    this.abortJob = async () => {
      for (let tries = 0; ; tries++) {
        try {
          return await domainAbortJob(src, dom);
        } catch {
          if (!performing || tries >= 50) return;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    this.postCopy = () => domainMigrateStartPostCopy(src, dom, 0);
    const events = (src as Partial<Connection>).subscribe?.bind(src);
    if (options.onEvent && events && !this.eventStops.length) {
      const emit = (e: MigrationEvent) => {
        try {
          options.onEvent!(e);
        } catch {
          // As with onProgress: a failing callback must not disturb the migration.
        }
      };
      // Held until the migration settles: the source reports the job's end at Confirm. A
      // daemon that refuses them costs the events, not the migration.
      for (const [name, map] of [
        ['domain:migration-iteration', (e: { iteration: number }) => emit({ type: 'iteration', iteration: e.iteration })],
        ['domain:job-completed', (e: { params: TypedParams }) => emit({ type: 'completed', stats: e.params })],
      ] as const) {
        const stop = await events(name, map as (e: unknown) => void, { filter: dom }).catch(() => null);
        if (stop) this.eventStops.push(stop);
      }
    }
    const interval = options.progressIntervalMs ?? 500;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timeout: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const poll = async () => {
      if (stopped) return;
      // Asked for only while someone listens.
      if (options.onProgress || this.watched) {
        try {
          const { type, params } = await domainGetJobStats(src, dom, 0);
          // 1 and 2: a bounded or unbounded job is running.
          if (!stopped && (type === 1 || type === 2)) this.report(progressOf(params), options);
        } catch {
          // The statistics are a courtesy: the migration's own outcome is what counts.
        }
      }
      if (!stopped) timer = setTimeout(poll, interval);
    };
    timer = setTimeout(poll, Math.min(interval, 250));
    if (options.timeoutMs !== undefined) {
      timeout = setTimeout(() => {
        const act = options.timeoutAction ?? 'suspend';
        const step = act === 'abort' ? this.abort() : act === 'postcopy' ? this.postCopy!() : domainSuspend(src, dom);
        step.catch(() => {});
      }, options.timeoutMs);
    }
    try {
      // Aborted while getting ready: Perform never starts (the caller cancels the rest).
      if (this.aborted) throw new AbortError('aborted before the data moved');
      this.performStarted = performing = true;
      return await perform();
    } finally {
      performing = false;
      stopped = true;
      clearTimeout(timer);
      clearTimeout(timeout);
      this.abortJob = null;
      this.postCopy = null;
    }
  }

  private report(p: MigrationProgress, options: MigrateOptions): void {
    try {
      options.onProgress?.(p);
    } catch {
      // A failing callback must not disturb the migration.
    }
    const w = this.waiting.shift();
    if (w) w({ value: p, done: false });
    else {
      this.queued.push(p);
      if (this.queued.length > 64) this.queued.shift();
    }
  }
}

/**
 * Migrates `dom` from `src` to `dst` as libvirt's virDomainMigrate3 does (managed: the client
 * runs the five phases); with `peer2peer`, the source daemon migrates to `dst`'s URI
 * (connectGetURI) by itself and the guest is then looked up on `dst`.
 * @example
 * ```ts
 * const job = startMigration(src, dom, dst, { live: true, uri: 'tcp://10.0.0.2' });
 * for await (const p of job.progress()) console.log(`${p.dataRemaining} bytes to go`);
 * const { domain } = await job;
 * ```
 * @throws MigrationError naming the phase, host and where the guest is; AbortError after an abort (the guest runs on the source)
 */
export function startMigration<D = RemoteNonnullDomain>(src: Client, dom: RemoteNonnullDomain, dst: Client, options: MigrateOptions = {}, wrap?: (d: RemoteNonnullDomain) => D): MigrationJob<MigrationResult<D>> {
  const { flags, params } = migrationArguments(options);
  return new MigrationJob(async (job) => wrapped(await runMigration(job, src, dom, dst, flags, params, options), wrap), options.signal);
}

const wrapped = <D>(r: MigrationResult, wrap?: (d: RemoteNonnullDomain) => D): MigrationResult<D> =>
  wrap ? { ...r, domain: r.domain && wrap(r.domain) } : (r as MigrationResult<unknown> as MigrationResult<D>);

async function runMigration(job: MigrationJob<unknown>, src: Client, dom: RemoteNonnullDomain, dst: Client, flags: number, params: TypedParamsInput, options: MigrateOptions): Promise<MigrationResult> {
  if (job.aborted) throw new AbortError(`the migration of ${dom.name} was aborted before it started`);
  if (!(flags & VIR_MIGRATE_PEER2PEER)) return managed(job, src, dom, dst, flags, params, options);
  // As virDomainMigrate with the flag: the source daemon migrates to the destination's URI.
  await unmanaged(job, src, dom, await connectGetURI(dst), flags, params, options);
  const name = (param(params, VIR_MIGRATE_PARAM_DEST_NAME) as string | undefined) ?? dom.name;
  return { domain: await domainLookupByName(dst, name), protocol: 'peer2peer' };
}

/**
 * Migrates `dom` to a URI as virDomainMigrateToURI3 does: with `peer2peer`, `dconnuri` is the
 * destination daemon's URI and the source daemon drives the migration; without it, a direct
 * migration to the hypervisor URI in `uri` (not every driver has one; QEMU does not).
 * @example
 * ```ts
 * await startMigrationToURI(src, dom, 'qemu+tcp://10.0.0.2/system', { live: true, peer2peer: true });
 * ```
 */
export function startMigrationToURI(src: Client, dom: RemoteNonnullDomain, dconnuri: string | null, options: MigrateOptions = {}): MigrationJob<MigrationResult> {
  const { flags, params } = migrationArguments(options);
  return new MigrationJob(async (job) => {
    if (job.aborted) throw new AbortError(`the migration of ${dom.name} was aborted before it started`);
    if (flags & VIR_MIGRATE_NON_SHARED_DISK && flags & VIR_MIGRATE_NON_SHARED_INC) throw invalid('nonSharedDisk and nonSharedInc exclude each other');
    if (flags & VIR_MIGRATE_OFFLINE && !(await supports(src, DRV_FEATURE.MIGRATION_OFFLINE))) throw unsupported('offline migration is not supported by the source host');
    if (flags & VIR_MIGRATE_PEER2PEER) {
      if (!(await supports(src, DRV_FEATURE.MIGRATION_P2P))) throw unsupported('p2p migration is not supported by the source host');
      if (!dconnuri) throw invalid('a peer-to-peer migration needs the destination URI');
    } else {
      if (!(await supports(src, DRV_FEATURE.MIGRATION_DIRECT))) throw unsupported('direct migration is not supported by the source host');
      dconnuri = null;
    }
    await unmanaged(job, src, dom, dconnuri, flags, params, options);
    return { domain: null, protocol: 'peer2peer' };
  }, options.signal);
}

const invalid = (message: string) => new TypeError(message);
const unsupported = (message: string) => new NotSupportedError(message);

/** One Perform call on the source (peer-to-peer or direct). */
async function unmanaged(job: MigrationJob<unknown>, src: Client, dom: RemoteNonnullDomain, dconnuri: string | null, flags: number, params: TypedParamsInput, options: MigrateOptions): Promise<void> {
  if (flags & VIR_MIGRATE_PEER2PEER && dconnuri) checkNotLocal(dconnuri);
  job.phase = 'perform';
  try {
    await job.moving(src, dom, options, async () => {
      if (flags & VIR_MIGRATE_PEER2PEER && (await supports(src, DRV_FEATURE.MIGRATION_PARAMS))) {
        await domainMigratePerform3Params(src, dom, dconnuri, params, new Uint8Array(0), flags);
      } else if (await supports(src, DRV_FEATURE.MIGRATION_V3)) {
        const c = compat(params, 'protocol 3');
        await domainMigratePerform3(src, dom, c.xml, new Uint8Array(0), dconnuri, c.uri, BigInt(flags), c.dname, c.bandwidth);
      } else {
        throw unsupported('the source host offers neither migration protocol 3 nor extensible parameters');
      }
    });
  } catch (e) {
    if (job.aborted) throw await abortError(src, dom, e);
    throw new MigrationError('perform', 'source', 'source', e);
  }
}

/** libvirt refuses a peer-to-peer destination that is this host by name (localhost) or names no host at all. */
function checkNotLocal(dconnuri: string): void {
  const u = parseLibvirtUri(dconnuri);
  if ((!u.host && !u.params.socket) || u.host?.startsWith('localhost')) throw invalid('Attempt to migrate guest to the same host');
}

/** The four parameters the fixed (non-params) calls carry; any other is refused, as libvirt does. */
function compat(params: TypedParamsInput, what: string): { uri: string | null; dname: string | null; xml: string | null; bandwidth: bigint } {
  const allowed = new Set([VIR_MIGRATE_PARAM_URI, VIR_MIGRATE_PARAM_DEST_NAME, VIR_MIGRATE_PARAM_DEST_XML, VIR_MIGRATE_PARAM_BANDWIDTH]);
  const extra = Object.keys(params).filter((k) => !allowed.has(k));
  if (extra.length) throw unsupported(`${what} takes only migrate_uri, destination_name, destination_xml and bandwidth, not ${extra.join(', ')}`);
  const s = (k: string) => (param(params, k) as string | undefined) ?? null;
  const b = param(params, VIR_MIGRATE_PARAM_BANDWIDTH);
  return { uri: s(VIR_MIGRATE_PARAM_URI), dname: s(VIR_MIGRATE_PARAM_DEST_NAME), xml: s(VIR_MIGRATE_PARAM_DEST_XML), bandwidth: b === undefined ? 0n : BigInt(b as number | bigint) };
}

/** The five phases, as virDomainMigrateVersion3Full runs them. */
async function managed(job: MigrationJob<unknown>, src: Client, dom: RemoteNonnullDomain, dst: Client, flags: number, params: TypedParamsInput, options: MigrateOptions): Promise<MigrationResult> {
  if (flags & VIR_MIGRATE_NON_SHARED_DISK && flags & VIR_MIGRATE_NON_SHARED_INC) throw invalid('nonSharedDisk and nonSharedInc exclude each other');
  if (flags & VIR_MIGRATE_TUNNELLED) throw invalid('a tunnelled migration needs peer2peer');
  const [srcParams, dstParams, srcV3, dstV3, srcProtection] = await Promise.all([
    supports(src, DRV_FEATURE.MIGRATION_PARAMS),
    supports(dst, DRV_FEATURE.MIGRATION_PARAMS),
    supports(src, DRV_FEATURE.MIGRATION_V3),
    supports(dst, DRV_FEATURE.MIGRATION_V3),
    supports(src, DRV_FEATURE.MIGRATE_CHANGE_PROTECTION),
  ]);
  if (flags & VIR_MIGRATE_OFFLINE) {
    if (!(await supports(src, DRV_FEATURE.MIGRATION_OFFLINE))) throw unsupported('offline migration is not supported by the source host');
    if (!(await supports(dst, DRV_FEATURE.MIGRATION_OFFLINE))) throw unsupported('offline migration is not supported by the destination host');
  }
  if (flags & VIR_MIGRATE_CHANGE_PROTECTION && !srcProtection) throw unsupported('cannot enforce change protection');
  flags &= ~VIR_MIGRATE_CHANGE_PROTECTION;
  const useParams = srcParams && dstParams;
  if (!useParams && !(srcV3 && dstV3)) throw unsupported('the two hosts share neither migration protocol 3 nor extensible parameters (protocols 1 and 2 are not implemented)');
  const fixed = useParams ? null : compat(params, 'Migration without extensible parameters');
  const protection = srcProtection ? VIR_MIGRATE_CHANGE_PROTECTION : 0;
  const protocol = useParams ? 'params' : 'v3';
  const p: TypedParamsInput = { ...params };

  // Begin: the source describes the guest and starts its job.
  job.phase = 'begin';
  let cookie: Uint8Array;
  let xml: string;
  try {
    const r = useParams ? await domainMigrateBegin3Params(src, dom, p, flags | protection) : await domainMigrateBegin3(src, dom, fixed!.xml, BigInt(flags | protection), fixed!.dname, fixed!.bandwidth);
    cookie = r.cookie_out;
    xml = r.xml;
  } catch (e) {
    throw new MigrationError('begin', 'source', 'source', e);
  }
  const state = await domainGetState(src, dom, 0).catch(() => null);
  if (state?.state === VIR_DOMAIN_PAUSED) flags |= VIR_MIGRATE_PAUSED;
  const destFlags = flags & ~(VIR_MIGRATE_ABORT_ON_ERROR | VIR_MIGRATE_AUTO_CONVERGE);

  // What went wrong first, and where; later phases run to cancel, and their errors do not replace it.
  let first: MigrationError | null = null;
  let cancelled = 1;
  let notifySource = true;
  let ddomain: RemoteNonnullDomain | null = null;
  let uri = fixed?.uri ?? null;
  const aborted = () => job.aborted && !first;

  // Prepare: the destination starts an incoming guest.
  job.phase = 'prepare';
  let prepared = false;
  if (!aborted()) {
    try {
      if (useParams) {
        p[VIR_MIGRATE_PARAM_DEST_XML] = { type: 'string', value: xml };
        const r = await domainMigratePrepare3Params(dst, p, cookie, destFlags);
        cookie = r.cookie_out;
        if (r.uri_out) uri = r.uri_out;
      } else {
        const r = await domainMigratePrepare3(dst, cookie, fixed!.uri, BigInt(destFlags), fixed!.dname, fixed!.bandwidth, xml);
        cookie = r.cookie_out;
        if (r.uri_out) uri = r.uri_out;
      }
      prepared = true;
    } catch (e) {
      first = new MigrationError('prepare', 'destination', 'source', e);
    }
  }
  if (!prepared) {
    // Begin started a job only with change protection; then Confirm must end it.
    if (protection) await confirm(src, dom, p, new Uint8Array(0), flags | protection, 1, useParams);
    throw first ?? (await abortError(src, dom, undefined));
  }
  if (uri !== null && useParams) p[VIR_MIGRATE_PARAM_URI] = { type: 'string', value: uri };
  else if (uri === null && !(useParams && param(p, VIR_MIGRATE_PARAM_URI))) first = new MigrationError('prepare', 'destination', 'source', new LibvirtError({ code: 1, domain: 0, message: 'domainMigratePrepare3 did not set uri', level: 2, dom: null, str1: null, str2: null, str3: null, int1: 0, int2: 0, net: null }));

  // Perform: the source sends the guest.
  if (!first && !aborted()) {
    if (flags & VIR_MIGRATE_OFFLINE) {
      cancelled = 0;
      cookie = new Uint8Array(0);
    } else {
      job.phase = 'perform';
      // Losing the destination dooms the migration (its daemon drops the incoming guest, and
      // Finish cannot be sent): the source's job is aborted rather than left to send it all.
      let lost: ConnectionError | null = null;
      let performing = true;
      void dst.closed.then((e) => {
        if (!performing) return;
        lost = e;
        void job.abortSourceJob();
      });
      try {
        cookie = await job.moving(src, dom, options, () =>
          useParams ? domainMigratePerform3Params(src, dom, null, p, cookie, flags | protection) : domainMigratePerform3(src, dom, null, cookie, null, uri, BigInt(flags | protection), fixed!.dname, fixed!.bandwidth),
        );
        cancelled = 0;
      } catch (e) {
        // A source that ran Perform knows of its failure: Confirm is not called.
        notifySource = !job.performStarted;
        cookie = new Uint8Array(0);
        first = lost ? new MigrationError('perform', 'destination', 'source', lost) : new MigrationError('perform', 'source', 'source', e);
      } finally {
        performing = false;
      }
    }
  }

  // Finish: the destination starts the guest, or (cancelled) drops it.
  job.phase = 'finish';
  if (useParams && param(p, VIR_MIGRATE_PARAM_DEST_NAME) === undefined) p[VIR_MIGRATE_PARAM_DEST_NAME] = { type: 'string', value: dom.name };
  try {
    const r = useParams ? await domainMigrateFinish3Params(dst, p, cookie, destFlags, cancelled) : await domainMigrateFinish3(dst, fixed!.dname ?? dom.name, cookie, null, uri, BigInt(destFlags), cancelled);
    ddomain = r.dom;
    cookie = r.cookie_out;
  } catch (e) {
    ddomain = null;
    cookie = new Uint8Array(0);
    // Perform's "operation failed" is replaced by the destination's own reason (the guest died there), as libvirt does.
    const own = e instanceof LibvirtError && e.code !== VIR_ERR_MIGRATE_FINISH_OK;
    const performFailed = first?.phase === 'perform' && first.cause instanceof LibvirtError && first.cause.domain === VIR_FROM_QEMU && first.cause.code === VIR_ERR_OPERATION_FAILED;
    if (!first || (cancelled && performFailed && own && (e as LibvirtError).domain === VIR_FROM_QEMU)) first = new MigrationError('finish', 'destination', 'source', e);
  }
  // A destination that starts the guest although told the migration was cancelled (libvirt logs
  // it) must not make the source drop its copy: what was cancelled stays cancelled.
  if (!cancelled) cancelled = ddomain ? 0 : 1;

  // Confirm: the source ends its copy, or (cancelled) resumes the guest.
  let confirmError: Error | undefined;
  if (notifySource) {
    job.phase = 'confirm';
    confirmError = await confirm(src, dom, p, cookie, flags | protection, cancelled, useParams);
  }
  if (ddomain && !first) return confirmError ? { domain: ddomain, protocol, confirmError } : { domain: ddomain, protocol };
  if (ddomain && first) {
    // The destination ignored the cancel (libvirt logs it): the guest may run there.
    throw new MigrationError(first.phase, first.host, 'unknown', first.cause);
  }
  if (confirmError && first) throw new MigrationError(first.phase, first.host, 'unknown', first.cause);
  if (job.aborted) throw await abortError(src, dom, first ?? undefined);
  throw first ?? new MigrationError('finish', 'destination', 'source', new Error('the destination did not start the guest'));
}

/** The AbortError a migration settles with, once the source says how the guest is. */
async function abortError(src: Client, dom: RemoteNonnullDomain, cause: unknown): Promise<AbortError> {
  const st = await domainGetState(src, dom, 0).catch(() => null);
  const how = !st ? 'its state on the source could not be read' : st.state === VIR_DOMAIN_RUNNING ? 'the guest runs on the source' : st.state === VIR_DOMAIN_PAUSED ? 'the guest is paused on the source' : `the guest is on the source in state ${st.state}`;
  return new AbortError(`the migration of ${dom.name} was aborted; ${how}`, { cause });
}

/** Confirm on the source; its failure is returned, not thrown (the worst case is a paused guest on the source). */
async function confirm(src: Client, dom: RemoteNonnullDomain, p: TypedParamsInput, cookie: Uint8Array, flags: number, cancelled: number, useParams: boolean): Promise<Error | undefined> {
  try {
    if (useParams) await domainMigrateConfirm3Params(src, dom, p, cookie, flags, cancelled);
    else await domainMigrateConfirm3(src, dom, cookie, BigInt(flags), cancelled);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}
