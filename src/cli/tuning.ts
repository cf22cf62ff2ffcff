/**
 * virsh's commands for a domain's CPU, memory and I/O tuning: `vcpuinfo`, `vcpupin`,
 * `emulatorpin`, `setvcpu`, `guestvcpus`, the `iothread*` commands, `memtune`, `numatune`,
 * `schedinfo`, `blkiotune`, `domiftune`, `perf` and `cpu-stats`; and, from display.ts, the
 * ways into a running domain (`domdisplay`, `vncdisplay`, `ttyconsole`, `domcontrol`).
 *
 * As in virsh, every option that takes a value can also be given by position, in the order of
 * virsh's option table (`vcpupin DOMAIN 0 0-1`, `memtune DOMAIN 1G`); parse errors (unexpected
 * data, a missing required option) are reported before anything runs, the others after the
 * connection opened, with virsh's blank line. Each command checks its options and calls the
 * daemon in virsh's order, so the first error is the one virsh reports.
 */
import { type Command, CommanderError } from 'commander';
import type { RemoteNonnullDomain, RemoteTypedParam } from '../../protocol/remote.js';
import {
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_MEMORY_PARAM_UNLIMITED,
  VIR_DOMAIN_SHUTOFF,
  VIR_DOMAIN_VCPU_MAXIMUM,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_ERR_INVALID_ARG,
  VIR_ERR_NO_SUPPORT,
} from '../../protocol/constants.js';
import { LibvirtError } from '../errors.js';
import { type TypedParamType, type TypedParamValue, type TypedParams, type TypedParamsInput, typedParamTypes } from '../xdr/index.js';
import { type Context, findDomain, typedXml } from './commands.js';
import { FailureAfterOutput, domcontrol, domdisplay, ttyconsole, vncdisplay } from './display.js';
import { cFixed, table, toJson, typedParamText } from './format.js';
import { type AffectOptions, FailureReport, type Registry, affectOptions } from './registry.js';
import { type WordSlot, fillFromWords, optionKey } from './virsh-args.js';
import { INT, LLONG, UINT, ULLONG, exclusive, failed, integerValue, parseCInteger, scaleInteger } from './virsh-options.js';

// ---------------------------------------------------------------------------------------
// Options as virsh reads them

/** C's integer types, by the names the options below use. */
const INT_RANGES = { int: INT, uint: UINT, llong: LLONG, ullong: ULLONG } as const;

/** A numeric option as vshCommandOptInt/UInt/ULongLong read it, or virsh's complaint. */
const numberOption = (name: string, text: string, kind: keyof typeof INT_RANGES): bigint => integerValue(name, text, INT_RANGES[kind][0], INT_RANGES[kind][1]);

/** virsh's refusal of an empty string for an option that needs one. */
function nonEmpty(name: string, text: string | undefined): string | undefined {
  if (text === '') throw new Error(`Failed to get option '${name}': Option argument is empty`);
  return text;
}

/** `--config --live --current` as virsh checks and combines them. */
function affectFlags(o: AffectOptions): number {
  if (o.current && o.live) throw new Error('Options --current and --live are mutually exclusive');
  if (o.current && o.config) throw new Error('Options --current and --config are mutually exclusive');
  return (o.config ? VIR_DOMAIN_AFFECT_CONFIG : 0) | (o.live ? VIR_DOMAIN_AFFECT_LIVE : 0);
}

/** libvirt's wording of an invalid-argument error raised in the client library itself. */
const invalidArg = (message: string) => `invalid argument: ${message}`;

// ---------------------------------------------------------------------------------------
// CPU lists and maps

/**
 * libvirt's virBitmapParse: comma-separated CPU numbers, `N-M` ranges and `^N` exclusions,
 * white space around them allowed, every bit below `size`; undefined when malformed.
 */
export function parseBitmap(text: string, size = 1024): Set<number> | undefined {
  const bits = new Set<number>();
  const space = /[\t\n\v\f\r ]/;
  let i = 0;
  const skipSpaces = () => {
    while (i < text.length && space.test(text[i]!)) i++;
  };
  // strtol: white space, a sign and digits, within an int.
  const readInt = (): number | undefined => {
    const m = /^[\t\n\v\f\r ]*[+-]?\d+/.exec(text.slice(i));
    if (!m) return undefined;
    const v = Number(m[0].trim());
    if (v < -(2 ** 31) || v > 2 ** 31 - 1) return undefined;
    i += m[0].length;
    return v;
  };
  skipSpaces();
  if (i >= text.length) return undefined;
  while (i < text.length) {
    let negate = false;
    if (text[i] === '^') {
      negate = true;
      i++;
    }
    if (!/\d/.test(text[i] ?? '')) return undefined;
    const start = readInt();
    if (start === undefined || start < 0) return undefined;
    skipSpaces();
    if (i >= text.length || text[i] === ',') {
      if (start >= size) return undefined;
      if (negate) bits.delete(start);
      else bits.add(start);
    } else if (text[i] === '-') {
      if (negate) return undefined;
      i++;
      skipSpaces();
      const last = readInt();
      if (last === undefined || last < start || last >= size) return undefined;
      for (let b = start; b <= last; b++) bits.add(b);
      skipSpaces();
    }
    if (text[i] === ',') {
      i++;
      skipSpaces();
    } else if (i < text.length) return undefined;
  }
  return bits;
}

/** A CPU map's set bits as virsh prints them: `0-3,6`. */
export function formatCpumap(map: Uint8Array): string {
  const runs: string[] = [];
  const nbits = map.length * 8;
  const set = (b: number) => (map[b >> 3]! & (1 << (b & 7))) !== 0;
  for (let b = 0; b < nbits; b++) {
    if (!set(b)) continue;
    let end = b;
    while (end + 1 < nbits && set(end + 1)) end++;
    runs.push(end === b ? String(b) : `${b}-${end}`);
    b = end;
  }
  return runs.join(',');
}

/** Bytes for a CPU map of `maxcpu` CPUs (libvirt's VIR_CPU_MAPLEN). */
const mapLength = (maxcpu: number) => (maxcpu + 7) >> 3;

function cpumapOf(bits: Iterable<number>, length?: number): Uint8Array {
  const list = [...bits];
  const map = new Uint8Array(length ?? (list.length ? (Math.max(...list) >> 3) + 1 : 1));
  for (const b of list) map[b >> 3]! |= 1 << (b & 7);
  return map;
}

/** The host's CPU count as virsh finds it: the CPU map's size, else the node information's. */
async function nodeCpuCount(c: Context): Promise<number> {
  try {
    return (await c.conn.nodeGetCPUMap(0, 0, 0)).ret;
  } catch (e) {
    if (!(e instanceof LibvirtError)) throw e;
    const i = await c.conn.nodeGetInfo();
    return i.nodes * i.sockets * i.cores * i.threads;
  }
}

/** virsh's CPU list: `r` (every host CPU) or a list of CPUs below `maxcpu`, as a CPU map. */
function parseCpuList(cpulist: string, maxcpu: number): Uint8Array {
  if (cpulist.startsWith('r')) return cpumapOf(Array.from({ length: maxcpu }, (_, k) => k), mapLength(maxcpu));
  const bits = parseBitmap(cpulist);
  if (!bits) throw new Error(`Invalid cpulist '${cpulist}'\nerror: ${invalidArg(`Failed to parse bitmap '${cpulist}'`)}`);
  if (!bits.size) throw new Error(`Invalid cpulist '${cpulist}'`);
  const last = Math.max(...bits);
  if (last >= maxcpu) throw new Error(`CPU ${last} in cpulist '${cpulist}' exceed the maxcpu ${maxcpu}`);
  return cpumapOf(bits);
}

// ---------------------------------------------------------------------------------------
// Typed parameters as virsh prints them

/** `field          : value` lines (C's `%-15s: %s`), `special` overriding a value's text. */
function paramLines(params: TypedParams, special?: (field: string, value: TypedParamValue, type: TypedParamType | undefined) => string | undefined): string {
  const types = typedParamTypes(params) ?? {};
  return Object.entries(params)
    .flatMap(([field, v]) => (Array.isArray(v) ? v : [v]).map((value) => `${field.padEnd(15)}: ${special?.(field, value, types[field]) ?? typedParamText(value, types[field])}\n`))
    .join('');
}

/** A parameter straight off the wire (cpu-stats keeps them so): its value and type. */
function wireValue(p: RemoteTypedParam): [TypedParamValue, TypedParamType] {
  const v = p.value;
  switch (v.type) {
    case 1:
      return [v.i, 'int'];
    case 2:
      return [v.ui, 'uint'];
    case 3:
      return [v.l, 'llong'];
    case 4:
      return [v.ul, 'ullong'];
    case 5:
      return [v.d, 'double'];
    case 6:
      return [v.b !== 0, 'boolean'];
    default:
      return [v.s, 'string'];
  }
}

/**
 * Parameters to send, in virsh's order, repeats kept: libvirt's checks (a name given twice)
 * are the daemon's to make.
 */
class ParamList {
  readonly entries: [string, TypedParamType, TypedParamValue][] = [];

  add(field: string, type: TypedParamType, value: TypedParamValue): this {
    this.entries.push([field, type, value]);
    return this;
  }

  get size(): number {
    return this.entries.length;
  }

  toInput(): TypedParamsInput {
    const input: TypedParamsInput = {};
    for (const [field, type, value] of this.entries) {
      const item = { type, value };
      const had = input[field];
      input[field] = had === undefined ? item : [...(Array.isArray(had) ? had : [had]), item];
    }
    return input;
  }

  toParams(): TypedParams {
    const params: TypedParams = {};
    for (const [field, , value] of this.entries) {
      const had = params[field];
      params[field] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
    }
    return params;
  }
}

/**
 * The get half of memtune, numatune, blkiotune and domiftune: how many parameters, then the
 * parameters, each failure with virsh's first line; null when the driver has none.
 */
async function readTunables(get: (nparams: number) => Promise<{ params: TypedParams; nparams: number }>, countFailure: string, readFailure: string): Promise<TypedParams | null> {
  let count: number;
  try {
    count = (await get(0)).nparams;
  } catch (e) {
    throw failed(countFailure, e);
  }
  if (!count) return null;
  try {
    return (await get(count)).params;
  } catch (e) {
    throw failed(readFailure, e);
  }
}

async function setTunables(set: () => Promise<void>, failure: string): Promise<string> {
  try {
    await set();
  } catch (e) {
    throw failed(failure, e);
  }
  return '\n';
}

const printTunables = (c: Context, params: TypedParams | null, special?: Parameters<typeof paramLines>[1]) =>
  c.json ? toJson(params ?? {}) + '\n' : `${params ? paramLines(params, special) : ''}\n`;

// ---------------------------------------------------------------------------------------
// vCPUs

const VCPU_STATES = ['offline', 'running', 'blocked'];

/** The `CPU Affinity:` line: one y/- per host CPU, or the CPU list with `--pretty`. */
function affinityLine(map: Uint8Array, maxcpu: number, pretty: boolean): string {
  let text = '';
  if (pretty) text = `${formatCpumap(map)} (out of ${maxcpu})`;
  else for (let i = 0; i < maxcpu; i++) text += (map[i >> 3]! & (1 << (i & 7))) !== 0 ? 'y' : '-';
  return `${'CPU Affinity:'.padEnd(15)} ${text}\n`;
}

/** The enabled vCPUs of the inactive definition, as virsh reads them from the XML. */
async function definedVcpus(c: Context, dom: RemoteNonnullDomain): Promise<{ max: number; enabled: number[] }> {
  const { parseDomainXML } = await typedXml();
  const def = parseDomainXML(await c.conn.domainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE));
  const max = def.vcpu?.value;
  if (max === undefined) throw new Error('Failed to retrieve maximum vcpu count');
  const current = def.vcpu?.current || max;
  const nodes = def.vcpus?.vcpu ?? [];
  const enabled = nodes.length ? nodes.filter((v) => v.enabled && v.id < max).map((v) => v.id) : Array.from({ length: current }, (_, k) => k);
  const unique = [...new Set(enabled)].sort((a, b) => a - b);
  if (unique.length !== current) throw new Error('Failed to retrieve vcpu state bitmap');
  return { max, enabled: unique };
}

/** `vcpuinfo DOMAIN [--pretty]`: each vCPU's host CPU, state, time and affinity. */
export async function vcpuinfo(c: Context, ref: string, o: { pretty?: boolean }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const maxcpu = await nodeCpuCount(c);
  const info = await c.conn.domainGetInfo(dom);
  const maplen = mapLength(maxcpu);
  let entries: { vcpu: number; cpu: number | null; state: string | null; cpuTime: bigint | null; map: Uint8Array }[];
  try {
    const got = await c.conn.domainGetVcpus(dom, info.nrVirtCpu, maplen);
    entries = got.info.map((v, n) => ({ vcpu: v.number, cpu: v.cpu, state: VCPU_STATES[v.state] ?? 'no state', cpuTime: v.cpu_time, map: got.cpumaps.subarray(n * maplen, (n + 1) * maplen) }));
  } catch (e) {
    // A domain that is off has no vCPU threads, only their pinning in the definition.
    if (!(e instanceof LibvirtError) || info.state !== VIR_DOMAIN_SHUTOFF) throw e;
    const { max, enabled } = await definedVcpus(c, dom);
    const pins = await c.conn.domainGetVcpuPinInfo(dom, max, maplen, VIR_DOMAIN_AFFECT_CONFIG);
    entries = enabled.map((n) => ({ vcpu: n, cpu: null, state: null, cpuTime: null, map: pins.cpumaps.subarray(n * maplen, (n + 1) * maplen) }));
  }
  if (c.json) return toJson(entries.map((e) => ({ vcpu: e.vcpu, cpu: e.cpu, state: e.state, cpuTime: e.cpuTime, affinity: formatCpumap(e.map) }))) + '\n';
  const field = (name: string, value: string) => `${name.padEnd(15)} ${value}\n`;
  const blocks = entries.map((e) =>
    e.state === null
      ? field('VCPU:', String(e.vcpu)) + field('CPU:', 'N/A') + field('State:', 'N/A') + field('CPU time', 'N/A') + affinityLine(e.map, maxcpu, !!o.pretty)
      : field('VCPU:', String(e.vcpu)) +
        field('CPU:', String(e.cpu)) +
        field('State:', e.state) +
        (e.cpuTime ? field('CPU time:', `${cFixed(Number(e.cpuTime) / 1e9, 1)}s`) : '') +
        affinityLine(e.map, maxcpu, !!o.pretty),
  );
  return blocks.join('\n') + '\n';
}

/**
 * The vCPU count virsh's vcpupin checks against (its virshCPUCountCollect), or null where the
 * domain has no such state (not running for --live, transient for --config).
 */
async function vcpuCount(c: Context, dom: RemoteNonnullDomain, flags: number): Promise<number | null> {
  if ((flags & VIR_DOMAIN_AFFECT_LIVE && (await c.conn.domainIsActive(dom)) < 1) || (flags & VIR_DOMAIN_AFFECT_CONFIG && (await c.conn.domainIsPersistent(dom)) < 1)) return null;
  try {
    return await c.conn.domainGetVcpusFlags(dom, flags);
  } catch (e) {
    // An older driver has only the older calls.
    if (!(e instanceof LibvirtError) || (e.code !== VIR_ERR_NO_SUPPORT && e.code !== VIR_ERR_INVALID_ARG)) throw e;
    if (!(flags & (VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG)) && (await c.conn.domainIsActive(dom)) === 1) flags |= VIR_DOMAIN_AFFECT_LIVE;
    if (flags & VIR_DOMAIN_AFFECT_LIVE) return flags & VIR_DOMAIN_VCPU_MAXIMUM ? c.conn.domainGetMaxVcpus(dom) : (await c.conn.domainGetInfo(dom)).nrVirtCpu;
    const { parseDomainXML } = await typedXml();
    const def = parseDomainXML(await c.conn.domainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE));
    const count = flags & VIR_DOMAIN_VCPU_MAXIMUM ? def.vcpu?.value : def.vcpu?.current;
    if (count === undefined) throw new Error(flags & VIR_DOMAIN_VCPU_MAXIMUM ? 'Failed to retrieve maximum vcpu count' : 'Failed to retrieve current vcpu count');
    return count;
  }
}

/** `vcpupin DOMAIN [VCPU] [CPULIST]`: without a CPU list, the vCPUs' affinity; with one, pins a vCPU. */
export async function vcpupin(c: Context, v: { domain: string; vcpu?: string; cpulist?: string }, o: AffectOptions): Promise<string> {
  const flags = affectFlags(o);
  if (v.cpulist === undefined) exclusive('live', o.live, 'config', o.config);
  const vcpu = v.vcpu === undefined ? undefined : Number(numberOption('vcpu', v.vcpu, 'uint'));
  if (v.cpulist !== undefined && vcpu === undefined) throw new Error('vcpupin: Missing vCPU number in pin mode.');
  const maxcpu = await nodeCpuCount(c);
  const dom = await findDomain(c.conn, v.domain);
  if (v.cpulist === undefined) {
    const count = await vcpuCount(c, dom, flags | VIR_DOMAIN_VCPU_MAXIMUM);
    if (count === null) throw new Error(flags & VIR_DOMAIN_AFFECT_LIVE ? 'cannot get vcpupin for offline domain' : 'cannot get vcpupin for transient domain');
    if (vcpu !== undefined && vcpu >= count) {
      const live = flags & VIR_DOMAIN_AFFECT_LIVE || (!(flags & VIR_DOMAIN_AFFECT_CONFIG) && (await c.conn.domainIsActive(dom)) === 1);
      throw new Error(`vcpu ${vcpu} is out of range of ${live ? 'live' : 'persistent'} cpu count ${count}`);
    }
    const maplen = mapLength(maxcpu);
    // virsh reports success with no table when the daemon cannot say.
    const pins = await c.conn.domainGetVcpuPinInfo(dom, count, maplen, flags).catch((e: unknown) => {
      if (e instanceof LibvirtError) return null;
      throw e;
    });
    if (!pins) return c.json ? '[]\n' : '\n';
    const rows = Array.from({ length: pins.num }, (_, i) => ({ vcpu: i, affinity: formatCpumap(pins.cpumaps.subarray(i * maplen, (i + 1) * maplen)) })).filter((r) => vcpu === undefined || r.vcpu === vcpu);
    if (c.json) return toJson(rows) + '\n';
    return table(['VCPU', 'CPU Affinity'], rows.map((r) => [String(r.vcpu), r.affinity]));
  }
  const cpumap = parseCpuList(v.cpulist, maxcpu);
  // Without any of --config/--live/--current virsh uses the older call.
  if (flags === 0 && !o.current) await c.conn.domainPinVcpu(dom, vcpu!, cpumap);
  else await c.conn.domainPinVcpuFlags(dom, vcpu!, cpumap, flags);
  return '\n';
}

/** `emulatorpin DOMAIN [CPULIST]`: the emulator threads' affinity, or pins them. */
export async function emulatorpin(c: Context, v: { domain: string; cpulist?: string }, o: AffectOptions): Promise<string> {
  const flags = affectFlags(o);
  const given = o.config || o.live || o.current;
  const dom = await findDomain(c.conn, v.domain);
  const maxcpu = await nodeCpuCount(c);
  if (v.cpulist === undefined) {
    const { cpumaps } = await c.conn.domainGetEmulatorPinInfo(dom, mapLength(maxcpu), flags);
    const affinity = formatCpumap(cpumaps);
    if (c.json) return toJson({ affinity }) + '\n';
    return `emulator: CPU Affinity\n${'-'.repeat(34)}\n       *: ${affinity}\n\n`;
  }
  const cpumap = parseCpuList(v.cpulist, maxcpu);
  // Pinning with none of the three options changes the running domain.
  await c.conn.domainPinEmulator(dom, cpumap, given ? flags : VIR_DOMAIN_AFFECT_LIVE);
  return '\n';
}

/** `setvcpu DOMAIN VCPULIST --enable|--disable`: turns individual vCPUs on or off. */
export async function setvcpu(c: Context, v: { domain: string; vcpulist: string }, o: AffectOptions & { enable?: boolean; disable?: boolean }): Promise<string> {
  exclusive('enable', o.enable, 'disable', o.disable);
  const flags = affectFlags(o);
  if (!o.enable && !o.disable) throw new Error('one of --enable, --disable is required');
  nonEmpty('vcpulist', v.vcpulist);
  await c.conn.domainSetVcpu(await findDomain(c.conn, v.domain), v.vcpulist, o.enable ? 1 : 0, flags);
  return '\n';
}

/** `guestvcpus DOMAIN [CPULIST --enable|--disable]`: the guest's own view of its vCPUs (through its agent). */
export async function guestvcpus(c: Context, v: { domain: string; cpulist?: string }, o: { enable?: boolean; disable?: boolean }): Promise<string> {
  exclusive('enable', o.enable, 'disable', o.disable);
  for (const flag of ['enable', 'disable'] as const) if (o[flag] && v.cpulist === undefined) throw new Error(`Option --cpulist is required by option --${flag}`);
  nonEmpty('cpulist', v.cpulist);
  if (v.cpulist !== undefined && !o.enable && !o.disable) throw new Error('One of options --enable or --disable is required by option --cpulist');
  const dom = await findDomain(c.conn, v.domain);
  if (v.cpulist !== undefined) {
    await c.conn.domainSetGuestVcpus(dom, v.cpulist, o.enable ? 1 : 0, 0);
    return '\n';
  }
  return printTunables(c, await c.conn.domainGetGuestVcpus(dom, 0));
}

// ---------------------------------------------------------------------------------------
// IOThreads

/** `iothreadinfo DOMAIN`: the IOThreads and their CPU affinity. */
export async function iothreadinfo(c: Context, ref: string, o: AffectOptions): Promise<string> {
  const flags = affectFlags(o);
  const dom = await findDomain(c.conn, ref);
  let info;
  try {
    ({ info } = await c.conn.domainGetIOThreadInfo(dom, flags));
  } catch (e) {
    throw failed('Unable to get domain IOThreads information', e);
  }
  const rows = info.map((t) => ({ id: t.iothread_id, affinity: formatCpumap(t.cpumap) }));
  if (c.json) return toJson(rows) + '\n';
  if (!rows.length) return 'No IOThreads found for the domain\n';
  return table(['IOThread ID', 'CPU Affinity'], rows.map((r) => [String(r.id), r.affinity]));
}

/** `iothreadpin DOMAIN IOTHREAD CPULIST`. */
export async function iothreadpin(c: Context, v: { domain: string; iothread: string; cpulist: string }, o: AffectOptions): Promise<string> {
  const flags = affectFlags(o);
  const dom = await findDomain(c.conn, v.domain);
  const id = Number(numberOption('iothread', v.iothread, 'uint'));
  nonEmpty('cpulist', v.cpulist);
  const cpumap = parseCpuList(v.cpulist, await nodeCpuCount(c));
  await c.conn.domainPinIOThread(dom, id, cpumap, flags);
  return '\n';
}

/** The IOThread id of iothreadadd, iothreaddel and iothreadset: a positive int. */
function iothreadId(text: string): number {
  const id = Number(numberOption('id', text, 'int'));
  if (id <= 0) throw new Error(`Invalid IOThread id value: '${id}'`);
  return id;
}

/** `iothreadadd DOMAIN ID` and `iothreaddel DOMAIN ID`. */
export async function iothreadAddDel(c: Context, add: boolean, v: { domain: string; id: string }, o: AffectOptions): Promise<string> {
  const flags = affectFlags(o);
  const dom = await findDomain(c.conn, v.domain);
  const id = iothreadId(v.id);
  await (add ? c.conn.domainAddIOThread(dom, id, flags) : c.conn.domainDelIOThread(dom, id, flags));
  return '\n';
}

/** iothreadset's options: each virsh option, its parameter, and how virsh reads the number. */
const IOTHREAD_PARAMS = [
  ['poll-max-ns', 'poll_max_ns', 'ullong'],
  ['poll-grow', 'poll_grow', 'uint'],
  ['poll-shrink', 'poll_shrink', 'uint'],
  ['thread-pool-min', 'thread_pool_min', 'int'],
  ['thread-pool-max', 'thread_pool_max', 'int'],
] as const;

/** `iothreadset DOMAIN ID [--poll-max-ns N] [--poll-grow N] [--poll-shrink N] [--thread-pool-min N] [--thread-pool-max N]`. */
export async function iothreadset(c: Context, v: Record<string, string | undefined>, o: AffectOptions): Promise<string> {
  const flags = affectFlags(o);
  const dom = await findDomain(c.conn, v.domain!);
  const id = iothreadId(v.id!);
  const params = new ParamList();
  for (const [option, field, kind] of IOTHREAD_PARAMS) {
    const text = v[option];
    if (text === undefined) continue;
    const n = numberOption(option, text, kind);
    params.add(field, kind, kind === 'ullong' ? n : Number(n));
  }
  if (!params.size) throw new Error('Not enough arguments passed, nothing to set');
  await c.conn.domainSetIOThreadParams(dom, id, params.toInput(), flags);
  return '\n';
}

// ---------------------------------------------------------------------------------------
// Memory, NUMA, block I/O, interfaces, scheduler, perf

/** The memtune options and their parameters, in virsh's order. */
const MEMTUNE_PARAMS = [
  ['hard-limit', 'hard_limit'],
  ['soft-limit', 'soft_limit'],
  ['swap-hard-limit', 'swap_hard_limit'],
  ['min-guarantee', 'min_guarantee'],
] as const;

/**
 * A memtune size in KiB (rounded up), a negative number meaning unlimited; undefined when it
 * is not a number, an error (libvirt's) for a bad unit.
 */
function memtuneSize(text: string): bigint | undefined {
  const m = /^[\t\n\v\f\r ]*([+-]?\d+)(.*)$/s.exec(text);
  if (!m) return undefined;
  const number = BigInt(m[1]!);
  if (number < -(2n ** 63n) || number >= 2n ** 63n) return undefined;
  if (number < 0n) return BigInt(VIR_DOMAIN_MEMORY_PARAM_UNLIMITED);
  const bytes = scaleInteger(number, m[2]!, 1024n, LLONG[1]);
  if (bytes.value === null) throw new Error(bytes.reason);
  return (bytes.value + 1023n) / 1024n;
}

/** `memtune DOMAIN [--hard-limit N] [--soft-limit N] [--swap-hard-limit N] [--min-guarantee N]`. */
export async function memtune(c: Context, v: Record<string, string | undefined>, o: AffectOptions): Promise<string> {
  const flags = affectFlags(o);
  const dom = await findDomain(c.conn, v.domain!);
  const params = new ParamList();
  for (const [option, field] of MEMTUNE_PARAMS) {
    const text = v[option];
    if (text === undefined) continue;
    const first = `Unable to parse integer parameter ${option}`;
    let kib: bigint | undefined;
    try {
      kib = memtuneSize(text);
    } catch (e) {
      throw failed(first, e);
    }
    if (kib === undefined) throw new Error(first);
    params.add(field, 'ullong', kib);
  }
  if (params.size) return setTunables(() => c.conn.domainSetMemoryParameters(dom, params.toInput(), flags), 'Unable to change memory parameters');
  const current = await readTunables((n) => c.conn.domainGetMemoryParameters(dom, n, flags), 'Unable to get number of memory parameters', 'Unable to get memory parameters');
  const unlimited = BigInt(VIR_DOMAIN_MEMORY_PARAM_UNLIMITED);
  return printTunables(c, current, (_, value, type) => (type === 'ullong' && value === unlimited ? 'unlimited' : undefined));
}

const NUMA_MODES = ['strict', 'preferred', 'interleave', 'restrictive'];

/** strtol with base 0 (decimal, 0x hex, 0 octal) within an int; undefined when malformed. */
function cIntegerAnyBase(text: string): number | undefined {
  const m = /^[\t\n\v\f\r ]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(text);
  if (!m) return undefined;
  const digits = m[2]!;
  const magnitude = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const value = m[1] === '-' ? -magnitude : magnitude;
  return value >= -(2n ** 31n) && value < 2n ** 31n ? Number(value) : undefined;
}

/** `numatune DOMAIN [--mode MODE] [--nodeset NODESET]`. */
export async function numatune(c: Context, v: { domain: string; mode?: string; nodeset?: string }, o: AffectOptions): Promise<string> {
  const flags = affectFlags(o);
  const dom = await findDomain(c.conn, v.domain);
  const params = new ParamList();
  if (nonEmpty('nodeset', v.nodeset) !== undefined) params.add('numa_nodeset', 'string', v.nodeset!);
  if (nonEmpty('mode', v.mode) !== undefined) {
    // A name, or a number for a mode newer than the names virsh knows.
    const mode = NUMA_MODES.indexOf(v.mode!) >= 0 ? NUMA_MODES.indexOf(v.mode!) : cIntegerAnyBase(v.mode!);
    if (mode === undefined) throw new Error(`Invalid mode: ${v.mode}`);
    params.add('numa_mode', 'int', mode);
  }
  if (params.size) return setTunables(() => c.conn.domainSetNumaParameters(dom, params.toInput(), flags), 'Unable to change numa parameters');
  const current = await readTunables((n) => c.conn.domainGetNumaParameters(dom, n, flags), 'Unable to get number of memory parameters', 'Unable to get numa parameters');
  // glibc prints a missing name as (null).
  return printTunables(c, current, (field, value, type) => (field === 'numa_mode' && type === 'int' ? (NUMA_MODES[value as number] ?? '(null)') : undefined));
}

/** The blkiotune string options and their parameters, in virsh's order. */
const BLKIO_PARAMS = [
  ['device-weights', 'device_weight'],
  ['device-read-iops-sec', 'device_read_iops_sec'],
  ['device-write-iops-sec', 'device_write_iops_sec'],
  ['device-read-bytes-sec', 'device_read_bytes_sec'],
  ['device-write-bytes-sec', 'device_write_bytes_sec'],
] as const;

/** `blkiotune DOMAIN [--weight N] [--device-weights LIST] [--device-read-iops-sec LIST] ...`. */
export async function blkiotune(c: Context, v: Record<string, string | undefined>, o: AffectOptions): Promise<string> {
  const flags = affectFlags(o);
  const dom = await findDomain(c.conn, v.domain!);
  const params = new ParamList();
  if (v.weight !== undefined) {
    const weight = Number(numberOption('weight', v.weight, 'int'));
    if (weight <= 0) throw new Error(`Invalid value of ${weight} for I/O weight`);
    params.add('weight', 'uint', weight);
  }
  for (const [option, field] of BLKIO_PARAMS) {
    const text = v[option];
    if (text === undefined) continue;
    if (text === '') throw new Error('Unable to parse string parameter');
    params.add(field, 'string', text);
  }
  if (params.size) return setTunables(() => c.conn.domainSetBlkioParameters(dom, params.toInput(), flags), 'Unable to change blkio parameters');
  return printTunables(c, await readTunables((n) => c.conn.domainGetBlkioParameters(dom, n, flags), 'Unable to get number of blkio parameters', 'Unable to get blkio parameters'));
}

const RATE_FIELDS = ['average', 'peak', 'burst', 'floor'] as const;

/** virsh's `average,peak,burst,floor` rate (fields may be left empty). */
function parseRate(text: string): Record<(typeof RATE_FIELDS)[number], bigint> {
  const parts = text.split(',');
  if (parts.length > RATE_FIELDS.length) throw new Error(`Rate string '${text}' has too many fields`);
  const rate = { average: 0n, peak: 0n, burst: 0n, floor: 0n };
  parts.forEach((part, k) => {
    if (part === '') return;
    const n = parseCInteger(part, ULLONG);
    if (n === undefined) throw new Error(`field '${RATE_FIELDS[k]}' is malformed`);
    rate[RATE_FIELDS[k]!] = n;
  });
  return rate;
}

/** `domiftune DOMAIN INTERFACE [--inbound RATE] [--outbound RATE]`. */
export async function domiftune(c: Context, v: { domain: string; interface: string; inbound?: string; outbound?: string }, o: AffectOptions): Promise<string> {
  const flags = affectFlags(o);
  const dom = await findDomain(c.conn, v.domain);
  const device = nonEmpty('interface', v.interface)!;
  nonEmpty('inbound', v.inbound);
  nonEmpty('outbound', v.outbound);
  const params = new ParamList();
  const max = 2n ** 32n - 1n;
  if (v.inbound !== undefined) {
    const r = parseRate(v.inbound);
    if (r.average > max || r.peak > max || r.burst > max) throw new Error(`inbound rate larger than maximum ${max}`);
    if (!r.average && (r.burst || r.peak) && !r.floor) throw new Error('either inbound average or floor is mandatory');
    params.add('inbound.average', 'uint', Number(r.average));
    for (const f of ['peak', 'burst', 'floor'] as const) if (r[f]) params.add(`inbound.${f}`, 'uint', Number(r[f]));
  }
  if (v.outbound !== undefined) {
    const r = parseRate(v.outbound);
    if (r.average > max || r.peak > max || r.burst > max) throw new Error(`outbound rate larger than maximum ${max}`);
    if (!r.average && (r.burst || r.peak)) throw new Error('outbound average is mandatory');
    if (r.floor) throw new Error('outbound floor is unsupported yet');
    params.add('outbound.average', 'uint', Number(r.average));
    for (const f of ['peak', 'burst'] as const) if (r[f]) params.add(`outbound.${f}`, 'uint', Number(r[f]));
  }
  if (params.size) return setTunables(() => c.conn.domainSetInterfaceParameters(dom, device, params.toInput(), flags), 'Unable to set interface parameters');
  return printTunables(
    c,
    await readTunables((n) => c.conn.domainGetInterfaceParameters(dom, device, n, flags), 'Unable to get number of interface parameters', 'Unable to get interface parameters'),
  );
}

/** A --set value read as libvirt reads a typed parameter of `type` from a string. */
function paramFromString(field: string, type: TypedParamType, text: string): TypedParamValue {
  const number = (kind: keyof typeof INT_RANGES, name: string) => {
    const n = parseCInteger(text, INT_RANGES[kind], { wrap: true });
    if (n === undefined) throw new Error(invalidArg(`Invalid value for field '${field}': expected ${name}`));
    return n;
  };
  switch (type) {
    case 'int':
      return Number(number('int', 'int'));
    case 'uint':
      return Number(number('uint', 'unsigned int'));
    case 'llong':
      return number('llong', 'long long');
    case 'ullong':
      return number('ullong', 'unsigned long long');
    case 'double': {
      const d = Number(text);
      if (text.trim() === '' || Number.isNaN(d)) throw new Error(invalidArg(`Invalid value for field '${field}': expected double`));
      return d;
    }
    case 'boolean':
      if (/^true$/i.test(text) || text === '1') return true;
      if (/^false$/i.test(text) || text === '0') return false;
      throw new Error(invalidArg(`Invalid boolean value for field '${field}'`));
    default:
      return text;
  }
}

/**
 * Runs the rest of a command that has printed `output()` so far: a failure carries that
 * output, which virsh had printed before its error.
 */
async function afterOutput<T>(output: () => string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof FailureAfterOutput || e instanceof FailureReport) throw e;
    throw new FailureAfterOutput(output(), e);
  }
}

/** `schedinfo DOMAIN [--set NAME=VALUE]... [--weight N] [--cap N]`: the scheduler and its parameters. */
export async function schedinfo(c: Context, domain: string, sets: string[], o: AffectOptions & { weight?: string; cap?: string }): Promise<string> {
  const flags = affectFlags(o);
  const dom = await findDomain(c.conn, domain);
  const type = await c.conn.domainGetSchedulerType(dom).catch((e: unknown) => {
    throw new FailureAfterOutput(`${'Scheduler'.padEnd(15)}: Unknown\n`, e);
  });
  // virsh names the scheduler before it asks for the parameters.
  const head = `${'Scheduler'.padEnd(15)}: ${type.type}\n`;
  return afterOutput(
    () => head,
    async () => {
      if (!type.nparams) throw new FailureReport(c.json ? '' : `${head}\n`);
      const useFlags = flags !== 0 || !!o.current;
      // Live and config cannot be read at once: virsh reads the current state then.
      const readFlags = o.live && o.config ? 0 : flags;
      const read = () => (useFlags ? c.conn.domainGetSchedulerParametersFlags(dom, type.nparams, readFlags) : c.conn.domainGetSchedulerParameters(dom, type.nparams));
      let params = await read();
      const types = typedParamTypes(params) ?? {};
      const updates = new ParamList();
      const update = (field: string, value: string) => {
        const t = Object.hasOwn(params, field) ? types[field] : undefined;
        if (!t) throw new Error(`invalid scheduler option: ${field}`);
        updates.add(field, t, paramFromString(field, t, value));
      };
      for (const item of sets) {
        const eq = item.indexOf('=');
        if (eq < 0) throw new Error('Invalid syntax for --set, expecting name=value');
        update(item.slice(0, eq), item.slice(eq + 1));
      }
      if (o.cap !== undefined) update('cap', nonEmpty('cap', o.cap)!);
      if (o.weight !== undefined) update('weight', nonEmpty('weight', o.weight)!);
      if (updates.size) {
        await (useFlags ? c.conn.domainSetSchedulerParametersFlags(dom, updates.toInput(), flags) : c.conn.domainSetSchedulerParameters(dom, updates.toInput()));
        params = await read();
      } else if (o.live && o.config) throw new Error('cannot query both live and config at once');
      if (c.json) return toJson({ scheduler: type.type, params }) + '\n';
      return `${head}${paramLines(params)}\n`;
    },
  );
}

/** perf's --enable/--disable lists: boolean parameters, empty names skipped. */
function perfEvents(params: ParamList, list: string | undefined, state: boolean): void {
  for (const name of list?.split(',') ?? []) if (name) params.add(name, 'boolean', state);
}

const perfLines = (params: TypedParams) =>
  Object.entries(params)
    .flatMap(([field, v]) => (Array.isArray(v) ? v : [v]).map((value) => `${field.padEnd(15)}: ${value === true ? 'enabled' : 'disabled'}\n`))
    .join('');

/** `perf DOMAIN [--enable EVENTS] [--disable EVENTS]`: the perf events, or turns some on or off. */
export async function perf(c: Context, v: { domain: string; enable?: string; disable?: string }, o: AffectOptions): Promise<string> {
  const flags = affectFlags(o);
  nonEmpty('enable', v.enable);
  nonEmpty('disable', v.disable);
  const dom = await findDomain(c.conn, v.domain);
  const params = new ParamList();
  perfEvents(params, v.enable, true);
  perfEvents(params, v.disable, false);
  let shown: TypedParams;
  if (!params.size) {
    try {
      shown = await c.conn.domainGetPerfEvents(dom, flags);
    } catch (e) {
      throw failed('Unable to get perf events', e);
    }
  } else {
    try {
      await c.conn.domainSetPerfEvents(dom, params.toInput(), flags);
    } catch (e) {
      throw failed('Unable to enable/disable perf events', e);
    }
    // virsh shows what it asked for.
    shown = params.toParams();
  }
  return c.json ? toJson(shown) + '\n' : `${perfLines(shown)}\n`;
}

// ---------------------------------------------------------------------------------------
// cpu-stats

/** The statistics virsh prints as seconds, when the daemon gives them as nanoseconds. */
const CPU_TIMES = new Set(['cpu_time', 'vcpu_time', 'user_time', 'system_time']);

function cpuStatLine(p: RemoteTypedParam): string {
  const [value, type] = wireValue(p);
  const text = CPU_TIMES.has(p.field) && type === 'ullong' ? `${String((value as bigint) / 1_000_000_000n).padStart(9)}.${String((value as bigint) % 1_000_000_000n).padStart(9, '0')} seconds` : typedParamText(value, type);
  return `\t${p.field.padEnd(12)} ${text}\n`;
}

/** virsh reads at most this many CPUs' statistics per call. */
const CPU_STATS_CHUNK = 128;

/** `cpu-stats DOMAIN [--total] [--start N] [--count N]`: CPU time per host CPU and in total. */
export async function cpuStats(c: Context, v: { domain: string; start?: string; count?: string }, o: { total?: boolean }): Promise<string> {
  const dom = await findDomain(c.conn, v.domain);
  let showTotal = !!o.total;
  let perCpu = false;
  let cpu = 0;
  let count = -1;
  if (v.start !== undefined) {
    cpu = Number(numberOption('start', v.start, 'int'));
    if (cpu < 0) throw new Error('Invalid value for start CPU');
    perCpu = true;
  }
  if (v.count !== undefined) {
    count = Number(numberOption('count', v.count, 'int'));
    if (count < 0) throw new Error('Invalid value for number of CPUs to show');
    perCpu = true;
  }
  if (!showTotal && !perCpu) showTotal = perCpu = true;
  let out = '';
  return afterOutput(
    () => out,
    async () => {
      const json: { cpus: { cpu: number; stats: Record<string, TypedParamValue> }[]; total: Record<string, TypedParamValue> | null } = { cpus: [], total: null };
      const stats = (nparams: number, start: number, ncpus: number) =>
        c.conn.domainGetCPUStats(dom, nparams, start, ncpus, 0).catch((e: unknown) => {
          throw failed(`Failed to retrieve CPU statistics for domain '${dom.name}'`, e);
        });
      const asObject = (list: RemoteTypedParam[]) => Object.fromEntries(list.map((p) => [p.field, wireValue(p)[0]]));
      if (perCpu) {
        const maxId = (await stats(0, 0, 0)).nparams;
        if (cpu >= maxId) throw new Error(`Start CPU ${cpu} is out of range (min: 0, max: ${maxId - 1})`);
        if (count < 0 || count > maxId) {
          if (count > maxId) out += `Only ${maxId} CPUs available to show\n`;
          count = maxId - cpu;
        }
        const nparams = (await stats(0, 0, 1)).nparams;
        if (!nparams) {
          out += 'No per-CPU stats available';
          if (!showTotal) return c.json ? toJson(json) + '\n' : `${out}\n`;
          count = 0;
        }
        while (count > 0) {
          const ncpus = Math.min(count, CPU_STATS_CHUNK);
          const reply = await stats(nparams, cpu, ncpus);
          // The daemon leaves out the CPUs a domain has no statistics for, at the end.
          const stride = reply.nparams;
          const returned = stride ? Math.floor(reply.params.length / stride) : 0;
          for (let k = 0; k < Math.min(returned, ncpus); k++) {
            const list = reply.params.slice(k * stride, (k + 1) * stride);
            out += `CPU${cpu + k}:\n${list.map(cpuStatLine).join('')}`;
            json.cpus.push({ cpu: cpu + k, stats: asObject(list) });
          }
          cpu += ncpus;
          count -= ncpus;
        }
        if (!showTotal) return c.json ? toJson(json) + '\n' : `${out}\n`;
      }
      const nparams = (await stats(0, -1, 1)).nparams;
      if (!nparams) throw new FailureReport(c.json ? '' : `${out}No total stats available\n`);
      const total = (await stats(nparams, -1, 1)).params;
      json.total = asObject(total);
      out += `Total:\n${total.map(cpuStatLine).join('')}`;
      return c.json ? toJson(json) + '\n' : `${out}\n`;
    },
  );
}

// ---------------------------------------------------------------------------------------
// Declaring the commands

/** An option that takes a value and, as in virsh, may be given by position. */
interface Slot {
  /** virsh's option name. */
  name: string;
  help: string;
  /** What the value is, for the help (`number`, `string`). */
  value?: string;
  required?: boolean;
  /** virsh calls a missing data option `<name>`, any other `--name`. */
  data?: boolean;
  /** Takes every positional argument left over, and the option any number of times. */
  argv?: boolean;
}

const DOMAIN: Slot = { name: 'domain', help: 'domain name, id or uuid', required: true, data: true };

/** A command whose slots are options and, in their order, positional arguments. */
function declare(program: Command, name: string, description: string, slots: Slot[]): Command {
  const usage = slots.map((s) => (s.argv ? `[[--${s.name}] <${s.value ?? 'string'}>]...` : s.required ? `<${s.name}>` : `[--${s.name} <${s.value ?? 'string'}>]`)).join(' ');
  const command = program.command(name).description(description).argument('[arguments...]', 'the options below, by position').usage(`${usage} [options]`);
  for (const s of slots) {
    if (s.argv) command.option(`--${s.name} <${s.value ?? 'string'}>`, s.help, (v: string, all: string[]) => [...all, v], [] as string[]);
    else command.option(`--${s.name} <${s.value ?? 'string'}>`, s.help);
  }
  return command;
}

/**
 * The slots' values: each from its option, else from the next positional argument; virsh's
 * parse errors (on stderr, exit 1, nothing run) for data left over or a required one missing.
 */
function fill(r: Registry, name: string, slots: Slot[], args: string[], o: Record<string, unknown>): Record<string, string | undefined> & { argv: string[] } {
  const filled: Record<string, unknown> = { ...o };
  const wordSlots = slots.map((s): WordSlot => ({ option: s.name, required: !!s.required, many: !!s.argv, kind: s.data ? 'data' : 'string' }));
  const usage = fillFromWords(name, wordSlots, filled, args);
  if (usage) {
    r.io.stderr(`error: ${usage}\n`);
    throw new CommanderError(1, 'libvirt-rpc.usage', usage);
  }
  const values = { argv: [] } as unknown as Record<string, string | undefined> & { argv: string[] };
  for (const s of slots) {
    if (s.argv) values.argv = (filled[optionKey(s.name)] as string[] | undefined) ?? [];
    else values[s.name] = filled[optionKey(s.name)] as string | undefined;
  }
  return values;
}

type Flags = AffectOptions & Record<string, unknown>;

/** Adds the family's commands (this module's and display.ts's) to the program. */
export function register(r: Registry): void {
  const { program, act, io } = r;
  /** Runs a command; output printed before a failure goes out first, as virsh printed it. */
  const run = (work: (c: Context) => Promise<string>) =>
    act(async (c) => {
      try {
        return await work(c);
      } catch (e) {
        if (!(e instanceof FailureAfterOutput)) throw e;
        if (!c.json) io.stdout(e.output);
        throw e.failure;
      }
    });
  const command = (name: string, description: string, slots: Slot[], affect: boolean, body: (c: Context, v: ReturnType<typeof fill>, o: Flags) => Promise<string>, configure?: (cmd: Command) => void) => {
    const cmd = declare(program, name, description, slots);
    if (affect) affectOptions(cmd);
    configure?.(cmd);
    cmd.action((args: string[], o: Flags) => {
      const values = fill(r, name, slots, args, o);
      return run((c) => body(c, values, o));
    });
  };
  const cpulist = (help: string): Slot => ({ name: 'cpulist', help });

  command('vcpuinfo', 'detailed domain vcpu information', [DOMAIN], false, (c, v, o) => vcpuinfo(c, v.domain!, { pretty: !!o.pretty }), (cmd) => cmd.option('--pretty', 'return human readable output'));
  command('vcpupin', 'control or query domain vcpu affinity', [DOMAIN, { name: 'vcpu', help: 'vcpu number', value: 'number' }, cpulist('host cpu number(s) to set, or omit option to query')], true, (c, v, o) =>
    vcpupin(c, { domain: v.domain!, vcpu: v.vcpu, cpulist: v.cpulist }, o),
  );
  command('emulatorpin', 'control or query domain emulator affinity', [DOMAIN, cpulist('host cpu number(s) to set, or omit option to query')], true, (c, v, o) => emulatorpin(c, { domain: v.domain!, cpulist: v.cpulist }, o));
  command(
    'setvcpu',
    'attach/detach vcpu or groups of threads',
    [DOMAIN, { name: 'vcpulist', help: 'ids of vcpus to manipulate', required: true, data: true }],
    true,
    (c, v, o) => setvcpu(c, { domain: v.domain!, vcpulist: v.vcpulist! }, o),
    (cmd) => cmd.option('--enable', 'enable cpus specified by cpumap').option('--disable', 'disable cpus specified by cpumap'),
  );
  command(
    'guestvcpus',
    'query or modify state of vcpu in the guest (via agent)',
    [DOMAIN, cpulist('list of cpus to enable or disable')],
    false,
    (c, v, o) => guestvcpus(c, { domain: v.domain!, cpulist: v.cpulist }, { enable: !!o.enable, disable: !!o.disable }),
    (cmd) => cmd.option('--enable', 'enable cpus specified by cpulist').option('--disable', 'disable cpus specified by cpulist'),
  );
  command('iothreadinfo', 'view domain IOThreads', [DOMAIN], true, (c, v, o) => iothreadinfo(c, v.domain!, o));
  command(
    'iothreadpin',
    'control domain IOThread affinity',
    [DOMAIN, { name: 'iothread', help: 'IOThread ID number', value: 'number', required: true }, { ...cpulist('host cpu number(s) to set'), required: true, data: true }],
    true,
    (c, v, o) => iothreadpin(c, { domain: v.domain!, iothread: v.iothread!, cpulist: v.cpulist! }, o),
  );
  for (const [name, add, help, idHelp] of [
    ['iothreadadd', true, 'add an IOThread to the guest domain', 'iothread for the new IOThread'],
    ['iothreaddel', false, 'delete an IOThread from the guest domain', 'iothread_id for the IOThread to delete'],
  ] as const) {
    command(name, help, [DOMAIN, { name: 'id', help: idHelp, value: 'number', required: true }], true, (c, v, o) => iothreadAddDel(c, add, { domain: v.domain!, id: v.id! }, o));
  }
  command(
    'iothreadset',
    'modifies an existing IOThread of the guest domain',
    [
      DOMAIN,
      { name: 'id', help: 'iothread id of existing IOThread', value: 'number', required: true },
      { name: 'poll-max-ns', help: 'set the maximum IOThread polling time in ns', value: 'number' },
      { name: 'poll-grow', help: 'set the value to increase the IOThread polling time', value: 'number' },
      { name: 'poll-shrink', help: 'set the value for reduction of the IOThread polling time', value: 'number' },
      { name: 'thread-pool-min', help: 'lower boundary for worker thread pool', value: 'number' },
      { name: 'thread-pool-max', help: 'upper boundary for worker thread pool', value: 'number' },
    ],
    true,
    (c, v, o) => iothreadset(c, v, o),
  );
  command(
    'memtune',
    'Get or set memory parameters',
    [
      DOMAIN,
      { name: 'hard-limit', help: 'Max memory, as scaled integer (default KiB)', value: 'number' },
      { name: 'soft-limit', help: 'Memory during contention, as scaled integer (default KiB)', value: 'number' },
      { name: 'swap-hard-limit', help: 'Max memory plus swap, as scaled integer (default KiB)', value: 'number' },
      { name: 'min-guarantee', help: 'Min guaranteed memory, as scaled integer (default KiB)', value: 'number' },
    ],
    true,
    (c, v, o) => memtune(c, v, o),
  );
  command(
    'numatune',
    'Get or set numa parameters',
    [DOMAIN, { name: 'mode', help: 'NUMA mode, one of strict, preferred and interleave or a number from the virDomainNumatuneMemMode enum' }, { name: 'nodeset', help: 'NUMA node selections to set' }],
    true,
    (c, v, o) => numatune(c, { domain: v.domain!, mode: v.mode, nodeset: v.nodeset }, o),
  );
  // --weight and --cap are never positional (virsh wants their names); --set takes the rest.
  command(
    'schedinfo',
    'show/set scheduler parameters',
    [DOMAIN, { name: 'set', help: 'parameter=value', argv: true }],
    false,
    (c, v, o) => schedinfo(c, v.domain!, v.argv, o as Flags & { weight?: string; cap?: string }),
    (cmd) =>
      cmd
        .option('--weight <number>', 'weight for XEN_CREDIT')
        .option('--cap <number>', 'cap for XEN_CREDIT')
        .option('--current', 'get/set current scheduler info')
        .option('--config', 'get/set value to be used on next boot')
        .option('--live', 'get/set value from running domain'),
  );
  command(
    'blkiotune',
    'Get or set blkio parameters',
    [
      DOMAIN,
      { name: 'weight', help: 'IO Weight', value: 'number' },
      { name: 'device-weights', help: 'per-device IO Weights, in the form of /path/to/device,weight,...' },
      { name: 'device-read-iops-sec', help: 'per-device read I/O limit per second, in the form of /path/to/device,read_iops_sec,...' },
      { name: 'device-write-iops-sec', help: 'per-device write I/O limit per second, in the form of /path/to/device,write_iops_sec,...' },
      { name: 'device-read-bytes-sec', help: 'per-device bytes read per second, in the form of /path/to/device,read_bytes_sec,...' },
      { name: 'device-write-bytes-sec', help: 'per-device bytes wrote per second, in the form of /path/to/device,write_bytes_sec,...' },
    ],
    true,
    (c, v, o) => blkiotune(c, v, o),
  );
  command(
    'domiftune',
    'get/set parameters of a virtual interface',
    [DOMAIN, { name: 'interface', help: 'interface device (MAC Address)', required: true, data: true }, { name: 'inbound', help: "control domain's incoming traffics" }, { name: 'outbound', help: "control domain's outgoing traffics" }],
    true,
    (c, v, o) => domiftune(c, { domain: v.domain!, interface: v.interface!, inbound: v.inbound, outbound: v.outbound }, o),
  );
  command('perf', 'Get or set perf event', [DOMAIN, { name: 'enable', help: 'perf events which will be enabled' }, { name: 'disable', help: 'perf events which will be disabled' }], true, (c, v, o) =>
    perf(c, { domain: v.domain!, enable: v.enable, disable: v.disable }, o),
  );
  command(
    'cpu-stats',
    'show domain cpu statistics',
    [DOMAIN, { name: 'start', help: 'Show statistics from this CPU', value: 'number' }, { name: 'count', help: 'Number of shown CPUs at most', value: 'number' }],
    false,
    (c, v, o) => cpuStats(c, { domain: v.domain!, start: v.start, count: v.count }, { total: !!o.total }),
    (cmd) => cmd.option('--total', 'Show total statistics only'),
  );
  command('domcontrol', 'domain control interface state', [DOMAIN], false, (c, v) => domcontrol(c, v.domain!));
  command(
    'domdisplay',
    'domain display connection URI',
    [DOMAIN, { name: 'type', help: 'select particular graphical display (e.g. "vnc", "spice", "rdp", "dbus")' }],
    false,
    (c, v, o) => domdisplay(c, v.domain!, { type: v.type, all: !!o.all, includePassword: !!o.includePassword }),
    (cmd) => cmd.option('--include-password', 'includes the password into the connection URI if available').option('--all', 'show all possible graphical displays'),
  );
  command('vncdisplay', 'vnc display', [DOMAIN], false, (c, v) => vncdisplay(c, v.domain!));
  command('ttyconsole', 'tty console', [DOMAIN], false, (c, v) => ttyconsole(c, v.domain!));
}
