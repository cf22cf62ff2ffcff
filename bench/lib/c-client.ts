/** Builds bench/c/libvirt-bench.c against the system's libvirt, once per process. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', 'c', 'libvirt-bench.c');
let built: string | undefined;

export function buildCClient(): string {
  if (built) return built;
  const out = join(mkdtempSync(join(tmpdir(), 'libvirt-rpc-bench-')), 'libvirt-bench');
  try {
    const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'libvirt']).toString().trim().split(/\s+/);
    execFileSync('cc', ['-O2', '-o', out, SOURCE, ...flags, '-lpthread'], { stdio: 'inherit' });
  } catch (e) {
    throw new Error(`cannot build the C client benchmark (needs cc, pkg-config and Debian's libvirt-dev): ${(e as Error).message}`);
  }
  built = out;
  return out;
}

export interface CSample {
  count: number;
  wallNs: number;
  cpuNs: number;
}

/** Runs one measurement of the C client (`extra`: the arguments after COUNT, as a mode takes them). */
export function runCClient(bin: string, uri: string, mode: string, count: number, env?: Record<string, string>, extra: string[] = []): CSample {
  const out = JSON.parse(execFileSync(bin, [uri, mode, String(count), ...extra], { env: { ...process.env, ...env } }).toString()) as {
    count: number;
    wall_ns: number;
    cpu_ns: number;
  };
  return { count: out.count, wallNs: out.wall_ns, cpuNs: out.cpu_ns };
}
