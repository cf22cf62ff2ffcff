/**
 * Reading a command's words as virsh's vshCommandParse does, for the commands declared as
 * virsh declares them (a list of options in virsh's order): a bare word fills the next option
 * not given by name, `--opt=value` works, `--` ends the options, options taken by name only
 * are never filled by position, and usage errors are virsh's ("unexpected data", "command 'X'
 * requires <y> option"), printed without the blank line that ends a command that ran. The
 * words are read from the command line itself, so commander never sees virsh's `--no-x`
 * options as negations.
 */
import { type Command, Option } from 'commander';
import type { Context } from './commands.js';
import type { Registry } from './registry.js';

/**
 * One of a command's options, as virsh declares it: `bool` (a flag), `data` (positional by
 * nature, `[--name] <string>`), `string` and `number` (named, but filled by position too when
 * given bare), `argv` (takes every remaining word), `alias` (another name for `target`,
 * `name` or `name=value`).
 */
export interface VirshOption {
  name: string;
  kind: 'bool' | 'data' | 'string' | 'number' | 'argv' | 'alias';
  help: string;
  required?: boolean;
  /** Only by name (virsh's VSH_OFLAG_REQ_OPT): a bare word never fills it. */
  named?: boolean;
  target?: string;
}

/** A command as virsh defines it: its options in virsh's order, and what it does. */
export interface VirshCommandSpec {
  name: string;
  /** virsh's one-line help. */
  help: string;
  /** virsh's longer description (`virsh help NAME`). */
  description: string;
  options?: VirshOption[];
  run(args: VirshArgs): (c: Context) => Promise<string>;
}

/** The values a command was given, by virsh's option names. */
export class VirshArgs {
  constructor(private readonly given: Map<string, string[]>) {}

  /** Whether the option (flag or value) was given. */
  has(name: string): boolean {
    return this.given.has(name);
  }

  /** The option's value, if given. */
  value(name: string): string | undefined {
    return this.given.get(name)?.[0];
  }

  /** Every value of an `argv` option, in order. */
  all(name: string): string[] {
    return this.given.get(name) ?? [];
  }
}

/** A complaint about the command line itself: virsh prints it with no blank line after. */
export class UsageError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

/** The words asked for `--help`: virsh then prints the command's help instead of running it. */
export const HELP = Symbol('help');

/**
 * Parses a command's words as virsh's vshCommandParse does: `--name`, `--name value`,
 * `--name=value`; a bare word fills the first non-boolean option not yet given; `--` makes
 * every later word data; required options are checked at the end, all of them reported.
 */
export function parseVirshWords(command: string, options: readonly VirshOption[], words: readonly string[]): VirshArgs | typeof HELP {
  const byName = new Map(options.map((o) => [o.name, o]));
  const positional = options.filter((o) => o.kind !== 'bool' && o.kind !== 'alias' && !o.named);
  const pending = new Set(positional);
  const seen = new Set<VirshOption>();
  const given = new Map<string, string[]>();
  const put = (o: VirshOption, v: string) => given.set(o.name, [...(given.get(o.name) ?? []), v]);
  let dataOnly = false;
  let help = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!dataOnly && /^--[A-Za-z0-9]/.test(word)) {
      const eq = word.indexOf('=', 2);
      let name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      let inline = eq < 0 ? undefined : word.slice(eq + 1);
      if (name === 'help') {
        // virsh reads on to the end (a later word can still be wrong), then prints the help.
        if (inline !== undefined) throw new UsageError([`invalid '=' after option --help`]);
        help = true;
        continue;
      }
      let option = byName.get(name);
      if (option?.kind === 'alias') {
        const [target, preset] = option.target!.split('=');
        if (preset !== undefined) {
          if (inline !== undefined) throw new UsageError([`invalid '=' after option --${option.name}`]);
          inline = preset;
        }
        name = target!;
        option = byName.get(name);
      }
      if (!option) throw new UsageError([`command '${command}' doesn't support option --${name}`]);
      if (seen.has(option) && option.kind !== 'argv') throw new UsageError([`option --${name} already seen`]);
      seen.add(option);
      if (option.kind === 'bool') {
        if (inline !== undefined) throw new UsageError([`invalid '=' after option --${option.name}`]);
        put(option, '');
        continue;
      }
      if (inline === undefined) {
        if (i + 1 >= words.length) throw new UsageError([`expected syntax: --${option.name} <${option.kind === 'number' ? 'number' : 'string'}>`]);
        inline = words[++i]!;
      }
      if (option.kind !== 'argv') pending.delete(option);
      put(option, inline);
    } else if (!dataOnly && word === '--') {
      dataOnly = true;
    } else {
      const option = positional.find((o) => pending.has(o));
      if (!option) throw new UsageError([`unexpected data '${word}'`]);
      if (option.kind !== 'argv') pending.delete(option);
      seen.add(option);
      put(option, word);
    }
  }
  if (help) return HELP;
  const missing = options.filter((o) => o.required && !seen.has(o));
  if (missing.length) {
    throw new UsageError(missing.map((o) => `command '${command}' requires ${o.kind === 'data' || o.kind === 'argv' ? `<${o.name}>` : `--${o.name}`} option`));
  }
  return new VirshArgs(given);
}

/** `virsh help NAME`, as vshCmddefHelp lays it out. */
export function virshHelp(spec: Pick<VirshCommandSpec, 'name' | 'help' | 'description' | 'options'>): string {
  const options = (spec.options ?? []).filter((o) => o.kind !== 'alias');
  let synopsis = `    ${spec.name}`;
  let byPosition = false;
  for (const o of options) {
    if (o.kind === 'bool') synopsis += ` [--${o.name}]`;
    else if (o.kind === 'number') synopsis += o.required ? ` <${o.name}>` : ` [--${o.name} <number>]`;
    else if (o.kind === 'string') synopsis += ` [--${o.name} <string>]`;
    else if (o.kind === 'data') synopsis += o.required ? ` <${o.name}>` : ` [<${o.name}>]`;
    else synopsis += byPosition ? (o.required ? ` {[--${o.name}] <string>}...` : ` [[--${o.name}] <string>]...`) : o.required ? ` <${o.name}>...` : ` [<${o.name}>]...`;
    if ((o.kind === 'number' || o.kind === 'string' || o.kind === 'data') && !o.named) byPosition = true;
  }
  let text = `  NAME\n    ${spec.name} - ${spec.help}\n\n  SYNOPSIS\n${synopsis}\n`;
  if (spec.description) text += `\n  DESCRIPTION\n    ${spec.description}\n`;
  if (options.length) {
    text += '\n  OPTIONS\n';
    for (const o of options) {
      const label =
        o.kind === 'bool'
          ? `--${o.name}`
          : o.kind === 'number'
            ? o.required
              ? `[--${o.name}] <number>`
              : `--${o.name} <number>`
            : o.kind === 'string'
              ? `--${o.name} <string>`
              : o.kind === 'data'
                ? `[--${o.name}] <string>`
                : byPosition
                  ? `[--${o.name}] <string>`
                  : `<${o.name}>`;
      text += `    ${label.padEnd(15)}  ${o.help}\n`;
    }
  }
  return text + '\n';
}

/**
 * The words the user typed after the command's name, less the program's own options (which
 * the program has taken wherever they stood, up to a `--`).
 */
export function wordsAfterCommand(program: Command, name: string): string[] {
  // commander keeps the words it was given (not in its typings).
  const raw: string[] = (program as unknown as { rawArgs?: string[] }).rawArgs ?? [];
  const programOption = (word: string) =>
    program.options.find((o) => word === o.long || word === o.short || (!!o.long && (o.required || o.optional) && word.startsWith(`${o.long}=`)));
  let i = 0;
  while (i < raw.length && raw[i] !== name) {
    const o = programOption(raw[i]!);
    i += o && (o.required || o.optional) && !raw[i]!.includes('=') ? 2 : 1;
  }
  const words: string[] = [];
  let ended = false;
  for (let j = i + 1; j < raw.length; j++) {
    const word = raw[j]!;
    if (word === '--') ended = true;
    const o = ended ? undefined : programOption(word);
    if (!o) words.push(word);
    else if ((o.required || o.optional) && !word.includes('=')) j++;
  }
  return words;
}

/** Prints virsh's usage complaint (no blank line after it) and ends the run with status 1. */
export function usageFailure(command: Command, e: UsageError): never {
  command.error(e.lines.map((l) => `error: ${l}`).join('\n'), { exitCode: 1, code: 'libvirt-rpc.usage' });
}

/** The commander definition of a virsh command: its options for help and completion; the words are read as virsh reads them. */
export function declareVirshCommand(program: Command, spec: Pick<VirshCommandSpec, 'name' | 'help' | 'options'>): Command {
  const command = program.command(spec.name).description(spec.help).helpOption(false).allowUnknownOption().allowExcessArguments();
  for (const o of spec.options ?? []) {
    if (o.kind === 'data') command.argument(`[${o.name}]`, o.help);
    if (o.kind === 'alias') continue;
    if (o.kind === 'bool') command.option(`--${o.name}`, o.help);
    else command.option(`--${o.name} [${o.kind === 'number' ? 'number' : 'string'}]`, o.help);
  }
  return command;
}

/** Adds a virsh command that runs on a connection. */
export function virshCommand({ program, act, io }: Registry, spec: VirshCommandSpec): void {
  const command = declareVirshCommand(program, spec);
  command.action(async () => {
    let args: VirshArgs | typeof HELP;
    try {
      args = parseVirshWords(spec.name, spec.options ?? [], wordsAfterCommand(program, spec.name));
    } catch (e) {
      if (e instanceof UsageError) usageFailure(command, e);
      throw e;
    }
    if (args === HELP) io.stdout(virshHelp(spec) + '\n');
    else await act(spec.run(args));
  });
}

// ---------------------------------------------------------------------------------------------
// Commands declared with commander, whose bare words are then given out as virsh gives them

/** One of a command's options that a bare word may fill, in virsh's order. */
export interface WordSlot {
  /** The option's name as virsh spells it (`new-name`). */
  option: string;
  /** virsh refuses the command without it: "command 'X' requires <option> option". */
  required?: boolean;
  /** Takes every remaining word (virsh's argv options, such as `--diskspec`). */
  many?: boolean;
  /** virsh's help line for the option. */
  help?: string;
  /**
   * What virsh calls the option when it is missing: `<option>` for a data option (the
   * default), `--option` for a string or number option.
   */
  kind?: 'data' | 'string' | 'number';
}

/** commander's key for an option: `new-name` → `newName`. */
export const optionKey = (option: string) => option.replace(/-([a-z])/g, (_m, ch: string) => ch.toUpperCase());

/**
 * Fills the options of `slots` not given by name with the bare `words`, in order, as virsh
 * does (so `checkpoint-create-as dom --name a b` makes `b` the description). Returns the
 * message virsh prints for a word left over or a required option missing, else null; the
 * filled values are written into `options`.
 */
export function fillFromWords(command: string, slots: WordSlot[], options: Record<string, unknown>, words: string[]): string | null {
  const open = slots.filter((s) => s.many || options[optionKey(s.option)] === undefined);
  for (const word of words) {
    const slot = open[0];
    if (!slot) return `unexpected data '${word}'`;
    const key = optionKey(slot.option);
    if (slot.many) options[key] = [...((options[key] as string[] | undefined) ?? []), word];
    else {
      options[key] = word;
      open.shift();
    }
  }
  const missing = slots.find((s) => s.required && options[optionKey(s.option)] === undefined);
  if (!missing) return null;
  return `command '${command}' requires ${(missing.kind ?? 'data') === 'data' ? `<${missing.option}>` : `--${missing.option}`} option`;
}

/**
 * A flag whose name starts with `no-` that is a flag of its own, as virsh's `--no-overwrite`
 * beside `--overwrite`, rather than commander's negation of `--overwrite` (virsh refuses the
 * two together, so both must be seen): `noOverwrite: true`.
 */
export function literalFlag(flag: string, help: string): Option {
  const option = new Option(flag, help);
  option.negate = false;
  return option;
}

/**
 * Adds a virsh option to `command`. commander reads `--no-X` as the negation of `--X`; virsh's
 * `--no-leaves`, `--no-metadata` and `--no-domain` are options of their own, kept as such.
 */
export function virshOption(command: Command, flags: string, help: string, collect?: (value: string, previous: string[]) => string[]): Command {
  const option = literalFlag(flags, help);
  if (collect) option.argParser(collect);
  return command.addOption(option);
}

/** The domain most domain commands work on, virsh's first option for them. */
export const DOMAIN: WordSlot = { option: 'domain', required: true, help: 'domain name, id or uuid' };

/**
 * Declares `name` with virsh's options and wires its action: the bare words are distributed
 * over `slots`; a usage error is printed without connecting, as virsh does.
 */
export function virshWordsCommand<O extends object>(
  r: Registry,
  name: string,
  description: string,
  slots: WordSlot[],
  declare: (command: Command) => Command,
  work: (c: Context, o: O) => Promise<string>,
): void {
  // The slots are declared as arguments too, for help and for shell completion (which knows
  // an argument called `domain`); the words themselves are taken from the parse, excess ones
  // included, and distributed here.
  const command = r.program.command(name).description(description).allowExcessArguments(true);
  for (const slot of slots) command.argument(slot.many ? `[${slot.option}...]` : `[${slot.option}]`, slot.help ?? slot.option);
  for (const slot of slots) {
    const flags = `--${slot.option} <${slot.option}>`;
    const help = slot.help ?? slot.option;
    virshOption(command, flags, help, slot.many ? (v, all = []) => [...all, v] : undefined);
  }
  declare(command).action((...params: unknown[]) => {
    const self = params.at(-1) as Command;
    const words = self.args;
    const given = params.at(-2) as Record<string, unknown>;
    const options = { ...given };
    const usage = fillFromWords(name, slots, options, words);
    if (usage) return r.fail(usage);
    for (const slot of slots.filter((s) => s.many)) {
      const key = optionKey(slot.option);
      const named = (given[key] as string[] | undefined) ?? [];
      const all = (options[key] as string[] | undefined) ?? [];
      const bare = all.slice(named.length);
      if (all.length) options[key] = argvInTypedOrder(self, slot.option, words.length - bare.length, all);
    }
    return r.act((c) => work(c, options as O));
  });
}

/**
 * The values of virsh's "argv" option `--option` (`--diskspec`, `--keycode`, `--mountpoint`)
 * in the order the command line gave them, mixed with the bare words after the first `skip`,
 * as virsh collects them; commander keeps the two apart. Read from the raw command line;
 * `parsed` (the values as commander gave them) when there is none.
 */
export function argvInTypedOrder(command: Command, option: string, skip: number, parsed: string[]): string[] {
  // commander keeps the command line it parsed on the program (not in its typings).
  const raw = (command.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs;
  if (!raw || !command.parent) return parsed;
  const options = [...command.options, ...command.parent.options];
  const takesValue = (flag: string, among: readonly { long?: string; short?: string; required: boolean; optional: boolean }[]) =>
    among.some((o) => (o.long === flag || o.short === flag) && (o.required || o.optional));
  let i = 0;
  // Past the program's options (and their values) to the command's name.
  for (; i < raw.length && raw[i] !== command.name(); i++) if (takesValue(raw[i]!, command.parent.options)) i++;
  const words: string[] = [];
  let operand = 0;
  for (i++; i < raw.length; i++) {
    const token = raw[i]!;
    if (token === '--') {
      for (const rest of raw.slice(i + 1)) if (operand++ >= skip) words.push(rest);
      break;
    }
    if (token.startsWith('-') && token.length > 1) {
      const eq = token.indexOf('=');
      const flag = eq > 0 ? token.slice(0, eq) : token;
      if (flag === `--${option}`) words.push(eq > 0 ? token.slice(eq + 1) : raw[++i]!);
      // The program's options may stand after the command's name too.
      else if (eq < 0 && takesValue(flag, options)) i++;
      continue;
    }
    if (operand++ >= skip) words.push(token);
  }
  return words;
}
