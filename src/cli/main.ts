/**
 * The `libvirt-rpc` command: virsh's command names, options and output, over this library.
 * `-c/--connect URI` (or LIBVIRT_DEFAULT_URI), `-r/--readonly`, `--json`, `--debug` (the wire
 * trace on stderr; never payloads, so never credentials).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { connect } from '../api/connect.js';
import type { Connection } from '../api/connection.js';
import { formatTrace } from '../rpc/trace.js';
import * as cmd from './commands.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
}

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
    .option('-c, --connect <uri>', 'hypervisor connection URI')
    .option('-r, --readonly', 'connect read-only')
    .option('--json', 'print JSON (64-bit values as numbers up to 2^53, else decimal strings)')
    .option('--debug', 'print the wire trace to stderr')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  let exit = 0;
  const run = (work: (c: cmd.Context) => Promise<string>) => async () => {
    const g = program.opts<{ connect?: string; readonly?: boolean; json?: boolean; debug?: boolean }>();
    const uri = g.connect ?? io.env.LIBVIRT_DEFAULT_URI;
    let conn: Connection | undefined;
    try {
      conn = await connect(uri, {
        env: io.env,
        ...(g.readonly ? { readonly: true } : {}),
        ...(g.debug ? { trace: (e) => io.stderr(formatTrace(e) + '\n') } : {}),
      });
      io.stdout(await work({ conn, uri: uri ?? conn.uri, json: !!g.json }));
    } catch (e) {
      io.stderr(`error: ${(e as Error).message}\n`);
      exit = 1;
    } finally {
      await conn?.close();
    }
  };

  program.command('version').description('show versions').action(run((c) => cmd.version(c)));
  program.command('uri').description('print the connection URI').action(run((c) => cmd.uri(c)));
  program.command('hostname').description("print the hypervisor's hostname").action(run((c) => cmd.hostname(c)));
  program.command('nodeinfo').description('node information').action(run((c) => cmd.nodeinfo(c)));
  program
    .command('list')
    .description('list domains')
    .option('--all', 'active and inactive domains')
    .option('--inactive', 'inactive domains')
    .option('--name', 'names only')
    .option('--uuid', 'UUIDs only')
    .action((o: cmd.ListOptions) => run((c) => cmd.list(c, o))());
  program.command('dominfo <domain>').description('domain information').action((d: string) => run((c) => cmd.dominfo(c, d))());
  program.command('domstate <domain>').description('domain state').action((d: string) => run((c) => cmd.domstate(c, d))());
  program
    .command('dumpxml <domain>')
    .description('domain XML')
    .option('--security-info', 'include security-sensitive information')
    .option('--inactive', 'the persistent configuration')
    .action((d: string, o: { securityInfo?: boolean; inactive?: boolean }) =>
      run((c) => cmd.dumpxml(c, d, (o.securityInfo ? 1 : 0) | (o.inactive ? 2 : 0)))(),
    );
  program.command('define <file>').description('define a domain from an XML file').action((f: string) => run((c) => cmd.define(c, readFileSync(f, 'utf8')))());
  for (const action of Object.keys(cmd.DOMAIN_ACTIONS)) {
    program.command(`${action} <domain>`).description(`${action} a domain`).action((d: string) => run((c) => cmd.domainAction(c, action, d))());
  }
  program
    .command('net-list')
    .description('list networks')
    .option('--all', 'active and inactive')
    .option('--inactive', 'inactive only')
    .action((o: { all?: boolean; inactive?: boolean }) => run((c) => cmd.netList(c, o))());
  program
    .command('pool-list')
    .description('list storage pools')
    .option('--all', 'active and inactive')
    .option('--inactive', 'inactive only')
    .action((o: { all?: boolean; inactive?: boolean }) => run((c) => cmd.poolList(c, o))());
  program.command('vol-list <pool>').description('list the volumes of a pool').action((p: string) => run((c) => cmd.volList(c, p))());

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    throw e;
  }
  return exit;
}
