/**
 * The two sides of every CLI comparison: `ours` runs libvirt-rpc's command in-process, `theirs`
 * runs virsh with the daemon's environment; both give stdout, stderr and the exit status.
 */
import { execFile } from 'node:child_process';
import { type CliIo, runCli } from '../../src/cli/main.js';
import { type ThrowawayDaemon, clientEnv } from './libvirtd.js';

export interface CliRun {
  out: string;
  err: string;
  code: number;
}

/** libvirt-rpc's command on `uri`; `io` overrides the terminal (stdin, env, isTTY). */
export async function ours(uri: string, args: string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await runCli(['-c', uri, ...args], { stdout: (s) => (out += s), stderr: (s) => (err += s), env: {}, ...io });
  return { out, err, code };
}

/**
 * virsh 9.0 now and then warns on exit after an event wait, when an event arrives while it
 * disconnects (its callback still holds the connection): a race inside virsh, not a result.
 */
export const withoutLeakWarning = (err: string) => err.replace(/^error: One or more references were leaked after disconnect from the hypervisor\n/m, '');

/** virsh's command on `uri`, never failing: its exit status is part of the result. */
export function theirs(daemon: ThrowawayDaemon, uri: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile('virsh', ['-c', uri, ...args], { env: { ...clientEnv(daemon), ...env }, maxBuffer: 64 << 20 }, (e, out, err) =>
      resolve({ out, err: withoutLeakWarning(err), code: e ? (typeof e.code === 'number' ? e.code : 1) : 0 }),
    );
    child.stdin?.end();
  });
}
