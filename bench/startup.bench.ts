/**
 * The command's start-up: `libvirt-rpc -c URI list --all` (the built package's bin, one call
 * to a daemon) next to `virsh -c URI list --all` and a bare `node -e 0`, each timed from
 * outside (a parent that spawns it and reads its wall time and peak RSS), in alternating
 * rounds; and `libvirt-rpc --version`, which connects to nothing.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from '../test/harness/build.js';
import { startThrowawayLibvirtd } from '../test/harness/daemon.js';
import { benchGeneration } from './lib/daemon.js';
import { type Measurement, median } from './lib/stats.js';
import { timedChild } from './lib/timed-child.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.cjs');

export async function run(): Promise<Measurement[]> {
  build({ ifStale: true, quiet: true });
  const daemon = await startThrowawayLibvirtd({ name: 'bench-startup', generation: benchGeneration() });
  try {
    const node = process.execPath;
    const commands = {
      node: [node, '-e', '0'],
      ours: [node, BIN, '-c', daemon.testUri, 'list', '--all'],
      oursVersion: [node, BIN, '--version'],
      virsh: ['virsh', '-c', daemon.testUri, 'list', '--all'],
    };
    const samples = Object.fromEntries(Object.keys(commands).map((k) => [k, [] as { wall: number; rssKiB: number }[]])) as Record<keyof typeof commands, { wall: number; rssKiB: number }[]>;
    for (let r = 0; r < ROUNDS + 2; r++) {
      for (const [name, argv] of Object.entries(commands) as [keyof typeof commands, string[]][]) {
        const s = timedChild(argv, daemon.env);
        // The first two rounds warm the page cache and the daemon.
        if (r >= 2) samples[name].push(s);
      }
    }
    const ms = (k: keyof typeof commands) => median(samples[k].map((s) => s.wall)) * 1000;
    const mib = (k: keyof typeof commands) => median(samples[k].map((s) => s.rssKiB)) / 1024;
    const row = (name: string, ours: number, theirs: number, theirsName: string, unit: string, extra?: Record<string, unknown>): Measurement => ({
      group: 'startup',
      name,
      unit,
      ours,
      theirs,
      theirsName,
      ...(extra ? { extra } : {}),
    });
    return [
      row('`list --all`, wall time', ms('ours'), ms('node'), 'node -e 0', 'ms/call', { virshMs: round(ms('virsh')), targetMs: round(ms('node') + 20) }),
      row('`list --all`, peak RSS', mib('ours'), mib('node'), 'node -e 0', 'MiB', { virshMiB: round(mib('virsh')), targetMiB: round(mib('node') * 1.5) }),
      row('`--version`, wall time', ms('oursVersion'), ms('node'), 'node -e 0', 'ms/call'),
      row('`--version`, peak RSS', mib('oursVersion'), mib('node'), 'node -e 0', 'MiB'),
    ];
  } finally {
    await daemon.stop();
  }
}

const round = (v: number) => Math.round(v * 10) / 10;
