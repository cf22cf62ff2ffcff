/**
 * virsh's commands on saved state and on a domain's whole life: `save-image-define`,
 * `save-image-dumpxml`, `managedsave-define`, `managedsave-dumpxml`, `dump` (its `--verbose`
 * progress watched by progress.ts), `create`, `domrename`, `domxml-to-native` and
 * `domxml-from-native`; each prints what virsh prints, and reads its arguments as virsh does
 * (checkpoints.ts `virshCommand`).
 */
import {
  VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_LZO,
  VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_SNAPPY,
  VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_ZLIB,
  VIR_DOMAIN_CORE_DUMP_FORMAT_RAW,
  VIR_DOMAIN_CORE_DUMP_FORMAT_WIN_DMP,
  VIR_DOMAIN_SAVE_IMAGE_XML_SECURE,
  VIR_DOMAIN_SAVE_PAUSED,
  VIR_DOMAIN_SAVE_RUNNING,
  VIR_DOMAIN_START_AUTODESTROY,
  VIR_DOMAIN_START_PAUSED,
  VIR_DOMAIN_START_RESET_NVRAM,
  VIR_DOMAIN_START_VALIDATE,
  VIR_DUMP_BYPASS_CACHE,
  VIR_DUMP_CRASH,
  VIR_DUMP_LIVE,
  VIR_DUMP_MEMORY_ONLY,
  VIR_DUMP_RESET,
} from '../../protocol/constants.js';
import type { RemoteNonnullDomain } from '../../protocol/remote.js';
import type { Command } from 'commander';
import { exclusive, failed, readVirshFile, requireNonEmpty } from './virsh-options.js';
import { DOMAIN, virshOption, virshWordsCommand } from './virsh-args.js';
import { type Context, findDomain } from './commands.js';
import type { CliIo, Registry } from './registry.js';
import { watchDomainJob } from './progress.js';
import { console_ } from './transfers.js';

/** `--running` / `--paused` as virDomainSaveRestoreFlags. */
const restoreState = (o: { running?: boolean; paused?: boolean }) => (o.running ? VIR_DOMAIN_SAVE_RUNNING : 0) | (o.paused ? VIR_DOMAIN_SAVE_PAUSED : 0);

export interface SaveImageDefineOptions {
  file: string;
  xml: string;
  running?: boolean;
  paused?: boolean;
}

/** `save-image-define FILE XML [--running | --paused]`: a new definition inside a saved state file. */
export async function saveImageDefine(c: Context, o: SaveImageDefineOptions): Promise<string> {
  requireNonEmpty('file', o.file);
  requireNonEmpty('xml', o.xml);
  const xml = readVirshFile(o.xml);
  try {
    await c.conn.domainSaveImageDefineXML(o.file, xml, restoreState(o));
  } catch (e) {
    throw failed(`Failed to update ${o.file}`, e);
  }
  return `State file ${o.file} updated.\n\n`;
}

/** `save-image-dumpxml FILE [--security-info]`: the definition inside a saved state file. */
export async function saveImageDumpxml(c: Context, o: { file: string; securityInfo?: boolean }): Promise<string> {
  requireNonEmpty('file', o.file);
  return `${await c.conn.domainSaveImageGetXMLDesc(o.file, o.securityInfo ? VIR_DOMAIN_SAVE_IMAGE_XML_SECURE : 0)}\n`;
}

export interface ManagedsaveDefineOptions {
  domain: string;
  xml: string;
  running?: boolean;
  paused?: boolean;
}

/** `managedsave-define DOMAIN XML [--running | --paused]`: a new definition inside the managed save image. */
export async function managedsaveDefine(c: Context, o: ManagedsaveDefineOptions): Promise<string> {
  exclusive('running', o.running, 'paused', o.paused);
  requireNonEmpty('xml', o.xml);
  // virsh reads the file before it looks the domain up.
  const xml = readVirshFile(o.xml);
  requireNonEmpty('domain', o.domain);
  const dom = await findDomain(c.conn, o.domain);
  try {
    await c.conn.domainManagedSaveDefineXML(dom, xml, restoreState(o));
  } catch (e) {
    throw failed(`Failed to update ${dom.name} XML configuration`, e);
  }
  return `Managed save state file of domain '${dom.name}' updated.\n\n`;
}

/** `managedsave-dumpxml DOMAIN [--security-info]`: the definition inside the managed save image. */
export async function managedsaveDumpxml(c: Context, o: { domain: string; securityInfo?: boolean }): Promise<string> {
  requireNonEmpty('domain', o.domain);
  const dom = await findDomain(c.conn, o.domain);
  return `${await c.conn.domainManagedSaveGetXMLDesc(dom, o.securityInfo ? VIR_DOMAIN_SAVE_IMAGE_XML_SECURE : 0)}\n`;
}

/** The formats of `dump --memory-only --format`, as virDomainCoreDumpFormat. */
const DUMP_FORMATS: Record<string, number> = {
  'kdump-zlib': VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_ZLIB,
  'kdump-lzo': VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_LZO,
  'kdump-snappy': VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_SNAPPY,
  'win-dmp': VIR_DOMAIN_CORE_DUMP_FORMAT_WIN_DMP,
  elf: VIR_DOMAIN_CORE_DUMP_FORMAT_RAW,
};

export interface DumpOptions {
  domain: string;
  file: string;
  live?: boolean;
  crash?: boolean;
  bypassCache?: boolean;
  reset?: boolean;
  verbose?: boolean;
  memoryOnly?: boolean;
  format?: string;
}

/** `dump DOMAIN FILE [--live] [--crash] [--bypass-cache] [--reset] [--verbose] [--memory-only [--format F]]`. */
export async function dump(c: Context, io: CliIo, o: DumpOptions): Promise<string> {
  requireNonEmpty('domain', o.domain);
  const dom = await findDomain(c.conn, o.domain);
  requireNonEmpty('file', o.file);
  const flags =
    (o.crash ? VIR_DUMP_CRASH : 0) | (o.live ? VIR_DUMP_LIVE : 0) | (o.bypassCache ? VIR_DUMP_BYPASS_CACHE : 0) | (o.reset ? VIR_DUMP_RESET : 0) | (o.memoryOnly ? VIR_DUMP_MEMORY_ONLY : 0);
  let format = VIR_DOMAIN_CORE_DUMP_FORMAT_RAW;
  if (o.format !== undefined) {
    if (!o.memoryOnly) throw new Error('--format only works with --memory-only');
    const known = DUMP_FORMATS[o.format];
    if (known === undefined && o.format !== '') {
      throw new Error(`format '${o.format}' is not supported, expecting 'kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'win-dmp' or 'elf'`);
    }
    format = known ?? VIR_DOMAIN_CORE_DUMP_FORMAT_RAW;
  }
  try {
    const progressIo = { isTTY: !!io.isTTY, stderr: io.stderr, ...(io.progressStream ? { stderrStream: io.progressStream } : {}) };
    await watchDomainJob(c, dom, progressIo, 'Dump', !!o.verbose, () =>
      format === VIR_DOMAIN_CORE_DUMP_FORMAT_RAW ? c.conn.domainCoreDump(dom, o.file, flags) : c.conn.domainCoreDumpWithFormat(dom, o.file, format, flags),
    );
  } catch (e) {
    throw failed(`Failed to core dump domain '${o.domain}' to ${o.file}`, e);
  }
  // virsh names the domain as it was given on the command line.
  return `\nDomain '${o.domain}' dumped to ${o.file}\n\n`;
}

export interface CreateOptions {
  file: string;
  console?: boolean;
  paused?: boolean;
  autodestroy?: boolean;
  passFds?: string;
  validate?: boolean;
  resetNvram?: boolean;
}

/** `--pass-fds N,M,...` as numbers, or virsh's complaint about one. */
function fdNumbers(list: string): number[] {
  return list.split(',').map((item) => {
    const n = Number(item.trim());
    if (!/^\s*[+-]?\d+$/.test(item) || !Number.isSafeInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) throw new Error(`Unable to parse FD number '${item}'`);
    return n;
  });
}

/**
 * `create FILE [--console] [--paused] [--autodestroy] [--validate] [--reset-nvram]`: a transient
 * domain, started. `--autodestroy` ends it when this command's connection closes, as virsh's.
 * `--pass-fds` is parsed as virsh parses it, then refused.
 */
export async function create(c: Context, io: CliIo, o: CreateOptions): Promise<string> {
  requireNonEmpty('file', o.file);
  const xml = readVirshFile(o.file);
  const fds = o.passFds ? fdNumbers(o.passFds) : [];
  const flags =
    (o.paused ? VIR_DOMAIN_START_PAUSED : 0) | (o.autodestroy ? VIR_DOMAIN_START_AUTODESTROY : 0) | (o.validate ? VIR_DOMAIN_START_VALIDATE : 0) | (o.resetNvram ? VIR_DOMAIN_START_RESET_NVRAM : 0);
  if (fds.length) {
    // virDomainCreateXMLWithFiles sends the descriptors along the socket (SCM_RIGHTS), which
    // JavaScript runtimes cannot do: refused here, before anything reaches the daemon.
    throw new Error(`Failed to create domain from ${o.file}\nerror: --pass-fds is not supported: passing file descriptors to the daemon needs SCM_RIGHTS, which JavaScript runtimes cannot send over a socket`);
  }
  let dom: RemoteNonnullDomain;
  try {
    dom = await c.conn.domainCreateXML(xml, flags);
  } catch (e) {
    throw failed(`Failed to create domain from ${o.file}`, e);
  }
  const created = `Domain '${dom.name}' created from ${o.file}\n`;
  if (!o.console) return `${created}\n`;
  io.stdout(created);
  return console_(c, dom.name, false);
}

/** `domrename DOMAIN NEW-NAME`: an inactive domain under a new name. */
export async function domrename(c: Context, o: { domain: string; newName: string }): Promise<string> {
  requireNonEmpty('domain', o.domain);
  const dom = await findDomain(c.conn, o.domain);
  requireNonEmpty('new-name', o.newName);
  await c.conn.domainRename(dom, o.newName, 0);
  return 'Domain successfully renamed\n\n';
}

export interface DomxmlToNativeOptions {
  format: string;
  xml?: string;
  domain?: string;
}

/** `domxml-to-native FORMAT {XML | --domain DOMAIN}`: the hypervisor's own configuration (qemu-argv, ...). */
export async function domxmlToNative(c: Context, o: DomxmlToNativeOptions): Promise<string> {
  exclusive('domain', o.domain !== undefined, 'xml', o.xml !== undefined);
  requireNonEmpty('format', o.format);
  requireNonEmpty('xml', o.xml);
  let xml: string;
  if (o.domain !== undefined) {
    requireNonEmpty('domain', o.domain);
    xml = await c.conn.domainGetXMLDesc(await findDomain(c.conn, o.domain), 0);
  } else if (o.xml !== undefined) xml = readVirshFile(o.xml);
  else throw new Error('need either domain or domain XML');
  return `${await c.conn.connectDomainXMLToNative(o.format, xml, 0)}\n`;
}

/** `domxml-from-native FORMAT CONFIG`: domain XML from the hypervisor's own configuration. */
export async function domxmlFromNative(c: Context, o: { format: string; config: string }): Promise<string> {
  requireNonEmpty('format', o.format);
  requireNonEmpty('config', o.config);
  const config = readVirshFile(o.config);
  return `${await c.conn.connectDomainXMLFromNative(o.format, config, 0)}\n`;
}

export function register(r: Registry): void {
  const restoreFlags = (what: string) => [
    ['--running', `set domain to be running on ${what}`],
    ['--paused', `set domain to be paused on ${what}`],
  ];
  const flag = (command: Command, flags: string[][]) => flags.reduce((cmd, [f, help]) => virshOption(cmd, f!, help!), command);
  const secure: string[][] = [['--security-info', 'include security sensitive information in XML dump']];
  virshWordsCommand<SaveImageDefineOptions>(
    r,
    'save-image-define',
    "redefine the XML for a domain's saved state file",
    [
      { option: 'file', required: true, help: 'saved state file to modify' },
      { option: 'xml', required: true, help: 'filename containing updated XML for the target' },
    ],
    (cmd) => flag(cmd, restoreFlags('restore')),
    saveImageDefine,
  );
  virshWordsCommand<{ file: string; securityInfo?: boolean }>(
    r,
    'save-image-dumpxml',
    'saved state domain information in XML',
    [{ option: 'file', required: true, help: 'saved state file to read' }],
    (cmd) => flag(cmd, secure),
    saveImageDumpxml,
  );
  virshWordsCommand<ManagedsaveDefineOptions>(
    r,
    'managedsave-define',
    "redefine the XML for a domain's managed save state file",
    [DOMAIN, { option: 'xml', required: true, help: 'filename containing updated XML for the target' }],
    (cmd) => flag(cmd, restoreFlags('start')),
    managedsaveDefine,
  );
  virshWordsCommand<{ domain: string; securityInfo?: boolean }>(r, 'managedsave-dumpxml', 'Domain information of managed save state file in XML', [DOMAIN], (cmd) => flag(cmd, secure), managedsaveDumpxml);
  virshWordsCommand<DumpOptions>(
    r,
    'dump',
    'dump the core of a domain to a file for analysis',
    [DOMAIN, { option: 'file', required: true, help: 'where to dump the core' }, { option: 'format', help: 'specify the format of memory-only dump' }],
    (cmd) =>
      flag(cmd, [
        ['--live', 'perform a live core dump if supported'],
        ['--crash', 'crash the domain after core dump'],
        ['--bypass-cache', 'avoid file system cache when dumping'],
        ['--reset', 'reset the domain after core dump'],
        ['--verbose', 'display the progress of dump'],
        ['--memory-only', "dump domain's memory only"],
      ]),
    (c, o) => dump(c, r.io, o),
  );
  virshWordsCommand<CreateOptions>(
    r,
    'create',
    'create a domain from an XML file',
    [
      { option: 'file', required: true, help: 'file containing an XML domain description' },
      { option: 'pass-fds', help: 'pass file descriptors N,M,... to the guest (refused: JavaScript runtimes cannot send them)' },
    ],
    (cmd) =>
      flag(cmd, [
        ['--console', 'attach to console after creation'],
        ['--paused', 'leave the guest paused after creation'],
        ['--autodestroy', 'automatically destroy the guest when virsh disconnects'],
        ['--validate', 'validate the XML against the schema'],
        ['--reset-nvram', 're-initialize NVRAM from its pristine template'],
      ]),
    (c, o) => create(c, r.io, o),
  );
  virshWordsCommand<{ domain: string; newName: string }>(
    r,
    'domrename',
    'rename a domain',
    [{ ...DOMAIN, help: 'domain name or uuid' }, { option: 'new-name', required: true, help: 'new domain name' }],
    (cmd) => cmd,
    domrename,
  );
  virshWordsCommand<DomxmlToNativeOptions>(
    r,
    'domxml-to-native',
    'Convert domain XML to native config',
    [
      { option: 'format', required: true, help: 'target config data type format' },
      { option: 'xml', help: 'xml data file to export from' },
    ],
    // --domain is an option only: a bare word after the format is the XML file.
    (cmd) => virshOption(cmd, '--domain <domain>', 'domain name, id or uuid'),
    domxmlToNative,
  );
  virshWordsCommand<{ format: string; config: string }>(
    r,
    'domxml-from-native',
    'Convert native config to domain XML',
    [
      { option: 'format', required: true, help: 'source config data format' },
      { option: 'config', required: true, help: 'config data file to import from' },
    ],
    (cmd) => cmd,
    domxmlFromNative,
  );
}
