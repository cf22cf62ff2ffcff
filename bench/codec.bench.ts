/**
 * Encode and decode throughput of two large replies, next to @stellar/js-xdr encoding and
 * decoding the same data from a schema written for it here:
 *  - REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS with 2,000 domains;
 *  - REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS with 2,000 records of 20 typed parameters.
 * Before anything is timed, both libraries must produce identical bytes and both must decode
 * them back to the value they started from.
 */
import { isDeepStrictEqual } from 'node:util';
import * as x from '@stellar/js-xdr';
import {
  type RemoteConnectGetAllDomainStatsRet,
  type RemoteConnectListAllDomainsRet,
  RemoteConnectGetAllDomainStatsRetCodec,
  RemoteConnectListAllDomainsRetCodec,
  type RemoteNonnullDomain,
  type RemoteTypedParamValue,
} from '../protocol/remote.js';
import { type Codec, XdrWriter, decodeValue } from '../src/xdr/index.js';
import { type Measurement, compare } from './lib/stats.js';

export const DOMAINS = 2000;

/** A small deterministic generator (LCG), so every run encodes the same data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function domainList(): RemoteNonnullDomain[] {
  const r = rng(1);
  return Array.from({ length: DOMAINS }, (_, i) => ({
    name: `guest-${String(i + 1).padStart(4, '0')}`,
    uuid: Uint8Array.from({ length: 16 }, () => Math.floor(r() * 256)),
    // A third of them shut off (id -1), as on a real host.
    id: i % 3 === 0 ? -1 : i + 1,
  }));
}

const big = (r: () => number, bits: number) => BigInt(Math.floor(r() * 2 ** bits));

/**
 * The 20 parameters each record carries, with the types libvirt's bulk stats give them, so
 * that all seven typed-parameter kinds occur. (Bulk stats carry no double today; the guest
 * agent's load averages are doubles, and one stands in for them here.)
 */
const FIELDS: [string, (r: () => number, i: number) => RemoteTypedParamValue][] = [
  ['state.state', () => ({ type: 1, i: 1 })],
  ['state.reason', () => ({ type: 1, i: 1 })],
  ['cpu.time', (r) => ({ type: 4, ul: big(r, 52) * 1000n })],
  ['cpu.user', (r) => ({ type: 4, ul: big(r, 40) })],
  ['cpu.system', (r) => ({ type: 4, ul: big(r, 40) })],
  ['balloon.current', () => ({ type: 4, ul: 1048576n })],
  ['balloon.maximum', () => ({ type: 4, ul: 2097152n })],
  ['vcpu.current', () => ({ type: 2, ui: 2 })],
  ['vcpu.maximum', () => ({ type: 2, ui: 4 })],
  ['vcpu.0.state', () => ({ type: 1, i: 1 })],
  ['vcpu.0.time', (r) => ({ type: 4, ul: big(r, 50) })],
  ['vcpu.0.halted', (r) => ({ type: 6, b: r() < 0.5 ? 1 : 0 })],
  ['net.count', () => ({ type: 2, ui: 1 })],
  ['net.0.name', (_r, i) => ({ type: 7, s: `vnet${i}` })],
  ['net.0.rx.bytes', (r) => ({ type: 4, ul: big(r, 45) })],
  ['block.count', () => ({ type: 2, ui: 1 })],
  ['block.0.name', () => ({ type: 7, s: 'vda' })],
  ['block.0.path', (_r, i) => ({ type: 7, s: `/var/lib/libvirt/images/guest-${String(i + 1).padStart(4, '0')}.qcow2` })],
  ['dirtyrate.megabytes_per_second', (r) => ({ type: 3, l: big(r, 12) })],
  ['load.1m', (r) => ({ type: 5, d: r() * 4 })],
];

/** The REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS reply. */
export function listAllDomainsReply(): RemoteConnectListAllDomainsRet {
  return { domains: domainList(), ret: DOMAINS };
}

/** The REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS reply. */
export function allDomainStatsReply(): RemoteConnectGetAllDomainStatsRet {
  const r = rng(2);
  return { retStats: domainList().map((dom, i) => ({ dom, params: FIELDS.map(([field, make]) => ({ field, value: make(r, i) })) })) };
}

// The same types described for js-xdr 5 (its builder API; strings are bytes there). Bounds
// are the .x file's: REMOTE_STRING_MAX, REMOTE_DOMAIN_LIST_MAX, REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX.
const STRING_MAX = 4194304;
const DOMAIN_LIST_MAX = 16384;
const STATS_PARAMS_MAX = 262144;
const nonnullDomain = x.struct('remote_nonnull_domain', { name: x.string(STRING_MAX), uuid: x.opaque(16), id: x.int32() });
const listAllDomainsRet = x.struct('remote_connect_list_all_domains_ret', {
  domains: x.array(nonnullDomain, DOMAIN_LIST_MAX),
  ret: x.uint32(),
});
const typedParamValue = x.union('remote_typed_param_value', {
  switchOn: x.int32(),
  cases: [
    x.case('int', 1, x.field('i', x.int32())),
    x.case('uint', 2, x.field('ui', x.uint32())),
    x.case('llong', 3, x.field('l', x.int64())),
    x.case('ullong', 4, x.field('ul', x.uint64())),
    x.case('double', 5, x.field('d', x.double())),
    x.case('boolean', 6, x.field('b', x.int32())),
    x.case('string', 7, x.field('s', x.string(STRING_MAX))),
  ],
});
const typedParam = x.struct('remote_typed_param', { field: x.string(STRING_MAX), value: typedParamValue });
const statsRecord = x.struct('remote_domain_stats_record', { dom: nonnullDomain, params: x.array(typedParam, STATS_PARAMS_MAX) });
const allStatsRet = x.struct('remote_connect_get_all_domain_stats_ret', { retStats: x.array(statsRecord, DOMAIN_LIST_MAX) });

const utf8 = new TextEncoder();
/** Our value in js-xdr's shape: strings become bytes (done once, outside the timing). */
function forJsXdr(v: unknown): unknown {
  if (typeof v === 'string') return utf8.encode(v);
  if (v instanceof Uint8Array || typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(forJsXdr);
  return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, forJsXdr(e)]));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

interface Subject<T> {
  label: string;
  codec: Codec<T>;
  value: T;
  schema: { encode(v: never): Uint8Array; decode(b: Uint8Array): unknown };
}

function measure<T>(s: Subject<T>): Measurement[] {
  const w = new XdrWriter(1 << 20);
  const encodeOurs = () => {
    w.reset();
    s.codec.encode(w, s.value);
    return w.finish();
  };
  const ours = encodeOurs().slice();
  const theirValue = forJsXdr(s.value) as never;
  const theirs = s.schema.encode(theirValue);

  // Correctness first: a mismatch makes the comparison meaningless, so the bench fails.
  if (!sameBytes(ours, theirs)) {
    throw new Error(`${s.label}: js-xdr's bytes differ from ours (${theirs.length} against ${ours.length} bytes)`);
  }
  if (!isDeepStrictEqual(decodeValue(s.codec, ours), s.value)) {
    throw new Error(`${s.label}: our decoder does not give back the value that was encoded`);
  }
  if (!sameBytes(s.schema.encode(s.schema.decode(ours) as never), ours)) {
    throw new Error(`${s.label}: js-xdr's decoder does not give back the value that was encoded`);
  }

  const MB = ours.length / 1e6;
  const results: Measurement[] = [];
  for (const [dir, oursFn, theirsFn] of [
    ['encode', encodeOurs, () => s.schema.encode(theirValue)],
    ['decode', () => decodeValue(s.codec, ours), () => s.schema.decode(ours)],
  ] as const) {
    const t = compare(oursFn, theirsFn);
    results.push({
      group: 'codec',
      name: `${dir} ${s.label} (${MB.toFixed(2)} MB)`,
      unit: 'ops/s',
      ours: t.ours.opsPerSec,
      theirs: t.theirs.opsPerSec,
      theirsName: 'js-xdr',
      secondary: { unit: 'MB/s', ours: t.ours.opsPerSec * MB, theirs: t.theirs.opsPerSec * MB },
      extra: {
        bytes: ours.length,
        oursRange: [round(t.ours.min), round(t.ours.max)],
        jsXdrRange: [round(t.theirs.min), round(t.theirs.max)],
        // Process CPU per op over wall time per op: above 1 when GC helper threads work too.
        oursCpuPerWall: round((t.ours.cpuUsPerOp * t.ours.opsPerSec) / 1e6),
        jsXdrCpuPerWall: round((t.theirs.cpuUsPerOp * t.theirs.opsPerSec) / 1e6),
      },
    });
  }
  return results;
}

/** Three significant figures, for the JSON file. */
function round(v: number): number {
  return Number(v.toPrecision(3));
}

export async function run(): Promise<Measurement[]> {
  return [
    ...measure({
      label: `ListAllDomains reply, ${DOMAINS} domains`,
      codec: RemoteConnectListAllDomainsRetCodec,
      value: listAllDomainsReply(),
      schema: listAllDomainsRet,
    }),
    ...measure({
      label: `GetAllDomainStats reply, ${DOMAINS}x${FIELDS.length} params`,
      codec: RemoteConnectGetAllDomainStatsRetCodec,
      value: allDomainStatsReply(),
      schema: allStatsRet,
    }),
  ];
}
