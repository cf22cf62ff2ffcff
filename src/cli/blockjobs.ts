/**
 * virsh's block device commands: the block jobs (`blockcopy`, `blockpull`, `blockcommit`, and
 * `blockjob` to query, throttle, abort or pivot one), `blockresize`, `change-media`,
 * `domblkerror`, `domblkthreshold` and `blkdeviotune`.
 *
 * With `--wait` a block job is watched as virsh watches it: the block job events for the disk
 * (both kinds, so a disk named by target or by path is matched), the job's figures every half
 * second, `--verbose` progress (virsh's `\rBlock Copy: [ 42 %]` lines, or a bar on a
 * terminal), and `--timeout` or Ctrl-C aborting the job on the daemon.
 */
import { Option } from 'commander';
import type { RemoteNonnullDomain } from '../../protocol/remote.js';
import {
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_BLOCK_COMMIT_ACTIVE,
  VIR_DOMAIN_BLOCK_COMMIT_BANDWIDTH_BYTES,
  VIR_DOMAIN_BLOCK_COMMIT_DELETE,
  VIR_DOMAIN_BLOCK_COMMIT_RELATIVE,
  VIR_DOMAIN_BLOCK_COMMIT_SHALLOW,
  VIR_DOMAIN_BLOCK_COPY_BANDWIDTH,
  VIR_DOMAIN_BLOCK_COPY_BUF_SIZE,
  VIR_DOMAIN_BLOCK_COPY_GRANULARITY,
  VIR_DOMAIN_BLOCK_COPY_REUSE_EXT,
  VIR_DOMAIN_BLOCK_COPY_SHALLOW,
  VIR_DOMAIN_BLOCK_COPY_SYNCHRONOUS_WRITES,
  VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB,
  VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC,
  VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT,
  VIR_DOMAIN_BLOCK_JOB_CANCELED,
  VIR_DOMAIN_BLOCK_JOB_COMPLETED,
  VIR_DOMAIN_BLOCK_JOB_FAILED,
  VIR_DOMAIN_BLOCK_JOB_INFO_BANDWIDTH_BYTES,
  VIR_DOMAIN_BLOCK_JOB_READY,
  VIR_DOMAIN_BLOCK_JOB_SPEED_BANDWIDTH_BYTES,
  VIR_DOMAIN_BLOCK_PULL_BANDWIDTH_BYTES,
  VIR_DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES,
  VIR_DOMAIN_BLOCK_REBASE_COPY,
  VIR_DOMAIN_BLOCK_REBASE_COPY_DEV,
  VIR_DOMAIN_BLOCK_REBASE_COPY_RAW,
  VIR_DOMAIN_BLOCK_REBASE_RELATIVE,
  VIR_DOMAIN_BLOCK_RESIZE_BYTES,
  VIR_DOMAIN_DEVICE_MODIFY_FORCE,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_ERR_INVALID_ARG,
  VIR_ERR_OVERFLOW,
} from '../../protocol/constants.js';
import type { RemoteDomainGetBlockJobInfoRet } from '../../protocol/remote.js';
import { LibvirtError } from '../errors.js';
import { type TypedParams, type TypedParamsInput, typedParamTypes } from '../xdr/index.js';
import { type XmlElement, type XmlNode, escapeAttr, escapeText, readXml } from '../xml/tokenizer.js';
import { type Context, findDomain } from './commands.js';
import { prettySize, toJson, typedParamText } from './format.js';
import { POLL_MS, type ProgressIo, interruptibleDelay, jobPercent, jobProgress, progressLine, withInterrupt } from './progress.js';
import { type AffectOptions, FailureReport, type Registry, affectOptions } from './registry.js';
import { OptionError, type Scaled, exclusive, failed, readScaled, readVirshFile, scaledOption, timeoutOption, unsignedOption } from './virsh-options.js';

// ---------------------------------------------------------------------------------------
// Options

const ULONG_MAX = 2n ** 64n - 1n;
const UINT_MAX = 2n ** 32n - 1n;

/**
 * vshBlockJobOptionBandwidth: `--bandwidth` as a plain number (MiB/s, or bytes/s with --bytes;
 * a negative one wraps around, so `-1` is the largest) or as a scaled size in bytes/s (turned
 * into MiB/s without --bytes); 0 when absent.
 */
export function bandwidthOption(text: string | undefined, bytes: boolean): bigint {
  if (text === undefined) return 0n;
  const plain = /^[\t\n\v\f\r ]*([+-]?)(\d+)$/.exec(text);
  if (plain) {
    const n = BigInt(plain[2]!);
    // strtoul wraps a negative number around, and virsh takes it so (-1 is the largest).
    if (n <= ULONG_MAX) return plain[1] === '-' ? (ULONG_MAX + 1n - n) % (ULONG_MAX + 1n) : n;
  }
  // The scaled form takes no sign.
  const scaled: Scaled = /^\s*-/.test(text) ? { value: null } : readScaled(text, 1n, ULONG_MAX);
  if (scaled.value === null) throw new OptionError(`Scaled numeric value '${text}' for <--bandwidth> option is malformed or out of range`, scaled.reason);
  return bytes ? scaled.value : scaled.value >> 20n;
}

// ---------------------------------------------------------------------------------------
// Waiting for a block job

/** virsh's labels for the job types, in virDomainBlockJobType's order. */
const JOB_LABELS = ['Unknown job', 'Block Pull', 'Block Copy', 'Block Commit', 'Active Block Commit', 'Backup'];

interface WaitOptions {
  label: string;
  verbose: boolean;
  /** Milliseconds before the job is aborted; 0 for none. */
  timeoutMs: number;
  asyncAbort: boolean;
}

/**
 * virsh's wait for a block job (virshBlockJobWaitInit and virshBlockJobWait): registered for
 * the job's events before the job starts, then `wait()` polls the job until an event ends it,
 * or, where the daemon gave no events, until the job vanishes or reaches 100 %.
 */
class BlockJobWait {
  private status = -1;
  private registered = 0;
  private readonly stops: (() => Promise<void>)[] = [];
  private wakeUp: () => void = () => {};

  private constructor(
    private readonly c: Context,
    private readonly dom: RemoteNonnullDomain,
    private readonly dev: string,
  ) {}

  static async start(c: Context, dom: RemoteNonnullDomain, dev: string): Promise<BlockJobWait> {
    const w = new BlockJobWait(c, dom, dev);
    const subscribe = c.conn.subscribe.bind(c.conn) as (ev: string, l: (e: any) => void, opts: object) => Promise<() => Promise<void>>;
    // The first event names the disk by its path, the second by its target.
    for (const [event, field] of [['domain:block-job', 'path'], ['domain:block-job-2', 'dst']] as const) {
      const stop = await subscribe(
        event,
        (e: Record<string, unknown>) => {
          if (e[field] !== dev) return;
          w.status = e.status as number;
          w.wakeUp();
        },
        { filter: dom },
      ).catch(() => undefined);
      if (stop) {
        w.stops.push(stop);
        w.registered++;
      }
    }
    return w;
  }

  async close(): Promise<void> {
    await Promise.all(this.stops.map((s) => s().catch(() => {})));
  }

  /** The job's end as virConnectDomainEventBlockJobStatus: completed, failed, canceled (aborted here) or ready. */
  async wait(o: WaitOptions, io: ProgressIo): Promise<number> {
    const { c, dom, dev } = this;
    const progress = o.verbose ? jobProgress<RemoteDomainGetBlockJobInfoRet>(io, o.label, (i) => jobPercent(i.end - i.cur, i.end)) : null;
    const started = Date.now();
    let retries = 5;
    let interrupted = false;
    let last = { cur: 0n, end: 0n };
    let delay = interruptibleDelay(0);
    const abortFlags = o.asyncAbort ? VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC : 0;
    const loop = async (): Promise<number> => {
      for (;;) {
        const info = await c.conn.domainGetBlockJobInfo(dom, dev, 0).catch((e: unknown) => {
          throw failed(`failed to query job for disk ${dev}`, e);
        });
        if (this.registered && this.status !== -1) return this.status;
        // Without both events virsh also reads the end from the job itself.
        if (this.registered < 2) {
          if (!info.found) return VIR_DOMAIN_BLOCK_JOB_COMPLETED;
          if (info.end === info.cur && (this.registered === 0 || --retries === 0)) return VIR_DOMAIN_BLOCK_JOB_READY;
        }
        if (progress && (info.cur !== last.cur || info.end !== last.end)) progress.update(info);
        last = info;
        if (interrupted || (o.timeoutMs && Date.now() - started > o.timeoutMs)) {
          await c.conn.domainBlockJobAbort(dom, dev, abortFlags).catch((e: unknown) => {
            throw failed(`failed to abort job for disk '${dev}'`, e);
          });
          return VIR_DOMAIN_BLOCK_JOB_CANCELED;
        }
        delay = interruptibleDelay(POLL_MS);
        this.wakeUp = delay.wake;
        await delay.wait;
      }
    };
    let result: number;
    try {
      result = await withInterrupt(() => {
        interrupted = true;
        delay.wake();
      }, loop);
    } catch (e) {
      progress?.stop();
      throw e;
    }
    if (result === VIR_DOMAIN_BLOCK_JOB_COMPLETED || result === VIR_DOMAIN_BLOCK_JOB_READY) progress?.done();
    else progress?.stop();
    return result;
  }
}

/** Starts a job with `begin` and, when `blocking`, waits for it as virsh does: the outcome, or null when not waited for. */
async function runJob(c: Context, io: ProgressIo, dom: RemoteNonnullDomain, dev: string, blocking: boolean, o: WaitOptions, begin: () => Promise<void>): Promise<number | null> {
  const waiter = blocking ? await BlockJobWait.start(c, dom, dev) : null;
  try {
    await begin();
    return waiter ? await waiter.wait(o, io) : null;
  } finally {
    await waiter?.close();
  }
}

/** virsh's words for a job that was aborted or failed: printed, and the command fails. */
function endedBadly(result: number, noun: string): void {
  if (result === VIR_DOMAIN_BLOCK_JOB_CANCELED) throw new FailureReport(`\n${noun} aborted\n`);
  if (result === VIR_DOMAIN_BLOCK_JOB_FAILED) throw new FailureReport(`\n${noun} failed\n`);
}

// ---------------------------------------------------------------------------------------
// blockcopy, blockpull, blockcommit

export interface BlockcopyOptions {
  dest?: string;
  xml?: string;
  format?: string;
  blockdev?: boolean;
  wait?: boolean;
  verbose?: boolean;
  timeout?: string;
  pivot?: boolean;
  finish?: boolean;
  async?: boolean;
  shallow?: boolean;
  reuseExternal?: boolean;
  bandwidth?: string;
  granularity?: string;
  bufSize?: string;
  bytes?: boolean;
  transientJob?: boolean;
  synchronousWrites?: boolean;
  printXml?: boolean;
}

/** virBufferEscapeString's escaping of a value put between single quotes. */
const escapeQuoted = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');

/** The destination virsh describes for the newer block copy call. */
export function copyDestinationXml(dest: string | undefined, format: string | undefined, blockdev: boolean): string {
  const source = blockdev ? `  <source dev='${escapeQuoted(dest ?? '')}'/>\n` : `  <source file='${escapeQuoted(dest ?? '')}'/>\n`;
  const driver = format !== undefined ? `  <driver type='${escapeQuoted(format)}'/>\n` : '';
  return `<disk type='${blockdev ? 'block' : 'file'}'>\n${source}${driver}</disk>\n`;
}

/**
 * `blockcopy DOMAIN PATH (--dest FILE | --xml FILE) [options]`: a mirror of the disk; with
 * --wait (or --pivot, --finish, --timeout) until it is in its mirroring phase, then pivoted to
 * the copy, finished, or left mirroring.
 */
export async function blockcopy(c: Context, io: ProgressIo, ref: string, path: string, o: BlockcopyOptions): Promise<string> {
  const bytes = !!o.bytes;
  let bandwidth = bandwidthOption(o.bandwidth, bytes);
  const granularity = o.granularity === undefined ? 0n : unsignedOption('granularity', o.granularity, UINT_MAX);
  const bufSize = o.bufSize === undefined ? 0n : unsignedOption('buf-size', o.bufSize);
  let flags = (o.shallow ? VIR_DOMAIN_BLOCK_COPY_SHALLOW : 0) | (o.reuseExternal ? VIR_DOMAIN_BLOCK_COPY_REUSE_EXT : 0);
  if (o.transientJob) flags |= VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB;
  if (o.synchronousWrites) flags |= VIR_DOMAIN_BLOCK_COPY_SYNCHRONOUS_WRITES;
  const timeoutMs = timeoutOption(o.timeout);
  const blocking = !!(o.wait || o.finish || o.pivot || timeoutMs);
  exclusive('dest', o.dest !== undefined, 'xml', o.xml !== undefined);
  exclusive('format', o.format !== undefined, 'xml', o.xml !== undefined);
  exclusive('blockdev', o.blockdev, 'xml', o.xml !== undefined);
  exclusive('pivot', o.pivot, 'finish', o.finish);
  if (o.dest === undefined && o.xml === undefined) throw new Error('need either --dest or --xml');
  if (!blocking) {
    if (o.verbose) throw new Error('--verbose requires at least one of --timeout, --wait, --pivot, or --finish');
    if (o.async) throw new Error('--async requires at least one of --timeout, --wait, --pivot, or --finish');
  }
  const dom = await findDomain(c.conn, ref);
  const wait: WaitOptions = { label: 'Block Copy', verbose: !!o.verbose, timeoutMs, asyncAbort: !!o.async };
  const newApi = granularity || bufSize || (o.format !== undefined && o.format !== 'raw') || o.xml !== undefined || o.transientJob || o.synchronousWrites || o.printXml;
  let begin: () => Promise<void>;
  if (newApi) {
    const params: TypedParamsInput = {};
    if (bandwidth) {
      if (!bytes) {
        // The call takes bytes/s; MiB/s beyond this would not fit.
        const limit = ULONG_MAX >> 20n;
        if (bandwidth > limit) throw new Error(`bandwidth must be less than ${limit}`);
        bandwidth <<= 20n;
      }
      params[VIR_DOMAIN_BLOCK_COPY_BANDWIDTH] = { type: 'ullong', value: bandwidth };
    }
    if (granularity) params[VIR_DOMAIN_BLOCK_COPY_GRANULARITY] = { type: 'uint', value: Number(granularity) };
    if (bufSize) params[VIR_DOMAIN_BLOCK_COPY_BUF_SIZE] = { type: 'ullong', value: bufSize };
    const xml = o.xml !== undefined ? readVirshFile(o.xml) : copyDestinationXml(o.dest, o.format, !!o.blockdev);
    if (o.printXml) return `${xml}\n`;
    begin = () => c.conn.domainBlockCopy(dom, path, xml, params, flags);
  } else {
    flags |= VIR_DOMAIN_BLOCK_REBASE_COPY;
    if (o.blockdev) flags |= VIR_DOMAIN_BLOCK_REBASE_COPY_DEV;
    if (o.format === 'raw') flags |= VIR_DOMAIN_BLOCK_REBASE_COPY_RAW;
    if (bytes) flags |= VIR_DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES;
    begin = () => c.conn.domainBlockRebase(dom, path, o.dest ?? null, bandwidth, flags);
  }
  const result = await runJob(c, io, dom, path, blocking, wait, begin);
  if (result === null) return 'Block Copy started\n';
  endedBadly(result, 'Copy');
  const abortFlags = o.async ? VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC : 0;
  if (o.pivot) {
    await c.conn.domainBlockJobAbort(dom, path, abortFlags | VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT).catch((e: unknown) => {
      throw failed(`failed to pivot job for disk ${path}`, e);
    });
    return '\nSuccessfully pivoted\n';
  }
  if (o.finish) {
    await c.conn.domainBlockJobAbort(dom, path, abortFlags).catch((e: unknown) => {
      throw failed(`failed to finish job for disk ${path}`, e);
    });
    return '\nSuccessfully copied\n';
  }
  return '\nNow in mirroring phase\n';
}

export interface BlockpullOptions {
  bandwidth?: string;
  base?: string;
  wait?: boolean;
  verbose?: boolean;
  timeout?: string;
  async?: boolean;
  keepRelative?: boolean;
  bytes?: boolean;
}

/** `blockpull DOMAIN PATH [--base FILE] [--wait [--verbose] [--timeout S] [--async]] [options]`: the backing chain's data pulled into the disk. */
export async function blockpull(c: Context, io: ProgressIo, ref: string, path: string, o: BlockpullOptions): Promise<string> {
  if (o.verbose && !o.wait) throw new Error('Option --wait is required by option --verbose');
  if (o.async && !o.wait) throw new Error('Option --wait is required by option --async');
  const bytes = !!o.bytes;
  const bandwidth = bandwidthOption(o.bandwidth, bytes);
  const timeoutMs = timeoutOption(o.timeout);
  let flags = o.keepRelative ? VIR_DOMAIN_BLOCK_REBASE_RELATIVE : 0;
  const dom = await findDomain(c.conn, ref);
  const wait: WaitOptions = { label: 'Block Pull', verbose: !!o.verbose, timeoutMs, asyncAbort: !!o.async };
  const result = await runJob(c, io, dom, path, !!o.wait, wait, () => {
    // The older call has no base; virsh keeps to it when it can.
    if (o.base !== undefined || flags) {
      if (bytes) flags |= VIR_DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES;
      return c.conn.domainBlockRebase(dom, path, o.base ?? null, bandwidth, flags);
    }
    return c.conn.domainBlockPull(dom, path, bandwidth, bytes ? VIR_DOMAIN_BLOCK_PULL_BANDWIDTH_BYTES : 0);
  });
  if (result === null) return 'Block Pull started\n';
  endedBadly(result, 'Pull');
  return '\nPull complete\n';
}

export interface BlockcommitOptions {
  bandwidth?: string;
  base?: string;
  shallow?: boolean;
  top?: string;
  active?: boolean;
  delete?: boolean;
  wait?: boolean;
  verbose?: boolean;
  timeout?: string;
  pivot?: boolean;
  keepOverlay?: boolean;
  async?: boolean;
  keepRelative?: boolean;
  bytes?: boolean;
}

/**
 * `blockcommit DOMAIN PATH [--base FILE] [--top FILE] [--active] [options]`: a layer of the
 * chain committed into the one below; an active commit can be pivoted or finished.
 */
export async function blockcommit(c: Context, io: ProgressIo, ref: string, path: string, o: BlockcommitOptions): Promise<string> {
  exclusive('pivot', o.pivot, 'keep-overlay', o.keepOverlay);
  const active = !!(o.active || o.pivot || o.keepOverlay);
  const bytes = !!o.bytes;
  const bandwidth = bandwidthOption(o.bandwidth, bytes);
  const flags =
    (bytes ? VIR_DOMAIN_BLOCK_COMMIT_BANDWIDTH_BYTES : 0) |
    (o.shallow ? VIR_DOMAIN_BLOCK_COMMIT_SHALLOW : 0) |
    (o.delete ? VIR_DOMAIN_BLOCK_COMMIT_DELETE : 0) |
    (active ? VIR_DOMAIN_BLOCK_COMMIT_ACTIVE : 0) |
    (o.keepRelative ? VIR_DOMAIN_BLOCK_COMMIT_RELATIVE : 0);
  const timeoutMs = timeoutOption(o.timeout);
  const blocking = !!(o.wait || o.pivot || o.keepOverlay || timeoutMs);
  if (!blocking) {
    if (o.verbose) throw new Error('--verbose requires at least one of --timeout, --wait, --pivot, or --keep-overlay');
    if (o.async) throw new Error('--async requires at least one of --timeout, --wait, --pivot, or --keep-overlay');
  }
  const dom = await findDomain(c.conn, ref);
  const wait: WaitOptions = { label: 'Block commit', verbose: !!o.verbose, timeoutMs, asyncAbort: !!o.async };
  const result = await runJob(c, io, dom, path, blocking, wait, () => c.conn.domainBlockCommit(dom, path, o.base ?? null, o.top ?? null, bandwidth, flags));
  if (result === null) return active ? 'Active Block Commit started\n' : 'Block Commit started\n';
  endedBadly(result, 'Commit');
  if (!active) return '\nCommit complete\n';
  const abortFlags = o.async ? VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC : 0;
  if (o.pivot) {
    await c.conn.domainBlockJobAbort(dom, path, abortFlags | VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT).catch((e: unknown) => {
      throw failed(`failed to pivot job for disk ${path}`, e);
    });
    return '\nSuccessfully pivoted\n';
  }
  if (o.keepOverlay) {
    await c.conn.domainBlockJobAbort(dom, path, abortFlags).catch((e: unknown) => {
      throw failed(`failed to finish job for disk ${path}`, e);
    });
    return '\nCommit complete, overlay image kept\n';
  }
  return '\nNow in synchronized phase\n';
}

// ---------------------------------------------------------------------------------------
// blockjob

export interface BlockjobOptions {
  abort?: boolean;
  async?: boolean;
  pivot?: boolean;
  info?: boolean;
  bytes?: boolean;
  raw?: boolean;
  bandwidth?: string;
}

/**
 * `blockjob DOMAIN PATH`: the job's progress (on stderr, as virsh prints it) and bandwidth,
 * or with `--raw` its figures; `--bandwidth N` throttles it; `--abort`, `--async`, `--pivot`
 * end it.
 */
export async function blockjob(c: Context, io: ProgressIo, ref: string, path: string, o: BlockjobOptions): Promise<string> {
  const bandwidthGiven = o.bandwidth !== undefined;
  exclusive('raw', o.raw, 'abort', o.abort);
  exclusive('raw', o.raw, 'pivot', o.pivot);
  exclusive('raw', o.raw, 'async', o.async);
  exclusive('raw', o.raw, 'bandwidth', bandwidthGiven);
  exclusive('info', o.info, 'abort', o.abort);
  exclusive('info', o.info, 'pivot', o.pivot);
  exclusive('info', o.info, 'async', o.async);
  exclusive('info', o.info, 'bandwidth', bandwidthGiven);
  exclusive('bytes', o.bytes, 'abort', o.abort);
  exclusive('bytes', o.bytes, 'pivot', o.pivot);
  exclusive('bytes', o.bytes, 'async', o.async);
  const dom = await findDomain(c.conn, ref);
  if (bandwidthGiven) {
    const bandwidth = bandwidthOption(o.bandwidth, !!o.bytes);
    await c.conn.domainBlockJobSetSpeed(dom, path, bandwidth, o.bytes ? VIR_DOMAIN_BLOCK_JOB_SPEED_BANDWIDTH_BYTES : 0);
    return '\n';
  }
  if (o.abort || o.pivot || o.async) {
    await c.conn.domainBlockJobAbort(dom, path, (o.async ? VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC : 0) | (o.pivot ? VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT : 0));
    return '\n';
  }
  return blockjobInfo(c, io, dom, path, !!o.raw, !!o.bytes);
}

/** virsh's job report: bytes/s asked for first, falling back to MiB/s where the daemon cannot say bytes. */
async function blockjobInfo(c: Context, io: ProgressIo, dom: RemoteNonnullDomain, path: string, raw: boolean, bytes: boolean): Promise<string> {
  let info: RemoteDomainGetBlockJobInfoRet | undefined;
  let speed = 0n;
  if (bytes || !raw) {
    info = await c.conn.domainGetBlockJobInfo(dom, path, VIR_DOMAIN_BLOCK_JOB_INFO_BANDWIDTH_BYTES).catch((e: unknown) => {
      const retry = e instanceof LibvirtError && (e.code === VIR_ERR_INVALID_ARG || e.code === VIR_ERR_OVERFLOW) && !bytes && !raw;
      if (!retry) throw e;
      return undefined;
    });
    if (info) speed = info.bandwidth;
  }
  if (!info) {
    info = await c.conn.domainGetBlockJobInfo(dom, path, 0);
    speed = info.bandwidth;
    if (!raw) {
      speed <<= 20n;
      if (speed >> 20n !== info.bandwidth || speed > ULONG_MAX) throw new Error(`overflow in converting ${info.bandwidth} MiB/s to bytes\n`);
    }
  }
  const type = JOB_LABELS[info.type];
  if (c.json) return toJson(info.found ? { type: type ?? null, bandwidth: speed, cur: info.cur, end: info.end } : { job: null }) + '\n';
  if (!info.found) return raw ? '\n' : `No current block job for ${path}\n`;
  if (raw) return ` type=${type ?? '(null)'}\n bandwidth=${info.bandwidth}\n cur=${info.cur}\n end=${info.end}\n\n`;
  // virsh puts the progress figure on stderr, and the rest on stdout.
  io.stderr(progressLine(type ?? 'Unknown job', jobPercent(info.end - info.cur, info.end)));
  const limit = speed ? `    Bandwidth limit: ${speed} bytes/s (${prettySize(speed, 3)}/s)` : '';
  return `${limit}\n\n`;
}

// ---------------------------------------------------------------------------------------
// blockresize, domblkerror, domblkthreshold, blkdeviotune

/** `blockresize DOMAIN PATH SIZE`: SIZE a scaled integer, KiB when bare. */
export async function blockresize(c: Context, ref: string, path: string, size: string): Promise<string> {
  let value = scaledOption('size', size, 1024n);
  let flags = 0;
  // virsh keeps to the older KiB unit when the size allows it.
  if (value % 1024n === 0n) value /= 1024n;
  else flags |= VIR_DOMAIN_BLOCK_RESIZE_BYTES;
  const dom = await findDomain(c.conn, ref);
  await c.conn.domainBlockResize(dom, path, value, flags).catch((e: unknown) => {
    throw failed(`Failed to resize block device '${path}'`, e);
  });
  return `Block device '${path}' is resized\n`;
}

const DISK_ERRORS = ['no error', 'unspecified error', 'no space'];

/** `domblkerror DOMAIN`: the disks whose I/O has failed, and why. */
export async function domblkerror(c: Context, ref: string): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const { nerrors } = await c.conn.domainGetDiskErrors(dom, 0, 0);
  const errors = nerrors > 0 ? (await c.conn.domainGetDiskErrors(dom, nerrors, 0)).errors : [];
  if (c.json) return toJson(errors.map((e) => ({ disk: e.disk, error: DISK_ERRORS[e.error] ?? null }))) + '\n';
  if (!errors.length) return 'No errors found\n\n';
  return errors.map((e) => `${e.disk}: ${DISK_ERRORS[e.error] ?? ''}\n`).join('') + '\n';
}

/** `domblkthreshold DOMAIN DEV THRESHOLD`: a block-threshold event when the disk's allocation passes THRESHOLD (bytes, scaled). */
export async function domblkthreshold(c: Context, ref: string, dev: string, threshold: string): Promise<string> {
  const bytes = scaledOption('threshold', threshold);
  const dom = await findDomain(c.conn, ref);
  await c.conn.domainSetBlockThreshold(dom, dev, bytes, 0);
  return '\n';
}

/** blkdeviotune's options in the order virsh sends them: option, parameter, a size (scaled) or a count, help. */
const IOTUNE: [option: string, param: string, scaled: boolean, help: string][] = [
  ['total-bytes-sec', 'total_bytes_sec', true, 'total throughput limit, as scaled integer (default bytes)'],
  ['read-bytes-sec', 'read_bytes_sec', true, 'read throughput limit, as scaled integer (default bytes)'],
  ['write-bytes-sec', 'write_bytes_sec', true, 'write throughput limit, as scaled integer (default bytes)'],
  ['total-bytes-sec-max', 'total_bytes_sec_max', true, 'total max, as scaled integer (default bytes)'],
  ['read-bytes-sec-max', 'read_bytes_sec_max', true, 'read max, as scaled integer (default bytes)'],
  ['write-bytes-sec-max', 'write_bytes_sec_max', true, 'write max, as scaled integer (default bytes)'],
  ['total-iops-sec', 'total_iops_sec', false, 'total I/O operations limit per second'],
  ['read-iops-sec', 'read_iops_sec', false, 'read I/O operations limit per second'],
  ['write-iops-sec', 'write_iops_sec', false, 'write I/O operations limit per second'],
  ['total-iops-sec-max', 'total_iops_sec_max', false, 'total I/O operations max'],
  ['read-iops-sec-max', 'read_iops_sec_max', false, 'read I/O operations max'],
  ['write-iops-sec-max', 'write_iops_sec_max', false, 'write I/O operations max'],
  ['size-iops-sec', 'size_iops_sec', false, 'I/O size in bytes'],
  ['total-bytes-sec-max-length', 'total_bytes_sec_max_length', false, 'duration in seconds to allow total max bytes'],
  ['read-bytes-sec-max-length', 'read_bytes_sec_max_length', false, 'duration in seconds to allow read max bytes'],
  ['write-bytes-sec-max-length', 'write_bytes_sec_max_length', false, 'duration in seconds to allow write max bytes'],
  ['total-iops-sec-max-length', 'total_iops_sec_max_length', false, 'duration in seconds to allow total I/O operations max'],
  ['read-iops-sec-max-length', 'read_iops_sec_max_length', false, 'duration in seconds to allow read I/O operations max'],
  ['write-iops-sec-max-length', 'write_iops_sec_max_length', false, 'duration in seconds to allow write I/O operations max'],
];

const camel = (option: string) => option.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());

/** A parameter as virsh prints it, by its type. */
const paramText = (params: TypedParams, name: string) => typedParamText(params[name], typedParamTypes(params)?.[name]);

/**
 * `blkdeviotune DOMAIN DEVICE [--total-bytes-sec N ...] [--group-name G] [--config] [--live]
 * [--current]`: sets the throttles given, or with none prints the current ones.
 */
export async function blkdeviotune(c: Context, ref: string, disk: string, o: AffectOptions & Record<string, string | boolean | undefined>): Promise<string> {
  exclusive('current', o.current, 'live', o.live);
  exclusive('current', o.current, 'config', o.config);
  const flags = (o.config ? VIR_DOMAIN_AFFECT_CONFIG : 0) | (o.live ? VIR_DOMAIN_AFFECT_LIVE : 0);
  const dom = await findDomain(c.conn, ref);
  const params: TypedParamsInput = {};
  for (const [option, param, scaled] of IOTUNE) {
    // virsh also takes the underscore spellings of the older releases.
    const text = (o[camel(option)] ?? o[option.replace(/-/g, '_')]) as string | undefined;
    if (text === undefined) continue;
    try {
      params[param] = { type: 'ullong', value: scaled ? scaledOption(option, text) : unsignedOption(option, text) };
    } catch (e) {
      const { complaint, reason } = e as OptionError;
      throw new OptionError(`${complaint}\nerror: Unable to parse integer parameter`, reason);
    }
  }
  const group = (o.groupName ?? o.group_name) as string | undefined;
  if (group !== undefined) params.group_name = { type: 'string', value: group };
  if (Object.keys(params).length) {
    await c.conn.domainSetBlockIoTune(dom, disk, params, flags).catch((e: unknown) => {
      throw failed('Unable to change block I/O throttle', e);
    });
    return '\n';
  }
  const { nparams } = await c.conn.domainGetBlockIoTune(dom, null, 0, flags).catch((e: unknown) => {
    throw failed('Unable to get number of block I/O throttle parameters', e);
  });
  if (!nparams) return c.json ? '{}\n' : '\n';
  const current = await c.conn.domainGetBlockIoTune(dom, disk, nparams, flags).catch((e: unknown) => {
    throw failed('Unable to get block I/O throttle parameters', e);
  });
  if (c.json) return toJson(current.params) + '\n';
  return Object.keys(current.params).map((k) => `${k.padEnd(15)}: ${paramText(current.params, k)}\n`).join('') + '\n';
}

// ---------------------------------------------------------------------------------------
// change-media

/** libxml's serialization of a node, as virsh hands a disk's XML on (double quotes, verbatim white space). */
function serialize(node: XmlNode): string {
  switch (node.kind) {
    case 'text':
      return node.cdata ? `<![CDATA[${node.text}]]>` : escapeText(node.text);
    case 'comment':
      return `<!--${node.text}-->`;
    case 'pi':
      return `<?${node.target}${node.text ? ` ${node.text}` : ''}?>`;
    case 'element': {
      const attrs = node.attrs.map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
      return node.children.length ? `<${node.name}${attrs}>${node.children.map(serialize).join('')}</${node.name}>` : `<${node.name}${attrs}/>`;
    }
  }
}

const elements = (e: XmlElement) => e.children.filter((n): n is XmlElement => n.kind === 'element');
const attr = (e: XmlElement | undefined, name: string) => e?.attrs.find(([k]) => k === name)?.[1];

function setAttr(e: XmlElement, name: string, value: string): void {
  const at = e.attrs.find(([k]) => k === name);
  if (at) at[1] = value;
  else e.attrs.push([name, value]);
}

/** virshFindDisk: the removable disk whose target or source is `path`, without its backing chain. */
function findChangeableDisk(doc: string, path: string): XmlElement {
  const devices = readXml(doc).root.children.find((n): n is XmlElement => n.kind === 'element' && n.name === 'devices');
  const disks = devices ? elements(devices).filter((e) => e.name === 'disk') : [];
  if (!disks.length) throw new Error('Failed to get disk information');
  for (const disk of disks) {
    const device = attr(disk, 'device');
    if (device !== undefined && device !== 'cdrom' && device !== 'floppy') continue;
    const source = elements(disk).find((e) => e.name === 'source');
    const target = elements(disk).find((e) => e.name === 'target');
    if ([attr(target, 'dev'), attr(source, 'file'), attr(source, 'dev'), attr(source, 'dir'), attr(source, 'name')].includes(path)) {
      const backing = disk.children.findIndex((n) => n.kind === 'element' && n.name === 'backingStore');
      if (backing >= 0) disk.children.splice(backing, 1);
      return disk;
    }
  }
  throw new Error(`No disk found whose source path or target is ${path}`);
}

type MediaAction = 'eject' | 'insert' | 'update';

/** virshUpdateDiskXML: the disk with its media taken out, put in, or changed. */
function updateDiskXml(disk: XmlElement, newSource: string | undefined, block: boolean, path: string, action: MediaAction): string {
  const device = attr(disk, 'device');
  if (device !== 'cdrom' && device !== 'floppy') throw new Error(`The disk device '${path}' is not removable`);
  const at = disk.children.findIndex((n) => n.kind === 'element' && n.name === 'source');
  const source = at >= 0 ? (disk.children[at] as XmlElement) : undefined;
  if (action === 'eject') {
    if (!source) throw new Error(`The disk device '${path}' doesn't have media`);
    block = false;
    newSource = undefined;
  } else if (newSource === undefined) throw new Error('New disk media source was not specified');
  let startupPolicy: string | undefined;
  if (source) {
    const media = attr(source, 'file') ?? attr(source, 'dev') ?? attr(source, 'dir') ?? attr(source, 'pool') ?? attr(source, 'name');
    if (media !== undefined && action === 'insert') throw new Error(`The disk device '${path}' already has media`);
    startupPolicy = attr(source, 'startupPolicy');
    // The white space around the old element stays, as libxml leaves it.
    disk.children.splice(at, 1);
  }
  setAttr(disk, 'type', block ? 'block' : 'file');
  if (newSource !== undefined) {
    const fresh: XmlElement = { kind: 'element', name: 'source', attrs: [[block ? 'dev' : 'file', newSource], ...(startupPolicy !== undefined ? [['startupPolicy', startupPolicy] as [string, string]] : [])], children: [] };
    // virsh puts the new source just before <target>, on a line of its own.
    const target = disk.children.findIndex((n) => n.kind === 'element' && n.name === 'target');
    if (target < 0) disk.children.push(fresh);
    else {
      const before = disk.children[target - 1];
      const indent = before?.kind === 'text' && !before.text.trim() ? before.text : '\n';
      disk.children.splice(target, 0, fresh, { kind: 'text', text: indent });
    }
  }
  return serialize(disk);
}

export interface ChangeMediaOptions extends AffectOptions {
  source?: string;
  eject?: boolean;
  insert?: boolean;
  update?: boolean;
  force?: boolean;
  printXml?: boolean;
  block?: boolean;
}

/** `change-media DOMAIN PATH [SOURCE] [--eject | --insert | --update] [--block] [--force] [--print-xml] [--config] [--live] [--current]`. */
export async function changeMedia(c: Context, ref: string, path: string, o: ChangeMediaOptions): Promise<string> {
  let { eject, insert, update } = o;
  exclusive('eject', eject, 'insert', insert);
  exclusive('eject', eject, 'update', update);
  exclusive('insert', insert, 'update', update);
  exclusive('eject', eject, 'block', o.block);
  // An update without a source is an eject, as virsh's documentation says.
  if (update && o.source === undefined) {
    update = false;
    eject = true;
  }
  const action: MediaAction = eject ? 'eject' : insert ? 'insert' : 'update';
  exclusive('current', o.current, 'live', o.live);
  exclusive('current', o.current, 'config', o.config);
  const flags = (o.config ? VIR_DOMAIN_AFFECT_CONFIG : 0) | (o.live ? VIR_DOMAIN_AFFECT_LIVE : 0) | (o.force ? VIR_DOMAIN_DEVICE_MODIFY_FORCE : 0);
  const dom = await findDomain(c.conn, ref);
  const doc = await c.conn.domainGetXMLDesc(dom, flags & VIR_DOMAIN_AFFECT_CONFIG ? VIR_DOMAIN_XML_INACTIVE : 0);
  const xml = updateDiskXml(findChangeableDisk(doc, path), o.source, !!o.block, path, action);
  if (o.printXml) return `${xml}\n`;
  await c.conn.domainUpdateDeviceFlags(dom, xml, flags).catch((e: unknown) => {
    throw failed(`Failed to complete action ${action} on media`, e);
  });
  const done = { eject: 'ejected', insert: 'inserted', update: 'updated' } as const;
  return `Successfully ${done[action]} media.\n`;
}

// ---------------------------------------------------------------------------------------

export function register({ program, act, io }: Registry): void {
  const progressIo: ProgressIo = { isTTY: !!io.isTTY, stderr: io.stderr, ...(io.progressStream ? { stderrStream: io.progressStream } : {}) };
  program
    .command('blockjob <domain> <path>')
    .description('Manage active block operations')
    .option('--abort', 'abort the active job on the specified disk')
    .option('--async', "implies --abort; request but don't wait for job end")
    .option('--pivot', 'implies --abort; conclude and pivot a copy or commit job')
    .option('--info', 'get active job information for the specified disk')
    .option('--bytes', 'get/set bandwidth in bytes rather than MiB/s')
    .option('--raw', 'implies --info; output details rather than human summary')
    .option('--bandwidth <number>', 'set the bandwidth limit in MiB/s')
    .action((d: string, p: string, o: BlockjobOptions) => act((c) => blockjob(c, progressIo, d, p, o)));
  program
    .command('blockcopy <domain> <path>')
    .description('Start a block copy operation.')
    .option('--dest <string>', 'path of the copy to create')
    .option('--bandwidth <number>', 'bandwidth limit in MiB/s')
    .option('--shallow', 'make the copy share a backing chain')
    .option('--reuse-external', 'reuse existing destination')
    .option('--raw', 'format=raw')
    .option('--blockdev', 'copy destination is block device instead of regular file')
    .option('--wait', 'wait for job to reach mirroring phase')
    .option('--verbose', 'with --wait, display the progress')
    .option('--timeout <number>', 'implies --wait, abort if copy exceeds timeout (in seconds)')
    .option('--pivot', 'implies --wait, pivot when mirroring starts')
    .option('--finish', 'implies --wait, quit when mirroring starts')
    .option('--async', "with --wait, don't wait for cancel to finish")
    .option('--xml <string>', 'filename containing XML description of the copy destination')
    .option('--format <string>', 'format of the destination file')
    .option('--granularity <number>', 'power-of-two granularity to use during the copy')
    .option('--buf-size <number>', 'maximum amount of in-flight data during the copy')
    .option('--bytes', 'the bandwidth limit is in bytes/s rather than MiB/s')
    .option('--transient-job', 'the copy job is not persisted if VM is turned off')
    .option('--synchronous-writes', 'the copy job forces guest writes to be synchronously written to the destination')
    .option('--print-xml', 'print the XML used to start the copy job instead of starting the job')
    .action((d: string, p: string, o: BlockcopyOptions & { raw?: boolean }) =>
      act((c) => blockcopy(c, progressIo, d, p, o.raw && o.format === undefined ? { ...o, format: 'raw' } : o)),
    );
  program
    .command('blockpull <domain> <path>')
    .description('Populate a disk from its backing image.')
    .option('--bandwidth <number>', 'bandwidth limit in MiB/s')
    .option('--base <string>', 'path of backing file in chain for a partial pull')
    .option('--wait', 'wait for job to finish')
    .option('--verbose', 'with --wait, display the progress')
    .option('--timeout <number>', 'with --wait, abort if pull exceeds timeout (in seconds)')
    .option('--async', "with --wait, don't wait for cancel to finish")
    .option('--keep-relative', 'keep the backing chain relatively referenced')
    .option('--bytes', 'the bandwidth limit is in bytes/s rather than MiB/s')
    .action((d: string, p: string, o: BlockpullOptions) => act((c) => blockpull(c, progressIo, d, p, o)));
  program
    .command('blockcommit <domain> <path>')
    .description('Start a block commit operation.')
    .option('--bandwidth <number>', 'bandwidth limit in MiB/s')
    .option('--base <string>', 'path of base file to commit into (default bottom of chain)')
    .option('--shallow', 'use backing file of top as base')
    .option('--top <string>', 'path of top file to commit from (default top of chain)')
    .option('--active', 'trigger two-stage active commit of top file')
    .option('--delete', 'delete files that were successfully committed')
    .option('--wait', 'wait for job to complete (with --active, wait for job to sync)')
    .option('--verbose', 'with --wait, display the progress')
    .option('--timeout <number>', 'implies --wait, abort if copy exceeds timeout (in seconds)')
    .option('--pivot', 'implies --active --wait, pivot when commit is synced')
    .option('--keep-overlay', 'implies --active --wait, quit when commit is synced')
    .option('--async', "with --wait, don't wait for cancel to finish")
    .option('--keep-relative', 'keep the backing chain relatively referenced')
    .option('--bytes', 'the bandwidth limit is in bytes/s rather than MiB/s')
    .action((d: string, p: string, o: BlockcommitOptions) => act((c) => blockcommit(c, progressIo, d, p, o)));
  program
    .command('blockresize <domain> <path> <size>')
    .description('Resize block device of domain.')
    .action((d: string, p: string, s: string) => act((c) => blockresize(c, d, p, s)));
  program
    .command('domblkerror <domain>')
    .description('Show errors on block devices')
    .action((d: string) => act((c) => domblkerror(c, d)));
  program
    .command('domblkthreshold <domain> <dev> <threshold>')
    .description('set the threshold for block-threshold event for a given block device or it\'s backing chain element')
    .action((d: string, dev: string, t: string) => act((c) => domblkthreshold(c, d, dev, t)));
  const iotune = program.command('blkdeviotune <domain> <device>').description('Set or query a block device I/O tuning parameters.');
  for (const [option, , , help] of IOTUNE) iotune.option(`--${option} <number>`, help);
  iotune.option('--group-name <string>', 'group name to share I/O quota between multiple drives');
  // The underscore spellings virsh still accepts, kept out of the help as virsh keeps them.
  for (const [option] of IOTUNE) iotune.addOption(hidden(`--${option.replace(/-/g, '_')} <number>`));
  iotune.addOption(hidden('--group_name <string>'));
  affectOptions(iotune).action((d: string, dev: string, o: AffectOptions & Record<string, string | boolean | undefined>) => act((c) => blkdeviotune(c, d, dev, o)));
  const media = program
    .command('change-media <domain> <path> [source]')
    .description('Change media of CD or floppy drive')
    .option('--source <string>', 'source of the media')
    .option('--eject', 'Eject the media')
    .option('--insert', 'Insert the media')
    .option('--update', 'Update the media')
    .option('--current', 'can be either or both of --live and --config, depends on implementation hypervisor driver')
    .option('--live', 'alter live configuration of running domain')
    .option('--config', 'alter persistent configuration, effect observed on next boot')
    .option('--force', 'force media changing')
    .option('--print-xml', 'print XML document rather than change media')
    .option('--block', 'source media is a block device');
  media.action((d: string, p: string, source: string | undefined, o: ChangeMediaOptions) => act((c) => changeMedia(c, d, p, { ...o, source: o.source ?? source })));
}

/** An option virsh takes but does not list. */
const hidden = (flags: string) => new Option(flags).hideHelp();
