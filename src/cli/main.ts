/**
 * The `libvirt-rpc` command: virsh's command names, options and output, over this library.
 * `-c/--connect URI` (or LIBVIRT_DEFAULT_URI), `-r/--readonly`, `--json`, `--debug` (the wire
 * trace on stderr; never payloads, so never credentials). A command line loads only its
 * command's family (families.ts), and the library only when it connects (start-up figures:
 * bench/RESULTS.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { Connection } from '../api/connection.js';
import type { TraceEntry } from '../rpc/trace.js';
import type { Context } from './commands.js';
import { familiesFor } from './families.js';
import { type CliIo, FailureReport, type Registry } from './registry.js';

export type { CliIo };

/**
 * Runs one command line; resolves with the exit code (0 or 1, as virsh).
 *
 * @example
 * ```ts
 * const code = await runCli(['-c', 'qemu:///system', 'list', '--all'], { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s), env: process.env });
 * ```
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('libvirt-rpc')
    .description('virsh-style commands over libvirt-rpc')
    .option('-c, --connect <uri>', 'hypervisor connection URI; more than once for fleet mode', (uri: string, uris: string[] = []) => [...uris, uri])
    .option('--hosts <file>', 'fleet mode: the hosts, one URI per line')
    .option('-r, --readonly', 'connect read-only')
    .option('--json', 'print JSON (64-bit values as numbers up to 2^53, else decimal strings)')
    .option('--debug', 'print the wire trace to stderr')
    .version(packageVersion(), '-v, --version', "print this command's version, as virsh prints its own")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  let exit = 0;
  type GlobalOptions = { connect?: string[]; hosts?: string; readonly?: boolean; json?: boolean; debug?: boolean };
  /** The hosts named by `-c` and `--hosts`, each once, in the order given. */
  const hostUris = () => {
    const g = program.opts<GlobalOptions>();
    return [...new Set([...(g.connect ?? []), ...(g.hosts ? readHostsFile(g.hosts) : [])])];
  };
  const run = (work: (c: Context) => Promise<string>) => async () => {
    const g = program.opts<GlobalOptions>();
    let conn: Connection | undefined;
    try {
      const { formatTrace } = g.debug ? await import('../rpc/trace.js') : { formatTrace: undefined };
      const connection = { env: io.env, ...(g.readonly ? { readonly: true } : {}), ...(formatTrace ? { trace: (e: TraceEntry) => io.stderr(formatTrace(e) + '\n') } : {}) };
      const hosts = hostUris();
      if (hosts.length > 1 || g.hosts) {
        if (!hosts.length) throw new Error(`no hosts in ${g.hosts}`);
        const { runOnFleet } = await import('./fleet.js');
        if (!(await runOnFleet(hosts, work, io, { json: !!g.json, connection }))) exit = 1;
        return;
      }
      const uri = hosts[0] ?? io.env.LIBVIRT_DEFAULT_URI;
      const { connect } = await import('../api/connect.js');
      conn = await connect(uri, connection);
      io.stdout(await work({ conn, uri: uri ?? conn.uri, json: !!g.json }));
    } catch (e) {
      if (e instanceof FailureReport) {
        io.stdout(e.stdout);
        io.stderr(e.stderr);
      } else {
        io.stderr(`error: ${(e as Error).message}\n`);
        // virsh ends every command it ran with a blank line, a failed one too.
        if (conn && !g.json) io.stdout('\n');
      }
      exit = 1;
    } finally {
      await conn?.close();
    }
  };

  const fail = (message: string) => {
    io.stderr(`error: ${message}\n`);
    exit = 1;
  };
  const registry: Registry = { program, act: (work) => run(work)(), io, hosts: hostUris, fail };
  // One after another: registration order is `help`'s order (and jest's module loader
  // cannot take many dynamic imports at once).
  for (const family of familiesFor(argv)) (await family.load()).register(registry);

  // The completion scripts' question, answered before parsing: its words are a partial
  // command line, options and all, not options of its own.
  if (argv[0] === '__complete') {
    const { completions } = await import('./completion.js');
    for (const candidate of await completions(program, argv.slice(1), io.env)) io.stdout(candidate + '\n');
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    throw e;
  }
  return exit;
}

/**
 * The version in the package's own package.json: the nearest one above this module (dist/ in
 * the package, src/cli/ in a checkout) whose name is ours.
 */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'libvirt-rpc' && pkg.version) return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/**
 * The URIs of a `--hosts` file: one per line; blank lines and lines starting with `#` are
 * skipped, as are surrounding spaces.
 */
export function readHostsFile(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}
