/**
 * virsh's commands that save a guest's state and undefine it: `save`, `restore`,
 * `managedsave`, `managedsave-remove`, and `undefine` with what it may remove besides the
 * definition; each prints what virsh prints. `save` and `managedsave` take `--verbose`
 * (virsh's `Save: [ 42 %]` lines, or a bar on a terminal), and Ctrl-C aborts the job.
 */
import type { Command } from 'commander';
import { VIR_ERR_INVALID_ARG, VIR_ERR_NO_SUPPORT } from '../../protocol/constants.js';
import { LibvirtError } from '../errors.js';
import { type Context, findDomain } from './commands.js';
import { type ProgressIo, watchDomainJob } from './progress.js';
import type { Registry } from './registry.js';
import { failed, readVirshFile } from './virsh-options.js';

/** virsh's `--bypass-cache --running --paused` as virDomainSaveRestoreFlags. */
const saveFlags = (o: { bypassCache?: boolean; running?: boolean; paused?: boolean }) => (o.bypassCache ? 1 : 0) | (o.running ? 2 : 0) | (o.paused ? 4 : 0);

export interface SaveOptions {
  bypassCache?: boolean;
  running?: boolean;
  paused?: boolean;
  /** A file with the domain XML to save with the state (`save --xml`). */
  xml?: string;
  /** Progress while the state is written (`save` and `managedsave`). */
  verbose?: boolean;
}

/** Where progress goes when a command has no terminal to draw on (the tests' in-process runs). */
const QUIET: ProgressIo = { isTTY: false, stderr: () => {} };

/** `save DOMAIN FILE [--xml FILE] [--verbose]`: the guest's memory to a file on the host; the guest stops. */
export async function save(c: Context, ref: string, file: string, o: SaveOptions, io: ProgressIo = QUIET): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const flags = saveFlags(o);
  const xml = o.xml === undefined ? null : readVirshFile(o.xml);
  try {
    await watchDomainJob(c, dom, io, 'Save', !!o.verbose, () => (flags || xml !== null ? c.conn.domainSaveFlags(dom, file, xml, flags) : c.conn.domainSave(dom, file)));
  } catch (e) {
    throw failed(`Failed to save domain '${dom.name}' to ${file}`, e);
  }
  return `\nDomain '${dom.name}' saved to ${file}\n\n`;
}

/** `restore FILE`: the guest saved there, running again. */
export async function restore(c: Context, file: string, o: SaveOptions): Promise<string> {
  const flags = saveFlags(o);
  try {
    if (flags) await c.conn.domainRestoreFlags(file, null, flags);
    else await c.conn.domainRestore(file);
  } catch (e) {
    throw failed(`Failed to restore domain from ${file}`, e);
  }
  return `Domain restored from ${file}\n\n`;
}

/** `managedsave DOMAIN [--verbose]`: saved where libvirt keeps it, restored by the next start. */
export async function managedsave(c: Context, ref: string, o: SaveOptions, io: ProgressIo = QUIET): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  try {
    await watchDomainJob(c, dom, io, 'Managedsave', !!o.verbose, () => c.conn.domainManagedSave(dom, saveFlags(o)));
  } catch (e) {
    throw failed(`Failed to save domain '${dom.name}' state`, e);
  }
  return `\nDomain '${dom.name}' state saved by libvirt\n\n`;
}

/** `managedsave-remove DOMAIN`: drop the image, or say there is none. */
export async function managedsaveRemove(c: Context, ref: string): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  if (!(await c.conn.domainHasManagedSaveImage(dom, 0))) return `Domain '${dom.name}' has no manage save image; removal skipped\n`;
  await c.conn.domainManagedSaveRemove(dom, 0);
  return `Removed managedsave image for domain '${dom.name}'\n`;
}

export interface UndefineOptions {
  managedSave?: boolean;
  snapshotsMetadata?: boolean;
  checkpointsMetadata?: boolean;
  nvram?: boolean;
  keepNvram?: boolean;
  tpm?: boolean;
  keepTpm?: boolean;
}

/** `undefine DOMAIN [--managed-save] [--snapshots-metadata] [--checkpoints-metadata] [--nvram] [--keep-nvram] [--tpm] [--keep-tpm]`. */
export async function undefine(c: Context, ref: string, o: UndefineOptions): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  // virDomainUndefineFlagsValues: MANAGED_SAVE 1, SNAPSHOTS_METADATA 2, NVRAM 4, KEEP_NVRAM 8, CHECKPOINTS_METADATA 16, TPM 32, KEEP_TPM 64.
  const flags = (o.managedSave ? 1 : 0) | (o.snapshotsMetadata ? 2 : 0) | (o.nvram ? 4 : 0) | (o.keepNvram ? 8 : 0) | (o.checkpointsMetadata ? 16 : 0) | (o.tpm ? 32 : 0) | (o.keepTpm ? 64 : 0);
  if (o.nvram && o.keepNvram) throw new Error("Options --nvram and --keep-nvram are mutually exclusive");
  if (o.tpm && o.keepTpm) throw new Error("Options --tpm and --keep-tpm are mutually exclusive");
  if (!flags) await c.conn.domainUndefine(dom);
  else {
    try {
      await c.conn.domainUndefineFlags(dom, flags);
    } catch (e) {
      // As virsh: a driver that refuses the flags may still undefine a domain that has none of
      // what they would remove.
      const refused = e instanceof LibvirtError && (e.code === VIR_ERR_NO_SUPPORT || e.code === VIR_ERR_INVALID_ARG);
      if (!refused || (await c.conn.domainHasManagedSaveImage(dom, 0).catch(() => 0)) || (await c.conn.domainSnapshotNum(dom, 0).catch(() => 0))) throw e;
      await c.conn.domainUndefine(dom);
    }
  }
  return `Domain '${dom.name}' has been undefined\n\n`;
}

/**
 * Gives `save` virsh's `--xml` and `--verbose` and `managedsave` its `--verbose`, with the
 * terminal to draw progress on. The commands themselves are declared in main.ts; this runs
 * after, and their actions are replaced by ones that have the terminal.
 */
export function register({ program, act, io }: Registry): void {
  const run = (work: (c: Context) => Promise<string>) => () => act(work);
  program
    .command('undefine <domain>')
    .description('undefine a domain')
    .option('--managed-save', 'remove domain managed state file')
    .option('--snapshots-metadata', 'remove all domain snapshot metadata (vm must be inactive)')
    .option('--checkpoints-metadata', 'remove all domain checkpoint metadata (vm must be inactive)')
    .option('--nvram', 'remove nvram file')
    .option('--keep-nvram', 'keep nvram file')
    .option('--tpm', 'remove TPM state')
    .option('--keep-tpm', 'keep TPM state')
    .action((d: string, o: UndefineOptions) => run((c) => undefine(c, d, o))());
  const saveOptions = (command: Command) =>
    command.option('--bypass-cache', 'avoid file system cache when saving').option('--running', 'set domain to be running on restore').option('--paused', 'set domain to be paused on restore');
  saveOptions(program.command('save <domain> <file>').description('save a domain state to a file')).action((d: string, f: string, o: SaveOptions) => run((c) => save(c, d, f, o))());
  saveOptions(program.command('restore <file>').description('restore a domain from a saved state in a file')).action((f: string, o: SaveOptions) => run((c) => restore(c, f, o))());
  saveOptions(program.command('managedsave <domain>').description('managed save of a domain state')).action((d: string, o: SaveOptions) => run((c) => managedsave(c, d, o))());
  program.command('managedsave-remove <domain>').description('Remove managed save of a domain').action((d: string) => run((c) => managedsaveRemove(c, d))());
  const progressIo: ProgressIo = { isTTY: !!io.isTTY, stderr: io.stderr, ...(io.progressStream ? { stderrStream: io.progressStream } : {}) };
  const command = (name: string): Command => {
    const found = program.commands.find((k) => k.name() === name);
    if (!found) throw new Error(`the ${name} command is declared in main.ts before the modules register`);
    return found;
  };
  command('save')
    .option('--xml <string>', 'filename containing updated XML for the target')
    .option('--verbose', 'display the progress of save')
    .action((d: string, f: string, o: SaveOptions) => act((c) => save(c, d, f, o, progressIo)));
  command('managedsave')
    .option('--verbose', 'display the progress of save')
    .action((d: string, o: SaveOptions) => act((c) => managedsave(c, d, o, progressIo)));
}
