/**
 * Jest side of the throwaway daemon: one daemon per test file, stopped after it, plus the
 * C client (python3-libvirt, virsh) pointed at the same daemon as the oracle.
 */
import { execFile } from 'node:child_process';
import { SYSTEM_PYTHON, type ThrowawayDaemon, startThrowawayLibvirtd } from '../../scripts/throwaway-libvirtd.js';

export type { ThrowawayDaemon };

let shared: Promise<ThrowawayDaemon> | undefined;

/** The test file's daemon, started on first use. */
export function sharedDaemon(): Promise<ThrowawayDaemon> {
  shared ??= startThrowawayLibvirtd({ name: 'jest' });
  return shared;
}

afterAll(async () => {
  if (shared) await (await shared).stop();
  shared = undefined;
});

/**
 * Runs a Python snippet with `libvirt`, `json` and `conn` (opened on `uri`) in scope; the
 * snippet prints JSON, which is returned parsed.
 */
export function pythonLibvirt(daemon: ThrowawayDaemon, uri: string, code: string): Promise<unknown> {
  const program = `import json, libvirt, sys\nlibvirt.registerErrorHandler(lambda ctx, err: None, None)\nconn = libvirt.open(${JSON.stringify(uri)})\n${code}\n`;
  return new Promise((resolve, reject) => {
    const child = execFile(SYSTEM_PYTHON, ['-c', program], { env: { ...process.env, ...daemon.env, HOME: daemon.env.HOME! }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
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

/** Runs virsh against `uri` and returns its standard output. */
export function virsh(daemon: ThrowawayDaemon, uri: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('virsh', ['-c', uri, ...args], { env: { ...process.env, ...daemon.env } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`virsh ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}
