/**
 * Jest side of the throwaway daemon: one daemon per test file, stopped after it, plus the
 * C client (python3-libvirt, virsh) pointed at the same daemon as the oracle.
 */
import { execFile } from 'node:child_process';
import { type DaemonGeneration, GENERATIONS, type ThrowawayDaemon, startThrowawayLibvirtd } from '../harness/daemon.js';
import { virshOn } from '../harness/guests.js';
import { SYSTEM_PYTHON } from '../harness/packages.js';

export type { DaemonGeneration, ThrowawayDaemon };

/**
 * The daemon generations this run tests against: `LIBVIRT_DAEMONS` (`9.0`, `11.3`, or both
 * with a comma), by default both.
 */
export function enabledGenerations(): DaemonGeneration[] {
  const asked = (process.env.LIBVIRT_DAEMONS ?? GENERATIONS.join(','))
    .split(/[\s,]+/)
    .filter(Boolean);
  const unknown = asked.filter((g) => !(GENERATIONS as readonly string[]).includes(g));
  if (unknown.length) throw new Error(`LIBVIRT_DAEMONS names ${unknown.join(', ')}: the generations are ${GENERATIONS.join(', ')}`);
  return GENERATIONS.filter((g) => asked.includes(g));
}

/**
 * Declares the tests in `fn` once per daemon generation of this run, each in a describe
 * block named after it (`libvirt 9.0`, `libvirt 11.3`); `only` limits them to the
 * generations a feature needs. With no generation left the file still gets a failing test
 * rather than none, so a run never passes by testing nothing.
 */
export function forEachGeneration(fn: (generation: DaemonGeneration) => void, only: readonly DaemonGeneration[] = GENERATIONS): void {
  const gens = enabledGenerations().filter((g) => only.includes(g));
  if (!gens.length) {
    it(`runs against libvirt ${only.join(' or ')}`, () => {
      throw new Error(`these tests need libvirt ${only.join(' or ')}, and LIBVIRT_DAEMONS=${process.env.LIBVIRT_DAEMONS} leaves it out`);
    });
  }
  for (const g of gens) describe(`libvirt ${g}`, () => fn(g));
}

const shared = new Map<DaemonGeneration, Promise<ThrowawayDaemon>>();

/**
 * The test file's daemon of a generation (default 9.0, the host's), started on first use.
 * Jest gives each test file its own module registry, so "shared" means shared by the tests
 * of one file.
 */
export async function sharedDaemon(generation: DaemonGeneration = '9.0'): Promise<ThrowawayDaemon> {
  let daemon = shared.get(generation);
  if (!daemon) {
    daemon = startThrowawayLibvirtd({ name: 'jest', generation }).catch((err) => {
      shared.delete(generation); // a later test may try again rather than inherit the failure
      throw err;
    });
    shared.set(generation, daemon);
  }
  return daemon;
}

afterAll(async () => {
  const daemons = [...shared.values()];
  shared.clear();
  await Promise.all(daemons.map(async (d) => (await d.catch(() => undefined))?.stop()));
});

/** The environment for a C client of this daemon (its XDG dirs, never the user's own). */
export const clientEnv = (daemon: ThrowawayDaemon): NodeJS.ProcessEnv => ({ ...process.env, ...daemon.env });

/**
 * Runs a Python snippet with `libvirt`, `json` and `conn` (opened on `uri`) in scope; the
 * snippet prints JSON, whose last line is returned parsed.
 */
export function pythonLibvirt(daemon: ThrowawayDaemon, uri: string, code: string): Promise<any> {
  // Silence libvirt's default error handler, which prints to stderr besides raising.
  const program = `import json, libvirt, sys\nlibvirt.registerErrorHandler(lambda ctx, err: None, None)\nconn = libvirt.open(${JSON.stringify(uri)})\n${code}\n`;
  return new Promise((resolve, reject) => {
    const child = execFile(SYSTEM_PYTHON, ['-c', program], { env: clientEnv(daemon), maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`python3-libvirt failed: ${stderr || err.message}`));
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`python3-libvirt printed no JSON: ${stdout.slice(0, 500)}`));
      }
    });
    child.stdin?.end();
  });
}

/** Runs virsh against `uri` with the daemon's environment and returns its standard output. */
export function virsh(daemon: ThrowawayDaemon, uri: string, ...args: string[]): Promise<string> {
  return virshOn(daemon, uri, args);
}
