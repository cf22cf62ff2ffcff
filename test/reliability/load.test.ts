/**
 * Load against a real daemon: many calls with 64 in flight on one connection, and 200
 * connections at once; every reply is checked against its request, none lost, RSS flat.
 * LOAD_CALLS scales it (CI: 20,000, kept small so it does not starve the QEMU tests that
 * share the machine; `npm run soak`: 1,000,000).
 */
import { type Connection, connect } from '../../src/index.js';
import { type ThrowawayDaemon, sharedDaemon } from '../helpers/libvirtd.js';

const CALLS = Number(process.env.LOAD_CALLS ?? 20_000);
const IN_FLIGHT = 64;
const NAMES = Array.from({ length: 16 }, (_, i) => `load-${i}`);

describe('load', () => {
  let daemon: ThrowawayDaemon;
  let conn: Connection;

  beforeAll(async () => {
    daemon = await sharedDaemon();
    conn = await connect(daemon.testUri, { keepalive: false });
    for (const name of NAMES) {
      await conn.domainDefineXML(`<domain type='test'><name>${name}</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`);
    }
  });
  afterAll(() => conn?.close());

  it(`${CALLS.toLocaleString('en-US')} calls, ${IN_FLIGHT} in flight: none lost, none mismatched, RSS flat`, async () => {
    let next = 0;
    let mismatched = 0;
    let done = 0;
    const rss: number[] = [];
    const worker = async () => {
      while (next < CALLS) {
        const i = next++;
        const name = NAMES[i % NAMES.length]!;
        const dom = await conn.domainLookupByName(name);
        if (dom.name !== name) mismatched++;
        if (++done % 10_000 === 0) rss.push(process.memoryUsage().rss);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    expect(done).toBe(CALLS);
    expect(mismatched).toBe(0);
    expect(conn.stats.droppedReplies).toBe(0);
    // Flat: the second half of the run grows RSS by less than 32 MiB.
    if (rss.length >= 2) expect(rss.at(-1)! - rss[Math.floor(rss.length / 2)]!).toBeLessThan(32 * 1024 * 1024);
  }, 600_000);

  it('200 connections in parallel, each checked', async () => {
    const conns = await Promise.all(Array.from({ length: 200 }, () => connect(daemon.testUri, { keepalive: false })));
    const names = await Promise.all(conns.map((c, i) => c.domainLookupByName(NAMES[i % NAMES.length]!).then((d) => d.name)));
    expect(names).toEqual(conns.map((_, i) => NAMES[i % NAMES.length]));
    await Promise.all(conns.map((c) => c.close()));
  }, 120_000);
});
