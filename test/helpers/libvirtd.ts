/**
 * Jest side of the throwaway daemon: one daemon per test file, stopped after it, plus the
 * C client (python3-libvirt, virsh) pointed at the same daemon as the oracle.
 */
import { execFile } from 'node:child_process';
import { SYSTEM_PYTHON, type ThrowawayDaemon, startThrowawayLibvirtd, virshOn } from '../../scripts/throwaway-libvirtd.js';

export type { ThrowawayDaemon };

let shared: Promise<ThrowawayDaemon> | undefined;

/**
 * The test file's daemon, started on first use. Jest gives each test file its own module
 * registry, so "shared" means shared by the tests of one file.
 */
export async function sharedDaemon(): Promise<ThrowawayDaemon> {
  shared ??= startThrowawayLibvirtd({ name: 'jest' }).catch((err) => {
    shared = undefined; // a later test may try again rather than inherit the failure
    throw err;
  });
  return shared;
}

afterAll(async () => {
  const daemon = shared;
  shared = undefined;
  if (daemon) await (await daemon.catch(() => undefined))?.stop();
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
