/**
 * Option values read and checked as virsh reads them, with virsh's messages: whole integers in
 * a range (vshCommandOptInt, OptUInt, OptLongLong, OptULongLong), sizes with unit suffixes
 * (vshCommandOptScaledInt), `--timeout`, non-empty strings, options that exclude each other,
 * comma lists; files read as virFileReadAll reads them; and virsh's two-line failure report.
 * These run when the command runs, so a failure ends with virsh's blank line.
 */
import { readFileSync } from 'node:fs';
import type { VirshArgs } from './virsh-args.js';

/** virsh's two lines for a failure: what it was doing, then libvirt's reason. */
export const failed = (what: string, e: unknown): Error => new Error(`${what}\nerror: ${e instanceof Error ? e.message : String(e)}`, { cause: e });

/** virsh's VSH_EXCLUSIVE_OPTIONS: `--a` and `--b` both given. */
export function exclusive(a: string, aGiven: unknown, b: string, bGiven: unknown): void {
  if (aGiven && bGiven) throw new Error(`Options --${a} and --${b} are mutually exclusive`);
}

/** virsh's complaint about a string option given empty (vshCommandOptStringReq). */
export function requireNonEmpty(option: string, value: string | undefined): void {
  if (value === '') throw new Error(`Failed to get option '${option}': Option argument is empty`);
}

/** What strerror says for the errors a file commonly fails to open or read with. */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

/** strerror's text for a failed file operation: Node's message is "CODE: strerror in lower case, syscall 'path'". */
function strerrorOf(err: NodeJS.ErrnoException): string {
  const known = err.code ? STRERROR[err.code] : undefined;
  if (known) return known;
  const reason = /^[A-Z]+: ([^,]+)/.exec(err.message)?.[1] ?? err.message;
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}

/** A file's text as virFileReadAll reads it, with libvirt's messages when it cannot. */
export function readVirshFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // open(2) succeeds on a directory; it is the read that fails.
    throw new Error(`Failed to ${err.code === 'EISDIR' ? 'read' : 'open'} file '${path}': ${strerrorOf(err)}`, { cause: e });
  }
}

/** A file read as virFileReadAll reads it, at most `max` bytes (libvirt's message past that). */
export function readFileLimited(path: string, max: number): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    // Read again for libvirt's wording of the same failure.
    readVirshFile(path);
    throw new Error(`Failed to read file '${path}'`);
  }
  if (bytes.length > max) throw new Error(`Failed to read file '${path}': Value too large for defined data type`);
  return bytes;
}

const ULLONG_MAX = 2n ** 64n - 1n;

/** strtoull's reading of a decimal number (leading blanks, a `+`), refusing a minus as virsh does: the number and what follows. */
function leadingUnsigned(text: string): { value: bigint; rest: string } | null {
  const m = /^[\t\n\v\f\r ]*\+?(\d+)([\s\S]*)$/.exec(text);
  if (!m) return null;
  const value = BigInt(m[1]!);
  return value > ULLONG_MAX ? null : { value, rest: m[2]! };
}

/** A scaled number, or why not: `reason` is libvirt's own complaint (a unit it does not know, an overflow), when it made one. */
export type Scaled = { value: bigint } | { value: null; reason?: string };

/** virScaleInteger: `value` times the unit `suffix` names (or `scale` when there is none), up to `max`. */
export function scaleInteger(value: bigint, suffix: string, scale: bigint, max: bigint): Scaled {
  let factor: bigint;
  if (suffix === '') factor = scale;
  else if (/^(b|bytes?)$/i.test(suffix)) factor = 1n;
  else {
    const base = suffix.length === 1 || suffix.slice(1).toLowerCase() === 'ib' ? 1024n : suffix.length === 2 && suffix[1]!.toLowerCase() === 'b' ? 1000n : 0n;
    const power = 'kmgtpe'.indexOf(suffix[0]!.toLowerCase()) + 1;
    if (!base || !power) return { value: null, reason: `invalid argument: unknown suffix '${suffix}'` };
    factor = base ** BigInt(power);
  }
  return value > max / factor ? { value: null, reason: `numerical overflow: value too large: ${value}${suffix}` } : { value: value * factor };
}

/** A scaled integer (`10M`, `1GiB`, `512KB`, a plain number in units of `scale`), or why it is not one. */
export function readScaled(text: string, scale = 1n, max = ULLONG_MAX): Scaled {
  const n = leadingUnsigned(text);
  return n ? scaleInteger(n.value, n.rest, scale, max) : { value: null };
}

/** A scaled integer, or null when malformed or over `max`. */
export function scaledInteger(text: string, scale = 1n, max = ULLONG_MAX): bigint | null {
  return readScaled(text, scale, max).value;
}

/**
 * An option virsh refused: its own complaint, then libvirt's reason when there is one (virsh
 * prints that last, after anything the command adds).
 */
export class OptionError extends Error {
  constructor(
    readonly complaint: string,
    readonly reason?: string,
  ) {
    super(reason ? `${complaint}\nerror: ${reason}` : complaint);
  }
}

/** vshCommandOptScaledInt: a scaled option, or virsh's complaint. */
export function scaledOption(name: string, text: string, scale = 1n, max = ULLONG_MAX): bigint {
  const r = readScaled(text, scale, max);
  if (r.value === null) throw new OptionError(`Scaled numeric value '${text}' for <${name}> option is malformed or out of range`, r.reason);
  return r.value;
}

/** The ranges of C's integer types, as `[min, max]`, for {@link integerValue}. */
export const INT = [-(2n ** 31n), 2n ** 31n - 1n] as const;
export const UINT = [0n, 2n ** 32n - 1n] as const;
export const LLONG = [-(2n ** 63n), 2n ** 63n - 1n] as const;
export const ULLONG = [0n, ULLONG_MAX] as const;

/**
 * An integer option within [min, max] (vshCommandOptInt, OptUInt, OptLongLong, OptULongLong):
 * C's strto* over the whole word (leading white space, a sign, decimal digits); an unsigned
 * one refuses any minus sign (virStrToLong_*p), even on zero.
 */
export function integerValue(name: string, text: string, min: bigint, max: bigint): bigint {
  const value = parseCInteger(text, [min, max]);
  if (value === undefined) throw new OptionError(`Numeric value '${text}' for <${name}> option is malformed or out of range`);
  return value;
}

/**
 * A whole number as C's strtol family reads one and libvirt's virStrToLong_* check it: leading
 * white space, a sign, digits to the end, within `[min, max]`. In base 10, or with `base0` as
 * strtol's base 0 (`0x` hex, leading-0 octal). An unsigned range refuses a minus sign as the
 * `*p` variants do, unless `wrap`, where (as C's strtoul) -n is max + 1 - n. Undefined when the
 * text is not such a number.
 */
export function parseCInteger(text: string, [min, max]: readonly [bigint, bigint], how: { base0?: boolean; wrap?: boolean } = {}): bigint | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(.*)$/s.exec(text)!;
  const sign = m[1]!;
  const body = m[2]!;
  let magnitude: bigint;
  if (how.base0 && /^0[xX][0-9a-fA-F]+$/.test(body)) magnitude = BigInt(body);
  else if (how.base0 && /^0[0-7]*$/.test(body)) magnitude = body.length > 1 ? BigInt(`0o${body.slice(1)}`) : 0n;
  else if (/^\d+$/.test(body) && !(how.base0 && body.startsWith('0'))) magnitude = BigInt(body);
  else return undefined;
  if (sign === '-' && min >= 0n) {
    if (!how.wrap) return undefined;
    if (magnitude === 0n) return 0n;
    return magnitude > max ? undefined : max + 1n - magnitude;
  }
  const value = sign === '-' ? -magnitude : magnitude;
  return value < min || value > max ? undefined : value;
}

/** vshCommandOptUInt / vshCommandOptULongLong: an unsigned number up to `max`, or virsh's complaint. */
export function unsignedOption(name: string, text: string, max = ULLONG_MAX): bigint {
  return integerValue(name, text, 0n, max);
}

/** `--timeout SECONDS` as milliseconds (0 when absent); virsh refuses 0 and what would overflow. */
export function timeoutOption(text: string | undefined): number {
  if (text === undefined) return 0;
  const seconds = unsignedOption('timeout', text, UINT[1]);
  // virsh names the number it read here, not the word it was given.
  if (seconds === 0n || seconds > INT[1] / 1000n) throw new Error(`Numeric value '${seconds}' for <timeout> option is malformed or out of range`);
  return Number(seconds) * 1000;
}

/** A word split on commas, `,,` standing for a comma (vshStringToArray). */
export function splitCommas(word: string): string[] {
  if (word === '') return [];
  const pieces = word.split(',');
  const out = [pieces[0]!];
  let join = false;
  for (const piece of pieces.slice(1)) {
    if (join) {
      out[out.length - 1] += `,${piece}`;
      join = false;
    } else if (piece === '') join = true;
    else out.push(piece);
  }
  if (join) out.push('');
  return out;
}

// Readers over a command's words as virsh-args.ts parsed them: undefined when the option was not given.

/** {@link integerValue} of an option, if given. */
export function integerOption(args: VirshArgs, name: string, min: bigint, max: bigint): bigint | undefined {
  const text = args.value(name);
  return text === undefined ? undefined : integerValue(name, text, min, max);
}

/** {@link scaledOption} of an option, if given: a bare number is in units of `scale`. */
export function scaledArg(args: VirshArgs, name: string, scale: bigint, max: bigint): bigint | undefined {
  const text = args.value(name);
  return text === undefined ? undefined : scaledOption(name, text, scale, max);
}

/** A string option that must not be empty when given (vshCommandOptStringReq). */
export function stringOption(args: VirshArgs, name: string): string | undefined {
  const value = args.value(name);
  requireNonEmpty(name, value);
  return value;
}

/** {@link exclusive} for two options of a command's words. */
export function exclusiveArgs(args: VirshArgs, a: string, b: string): void {
  exclusive(a, args.has(a), b, args.has(b));
}
