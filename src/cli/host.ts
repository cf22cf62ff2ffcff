/**
 * virsh's host and hypervisor commands: domain capabilities; CPU definitions compared with and
 * baselined against the host's CPU or the hypervisor's; the node's memory statistics, CPU map,
 * free and allocated huge pages, shared-memory tuning, SEV facts and suspend; the migration
 * compression cache; and virsh's own `echo`.
 *
 * These commands read their words as virsh does (virsh-args.ts): an option's value may be
 * given by position (virsh fills its non-boolean options in order), `--opt=value` works, `--`
 * ends the options, and usage errors are virsh's.
 */
import { type Command, CommanderError } from 'commander';
import {
  VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES,
  VIR_CONNECT_BASELINE_CPU_MIGRATABLE,
  VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE,
  VIR_CONNECT_COMPARE_CPU_VALIDATE_XML,
  VIR_CPU_COMPARE_IDENTICAL,
  VIR_CPU_COMPARE_INCOMPATIBLE,
  VIR_CPU_COMPARE_SUPERSET,
  VIR_NODE_ALLOC_PAGES_ADD,
  VIR_NODE_ALLOC_PAGES_SET,
  VIR_NODE_MEMORY_SHARED_MERGE_ACROSS_NODES,
  VIR_NODE_MEMORY_SHARED_PAGES_TO_SCAN,
  VIR_NODE_MEMORY_SHARED_SLEEP_MILLISECS,
  VIR_NODE_MEMORY_STATS_ALL_CELLS,
} from '../../protocol/constants.js';
import { type XmlElement, type XmlNode, XmlSyntaxError, escapeAttr, escapeText, readXml } from '../xml/tokenizer.js';
import { type TypedParams, typedParamTypes } from '../xdr/typed-params.js';
import { type Context, findDomain, typedXml } from './commands.js';
import { prettySize, toJson, typedParamText } from './format.js';
import { type CliIo, FailureReport, type Registry } from './registry.js';
import { INT, LLONG, UINT, ULLONG, exclusiveArgs, failed, integerOption, readVirshFile, scaledArg, splitCommas, stringOption } from './virsh-options.js';
import { HELP, UsageError, type VirshArgs, type VirshCommandSpec, type VirshOption, declareVirshCommand, parseVirshWords, usageFailure, virshCommand, virshHelp, wordsAfterCommand } from './virsh-args.js';

/** A parameter's (first) value as virsh prints it. */
function paramText(params: TypedParams, name: string): string {
  const v = params[name]!;
  return typedParamText(Array.isArray(v) ? v[0]! : v, typedParamTypes(params)?.[name]);
}

// ---------------------------------------------------------------------------------------------
// CPU definitions from a file

/** An element written back as XML, for the daemon to read. */
function writeXml(node: XmlNode): string {
  if (node.kind === 'text') return node.cdata ? `<![CDATA[${node.text}]]>` : escapeText(node.text);
  if (node.kind === 'comment') return `<!--${node.text}-->`;
  if (node.kind === 'pi') return `<?${node.target}${node.text ? ` ${node.text}` : ''}?>`;
  const attrs = node.attrs.map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
  return node.children.length ? `<${node.name}${attrs}>${node.children.map(writeXml).join('')}</${node.name}>` : `<${node.name}${attrs}/>`;
}

/**
 * The CPU definitions in a file, as virsh finds them: bare `<cpu>` elements, a domain's, the
 * host's in capabilities, or the host-model CPU of domain capabilities (its `<mode>` read as a
 * `<cpu>`). The file may hold several documents one after another.
 */
export function cpuDefinitions(file: string): string[] {
  const text = readVirshFile(file);
  const body = text.startsWith('<?xml') && text.includes('?>') ? text.slice(text.indexOf('?>') + 2) : text;
  let container: XmlElement;
  try {
    container = readXml(`<container>${body}</container>`).root;
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new Error(`${file}:${e.line}: ${e.message.replace(/ \(line \d+, column \d+\)$/, '')}`, { cause: e });
    throw e;
  }
  const elements = (node: XmlElement) => node.children.filter((n): n is XmlElement => n.kind === 'element');
  const attr = (node: XmlElement, name: string) => node.attrs.find(([k]) => k === name)?.[1];
  const found: string[] = [];
  for (const top of elements(container)) {
    if (top.name === 'cpu') found.push(writeXml(top));
    else if (top.name === 'domain') for (const cpu of elements(top).filter((e) => e.name === 'cpu')) found.push(writeXml(cpu));
    else if (top.name === 'capabilities')
      for (const host of elements(top).filter((e) => e.name === 'host')) for (const cpu of elements(host).filter((e) => e.name === 'cpu')) found.push(writeXml(cpu));
    else if (top.name === 'domainCapabilities')
      for (const cpu of elements(top).filter((e) => e.name === 'cpu'))
        for (const mode of elements(cpu).filter((e) => e.name === 'mode' && attr(e, 'name') === 'host-model' && attr(e, 'supported') === 'yes')) {
          found.push(writeXml({ ...mode, name: 'cpu', attrs: [] }));
        }
  }
  if (!found.length) throw new Error(`File '${file}' does not contain any <cpu> element or valid domain XML, host capabilities XML, or domain capabilities XML`);
  return found;
}

/** What a CPU comparison found, by virCPUCompareResult. */
const COMPARISON: Record<number, string> = { [VIR_CPU_COMPARE_INCOMPATIBLE]: 'incompatible', [VIR_CPU_COMPARE_IDENTICAL]: 'identical', [VIR_CPU_COMPARE_SUPERSET]: 'superset' };

/**
 * A comparison's report: virsh prints it on stdout, and an incompatible CPU fails the command
 * with nothing on stderr.
 */
function comparisonReport(c: Context, file: string, result: number, lines: Record<string, string>): string {
  const verdict = COMPARISON[result] ?? 'incompatible';
  const text = c.json ? toJson({ file, result: verdict }) + '\n' : `${lines[verdict]}\n\n`;
  if (verdict === 'incompatible') throw new FailureReport(text, '', 'the CPU is incompatible');
  return text;
}

const compareFlags = (args: VirshArgs) => (args.has('error') ? VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE : 0) | (args.has('validate') ? VIR_CONNECT_COMPARE_CPU_VALIDATE_XML : 0);
const baselineFlags = (args: VirshArgs) => (args.has('features') ? VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES : 0) | (args.has('migratable') ? VIR_CONNECT_BASELINE_CPU_MIGRATABLE : 0);

/** The options that name the hypervisor (`--virttype --emulator --arch --machine`). */
function hypervisorOf(args: VirshArgs, emulatorOption: string) {
  return {
    virttype: stringOption(args, 'virttype') ?? null,
    emulator: stringOption(args, emulatorOption) ?? null,
    arch: stringOption(args, 'arch') ?? null,
    machine: stringOption(args, 'machine') ?? null,
  };
}

/** `domcapabilities [--virttype] [--emulatorbin] [--arch] [--machine]`. */
export async function domcapabilities(c: Context, args: VirshArgs): Promise<string> {
  const h = hypervisorOf(args, 'emulatorbin');
  let xml: string;
  try {
    xml = await c.conn.connectGetDomainCapabilities(h.emulator, h.arch, h.machine, h.virttype, 0);
  } catch (e) {
    throw failed('failed to get emulator capabilities', e);
  }
  return c.json ? toJson({ xml }) + '\n' : `${xml}\n\n`;
}

/** `cpu-compare FILE [--error] [--validate]`: a CPU against the host's. */
export async function cpuCompare(c: Context, args: VirshArgs): Promise<string> {
  const file = stringOption(args, 'file')!;
  const cpus = cpuDefinitions(file);
  let result: number;
  try {
    result = await c.conn.connectCompareCPU(cpus[0]!, compareFlags(args));
  } catch (e) {
    throw failed(`Failed to compare host CPU with ${file}`, e);
  }
  return comparisonReport(c, file, result, {
    incompatible: `CPU described in ${file} is incompatible with host CPU`,
    identical: `CPU described in ${file} is identical to host CPU`,
    superset: `Host CPU is a superset of CPU described in ${file}`,
  });
}

/** `hypervisor-cpu-compare FILE [--virttype] [--emulator] [--arch] [--machine] [--error] [--validate]`. */
export async function hypervisorCpuCompare(c: Context, args: VirshArgs): Promise<string> {
  const file = stringOption(args, 'file')!;
  const h = hypervisorOf(args, 'emulator');
  const cpus = cpuDefinitions(file);
  let result: number;
  try {
    result = await c.conn.connectCompareHypervisorCPU(h.emulator, h.arch, h.machine, h.virttype, cpus[0]!, compareFlags(args));
  } catch (e) {
    throw failed(`Failed to compare hypervisor CPU with ${file}`, e);
  }
  return comparisonReport(c, file, result, {
    incompatible: `CPU described in ${file} is incompatible with the CPU provided by hypervisor on the host`,
    identical: `CPU described in ${file} is identical to the CPU provided by hypervisor on the host`,
    superset: `The CPU provided by hypervisor on the host is a superset of CPU described in ${file}`,
  });
}

/** `cpu-baseline FILE [--features] [--migratable]`: the CPU all the file's CPUs can run as. */
export async function cpuBaseline(c: Context, args: VirshArgs): Promise<string> {
  const cpus = cpuDefinitions(stringOption(args, 'file')!);
  const xml = await c.conn.connectBaselineCPU(cpus, baselineFlags(args));
  return c.json ? toJson({ xml }) + '\n' : `${xml}\n`;
}

/** `hypervisor-cpu-baseline [FILE | --model MODEL] [--virttype] [--emulator] [--arch] [--machine] [--features] [--migratable]`. */
export async function hypervisorCpuBaseline(c: Context, args: VirshArgs): Promise<string> {
  const file = stringOption(args, 'file');
  const h = hypervisorOf(args, 'emulator');
  const model = stringOption(args, 'model');
  if (file !== undefined && model !== undefined) throw new Error('Options --file and --model are mutually exclusive');
  if (file === undefined && model === undefined) throw new Error('Either --file or --model must be provided');
  // virsh writes the model into the document as given.
  const cpus = file !== undefined ? cpuDefinitions(file) : [`<cpu><model>${model}</model></cpu>`];
  const xml = await c.conn.connectBaselineHypervisorCPU(h.emulator, h.arch, h.machine, h.virttype, cpus, baselineFlags(args));
  return c.json ? toJson({ xml }) + '\n' : `${xml}\n`;
}

// ---------------------------------------------------------------------------------------------
// The node

/** `nodememstats [--cell N]`: the host's (or a NUMA cell's) memory, in KiB. */
export async function nodememstats(c: Context, args: VirshArgs): Promise<string> {
  const cell = Number(integerOption(args, 'cell', ...INT) ?? VIR_NODE_MEMORY_STATS_ALL_CELLS);
  let count: number;
  try {
    count = (await c.conn.nodeGetMemoryStats(0, cell, 0)).nparams;
  } catch (e) {
    throw failed('Unable to get number of memory stats', e);
  }
  if (count === 0) return c.json ? '{}\n' : '\n';
  let params;
  try {
    params = (await c.conn.nodeGetMemoryStats(count, cell, 0)).params;
  } catch (e) {
    throw failed('Unable to get memory stats', e);
  }
  if (c.json) return toJson(Object.fromEntries(params.map((p) => [p.field, p.value]))) + '\n';
  return params.map((p) => `${p.field.padEnd(7)}: ${String(p.value).padStart(20)} KiB\n`).join('') + '\n';
}

/** The set bits of a CPU map as libvirt writes a bitmap: `0-3,6,8-9`. */
function bitmapText(bits: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < bits.length; ) {
    let j = i;
    while (j + 1 < bits.length && bits[j + 1] === bits[j]! + 1) j++;
    parts.push(i === j ? `${bits[i]}` : `${bits[i]}-${bits[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** `nodecpumap [--pretty]`: the host's CPUs, which of them are online. */
export async function nodecpumap(c: Context, args: VirshArgs): Promise<string> {
  let map;
  try {
    map = await c.conn.nodeGetCPUMap(1, 1, 0);
  } catch (e) {
    throw failed('Unable to get cpu map', e);
  }
  const present = map.ret;
  const used = (cpu: number) => ((map.cpumap[cpu >> 3] ?? 0) & (1 << (cpu & 7))) !== 0;
  // The pretty form reads every bit of the map's bytes, as virBitmapDataFormat does.
  const onlineBits = [...Array(((present + 7) >> 3) * 8).keys()].filter(used);
  if (c.json) return toJson({ cpusPresent: present, cpusOnline: map.online, onlineCpus: onlineBits }) + '\n';
  const text = args.has('pretty') ? bitmapText(onlineBits) : [...Array(present).keys()].map((cpu) => (used(cpu) ? 'y' : '-')).join('');
  return `${'CPUs present:'.padEnd(15)} ${present}\n${'CPUs online:'.padEnd(15)} ${map.online}\n${'CPU map:'.padEnd(15)} ${text}\n\n`;
}

const SUSPEND_TARGETS = ['mem', 'disk', 'hybrid'];

/** `nodesuspend TARGET DURATION`: suspend the host, to wake after DURATION seconds. */
export async function nodesuspend(c: Context, args: VirshArgs): Promise<string> {
  const target = stringOption(args, 'target')!;
  const duration = integerOption(args, 'duration', ...LLONG)!;
  const which = SUSPEND_TARGETS.indexOf(target);
  if (which < 0) throw new Error('Invalid target');
  if (duration < 0n) throw new Error('Invalid duration');
  try {
    await c.conn.nodeSuspendForDuration(which, duration, 0);
  } catch (e) {
    throw failed('The host was not suspended', e);
  }
  return c.json ? toJson({ target, duration }) + '\n' : '\n';
}

const SHARED_MEMORY_OPTIONS: [string, string][] = [
  ['shm-pages-to-scan', VIR_NODE_MEMORY_SHARED_PAGES_TO_SCAN],
  ['shm-sleep-millisecs', VIR_NODE_MEMORY_SHARED_SLEEP_MILLISECS],
  ['shm-merge-across-nodes', VIR_NODE_MEMORY_SHARED_MERGE_ACROSS_NODES],
];

/** `node-memory-tune [--shm-pages-to-scan N] [--shm-sleep-millisecs N] [--shm-merge-across-nodes N]`: read or set KSM's knobs. */
export async function nodeMemoryTune(c: Context, args: VirshArgs): Promise<string> {
  const settings: Record<string, { type: 'uint'; value: number }> = {};
  for (const [option, field] of SHARED_MEMORY_OPTIONS) {
    const v = integerOption(args, option, ...UINT);
    if (v !== undefined) settings[field] = { type: 'uint', value: Number(v) };
  }
  if (Object.keys(settings).length) {
    try {
      await c.conn.nodeSetMemoryParameters(settings, 0);
    } catch (e) {
      throw failed('Unable to change memory parameters', e);
    }
    return c.json ? toJson(Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, v.value]))) + '\n' : '\n';
  }
  let count: number;
  try {
    count = (await c.conn.nodeGetMemoryParameters(0, 0)).nparams;
  } catch (e) {
    throw failed('Unable to get number of memory parameters', e);
  }
  if (count === 0) return c.json ? '{}\n' : '\n';
  let params: TypedParams;
  try {
    params = (await c.conn.nodeGetMemoryParameters(count, 0)).params;
  } catch (e) {
    throw failed('Unable to get memory parameters', e);
  }
  if (c.json) return toJson(params) + '\n';
  return 'Shared memory:\n' + Object.keys(params).map((k) => `\t${k.padEnd(15)} ${paramText(params, k)}\n`).join('') + '\n';
}

/** `nodesevinfo`: the host's AMD SEV parameters. */
export async function nodesevinfo(c: Context): Promise<string> {
  let params: TypedParams;
  try {
    params = (await c.conn.nodeGetSEVInfo(0, 0)).params;
  } catch (e) {
    throw failed('Unable to get host SEV information', e);
  }
  if (c.json) return toJson(params) + '\n';
  return Object.keys(params).map((k) => `${k.padEnd(18)}: ${paramText(params, k)}\n`).join('') + '\n';
}

/** The NUMA cells' ids in the host's capabilities. */
async function cellIds(c: Context): Promise<number[]> {
  const { parseCapabilitiesXML } = await typedXml();
  const caps = parseCapabilitiesXML(await c.conn.connectGetCapabilities());
  return (caps.host.topology?.cells?.cell ?? []).map((cell) => Number(cell.id));
}

/** A page size option in KiB: virsh reads bytes with a KiB default and rounds up. */
const pageSizeKiB = (args: VirshArgs) => {
  const bytes = scaledArg(args, 'pagesize', 1024n, UINT[1]);
  return bytes === undefined ? undefined : Number((bytes + 1023n) / 1024n);
};

/** `freepages [--cellno N --pagesize SIZE | --all [--pagesize SIZE]]`: free huge pages. */
export async function freepages(c: Context, args: VirshArgs): Promise<string> {
  exclusiveArgs(args, 'all', 'cellno');
  const kib = pageSizeKiB(args);
  if (args.has('all')) {
    const { parseCapabilitiesXML } = await typedXml();
    const caps = parseCapabilitiesXML(await c.conn.connectGetCapabilities());
    let sizes: number[];
    if (kib !== undefined) sizes = [kib];
    else {
      // Drivers that list no page sizes for the host's CPU list them per cell.
      let listed = (caps.host.cpu.pages ?? []).map((p) => Number(p.size));
      if (!listed.length) listed = (caps.host.topology?.cells?.cell ?? []).flatMap((cell) => (cell.pages ?? []).map((p) => Number(p.size)));
      if (!listed.length) throw new Error('could not get information about supported page sizes');
      sizes = [...new Set(listed)].sort((a, b) => a - b);
    }
    const cells: { cell: number; pages: { sizeKiB: number; free: bigint }[] }[] = [];
    for (const cell of (caps.host.topology?.cells?.cell ?? []).map((x) => Number(x.id))) {
      const counts = await c.conn.nodeGetFreePages(sizes, cell, 1, 0);
      cells.push({ cell, pages: sizes.map((sizeKiB, i) => ({ sizeKiB, free: counts[i] ?? 0n })) });
    }
    if (c.json) return toJson(cells) + '\n';
    return cells.map((n) => `Node ${n.cell}:\n${n.pages.map((p) => `${p.sizeKiB}KiB: ${p.free}\n`).join('')}\n`).join('') + '\n';
  }
  if (!args.has('cellno')) throw new Error('missing cellno argument');
  const cell = Number(integerOption(args, 'cellno', ...INT));
  if (cell < -1) throw new Error('cell number must be non-negative integer or -1');
  if (kib === undefined) throw new Error('missing pagesize argument');
  const [free] = await c.conn.nodeGetFreePages([kib], cell, 1, 0);
  if (free === undefined) throw new Error(`Could not get count of free ${kib}KiB pages, no data returned`);
  return c.json ? toJson({ cell, sizeKiB: kib, free }) + '\n' : `${kib}KiB: ${free}\n\n`;
}

/** `allocpages PAGESIZE PAGECOUNT [--cellno N | --all] [--add]`: size the huge page pool. */
export async function allocpages(c: Context, args: VirshArgs): Promise<string> {
  exclusiveArgs(args, 'all', 'cellno');
  const start = Number(integerOption(args, 'cellno', ...INT) ?? -1);
  const kib = pageSizeKiB(args)!;
  const count = integerOption(args, 'pagecount', ...ULLONG)!;
  const flags = args.has('add') ? VIR_NODE_ALLOC_PAGES_ADD : VIR_NODE_ALLOC_PAGES_SET;
  if (args.has('all')) for (const cell of await cellIds(c)) await c.conn.nodeAllocPages([kib], [count], cell, 1, flags);
  else await c.conn.nodeAllocPages([kib], [count], start, 1, flags);
  return c.json ? toJson({ sizeKiB: kib, count, add: args.has('add') }) + '\n' : '\n';
}

/** `migrate-compcache DOMAIN [--size BYTES]`: the XBZRLE cache of a migration, set and read. */
export async function migrateCompcache(c: Context, args: VirshArgs): Promise<string> {
  const dom = await findDomain(c.conn, stringOption(args, 'domain')!);
  const size = integerOption(args, 'size', ...ULLONG);
  if (size !== undefined) await c.conn.domainMigrateSetCompressionCache(dom, size, 0);
  const cache = await c.conn.domainMigrateGetCompressionCache(dom, 0);
  // virsh leaves the line open: the blank line that ends every command ends it.
  return c.json ? toJson({ cacheSize: cache }) + '\n' : `Compression cache: ${prettySize(cache, 3)}\n`;
}

// ---------------------------------------------------------------------------------------------
// echo

/** Characters virsh quotes a word for (virBufferEscapeShell). */
const SHELL_SPECIAL = /[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/;
/** Control characters XML cannot carry, which virsh drops (virBufferEscapeString). */
const XML_DROPPED = /[\x01-\x08\x0b\x0c\x0e-\x19]/g;

/** A word for /bin/sh: unquoted when nothing in it is special, else single-quoted. */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (!SHELL_SPECIAL.test(word)) return word;
  return `'${word.replace(/'/g, "'\\''")}'`;
}

/** A word as XML character data, quotes included. */
export function xmlEscape(word: string): string {
  return word.replace(XML_DROPPED, '').replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);
}

const ECHO: Omit<VirshCommandSpec, 'run'> = {
  name: 'echo',
  help: 'echo arguments. Used for internal testing.',
  description: 'Echo back arguments, possibly with quoting. Used for internal testing.',
  options: [
    { name: 'shell', kind: 'bool', help: 'escape for shell use' },
    { name: 'xml', kind: 'bool', help: 'escape for XML use' },
    { name: 'split', kind: 'bool', help: "split each argument on ','; ',,' is an escape sequence" },
    { name: 'err', kind: 'bool', help: 'output to stderr' },
    { name: 'str', kind: 'alias', help: 'string', target: 'string' },
    { name: 'hi', kind: 'alias', help: 'string=hello', target: 'string=hello' },
    { name: 'string', kind: 'argv', help: 'arguments to echo' },
  ],
};

/** virsh's `echo` over parsed words: the text, and whether it goes to stderr. */
export function echoText(args: VirshArgs): { text: string; toStderr: boolean } {
  exclusiveArgs(args, 'shell', 'xml');
  exclusiveArgs(args, 'shell', 'split');
  exclusiveArgs(args, 'xml', 'split');
  const words = args.all('string').map((w) =>
    args.has('xml') ? xmlEscape(w) : args.has('shell') ? shellQuote(w) : args.has('split') ? splitCommas(w).map((p) => `${p}\n`).join('') : w,
  );
  return { text: words.join(' '), toStderr: args.has('err') };
}

/** `echo` needs no connection: it runs here, printing through the terminal it was given. */
function registerEcho(program: Command, io: CliIo): void {
  const command = declareVirshCommand(program, ECHO);
  command.action(() => {
    const json = !!program.opts<{ json?: boolean }>().json;
    let args: VirshArgs | typeof HELP;
    try {
      args = parseVirshWords('echo', ECHO.options!, wordsAfterCommand(program, 'echo'));
    } catch (e) {
      if (e instanceof UsageError) usageFailure(command, e);
      throw e;
    }
    if (args === HELP) return void io.stdout(virshHelp(ECHO) + '\n');
    let out: { text: string; toStderr: boolean };
    try {
      out = echoText(args);
    } catch (e) {
      io.stderr(`error: ${(e as Error).message}\n`);
      if (!json) io.stdout('\n');
      throw new CommanderError(1, 'libvirt-rpc.failed', (e as Error).message);
    }
    if (json) io.stdout(toJson({ text: out.text, stream: out.toStderr ? 'stderr' : 'stdout' }) + '\n');
    else {
      // With no words at all virsh has no text, and prints not even an empty error line.
      if (out.toStderr && args.all('string').length) io.stderr(`error: ${out.text}\n`);
      else if (!out.toStderr) io.stdout(out.text);
      io.stdout('\n');
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The definitions

const FILE_HELP = 'file containing an XML CPU description';
const HYPERVISOR_OPTIONS = (emulator: string, arch: string): VirshOption[] => [
  { name: 'virttype', kind: 'string', help: 'virtualization type (/domain/@type)' },
  { name: emulator, kind: 'string', help: 'path to emulator binary (/domain/devices/emulator)' },
  { name: 'arch', kind: 'string', help: arch },
  { name: 'machine', kind: 'string', help: 'machine type (/domain/os/type/@machine)' },
];
const BASELINE_FLAGS: VirshOption[] = [
  { name: 'features', kind: 'bool', help: 'Show features that are part of the CPU model type' },
  { name: 'migratable', kind: 'bool', help: 'Do not include features that block migration' },
];
const COMPARE_FLAGS: VirshOption[] = [
  { name: 'error', kind: 'bool', help: 'report error if CPUs are incompatible' },
  { name: 'validate', kind: 'bool', help: 'validate the XML document against schema' },
];

const HOST_COMMANDS: VirshCommandSpec[] = [
  {
    name: 'domcapabilities',
    help: 'domain capabilities',
    description: 'Returns capabilities of emulator with respect to host and libvirt.',
    options: HYPERVISOR_OPTIONS('emulatorbin', 'domain architecture (/domain/os/type/@arch)'),
    run: (a) => (c) => domcapabilities(c, a),
  },
  {
    name: 'cpu-baseline',
    help: 'compute baseline CPU',
    description: 'Compute baseline CPU for a set of given CPUs.',
    options: [{ name: 'file', kind: 'data', required: true, help: 'file containing XML CPU descriptions' }, ...BASELINE_FLAGS],
    run: (a) => (c) => cpuBaseline(c, a),
  },
  {
    name: 'cpu-compare',
    help: 'compare host CPU with a CPU described by an XML file',
    description: 'compare CPU with host CPU',
    options: [{ name: 'file', kind: 'data', required: true, help: FILE_HELP }, ...COMPARE_FLAGS],
    run: (a) => (c) => cpuCompare(c, a),
  },
  {
    name: 'hypervisor-cpu-baseline',
    help: 'compute baseline CPU usable by a specific hypervisor',
    description: 'Compute baseline CPU for a set of given CPUs. The result will be tailored to the specified hypervisor.',
    options: [
      { name: 'file', kind: 'string', help: 'file containing XML CPU descriptions' },
      ...HYPERVISOR_OPTIONS('emulator', 'CPU architecture (/domain/os/type/@arch)'),
      ...BASELINE_FLAGS,
      { name: 'model', kind: 'string', help: 'Shortcut for calling the command with a single CPU model and no additional features' },
    ],
    run: (a) => (c) => hypervisorCpuBaseline(c, a),
  },
  {
    name: 'hypervisor-cpu-compare',
    help: 'compare a CPU with the CPU created by a hypervisor on the host',
    description: 'compare CPU with hypervisor CPU',
    options: [{ name: 'file', kind: 'data', required: true, help: FILE_HELP }, ...HYPERVISOR_OPTIONS('emulator', 'CPU architecture (/domain/os/type/@arch)'), ...COMPARE_FLAGS],
    run: (a) => (c) => hypervisorCpuCompare(c, a),
  },
  {
    name: 'nodememstats',
    help: 'Prints memory stats of the node.',
    description: 'Returns memory stats of the node, in kilobytes.',
    options: [{ name: 'cell', kind: 'number', help: 'prints specified cell statistics only.' }],
    run: (a) => (c) => nodememstats(c, a),
  },
  {
    name: 'nodecpumap',
    help: 'node cpu map',
    description: "Displays the node's total number of CPUs, the number of online CPUs and the list of online CPUs.",
    options: [{ name: 'pretty', kind: 'bool', help: 'return human readable output' }],
    run: (a) => (c) => nodecpumap(c, a),
  },
  {
    name: 'nodesuspend',
    help: 'suspend the host node for a given time duration',
    description: 'Suspend the host node for a given time duration and attempt to resume thereafter.',
    options: [
      { name: 'target', kind: 'data', required: true, help: 'mem(Suspend-to-RAM), disk(Suspend-to-Disk), hybrid(Hybrid-Suspend)' },
      { name: 'duration', kind: 'number', required: true, help: 'Suspend duration in seconds, at least 60' },
    ],
    run: (a) => (c) => nodesuspend(c, a),
  },
  {
    name: 'node-memory-tune',
    help: 'Get or set node memory parameters',
    description: 'Get or set node memory parameters\n    To get the memory parameters, use following command: \n\n    virsh # node-memory-tune',
    options: [
      { name: 'shm-pages-to-scan', kind: 'number', help: 'number of pages to scan before the shared memory service goes to sleep' },
      { name: 'shm-sleep-millisecs', kind: 'number', help: 'number of millisecs the shared memory service should sleep before next scan' },
      { name: 'shm-merge-across-nodes', kind: 'number', help: 'Specifies if pages from different numa nodes can be merged' },
    ],
    run: (a) => (c) => nodeMemoryTune(c, a),
  },
  {
    name: 'allocpages',
    help: 'Manipulate pages pool size',
    description: 'Allocate or free some pages in the pool for NUMA cell.',
    options: [
      { name: 'pagesize', kind: 'number', required: true, help: 'page size (in kibibytes)' },
      { name: 'pagecount', kind: 'number', required: true, help: 'page count' },
      { name: 'cellno', kind: 'number', help: 'NUMA cell number' },
      { name: 'add', kind: 'bool', help: 'instead of setting new pool size add pages to it' },
      { name: 'all', kind: 'bool', help: 'set on all NUMA cells' },
    ],
    run: (a) => (c) => allocpages(c, a),
  },
  {
    name: 'freepages',
    help: 'NUMA free pages',
    description: 'display available free pages for the NUMA cell.',
    options: [
      { name: 'cellno', kind: 'number', help: 'NUMA cell number' },
      { name: 'pagesize', kind: 'number', help: 'page size (in kibibytes)' },
      { name: 'all', kind: 'bool', help: 'show free pages for all NUMA cells' },
    ],
    run: (a) => (c) => freepages(c, a),
  },
  {
    name: 'nodesevinfo',
    help: 'node SEV information',
    description: 'Returns basic SEV information about the node.',
    run: () => (c) => nodesevinfo(c),
  },
  {
    name: 'migrate-compcache',
    help: 'get/set compression cache size',
    description: 'Get/set size of the cache (in bytes) used for compressing repeatedly transferred memory pages during live migration.',
    options: [
      { name: 'domain', kind: 'data', required: true, help: 'domain name, id or uuid' },
      { name: 'size', kind: 'number', named: true, help: 'requested size of the cache (in bytes) used for compression' },
    ],
    run: (a) => (c) => migrateCompcache(c, a),
  },
];

export function register(registry: Registry): void {
  for (const spec of HOST_COMMANDS) virshCommand(registry, spec);
  registerEcho(registry.program, registry.io);
}
