/**
 * RPC speed next to libvirt's C client, same daemon, same run: sequential and concurrent
 * calls, large lists and stats over 2,000 test-driver domains, and open+close.
 * The C side is bench/c/libvirt-bench.c, compiled here against the system's libvirt.
 */
import { type Connection, connect } from '../src/index.js';
import { type ThrowawayDaemon, startThrowawayLibvirtd } from '../test/harness/daemon.js';
import { benchGeneration } from './lib/daemon.js';
import { buildCClient, runCClient } from './lib/c-client.js';
import { type Measurement, median } from './lib/stats.js';

const DOMAINS = 2000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

interface Sample {
  count: number;
  wallNs: number;
  cpuNs: number;
}

interface Case {
  mode: string;
  label: string;
  count: number;
  /** What the target says, as a ratio of ours to C's. */
  target: string;
  /** Untimed runs before each timed one (default count / 20): the steady state of a long-lived process is what is compared. */
  warmup?: number;
  ours(conn: Connection, uri: string, count: number): Promise<void>;
}

const CASES: Case[] = [
  {
    mode: 'libversion',
    label: 'sequential connectGetLibVersion',
    count: 4000,
    target: 'calls/s >= 1.0x C, CPU/call <= C',
    async ours(conn, _u, n) {
      for (let i = 0; i < n; i++) await conn.connectGetLibVersion();
    },
  },
  {
    mode: 'lookup',
    label: 'sequential domainLookupByName',
    count: 4000,
    target: 'calls/s >= 1.0x C, CPU/call <= C',
    async ours(conn, _u, n) {
      for (let i = 0; i < n; i++) await conn.domainLookupByName('test');
    },
  },
  {
    mode: 'concurrent',
    label: '8 concurrent callers, one connection',
    count: 8000,
    target: 'calls/s >= 1.1x C',
    async ours(conn, _u, n) {
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < n / 8; i++) await conn.connectGetLibVersion();
        }),
      );
    },
  },
  {
    mode: 'listall',
    label: `connectListAllDomains, ${DOMAINS} domains`,
    count: 30,
    target: 'time <= 0.6x C',
    async ours(conn, _u, n) {
      for (let i = 0; i < n; i++) await conn.connectListAllDomains(1, 0);
    },
  },
  {
    mode: 'allstats',
    label: `connectGetAllDomainStats, ${DOMAINS} domains`,
    count: 10,
    target: 'time <= 0.8x C',
    async ours(conn, _u, n) {
      for (let i = 0; i < n; i++) await conn.connectGetAllDomainStats([], 0, 0);
    },
  },
  {
    mode: 'openclose',
    label: 'open + close',
    count: 1000,
    // The open path runs once per connection: it takes a few thousand before the JIT has
    // compiled all of it (the first thousand cost about half as much again).
    warmup: 2000,
    target: 'time <= 1.0x C',
    async ours(_conn, uri, n) {
      // Default options, as a user opens and as the C client does (keepalive asked for).
      for (let i = 0; i < n; i++) await (await connect(uri)).close();
    },
  },
];

async function measureOurs(c: Case, conn: Connection, uri: string): Promise<Sample> {
  await c.ours(conn, uri, c.warmup ?? Math.max(1, Math.floor(c.count / 20)));
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await c.ours(conn, uri, c.count);
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { count: c.count, wallNs, cpuNs: (cpu.user + cpu.system) * 1000 };
}

function measureC(bin: string, c: Case, uri: string): Sample {
  return runCClient(bin, uri, c.mode, c.count);
}

async function populate(conn: Connection): Promise<void> {
  const batch: Promise<unknown>[] = [];
  for (let i = 0; i < DOMAINS - 1; i++) {
    const name = `bench-${String(i).padStart(4, '0')}`;
    batch.push(
      conn
        .domainDefineXML(`<domain type='test'><name>${name}</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`)
        .then((d) => conn.domainCreate(d)),
    );
  }
  await Promise.all(batch);
}

export async function run(): Promise<Measurement[]> {
  const bin = buildCClient();
  const daemon: ThrowawayDaemon = await startThrowawayLibvirtd({ name: 'bench', generation: benchGeneration() });
  const results: Measurement[] = [];
  try {
    // This connection stays open throughout: the test driver keeps its state while one does.
    const keeper = await connect(daemon.testUri, { keepalive: false });
    await populate(keeper);
    const total = (await keeper.connectListAllDomains(1, 0)).domains.length;
    if (total !== DOMAINS) throw new Error(`expected ${DOMAINS} domains, found ${total}`);
    const conn = await connect(daemon.testUri);
    for (const c of CASES) {
      const ours: Sample[] = [];
      const theirs: Sample[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        ours.push(await measureOurs(c, conn, daemon.testUri));
        theirs.push(measureC(bin, c, daemon.testUri));
      }
      results.push(summarize(c, ours, theirs));
    }
    await conn.close();
    await keeper.close();
  } finally {
    await daemon.stop();
  }
  return results;
}

function summarize(c: Case, ours: Sample[], theirs: Sample[]): Measurement {
  const perCall = (s: Sample[], f: (x: Sample) => number) => median(s.map((x) => f(x) / x.count));
  const oursMs = perCall(ours, (x) => x.wallNs) / 1e6;
  const cMs = perCall(theirs, (x) => x.wallNs) / 1e6;
  const oursCpuUs = perCall(ours, (x) => x.cpuNs) / 1e3;
  const cCpuUs = perCall(theirs, (x) => x.cpuNs) / 1e3;
  return {
    group: 'rpc',
    name: c.label,
    unit: c.mode === 'listall' || c.mode === 'allstats' || c.mode === 'openclose' ? 'ms/call' : 'calls/s',
    ours: c.mode === 'listall' || c.mode === 'allstats' || c.mode === 'openclose' ? oursMs : 1000 / oursMs,
    theirs: c.mode === 'listall' || c.mode === 'allstats' || c.mode === 'openclose' ? cMs : 1000 / cMs,
    theirsName: 'C client',
    extra: { oursCpuUsPerCall: round(oursCpuUs), cCpuUsPerCall: round(cCpuUs), target: c.target },
  };
}

const round = (v: number) => Math.round(v * 100) / 100;
