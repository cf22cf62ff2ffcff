/**
 * A fleet of 50 throwaway daemons on loopback TCP ports: fan-out calls with per-host results,
 * hosts going down and coming back mid-run, and one merged event stream tagged by host.
 */
import { Fleet } from '../../src/index.js';
import { freePort } from '../../scripts/ports.js';
import { type ThrowawayDaemon, startThrowawayLibvirtd } from '../../scripts/throwaway-libvirtd.js';

const HOSTS = Number(process.env.FLEET_HOSTS ?? 50);

describe(`a fleet of ${HOSTS} hosts`, () => {
  const ports: number[] = [];
  const daemons: ThrowawayDaemon[] = [];
  let fleet: Fleet;

  beforeAll(async () => {
    for (let i = 0; i < HOSTS; i++) ports.push(await freePort());
    for (const port of ports) daemons.push(await startThrowawayLibvirtd({ name: `fleet-${port}`, listenTcp: { port } }));
    fleet = await Fleet.connect(
      ports.map((p) => `test+tcp://127.0.0.1:${p}/default`),
      // Keepalive generous enough for a machine busy with other test files: a killed daemon
      // is noticed from its closed socket anyway.
      { concurrency: 10, connection: { keepalive: { intervalMs: 2000, count: 3 }, reconnect: { initialDelayMs: 100, maxDelayMs: 500 } } },
    );
  }, 120_000);

  afterAll(async () => {
    await fleet?.close();
    await Promise.all(daemons.map((d) => d.stop()));
  }, 120_000);

  it('fans a call out to every host', async () => {
    const results = await fleet.map((conn) => conn.connectGetType());
    expect(results).toHaveLength(HOSTS);
    expect(results.every((r) => r.ok && r.value === 'TEST')).toBe(true);
    expect(fleet.health().every((h) => h.up)).toBe(true);
  });

  it('reports hosts that go down, and uses them again when they come back', async () => {
    const down = [3, 17, 42].filter((i) => i < HOSTS);
    for (const i of down) {
      daemons[i]!.kill('SIGKILL');
      await daemons[i]!.stop();
    }
    const during = await fleet.map((conn) => conn.connectGetType(), { timeoutMs: 1000 });
    const failed = during.filter((r) => !r.ok).map((r) => r.uri);
    expect(failed.sort()).toEqual(down.map((i) => `test+tcp://127.0.0.1:${ports[i]}/default`).sort());
    for (const i of down) daemons[i] = await startThrowawayLibvirtd({ name: `fleet-back-${ports[i]}`, listenTcp: { port: ports[i]! } });
    const after = await fleet.map((conn) => conn.connectGetType(), { timeoutMs: 10_000 });
    expect(after.every((r) => r.ok)).toBe(true);
    const downUris = down.map((i) => `test+tcp://127.0.0.1:${ports[i]}/default`);
    expect(fleet.health().filter((h) => downUris.includes(h.uri)).every((h) => h.reconnects > 0 && h.up)).toBe(true);
  }, 60_000);

  it('merges events from every host, tagged by host', async () => {
    const events = await fleet.events('domain:lifecycle');
    const target = fleet.connections.get(`test+tcp://127.0.0.1:${ports[7]}/default`)!;
    await target.domainDefineXML(`<domain type='test'><name>fleet-ev</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`);
    const first = await events.next();
    expect(first.value.uri).toBe(`test+tcp://127.0.0.1:${ports[7]}/default`);
    expect(first.value.event.dom.name).toBe('fleet-ev');
    await events.return!();
  });
});
