/** Timing a whole command from outside: a parent process spawns it and reads what it cost. */
import { execFileSync } from 'node:child_process';
import { SYSTEM_PYTHON } from '../../test/harness/packages.js';

/** Wall seconds, CPU seconds (user + system) and peak RSS (KiB) of one run of `argv`. */
export function timedChild(argv: string[], env: Record<string, string>): { wall: number; cpu: number; rssKiB: number } {
  const script = `
import resource, subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
wall = time.monotonic() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, u.ru_utime + u.ru_stime, u.ru_maxrss)
`;
  const [wall, cpu, rssKiB] = execFileSync(SYSTEM_PYTHON, ['-c', script, ...argv], { env: { ...process.env, ...env } })
    .toString()
    .trim()
    .split(' ')
    .map(Number);
  return { wall: wall!, cpu: cpu!, rssKiB: rssKiB! };
}
