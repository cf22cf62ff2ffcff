/**
 * Which daemon generation the benchmarks start: `npm run bench -- --daemon 11.3` (the chroot's
 * libvirt 11.3, see test/harness/daemon-11.ts) or 9.0 (this machine's, the default). bench/run.ts
 * passes the choice to each benchmark's process as LIBVIRT_BENCH_DAEMON.
 */
import { type DaemonGeneration, GENERATIONS } from '../../test/harness/daemon.js';

export function benchGeneration(): DaemonGeneration {
  const g = process.env.LIBVIRT_BENCH_DAEMON ?? '9.0';
  if (!(GENERATIONS as readonly string[]).includes(g)) throw new Error(`--daemon ${g}: the generations are ${GENERATIONS.join(', ')}`);
  return g as DaemonGeneration;
}
