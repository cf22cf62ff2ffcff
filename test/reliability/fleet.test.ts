/**
 * A fleet of 50 throwaway daemons on loopback TCP ports: fan-out calls with per-host results,
 * hosts going down and coming back mid-run, and one merged event stream tagged by host. Then
 * hosts that are down when the fleet starts: dialed again until they come up and join.
 */
import { Fleet } from '../../src/index.js';
import { type ThrowawayDaemon, startThrowawayLibvirtd } from '../harness/daemon.js';
import { freePort } from '../harness/ports.js';

const HOSTS = Number(process.env.FLEET_HOSTS ?? 50);

const tcpUri = (port: number) => `test+tcp://127.0.0.1:${port}/default`;

/**
 * Waits for `ok()`, checking every 50 ms. The bound only turns a hang into a failure that
 * says what was awaited: it is far above what a loaded machine needs, and nothing asserts
 * how long it took.
 */
async function until(what: string, ok: () => boolean, boundMs = 90_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: still not the case after ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Records the timers armed with `ms` until they fire or are cleared: a retry timer that
 * close() left behind stays in the set. (Counting every timer of the process is not enough:
 * daemons started and stopped by other tests arm and clear timers of their own meanwhile.)
 */
function watchTimers(ms: number): { armed: Set<unknown>; restore: () => void } {
  const armed = new Set<unknown>();
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
    const timer = realSet((...a: unknown[]) => {
      armed.delete(timer);
      fn(...a);
    }, delay, ...args);
    if (delay === ms) armed.add(timer);
    return timer;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((timer?: Parameters<typeof clearTimeout>[0]) => {
    armed.delete(timer);
    realClear(timer);
  }) as typeof clearTimeout;
  return {
    armed,
    restore: () => {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    },
  };
}

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

describe('a host that is down when the fleet starts', () => {
  const daemons: ThrowawayDaemon[] = [];

  afterEach(async () => {
    await Promise.all(daemons.splice(0).map((d) => d.stop()));
  }, 120_000);

  it('is dialed again until it comes up, then joins: connections, map(), health() and running events() iterators', async () => {
    const upPort = await freePort();
    const latePort = await freePort();
    daemons.push(await startThrowawayLibvirtd({ name: `fleet-up-${upPort}`, listenTcp: { port: upPort } }));
    const late = tcpUri(latePort);
    const fleet = await Fleet.connect([tcpUri(upPort), late], {
      connection: { keepalive: { intervalMs: 2000, count: 3 }, reconnect: { initialDelayMs: 100, maxDelayMs: 500 } },
    });
    try {
      expect(fleet.connections.has(late)).toBe(false);
      const before = fleet.health().find((h) => h.uri === late)!;
      expect(before.up).toBe(false);
      expect(before.error).toEqual(expect.any(String));
      // Not called on a host that has not joined: its result is the last dial's error.
      const early = await fleet.map((conn) => conn.connectGetType());
      expect(early).toEqual([
        { uri: tcpUri(upPort), ok: true, value: 'TEST' },
        { uri: late, ok: false, error: expect.objectContaining({ message: before.error }) },
      ]);

      // Started while the host is still down: it must get the host's events once it joins.
      const events = await fleet.events('domain:lifecycle');
      daemons.push(await startThrowawayLibvirtd({ name: `fleet-late-${latePort}`, listenTcp: { port: latePort } }));
      await until(`${late} joins the fleet`, () => fleet.health().find((h) => h.uri === late)!.up);

      expect(fleet.connections.has(late)).toBe(true);
      const after = await fleet.map((conn, uri) => conn.connectGetType().then((type) => `${uri} ${type}`));
      expect(after).toEqual([
        { uri: tcpUri(upPort), ok: true, value: `${tcpUri(upPort)} TEST` },
        { uri: late, ok: true, value: `${late} TEST` },
      ]);
      expect(fleet.health().map((h) => h.up)).toEqual([true, true]);

      await fleet.connections
        .get(late)!
        .domainDefineXML(`<domain type='test'><name>fleet-late-ev</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`);
      const first = await events.next();
      expect(first.value.uri).toBe(late);
      expect(first.value.event.dom.name).toBe('fleet-late-ev');
      await events.return!();
    } finally {
      await fleet.close();
    }
  }, 180_000);

  it('stops being dialed at close(): close() settles and no retry timer is left', async () => {
    const port = await freePort();
    // A first retry a minute away (maxDelayMs caps the delay too): a close() that waited for
    // it times out, and one that left it armed leaves it in `armed`.
    const timers = watchTimers(60_000);
    let fleet: Fleet | undefined;
    try {
      fleet = await Fleet.connect([tcpUri(port)], { connection: { reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 } } });
      expect(fleet.health()).toEqual([{ uri: tcpUri(port), up: false, reconnects: 0, error: expect.any(String) }]);
      expect(timers.armed.size).toBe(1);
      const iterator = await fleet.events('domain:lifecycle');
      await fleet.close();
      expect(timers.armed.size).toBe(0);
      // An iterator still running when the fleet closes ends instead of waiting forever.
      await expect(iterator.next()).rejects.toThrow(/fleet was closed/);
      expect(fleet.connections.size).toBe(0);
    } finally {
      timers.restore();
      await fleet?.close();
    }
  }, 20_000);
});
