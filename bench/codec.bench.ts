/**
 * Encode and decode throughput of two large replies, next to @stellar/js-xdr encoding and
 * decoding the same data from a schema written for it here:
 *  - REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS with 2,000 domains;
 *  - REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS with 2,000 records of 20 typed parameters.
 * Both libraries must produce identical bytes before anything is timed.
 */
import * as jsxdr from '@stellar/js-xdr';
import {
  type RemoteConnectGetAllDomainStatsRet,
  type RemoteConnectListAllDomainsRet,
  RemoteConnectGetAllDomainStatsRetCodec,
  RemoteConnectListAllDomainsRetCodec,
  type RemoteTypedParamValue,
} from '../protocol/remote.js';
import { type Codec, XdrReader, XdrWriter } from '../src/xdr/index.js';
import { type Measurement, medianOps } from './lib/stats.js';

const N = 2000;

/** A small deterministic generator, so every run encodes the same data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function domains(): RemoteConnectListAllDomainsRet['domains'] {
  const r = rng(1);
  return Array.from({ length: N }, (_, i) => ({
    name: `guest-${String(i).padStart(4, '0')}`,
    uuid: Uint8Array.from({ length: 16 }, () => Math.floor(r() * 256)),
    id: i % 3 === 0 ? -1 : i + 1,
  }));
}

const FIELDS: [string, (r: () => number, i: number) => RemoteTypedParamValue][] = [
  ['state.state', () => ({ type: 1, i: 1 })],
  ['state.reason', () => ({ type: 1, i: 1 })],
  ['cpu.time', (r) => ({ type: 4, ul: BigInt(Math.floor(r() * 2 ** 52)) * 1000n })],
  ['cpu.user', (r) => ({ type: 4, ul: BigInt(Math.floor(r() * 2 ** 40)) })],
  ['cpu.system', (r) => ({ type: 4, ul: BigInt(Math.floor(r() * 2 ** 40)) })],
  ['balloon.current', () => ({ type: 4, ul: 1048576n })],
  ['balloon.maximum', () => ({ type: 4, ul: 2097152n })],
  ['balloon.rss', (r) => ({ type: 4, ul: BigInt(Math.floor(r() * 2 ** 30)) })],
  ['vcpu.current', () => ({ type: 2, ui: 2 })],
  ['vcpu.maximum', () => ({ type: 2, ui: 4 })],
  ['vcpu.0.state', () => ({ type: 1, i: 1 })],
  ['vcpu.0.time', (r) => ({ type: 4, ul: BigInt(Math.floor(r() * 2 ** 50)) })],
  ['net.count', () => ({ type: 2, ui: 1 })],
  ['net.0.name', (_r, i) => ({ type: 7, s: `vnet${i}` })],
  ['net.0.rx.bytes', (r) => ({ type: 4, ul: BigInt(Math.floor(r() * 2 ** 45)) })],
  ['block.count', () => ({ type: 2, ui: 1 })],
  ['block.0.name', () => ({ type: 7, s: 'vda' })],
  ['block.0.path', (_r, i) => ({ type: 7, s: `/var/lib/libvirt/images/guest-${i}.qcow2` })],
  ['block.0.rd.bytes', (r) => ({ type: 3, l: BigInt(Math.floor(r() * 2 ** 45)) })],
  ['dirtyrate.calc_rate', (r) => ({ type: 5, d: r() * 1000 })],
];

function stats(): RemoteConnectGetAllDomainStatsRet['retStats'] {
  const r = rng(2);
  return domains().map((dom, i) => ({ dom, params: FIELDS.map(([field, make]) => ({ field, value: make(r, i) })) }));
}

// The same types described for js-xdr (its strings are bytes).
const x = jsxdr;
const nonnullDomain = x.struct('remote_nonnull_domain', { name: x.string(4194304), uuid: x.opaque(16), id: x.int32() });
const listAllDomainsRet = x.struct('remote_connect_list_all_domains_ret', {
  domains: x.array(nonnullDomain, 16384),
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
    x.case('string', 7, x.field('s', x.string(4194304))),
  ],
});
const typedParam = x.struct('remote_typed_param', { field: x.string(4194304), value: typedParamValue });
const statsRecord = x.struct('remote_domain_stats_record', { dom: nonnullDomain, params: x.array(typedParam, 262144) });
const allStatsRet = x.struct('remote_connect_get_all_domain_stats_ret', { retStats: x.array(statsRecord, 262144) });

const utf8 = new TextEncoder();
/** Our value in js-xdr's shape: strings become bytes (done once, outside the timing). */
function forJsXdr(v: unknown): unknown {
  if (typeof v === 'string') return utf8.encode(v);
  if (v instanceof Uint8Array || typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(forJsXdr);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, forJsXdr(x)]));
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
  if (Buffer.compare(Buffer.from(ours), Buffer.from(theirs)) !== 0) {
    throw new Error(`${s.label}: js-xdr's bytes differ from ours; the comparison would be meaningless`);
  }
  const decodeOurs = () => s.codec.decode(new XdrReader(ours));
  const mb = ours.length / 1e6;
  const results: Measurement[] = [];
  for (const [dir, oursFn, theirsFn] of [
    ['encode', encodeOurs, () => s.schema.encode(theirValue)],
    ['decode', decodeOurs, () => s.schema.decode(theirs)],
  ] as const) {
    const o = medianOps(oursFn);
    const t = medianOps(theirsFn, 5);
    results.push({
      group: 'codec',
      name: `${dir} ${s.label} (${(mb).toFixed(2)} MB)`,
      unit: 'ops/s',
      ours: o,
      theirs: t,
      theirsName: 'js-xdr',
      extra: { oursMBps: Math.round(o * mb), jsXdrMBps: Math.round(t * mb * 10) / 10 },
    });
  }
  return results;
}

export async function run(): Promise<Measurement[]> {
  const list: RemoteConnectListAllDomainsRet = { domains: domains(), ret: N };
  const all: RemoteConnectGetAllDomainStatsRet = { retStats: stats() };
  return [
    ...measure({ label: `ListAllDomains reply, ${N} domains`, codec: RemoteConnectListAllDomainsRetCodec, value: list, schema: listAllDomainsRet }),
    ...measure({
      label: `GetAllDomainStats reply, ${N}x20 params`,
      codec: RemoteConnectGetAllDomainStatsRetCodec,
      value: all,
      schema: allStatsRet,
    }),
  ];
}
