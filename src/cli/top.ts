/**
 * `top`: a live view of every domain of one host or several, beyond virsh (virt-top's idea).
 * Each refresh asks each host once, with one connectGetAllDomainStats call; CPU and I/O are
 * rates between two such samples. The work is split so that most of it is pure and tested
 * without a terminal: records → counters (a sample), two samples → rows, rows → sorted rows →
 * lines of text or JSON. The terminal part (alternate screen, raw keys, redraws) stays thin.
 */
import type { RemoteNonnullDomain } from '../../protocol/remote.js';
import {
  VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE,
  VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE,
  VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT,
  VIR_DOMAIN_STATS_BALLOON,
  VIR_DOMAIN_STATS_BLOCK,
  VIR_DOMAIN_STATS_CPU_TOTAL,
  VIR_DOMAIN_STATS_INTERFACE,
  VIR_DOMAIN_STATS_STATE,
  VIR_DOMAIN_STATS_VCPU,
} from '../../protocol/constants.js';
import type { Connection } from '../api/connection.js';
import { Fleet } from '../api/fleet.js';
import { toJSONText } from '../handles/values.js';
import type { TypedParams } from '../xdr/index.js';
import type { Context } from './commands.js';
import { FLEET_CONCURRENCY } from './fleet.js';
import { domainStateName, numericOption, toJson, uuidString } from './format.js';
import type { CliIo, Registry } from './registry.js';

/** What the rows can be sorted by: the columns' keys, as `--sort` takes them. */
export const SORT_KEYS = ['cpu', 'mem', 'rd', 'wr', 'rx', 'tx', 'name'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** The stat groups one refresh asks for. */
const STATS = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK;
/**
 * Every domain, running or not; NOWAIT so that a domain busy in a long job (a migration, a
 * backup) leaves out what needs its monitor rather than holding up the whole refresh.
 */
const FLAGS = VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE | VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE | VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT;

// ---------------------------------------------------------------------------------------
// Samples: what the daemon said, as counters

/** One domain's counters at one moment; null where the daemon did not report a group. */
export interface DomainCounters {
  name: string;
  uuid: string;
  /** The domain's id, -1 when it is not running (a new id means it was started again). */
  id: number;
  state: number;
  cpuTimeNs: bigint | null;
  vcpus: number | null;
  memoryKiB: number | null;
  rssKiB: number | null;
  /** Bytes read and written, summed over the domain's block devices. */
  readBytes: bigint | null;
  writeBytes: bigint | null;
  /** Bytes received and sent, summed over the domain's interfaces. */
  rxBytes: bigint | null;
  txBytes: bigint | null;
}

/** One host's answer to one refresh, or why there was none. */
export interface HostSample {
  uri: string;
  /** The host's name (connectGetHostname), or its URI until it has answered. */
  host: string;
  /** The host's CPUs (nodeGetInfo), the base of %CPU; null until known. */
  cpus: number | null;
  /** Monotonic milliseconds (performance.now) at the middle of the stats call. */
  at: number;
  time: Date;
  domains: DomainCounters[];
  /** Why this host gave no sample this time (its domains are then empty). */
  error: string | null;
}

const integer = (v: unknown): bigint | null => (typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(Math.trunc(v)) : null);
const small = (v: unknown): number | null => (typeof v === 'bigint' || typeof v === 'number' ? Number(v) : null);

/** The sum of `<prefix>.<i><suffix>` over `<prefix>.count` devices; null when the group is missing. */
function deviceSum(params: TypedParams, prefix: 'block' | 'net', suffix: string): bigint | null {
  const count = small(params[`${prefix}.count`]);
  if (count === null) return null;
  let sum = 0n;
  for (let i = 0; i < count; i++) sum += integer(params[`${prefix}.${i}.${suffix}`]) ?? 0n;
  return sum;
}

/** One stats record (a domain and its typed parameters) as counters. */
export function domainCounters(dom: RemoteNonnullDomain, params: TypedParams): DomainCounters {
  return {
    name: dom.name,
    uuid: uuidString(dom.uuid),
    id: dom.id,
    state: small(params['state.state']) ?? 0,
    cpuTimeNs: integer(params['cpu.time']),
    vcpus: small(params['vcpu.current']),
    memoryKiB: small(params['balloon.current']),
    rssKiB: small(params['balloon.rss']),
    readBytes: deviceSum(params, 'block', 'rd.bytes'),
    writeBytes: deviceSum(params, 'block', 'wr.bytes'),
    rxBytes: deviceSum(params, 'net', 'rx.bytes'),
    txBytes: deviceSum(params, 'net', 'tx.bytes'),
  };
}

// ---------------------------------------------------------------------------------------
// Rows: two samples → what the table shows

/** One line of the view; the JSON output's domain objects have exactly these fields. */
export interface DomainRow {
  /** The host's label: its name, or its URI where two hosts have the same name. */
  host: string;
  uri: string;
  name: string;
  uuid: string;
  /** null when not running. */
  id: number | null;
  state: string;
  vcpus: number | null;
  /** CPU time over wall time, as a share of all the host's CPUs (100 = every host CPU busy). */
  cpuPercent: number | null;
  /** The same time as a share of the domain's own vCPUs (100 = every vCPU busy). */
  vcpuPercent: number | null;
  /** balloon.current: the memory the guest has now. */
  memoryKiB: number | null;
  /** balloon.rss: what its process holds on the host. */
  rssKiB: number | null;
  blockReadBytesPerSecond: number | null;
  blockWriteBytesPerSecond: number | null;
  netRxBytesPerSecond: number | null;
  netTxBytesPerSecond: number | null;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** A counter's rate per second; null when either side is missing or it went backwards. */
function rate(before: bigint | null, after: bigint | null, seconds: number): number | null {
  if (before === null || after === null || after < before) return null;
  return Math.round(Number(after - before) / seconds);
}

/**
 * The rows of one host from its previous and current samples. A rate needs the domain in
 * both, running with the same id (a restart starts its counters again); otherwise it is null,
 * as is everything rate-like on the first sample.
 */
export function domainRows(previous: HostSample | undefined, current: HostSample, label = current.host): DomainRow[] {
  const before = new Map((previous?.domains ?? []).map((d) => [d.uuid, d]));
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  return current.domains.map((d) => {
    const seen = before.get(d.uuid);
    const p = seen && seconds > 0 && d.id >= 0 && seen.id === d.id ? seen : undefined;
    const cpuNs = p && p.cpuTimeNs !== null && d.cpuTimeNs !== null && d.cpuTimeNs >= p.cpuTimeNs ? Number(d.cpuTimeNs - p.cpuTimeNs) : null;
    const busy = cpuNs === null ? null : (cpuNs / (seconds * 1e9)) * 100;
    const r = (pick: (c: DomainCounters) => bigint | null) => (p ? rate(pick(p), pick(d), seconds) : null);
    return {
      host: label,
      uri: current.uri,
      name: d.name,
      uuid: d.uuid,
      id: d.id >= 0 ? d.id : null,
      state: domainStateName(d.state),
      vcpus: d.vcpus,
      cpuPercent: busy === null || !current.cpus ? null : round2(busy / current.cpus),
      vcpuPercent: busy === null || !d.vcpus ? null : round2(busy / d.vcpus),
      memoryKiB: d.memoryKiB,
      rssKiB: d.rssKiB,
      blockReadBytesPerSecond: r((c) => c.readBytes),
      blockWriteBytesPerSecond: r((c) => c.writeBytes),
      netRxBytesPerSecond: r((c) => c.rxBytes),
      netTxBytesPerSecond: r((c) => c.txBytes),
    };
  });
}

/**
 * Labels for the hosts' rows: each host's name, but the URI for hosts whose name another
 * host shares (two URIs to one machine), so that no two hosts look alike.
 */
export function hostLabels(hosts: readonly HostSample[]): string[] {
  const counts = new Map<string, number>();
  for (const h of hosts) counts.set(h.host, (counts.get(h.host) ?? 0) + 1);
  return hosts.map((h) => (counts.get(h.host)! > 1 ? h.uri : h.host));
}

/** Every host's rows, from each host's previous sample (matched by URI) and its current one. */
export function fleetRows(previous: readonly HostSample[] | undefined, current: readonly HostSample[]): DomainRow[] {
  const before = new Map((previous ?? []).filter((h) => !h.error).map((h) => [h.uri, h]));
  const labels = hostLabels(current);
  return current.flatMap((h, i) => domainRows(before.get(h.uri), h, labels[i]));
}

const SORT_FIELDS: Record<Exclude<SortKey, 'name'>, (r: DomainRow) => number | null> = {
  cpu: (r) => r.cpuPercent,
  mem: (r) => r.memoryKiB,
  rd: (r) => r.blockReadBytesPerSecond,
  wr: (r) => r.blockWriteBytesPerSecond,
  rx: (r) => r.netRxBytesPerSecond,
  tx: (r) => r.netTxBytesPerSecond,
};

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The rows in the order of `key`: the largest first for a number, with rows that have none
 * last; names from A to Z. Ties go by name, then host, then UUID, so the order never flickers.
 */
export function sortRows(rows: readonly DomainRow[], key: SortKey): DomainRow[] {
  const tie = (a: DomainRow, b: DomainRow) => byText(a.name, b.name) || byText(a.host, b.host) || byText(a.uuid, b.uuid);
  if (key === 'name') return [...rows].sort(tie);
  const value = SORT_FIELDS[key];
  return [...rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === null || y === null) return x === y ? tie(a, b) : x === null ? 1 : -1;
    return y - x || tie(a, b);
  });
}

// ---------------------------------------------------------------------------------------
// Text: rows → lines

/** `text` cut to `width` columns, its end marked with an ellipsis when it was cut. */
export function truncate(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  if (width <= 0) return '';
  return chars.slice(0, width - 1).join('') + '…';
}

/** Bytes the way top and `ls -h` write them: 512B, 1.5K, 32.0M, 120G. */
export function compactBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  const units = ['B', 'K', 'M', 'G', 'T', 'P', 'E'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${Math.round(v)}B`;
  return `${v < 99.95 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

const percent = (p: number | null) => (p === null ? '-' : p.toFixed(1));
const clock = (t: Date) => [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
const intervalText = (s: number) => `${Math.round(s * 100) / 100}s`;
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** What one screen (or one printed table) shows. */
export interface TopView {
  hosts: readonly HostSample[];
  /** Already sorted. */
  rows: readonly DomainRow[];
  sort: SortKey;
  intervalSeconds: number;
  time: Date;
  /** Columns to fit in; Infinity for no limit. */
  width: number;
  /** Lines to fit in (a terminal's height); rows that do not fit are counted, not shown. */
  height?: number;
  /** The keys' line at the bottom (the interactive screen only). */
  keys?: boolean;
}

export const KEYS_LINE = 'q quit  c/m/r/w/x/t/n sort by cpu/mem/read/write/rx/tx/name  +/- interval';

interface Column {
  title: string;
  cell: (r: DomainRow) => string;
  right: boolean;
  /** Shrinks (its cells truncated) when the line is too wide, down to `min`. */
  min?: number;
}

/** The table's columns: a leading host column only when there is more than one host. */
function columns(hostColumn: boolean): Column[] {
  return [
    ...(hostColumn ? [{ title: 'HOST', cell: (r: DomainRow) => r.host, right: false, min: 8 }] : []),
    { title: 'ID', cell: (r) => (r.id === null ? '-' : String(r.id)), right: true },
    { title: 'NAME', cell: (r) => r.name, right: false, min: 8 },
    { title: 'STATE', cell: (r) => r.state, right: false },
    { title: '%CPU', cell: (r) => percent(r.cpuPercent), right: true },
    { title: 'VCPU', cell: (r) => (r.vcpus === null ? '-' : String(r.vcpus)), right: true },
    { title: 'MEM', cell: (r) => compactBytes(r.memoryKiB === null ? null : r.memoryKiB * 1024), right: true },
    { title: 'RD/s', cell: (r) => compactBytes(r.blockReadBytesPerSecond), right: true },
    { title: 'WR/s', cell: (r) => compactBytes(r.blockWriteBytesPerSecond), right: true },
    { title: 'RX/s', cell: (r) => compactBytes(r.netRxBytesPerSecond), right: true },
    { title: 'TX/s', cell: (r) => compactBytes(r.netTxBytesPerSecond), right: true },
  ];
}

/**
 * The table's lines, fitted to `width`: HOST gives up columns first (a host named by its URI
 * is long), then NAME, their cells truncated with an ellipsis; a terminal narrower than that
 * gets each line cut.
 */
export function tableLines(rows: readonly DomainRow[], hostColumn: boolean, width: number): string[] {
  const cols = columns(hostColumn);
  const cells = rows.map((r) => cols.map((c) => c.cell(r)));
  const widths = cols.map((c, i) => Math.max(c.title.length, ...cells.map((row) => Array.from(row[i]!).length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + (cols.length - 1);
  for (const title of ['HOST', 'NAME']) {
    const i = cols.findIndex((c) => c.title === title);
    if (i >= 0 && total() > width) widths[i] = Math.max(cols[i]!.min!, widths[i]! - (total() - width));
  }
  const line = (texts: string[]) =>
    truncate(
      texts
        .map((t, i) => {
          const cut = truncate(t, widths[i]!);
          const pad = ' '.repeat(widths[i]! - Array.from(cut).length);
          return cols[i]!.right ? pad + cut : i === cols.length - 1 ? cut : cut + pad;
        })
        .join(' '),
      width,
    );
  return [line(cols.map((c) => c.title)), ...cells.map(line)];
}

/** "3 domains: 2 running, 0 paused, 1 shut off, 0 other" over every host's sample. */
function domainCounts(hosts: readonly HostSample[]): string {
  const states = hosts.flatMap((h) => h.domains.map((d) => d.state));
  const running = states.filter((s) => s === 1).length;
  const paused = states.filter((s) => s === 3).length;
  const off = states.filter((s) => s === 5).length;
  return `${plural(states.length, 'domain')}: ${running} running, ${paused} paused, ${off} shut off, ${states.length - running - paused - off} other`;
}

/**
 * The whole view as lines: a header (the time, the host or hosts, the interval, the sort; the
 * domain counts; what %CPU is measured against), a line per host that did not answer, the
 * table, and on the interactive screen the keys. Every line fits `width`; with a `height`
 * the rows that do not fit are replaced by a line counting them.
 */
export function renderLines(view: TopView): string[] {
  const { hosts, width } = view;
  const fleet = hosts.length > 1;
  const answering = hosts.filter((h) => !h.error);
  const cpus = answering.reduce((n, h) => n + (h.cpus ?? 0), 0);
  // Before the first answer the CPUs are not known yet, and not worth a "0 CPUs".
  const cpuText = cpus ? `, ${plural(cpus, 'CPU')}` : '';
  const where = fleet ? `${plural(hosts.length, 'host')} (${answering.length} answering)${cpuText}` : `host ${hosts[0]?.host ?? '?'}${cpuText}`;
  const header = [
    `libvirt-rpc top ${clock(view.time)} - ${where} - every ${intervalText(view.intervalSeconds)} - sorted by ${view.sort}`,
    domainCounts(hosts),
    `%CPU: share of ${fleet ? "its host's CPUs" : cpus ? `the host's ${plural(cpus, 'CPU')}` : "the host's CPUs"} (100 = all busy), memory: balloon current`,
    ...hosts.filter((h) => h.error).map((h) => `${h.host === h.uri ? h.uri : `${h.host} (${h.uri})`}: ${h.error}`),
    '',
  ];
  const [titles, ...rows] = tableLines(view.rows, fleet, width);
  const footer = view.keys ? ['', KEYS_LINE] : [];
  let shown = rows;
  if (view.height !== undefined) {
    const room = Math.max(0, view.height - header.length - 1 - footer.length);
    if (rows.length > room) shown = room > 0 ? [...rows.slice(0, room - 1), `… ${rows.length - room + 1} more`] : [];
  }
  const lines = [...header, titles!, ...shown, ...footer].map((l) => truncate(l, width));
  return view.height === undefined ? lines : lines.slice(0, view.height);
}

/** The view as the JSON object `--json` prints: field names stable, numbers as numbers. */
export function topJson(view: Pick<TopView, 'hosts' | 'rows' | 'sort' | 'intervalSeconds' | 'time'>) {
  const labels = hostLabels(view.hosts);
  const single = view.hosts.length === 1 ? view.hosts[0]! : undefined;
  return {
    time: view.time.toISOString(),
    /** The host's name when there is one host; null with several (see `hosts`). */
    host: single ? single.host : null,
    uri: single ? single.uri : null,
    intervalSeconds: view.intervalSeconds,
    sort: view.sort,
    hosts: view.hosts.map((h, i) => ({ host: labels[i]!, uri: h.uri, cpus: h.cpus, error: h.error })),
    domains: view.rows,
  };
}

// ---------------------------------------------------------------------------------------
// Keys

export interface TopState {
  sort: SortKey;
  intervalSeconds: number;
}

/** Where `+` and `-` step the interval to. */
export const INTERVAL_STEPS = [0.5, 1, 2, 3, 5, 10, 15, 30, 60];

const SORT_BY_KEY: Record<string, SortKey> = { c: 'cpu', m: 'mem', r: 'rd', w: 'wr', x: 'rx', t: 'tx', n: 'name' };

/**
 * What a chunk of terminal input does: the new sort and interval, and whether to quit, to
 * redraw, or to take the next sample on a new schedule. An escape sequence (an arrow key, a
 * function key) is ignored whole rather than read as letters.
 */
export function applyKeys(state: TopState, input: string): { state: TopState; quit: boolean; redraw: boolean; reschedule: boolean } {
  let { sort, intervalSeconds } = state;
  let redraw = false;
  let reschedule = false;
  if (!input.startsWith('\x1b')) {
    for (const key of input) {
      if (key === 'q' || key === '\x03') return { state: { sort, intervalSeconds }, quit: true, redraw, reschedule };
      if (SORT_BY_KEY[key]) {
        sort = SORT_BY_KEY[key]!;
        redraw = true;
      } else if (key === '+' || key === '-') {
        const next = key === '+' ? INTERVAL_STEPS.find((s) => s > intervalSeconds) : [...INTERVAL_STEPS].reverse().find((s) => s < intervalSeconds);
        if (next !== undefined) {
          intervalSeconds = next;
          redraw = reschedule = true;
        }
      }
    }
  }
  return { state: { sort, intervalSeconds }, quit: false, redraw, reschedule };
}

// ---------------------------------------------------------------------------------------
// Sampling and the loops

export interface TopOptions {
  /** Seconds between samples (default 1). */
  intervalSeconds?: number;
  sort?: SortKey;
  /** Two samples one interval apart, one table (or JSON object), then exit. */
  once?: boolean;
  /** Stop after this many refreshed views (each after the first sample). */
  iterations?: number;
  json?: boolean;
}

/** A host to watch this refresh: its connection, or why there is none (a fleet host not joined). */
export interface HostSource {
  uri: string;
  conn?: Connection;
  error?: string;
}

/** What a host told about itself once: its name and its CPUs. */
type HostFacts = Map<string, { host: string; cpus: number }>;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * One refresh of one host: its name and CPUs the first time it answers, then one stats call.
 * A failure is the sample's error, not an exception.
 */
async function sampleHost(source: HostSource, facts: HostFacts, timeoutMs: number | undefined): Promise<HostSample> {
  const { uri, conn } = source;
  const call = timeoutMs === undefined ? undefined : { timeoutMs };
  try {
    if (!conn) throw new Error(source.error ?? 'not connected');
    if (!facts.has(uri)) {
      const [host, info] = await Promise.all([conn.connectGetHostname(call), conn.nodeGetInfo(call)]);
      facts.set(uri, { host, cpus: info.cpus });
    }
    const sent = performance.now();
    const records = await conn.connectGetAllDomainStats([], STATS, FLAGS, call);
    const at = (sent + performance.now()) / 2;
    return { uri, ...facts.get(uri)!, at, time: new Date(), domains: records.map((r) => domainCounters(r.dom, r.params)), error: null };
  } catch (e) {
    return { uri, host: facts.get(uri)?.host ?? uri, cpus: facts.get(uri)?.cpus ?? null, at: performance.now(), time: new Date(), domains: [], error: message(e) };
  }
}

/** A sampler of every host at once; when none answers there is nothing to show, and that is the error. */
function sampler(sources: () => HostSource[], intervalSeconds: () => number): () => Promise<HostSample[]> {
  const facts: HostFacts = new Map();
  return async () => {
    const hosts = sources();
    // With several hosts one that hangs must not stop the others' view: it gets a deadline.
    const timeoutMs = hosts.length > 1 ? Math.max(10_000, 2000 * intervalSeconds()) : undefined;
    const samples = await Promise.all(hosts.map((h) => sampleHost(h, facts, timeoutMs)));
    if (samples.every((s) => s.error)) {
      throw new Error(samples.length === 1 ? samples[0]!.error! : samples.map((s) => `${s.uri}: ${s.error}`).join('\nerror: '));
    }
    return samples;
  };
}

/** A wait of `ms` that `wake()` ends early (a key changed the interval, or quit). */
function wakeableSleep(): { sleep(ms: number): Promise<void>; wake(): void } {
  let wake = () => {};
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(0, ms));
        function done() {
          clearTimeout(timer);
          wake = () => {};
          resolve();
        }
        wake = done;
      }),
    wake: () => wake(),
  };
}

type Screen = NonNullable<CliIo['stdoutStream']>;
type Keyboard = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };

/**
 * `top` over several hosts, for the fleet mode of the command: one connection per host, each
 * asked once per interval. With one host the view is that host's; with more, a HOST column
 * leads and the header counts the hosts. Interactive (a full-screen view with keys) when
 * `io.stdoutStream` is a terminal and neither `once` nor `json` is asked; otherwise views are
 * printed one after another through `io.stdout`. Resolves with the text left to print: the
 * view of `once`, or nothing once the loop has printed its own.
 *
 * @example
 * ```ts
 * const text = await topFleet([{ uri, conn }], { once: true, sort: 'mem' }, io);
 * ```
 */
export function topFleet(conns: { uri: string; conn: Connection }[], options: TopOptions, io: CliIo): Promise<string> {
  return topOn(() => conns, options, io);
}

/** {@link topFleet} over hosts that may come and go: `sources` is asked again at each refresh. */
export async function topOn(sources: () => HostSource[], options: TopOptions, io: CliIo): Promise<string> {
  return (await watch(sources, options, io)).text;
}

/** The loops behind {@link topOn}; also resolves with the last samples, whose errors fleet mode reports. */
async function watch(sources: () => HostSource[], options: TopOptions, io: CliIo): Promise<{ text: string; last: HostSample[] }> {
  const state: TopState = { sort: options.sort ?? 'cpu', intervalSeconds: options.intervalSeconds ?? 1 };
  const sample = sampler(sources, () => state.intervalSeconds);
  const screen = io.stdoutStream;
  if (!options.once && !options.json && screen?.isTTY) return interactive(sample, sources, state, options, screen, (io.stdin ?? process.stdin) as Keyboard);

  const width = screen?.isTTY && screen.columns ? screen.columns : Infinity;
  const frame = (previous: HostSample[], current: HostSample[]) => {
    const view = { hosts: current, rows: sortRows(fleetRows(previous, current), state.sort), sort: state.sort, intervalSeconds: state.intervalSeconds, time: current[0]!.time, width };
    if (options.json) return (options.once ? toJson(topJson(view)) : toJSONText(topJson(view), 0)) + '\n';
    return renderLines(view).join('\n') + '\n\n';
  };
  const { sleep } = wakeableSleep();
  let previous = await sample();
  for (let shown = 0; ; ) {
    await sleep(state.intervalSeconds * 1000 - (performance.now() - previous[0]!.at));
    const current = await sample();
    const text = frame(previous, current);
    if (options.once) return { text, last: current };
    io.stdout(text);
    previous = current;
    if (options.iterations !== undefined && ++shown >= options.iterations) return { text: '', last: current };
  }
}

const ENTER_SCREEN = '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J';
const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';

/**
 * The full-screen view: the alternate screen without a cursor, a redraw per sample and per
 * key or resize, keys read raw. Whatever ends it (q, Ctrl-C, a signal, `iterations`, no host
 * answering) leaves the terminal as it was.
 */
async function interactive(sample: () => Promise<HostSample[]>, sources: () => HostSource[], state: TopState, options: TopOptions, screen: Screen, keyboard: Keyboard): Promise<{ text: string; last: HostSample[] }> {
  let previous: HostSample[] | undefined;
  let current: HostSample[] | undefined;
  let quit = false;
  const { sleep, wake } = wakeableSleep();
  let stopWaiting = () => {};
  const quitting = new Promise<void>((resolve) => (stopWaiting = resolve));
  const end = () => {
    quit = true;
    wake();
    stopWaiting();
  };

  const draw = () => {
    const hosts = current ?? sources().map((h) => ({ uri: h.uri, host: h.uri, cpus: null, at: 0, time: new Date(), domains: [], error: null }));
    const view: TopView = {
      hosts,
      rows: sortRows(fleetRows(previous, hosts), state.sort),
      sort: state.sort,
      intervalSeconds: state.intervalSeconds,
      time: current?.[0]?.time ?? new Date(),
      width: screen.columns ?? 80,
      height: screen.rows ?? 24,
      keys: true,
    };
    screen.write('\x1b[H' + renderLines(view).map((l) => l + '\x1b[K').join('\r\n') + '\x1b[J');
  };
  const onKeys = (chunk: Buffer | string) => {
    const r = applyKeys(state, chunk.toString());
    Object.assign(state, r.state);
    if (r.quit) return end();
    if (r.redraw) draw();
    if (r.reschedule) wake();
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

  screen.write(ENTER_SCREEN);
  keyboard.setRawMode?.(true);
  keyboard.on('data', onKeys);
  keyboard.resume();
  screen.on('resize', draw);
  for (const s of signals) process.on(s, end);
  try {
    draw();
    for (let shown = 0; !quit; ) {
      const samples = await Promise.race([sample(), quitting.then(() => undefined)]);
      if (!samples) break;
      [previous, current] = [current, samples];
      draw();
      if (previous && options.iterations !== undefined && ++shown >= options.iterations) break;
      // Measured from this sample, and again after a key changed the interval.
      while (!quit) {
        const left = state.intervalSeconds * 1000 - (performance.now() - samples[0]!.at);
        if (left <= 0) break;
        await sleep(left);
      }
    }
  } finally {
    for (const s of signals) process.off(s, end);
    screen.off('resize', draw);
    keyboard.off('data', onKeys);
    keyboard.setRawMode?.(false);
    keyboard.pause();
    screen.write(LEAVE_SCREEN);
  }
  return { text: '', last: current ?? [] };
}

// ---------------------------------------------------------------------------------------
// The command

export interface TopCliOptions {
  interval?: string;
  sort?: string;
  once?: boolean;
  iterations?: string;
}

/** The command line's options as {@link TopOptions}, or the complaint about one. */
export function parseTopOptions(o: TopCliOptions, json: boolean): TopOptions {
  const out: TopOptions = { json, once: !!o.once };
  if (o.interval !== undefined) {
    const s = Number(o.interval);
    if (!/^[\d.]+$/.test(o.interval) || !Number.isFinite(s) || s <= 0) throw new Error(`invalid interval '${o.interval}': give a positive number of seconds`);
    out.intervalSeconds = s;
  }
  if (o.sort !== undefined) {
    if (!(SORT_KEYS as readonly string[]).includes(o.sort)) throw new Error(`invalid sort key '${o.sort}': one of ${SORT_KEYS.join(', ')}`);
    out.sort = o.sort as SortKey;
  }
  if (o.iterations !== undefined) {
    const n = numericOption('iterations', o.iterations);
    if (n < 1) throw new Error(`Numeric value '${o.iterations}' for <iterations> option is malformed or out of range`);
    out.iterations = n;
  }
  return out;
}

/** `top` on the command's one connection. */
export function top(c: Context, o: TopCliOptions, io: CliIo): Promise<string> {
  return topFleet([{ uri: c.uri, conn: c.conn }], parseTopOptions(o, c.json), io);
}

/**
 * `top` in fleet mode (`-c` more than once, `--hosts FILE`): every host read-only on one
 * Fleet, which keeps dialing the hosts that are down; each refresh asks the hosts joined by
 * then and shows the others with their last error.
 */
export async function topOnHosts(uris: string[], options: TopOptions, io: CliIo): Promise<{ text: string; failed: { uri: string; error: string }[] }> {
  const fleet = await Fleet.connect(uris, { concurrency: FLEET_CONCURRENCY, connection: { env: io.env, readonly: true } });
  try {
    const { text, last } = await watch(() => fleet.health().map((h) => ({ uri: h.uri, conn: fleet.connections.get(h.uri), ...(h.error ? { error: h.error } : {}) })), options, io);
    return { text, failed: last.filter((h) => h.error).map((h) => ({ uri: h.uri, error: h.error! })) };
  } finally {
    await fleet.close();
  }
}

export function register({ program, act, io, hosts, fail }: Registry): void {
  program
    .command('top')
    .description('a live view of every domain: state, CPU, memory, disk and network rates (beyond virsh)')
    .option('--interval <seconds>', 'seconds between refreshes (default 1)')
    .option('--sort <key>', `sort by ${SORT_KEYS.join(', ')} (default cpu)`)
    .option('--once', 'take two samples one interval apart, print one table and exit')
    .option('--iterations <n>', 'stop after this many refreshes')
    .action(async (o: TopCliOptions) => {
      const g = program.opts<{ json?: boolean; hosts?: string }>();
      try {
        const uris = hosts();
        // One host: the command's usual connection. Fleet mode: top watches the hosts
        // itself, as one view, rather than once per host as other commands run there.
        if (uris.length <= 1 && !g.hosts) return await act((c) => top(c, o, io));
        if (!uris.length) throw new Error(`no hosts in ${g.hosts}`);
        const options = parseTopOptions(o, !!g.json);
        const { text, failed } = await topOnHosts(uris, options, io);
        io.stdout(text);
        // As other commands in fleet mode: the view of the hosts that answered, and an
        // error (exit status 1) for each that did not. A live view shows them instead.
        if (options.once) for (const f of failed) fail(`${f.uri}: ${f.error}`);
      } catch (e) {
        fail(message(e));
      }
    });
}
