/**
 * virsh's shell built-ins as its one-shot form runs them: `pwd`, `cd` (interactive only),
 * `exit` and `quit` (nothing to leave), `connect` (open, then nothing more to do), and
 * `qemu-attach`, which QEMU's driver no longer offers but which virsh still asks for.
 */
import { connect } from '../api/connect.js';
import type { Context } from './commands.js';
import { numericOption } from './format.js';
import type { Registry } from './registry.js';

/** `qemu-attach PID`: asks the daemon to adopt a QEMU process it did not start. */
export async function qemuAttach(c: Context, pid: string): Promise<string> {
  const value = numericOption('pid', pid);
  try {
    const dom = await c.conn.qemu.domainAttach(value, 0);
    return `Domain '${dom.name}' attached to pid ${value}\n\n`;
  } catch (e) {
    throw new Error(`Failed to attach to pid ${value}\nerror: ${(e as Error).message}`, { cause: e });
  }
}

export function register({ program, io, act, fail }: Registry): void {
  program.command('pwd').description('print the current directory').action(() => io.stdout(`${process.cwd()}\n\n`));
  program
    .command('cd [dir]')
    .description('change the current directory (interactive virsh only)')
    .action(() => {
      fail('cd: command valid only in interactive mode');
      io.stdout('\n');
    });
  for (const name of ['exit', 'quit']) program.command(name).description('quit this interactive terminal (nothing to quit here)').action(() => undefined);
  program
    .command('connect [name]')
    .description('(re)connect to hypervisor')
    .option('--readonly', 'read-only connection')
    .action(async (uri: string | undefined, o: { readonly?: boolean }) => {
      const target = uri ?? program.opts<{ connect?: string[] }>().connect?.at(-1) ?? io.env.LIBVIRT_DEFAULT_URI;
      try {
        const conn = await connect(target, { env: io.env, ...(o.readonly ? { readonly: true } : {}) });
        await conn.close();
        io.stdout('\n');
      } catch (e) {
        fail(`failed to connect to the hypervisor\nerror: ${(e as Error).message}`);
        io.stdout('\n');
      }
    });
  program.command('qemu-attach <pid>').description('QEMU Attach').action((pid: string) => act((c) => qemuAttach(c, pid)));
}
