/**
 * 1,000 simultaneous connections from one process to one daemon: time to open them all,
 * memory per connection, and calls/s spread across them.
 */
import { type Connection, connect } from '../src/index.js';
import { startThrowawayLibvirtd } from '../test/harness/daemon.js';
import { benchGeneration } from './lib/daemon.js';
import type { Measurement } from './lib/stats.js';

const COUNT = Number(process.env.BENCH_CONNECTIONS ?? 1000);
const CALLS = 20_000;

export async function run(): Promise<Measurement[]> {
  const daemon = await startThrowawayLibvirtd({
    name: 'bench-connections',
    generation: benchGeneration(),
    extraConfig: `max_clients = ${COUNT * 2}\nmax_anonymous_clients = ${COUNT * 2}\nmax_workers = 20`,
  });
  try {
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const conns: Connection[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < COUNT) {
          next++;
          conns.push(await connect(daemon.testUri, { keepalive: false }));
        }
      }),
    );
    const openMs = performance.now() - t0;
    const perConnKiB = (process.memoryUsage().rss - before) / COUNT / 1024;
    let done = 0;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (done < CALLS) {
          const c = conns[done++ % conns.length]!;
          await c.connectGetLibVersion();
        }
      }),
    );
    const rate = (CALLS * 1000) / (performance.now() - t1);
    await Promise.all(conns.map((c) => c.close()));
    return [
      { group: 'connections', name: `open ${COUNT} connections (50 at a time)`, unit: 'ms', ours: openMs, theirs: openMs, theirsName: '-' },
      { group: 'connections', name: `RSS per connection, ${COUNT} open`, unit: 'KiB', ours: perConnKiB, theirs: perConnKiB, theirsName: '-' },
      { group: 'connections', name: `calls/s spread over ${COUNT} connections (64 in flight)`, unit: 'calls/s', ours: rate, theirs: rate, theirsName: '-' },
    ];
  } finally {
    await daemon.stop();
  }
}
