/**
 * The handle face against the flat face it is built on, same connection, same daemon, rounds
 * interleaved: what options objects, plain values and handle objects cost per call.
 */
import { type Connection, connect } from '../src/index.js';
import { type ThrowawayDaemon, startThrowawayLibvirtd } from '../test/harness/daemon.js';
import { benchGeneration } from './lib/daemon.js';
import { type Measurement, median } from './lib/stats.js';

const DOMAINS = 2000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

interface Case {
  label: string;
  count: number;
  unit: 'calls/s' | 'ms/call';
  handle(conn: Connection, n: number): Promise<void>;
  flat(conn: Connection, n: number): Promise<void>;
}

const CASES: Case[] = [
  {
    label: 'lookup by name: conn.domains.lookupByName vs conn.domainLookupByName',
    count: 4000,
    unit: 'calls/s',
    async handle(conn, n) {
      for (let i = 0; i < n; i++) await conn.domains.lookupByName('test');
    },
    async flat(conn, n) {
      for (let i = 0; i < n; i++) await conn.domainLookupByName('test');
    },
  },
  {
    label: 'info with options and names: dom.getXMLDesc({ inactive }) + dom.getInfo() vs the flat calls',
    count: 2000,
    unit: 'calls/s',
    async handle(conn, n) {
      const dom = await conn.domains.lookupByName('test');
      for (let i = 0; i < n; i++) {
        await dom.getXMLDesc({ inactive: true });
        await dom.getInfo();
      }
    },
    async flat(conn, n) {
      const dom = await conn.domainLookupByName('test');
      for (let i = 0; i < n; i++) {
        await conn.domainGetXMLDesc(dom, 2);
        await conn.domainGetInfo(dom);
      }
    },
  },
  {
    label: `list ${DOMAINS} domains: conn.domains.listAll() (handles) vs conn.connectListAllDomains(1)`,
    count: 30,
    unit: 'ms/call',
    async handle(conn, n) {
      for (let i = 0; i < n; i++) await conn.domains.listAll();
    },
    async flat(conn, n) {
      for (let i = 0; i < n; i++) await conn.connectListAllDomains(1, 0);
    },
  },
];

async function timed(fn: (n: number) => Promise<void>, n: number): Promise<{ wallNs: number; cpuNs: number }> {
  await fn(Math.max(1, Math.floor(n / 20)));
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn(n);
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { wallNs, cpuNs: (cpu.user + cpu.system) * 1000 };
}

export async function run(): Promise<Measurement[]> {
  const daemon: ThrowawayDaemon = await startThrowawayLibvirtd({ name: 'bench-handles', generation: benchGeneration() });
  const results: Measurement[] = [];
  try {
    const conn = await connect(daemon.testUri, { keepalive: false });
    await Promise.all(
      Array.from({ length: DOMAINS - 1 }, (_, i) =>
        conn.domains.defineXML(`<domain type='test'><name>hb-${i}</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`),
      ),
    );
    for (const c of CASES) {
      const handle: { wallNs: number; cpuNs: number }[] = [];
      const flat: { wallNs: number; cpuNs: number }[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        // Alternate which goes first, so that neither always runs on a warmer JIT or heap.
        const pair = [() => timed((n) => c.handle(conn, n), c.count).then((s) => handle.push(s)), () => timed((n) => c.flat(conn, n), c.count).then((s) => flat.push(s))];
        for (const step of r % 2 ? pair.reverse() : pair) await step();
      }
      const perCall = (s: { wallNs: number }[]) => median(s.map((x) => x.wallNs / c.count)) / 1e6;
      const cpuPerCall = (s: { cpuNs: number }[]) => Math.round(median(s.map((x) => x.cpuNs / c.count)) / 10) / 100;
      const h = perCall(handle);
      const f = perCall(flat);
      results.push({
        group: 'handles',
        name: c.label,
        unit: c.unit,
        ours: c.unit === 'calls/s' ? 1000 / h : h,
        theirs: c.unit === 'calls/s' ? 1000 / f : f,
        theirsName: 'flat face',
        extra: { handleCpuUsPerCall: cpuPerCall(handle), flatCpuUsPerCall: cpuPerCall(flat) },
      });
    }
    await conn.close();
  } finally {
    await daemon.stop();
  }
  return results;
}
