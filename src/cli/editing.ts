/**
 * virsh's `*-edit` commands: `edit` (a domain), `net-edit`, `pool-edit`, `iface-edit`,
 * `nwfilter-edit`, `snapshot-edit`, `checkpoint-edit`, `save-image-edit` and
 * `managedsave-edit`. Each does what virsh's shared edit cycle does: the object's XML goes to
 * a temporary file, the user's editor runs on it, an unchanged file is reported as such, a
 * changed one redefines the object, and a failed redefinition asks "Try again?" on a terminal
 * (reading the answer from the CLI's stdin) or, without one, reports "Failed." and goes on as
 * virsh goes on.
 */
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { accessSync, constants as fsConstants, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type {
  RemoteNonnullDomain,
  RemoteNonnullInterface,
  RemoteNonnullNetwork,
  RemoteNonnullNwfilter,
  RemoteNonnullStoragePool,
} from '../../protocol/remote.js';
import {
  VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE,
  VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY,
  VIR_DOMAIN_CHECKPOINT_XML_SECURE,
  VIR_DOMAIN_DEFINE_VALIDATE,
  VIR_DOMAIN_SAVE_IMAGE_XML_SECURE,
  VIR_DOMAIN_SAVE_PAUSED,
  VIR_DOMAIN_SAVE_RUNNING,
  VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT,
  VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY,
  VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE,
  VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY,
  VIR_DOMAIN_SNAPSHOT_XML_SECURE,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_XML_SECURE,
  VIR_ERR_INVALID_ARG,
  VIR_ERR_NO_SUPPORT,
  VIR_INTERFACE_XML_INACTIVE,
  VIR_NETWORK_XML_INACTIVE,
  VIR_STORAGE_XML_INACTIVE,
} from '../../protocol/constants.js';
import type { Connection } from '../api/connection.js';
import { LibvirtError } from '../errors.js';
import { uuidBytes } from '../handles/values.js';
import { type Context, findDomain } from './commands.js';
import { type CliIo, FailureReport, type Registry } from './registry.js';

// ---------------------------------------------------------------------------------------
// The edit cycle

/** What one edit command edits: how its XML is read, and how the object is redefined. */
export interface Editable<T> {
  /** The object's XML as the command shows it (virsh reads it again before each define). */
  read(): Promise<string>;
  /** Redefines the object from the edited XML (`original` is the XML it was edited from). */
  define(edited: string, original: string): Promise<T>;
  /** What to print when the file comes back unchanged; undefined defines it anyway. */
  unchanged(): string | undefined;
  /** Turns validation off: the prompt's `i`, offered only where this is given. */
  relax?(): void;
}

/** How an edit cycle ended, short of failing. */
export type EditOutcome<T> =
  | { kind: 'unchanged'; text: string }
  | { kind: 'defined'; value: T }
  /** No terminal to ask on: virsh reported the message and went on as if the define had worked. */
  | { kind: 'unasked'; failure: unknown };

/**
 * A failure virsh reports the moment it happens (the editor, the temporary file), as
 * opposed to a daemon error it reports when the command ends; commands that add a line of
 * their own put it after the one and before the other.
 */
export class ReportedAtOnce extends Error {}

/** The user answered `n`: the changes are thrown away, and the command fails. */
export class GaveUp extends Error {
  constructor() {
    super('gave up editing');
  }
}

const terminalOf = (io: CliIo) => io.stdin ?? process.stdin;
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * virsh's edit cycle over `target`: temporary file, editor, compare, redefine, and on a
 * failed redefinition its "Try again?" prompt (y edits again, f defines the same text again,
 * i turns validation off and defines again, n gives up).
 */
export async function editCycle<T>(io: CliIo, target: Editable<T>): Promise<EditOutcome<T>> {
  let original = await target.read();
  const file = writeTempFile(io.env, original);
  try {
    let edited = '';
    let relaxOffered = false;
    let editAgain = true;
    for (;;) {
      if (editAgain) {
        // Each new round of editing offers `i` again.
        relaxOffered = !!target.relax;
        await runEditor(io, file);
        edited = readBack(file);
        if (edited === original) {
          const text = target.unchanged();
          if (text !== undefined) return { kind: 'unchanged', text };
        }
      }
      let message: string;
      let failure: unknown;
      // Someone else may have changed the object while the editor ran.
      const reread = await target.read();
      if (reread !== original) {
        message = 'The XML configuration was changed by another user.';
        original = reread;
      } else {
        try {
          return { kind: 'defined', value: await target.define(edited, original) };
        } catch (e) {
          message = 'Failed.';
          failure = e;
        }
      }
      const answer = await askToRetry(io, message, relaxOffered, failure);
      if (answer === 'y') editAgain = true;
      else if (answer === 'f') editAgain = false;
      else if (answer === 'i') {
        target.relax!();
        relaxOffered = false;
        editAgain = false;
      } else if (answer === 'n') throw new GaveUp();
      else {
        io.stderr(`error: ${message}\n`);
        return { kind: 'unasked', failure };
      }
    }
  } finally {
    rmSync(file, { force: true });
  }
}

type Answer = 'y' | 'n' | 'f' | 'i';

/**
 * virsh's "Try again?": only on a terminal (null otherwise, as virsh asks nothing then); the
 * daemon's error first, then the question, one key at a time in raw mode until a valid one.
 * End of input counts as `n` (virsh would ask forever).
 */
async function askToRetry(io: CliIo, message: string, relaxOffered: boolean, failure: unknown): Promise<Answer | null> {
  const input = terminalOf(io);
  if (!(input as { isTTY?: boolean }).isTTY) return null;
  if (failure !== undefined) io.stderr(`error: ${messageOf(failure)}\n`);
  const tty = input as { setRawMode?: (raw: boolean) => unknown };
  const raw = typeof tty.setRawMode === 'function';
  if (raw) tty.setRawMode!(true);
  let answer: Answer = 'n';
  try {
    for (;;) {
      io.stdout(`\r${message} Try again? ${relaxOffered ? '[y,n,i,f,?]' : '[y,n,f,?]'}: `);
      const key = await readKey(input);
      if (key === null) break;
      const c = key.toLowerCase();
      if (c === '?') {
        const help = ['', 'y - yes, start editor again', 'n - no, throw away my changes'];
        if (relaxOffered) help.push('i - turn off validation and try to redefine again');
        help.push('f - force, try to redefine again', '? - print this help');
        io.stdout(help.map((l) => `${l}\r\n`).join(''));
        continue;
      }
      if (c === 'y' || c === 'n' || c === 'f' || (relaxOffered && c === 'i')) {
        answer = c;
        break;
      }
    }
  } finally {
    if (raw) tty.setRawMode!(false);
    // Let the process exit once the command is done: stdin reads only while asked.
    input.pause();
  }
  io.stdout('\r\n');
  return answer;
}

/** One character from `input`, or null at its end. */
function readKey(input: NodeJS.ReadableStream): Promise<string | null> {
  return new Promise((resolveKey, reject) => {
    const stop = () => {
      input.off('readable', attempt);
      input.off('end', ended);
      input.off('error', failed);
    };
    function attempt() {
      const chunk = input.read(1) as Buffer | string | null;
      if (chunk === null) return;
      stop();
      resolveKey(typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    }
    function ended() {
      stop();
      resolveKey(null);
    }
    function failed(e: unknown) {
      stop();
      reject(e);
    }
    if ((input as { readableEnded?: boolean }).readableEnded) return resolveKey(null);
    input.on('readable', attempt);
    input.on('end', ended);
    input.on('error', failed);
    attempt();
  });
}

// ---------------------------------------------------------------------------------------
// The temporary file and the editor, as virsh handles them

/** glibc's words for the errors a file or an exec most often meets (libuv's differ in case and wording). */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  ENOEXEC: 'Exec format error',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code && STRERROR[code]) return STRERROR[code]!;
  const text = messageOf(e).replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const TEMPLATE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `$TMPDIR/virshXXXXXX.xml` (or under /tmp), readable by its owner only, holding `doc`. */
function writeTempFile(env: CliIo['env'], doc: string): string {
  const dir = env.TMPDIR ?? '/tmp';
  for (;;) {
    const unique = Array.from({ length: 6 }, () => TEMPLATE_CHARS[randomInt(TEMPLATE_CHARS.length)]).join('');
    const file = `${dir}/virsh${unique}.xml`;
    try {
      writeFileSync(file, doc, { flag: 'wx', mode: 0o600 });
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new ReportedAtOnce(`g_mkstemp_full: failed to create temporary file: ${strerror(e)}`);
    }
  }
}

function readBack(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ReportedAtOnce(`${file}: failed to read temporary file: ${strerror(e)}`);
  }
}

/** What virsh lets through to run an editor without a shell, and a file name into one. */
const SHELL_SAFE = /^[A-Za-z0-9\-/_.:@]*$/;

/** One word of a command line as libvirt shows it: quoted only when the shell would need it. */
function shellWord(word: string): string {
  if (word === '') return "''";
  if (!/[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/.test(word)) return word;
  return `'${word.replace(/'/g, "'\\''")}'`;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The program libvirt would run for `name`: absolute as given, else found as it finds it. */
function findProgram(name: string, path: string | undefined): string {
  if (isAbsolute(name)) return name;
  if (name.includes('/')) {
    if (isExecutableFile(name)) return resolve(name);
  } else {
    for (const dir of (path ?? '').split(delimiter)) {
      const candidate = join(dir || '.', name);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  throw new ReportedAtOnce(`Cannot find '${name}' in path: No such file or directory`);
}

/**
 * The user's editor on `file`, as virsh runs it: `$VISUAL`, else `$EDITOR`, else vi; run
 * directly when its name is plain, else through `sh -c "EDITOR FILE"`. It gets the
 * terminal when the CLI runs on the process's own stdin; otherwise its output goes to the
 * CLI's stdout and stderr, as virsh passes it its own.
 */
async function runEditor(io: CliIo, file: string): Promise<void> {
  const env: Record<string, string | undefined> = { ...io.env };
  env.PATH ??= process.env.PATH;
  const editor = env.VISUAL ?? env.EDITOR ?? 'vi';
  let words: string[];
  if (SHELL_SAFE.test(editor)) words = [editor, file];
  else {
    if (!SHELL_SAFE.test(file)) {
      throw new ReportedAtOnce(`${file}: temporary filename contains shell meta or other unacceptable characters (is $TMPDIR wrong?)`);
    }
    words = ['sh', '-c', `${editor} ${file}`];
  }
  const program = findProgram(words[0]!, env.PATH);
  const shown = words.map(shellWord).join(' ');
  const onTerminal = !io.stdin || io.stdin === process.stdin;
  const child = spawn(program, words.slice(1), { env, stdio: onTerminal ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => io.stdout(d.toString()));
  child.stderr?.on('data', (d: Buffer) => io.stderr(d.toString()));
  const end = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>((done) => {
    child.on('error', (error: NodeJS.ErrnoException) => done({ code: null, signal: null, error }));
    child.on('close', (code, signal) => done({ code, signal }));
  });
  if (end.error) {
    // libvirt's child reports a failed exec itself, then exits 126 (found, not runnable) or 127.
    io.stderr(`libvirt:  error : cannot execute binary ${program}: ${strerror(end.error)}\n`);
    throw new ReportedAtOnce(`internal error: Child process (${shown}) unexpected exit status ${end.error.code === 'ENOENT' ? 127 : 126}`);
  }
  if (end.signal) {
    const number = osConstants.signals[end.signal] ?? end.signal;
    throw new ReportedAtOnce(`internal error: Child process (${shown}) unexpected fatal signal ${number}`);
  }
  if (end.code !== 0) throw new ReportedAtOnce(`internal error: Child process (${shown}) unexpected exit status ${end.code}`);
}

// ---------------------------------------------------------------------------------------
// Finding the objects, as virsh finds them

const UUID_LENGTH = 36;

/** By UUID when `ref` has a UUID's length, else (or when that finds none) by name. */
async function byUuidThenName<T>(ref: string, what: string, byUuid: (uuid: Uint8Array) => Promise<T>, byName: (name: string) => Promise<T>): Promise<T> {
  if (ref.length === UUID_LENGTH) {
    let uuid: Uint8Array | undefined;
    try {
      uuid = uuidBytes(ref);
    } catch {
      uuid = undefined;
    }
    const found = uuid && (await byUuid(uuid).catch(() => undefined));
    if (found) return found;
  }
  try {
    return await byName(ref);
  } catch (e) {
    throw new Error(`failed to get ${what} '${ref}'\nerror: ${messageOf(e)}`, { cause: e });
  }
}

const findNetwork = (conn: Connection, ref: string): Promise<RemoteNonnullNetwork> =>
  byUuidThenName(ref, 'network', (u) => conn.networkLookupByUUID(u), (n) => conn.networkLookupByName(n));

const findPool = (conn: Connection, ref: string): Promise<RemoteNonnullStoragePool> =>
  byUuidThenName(ref, 'pool', (u) => conn.storagePoolLookupByUUID(u), (n) => conn.storagePoolLookupByName(n));

const findNwfilter = (conn: Connection, ref: string): Promise<RemoteNonnullNwfilter> =>
  byUuidThenName(ref, 'nwfilter', (u) => conn.nWFilterLookupByUUID(u), (n) => conn.nWFilterLookupByName(n));

/** By MAC address when `ref` is one, else by name. */
async function findInterface(conn: Connection, ref: string): Promise<RemoteNonnullInterface> {
  const isMac = /^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i.test(ref);
  try {
    return await (isMac ? conn.interfaceLookupByMACString(ref) : conn.interfaceLookupByName(ref));
  } catch (e) {
    throw new Error(`failed to get interface '${ref}'\nerror: ${messageOf(e)}`, { cause: e });
  }
}

const isLibvirtCode = (e: unknown, code: number) => e instanceof LibvirtError && e.code === code;

// ---------------------------------------------------------------------------------------
// The commands whose object keeps its name: domain, network, pool, interface, nwfilter,
// save image, managed save image

/**
 * Runs the cycle for a command that prints one line when done. virsh prints that line even
 * when it could not ask (no terminal) and the define had failed, with "(null)" for the name.
 */
async function editNamed<T>(io: CliIo, target: Editable<T>, done: (value: T | null) => string): Promise<string> {
  let outcome: EditOutcome<T>;
  try {
    outcome = await editCycle(io, target);
  } catch (e) {
    // Status 1 with no error line: virsh already printed the daemon's error above its prompt;
    // only its closing blank line is left.
    if (e instanceof GaveUp) throw new FailureReport('\n', '', 'the edit was given up');
    throw e;
  }
  if (outcome.kind === 'unchanged') return `${outcome.text}\n`;
  return `${done(outcome.kind === 'defined' ? outcome.value : null)}\n`;
}

const nameOrNull = (o: { name: string } | null) => (o ? o.name : '(null)');

/** virsh's define for `edit`: with validation when asked, without it on a daemon that lacks the flag. */
async function defineDomain(conn: Connection, xml: string, flags: number): Promise<RemoteNonnullDomain> {
  if (!flags) return conn.domainDefineXML(xml);
  try {
    return await conn.domainDefineXMLFlags(xml, flags);
  } catch (e) {
    if (isLibvirtCode(e, VIR_ERR_NO_SUPPORT) && flags === VIR_DOMAIN_DEFINE_VALIDATE) return conn.domainDefineXML(xml);
    throw e;
  }
}

/** `edit DOMAIN [--skip-validate]`: the persistent definition, with its secrets. */
export async function editDomain(c: Context, io: CliIo, ref: string, o: { skipValidate?: boolean }): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  let flags = o.skipValidate ? 0 : VIR_DOMAIN_DEFINE_VALIDATE;
  return editNamed(
    io,
    {
      read: () => c.conn.domainGetXMLDesc(dom, VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_INACTIVE),
      unchanged: () => `Domain '${dom.name}' XML configuration not changed.\n`,
      define: (xml) => defineDomain(c.conn, xml, flags),
      relax: () => {
        flags &= ~VIR_DOMAIN_DEFINE_VALIDATE;
      },
    },
    (edited) => `Domain '${nameOrNull(edited)}' XML configuration edited.\n`,
  );
}

/** `net-edit NETWORK`: the persistent definition (the live one from a daemon that lacks the flag). */
export async function editNetwork(c: Context, io: CliIo, ref: string): Promise<string> {
  const net = await findNetwork(c.conn, ref);
  const read = () =>
    c.conn.networkGetXMLDesc(net, VIR_NETWORK_XML_INACTIVE).catch((e: unknown) => {
      if (isLibvirtCode(e, VIR_ERR_INVALID_ARG)) return c.conn.networkGetXMLDesc(net, 0);
      throw e;
    });
  return editNamed(
    io,
    { read, unchanged: () => `Network ${net.name} XML configuration not changed.\n`, define: (xml) => c.conn.networkDefineXML(xml) },
    (edited) => `Network ${nameOrNull(edited)} XML configuration edited.\n`,
  );
}

/** `pool-edit POOL`: the persistent definition (the live one from a daemon that lacks the flag). */
export async function editPool(c: Context, io: CliIo, ref: string): Promise<string> {
  const pool = await findPool(c.conn, ref);
  let flags = VIR_STORAGE_XML_INACTIVE;
  try {
    await c.conn.storagePoolGetXMLDesc(pool, flags);
  } catch (e) {
    if (!isLibvirtCode(e, VIR_ERR_INVALID_ARG)) throw e;
    flags = 0;
  }
  return editNamed(
    io,
    {
      read: () => c.conn.storagePoolGetXMLDesc(pool, flags),
      unchanged: () => `Pool ${pool.name} XML configuration not changed.\n`,
      define: (xml) => c.conn.storagePoolDefineXML(xml, 0),
    },
    (edited) => `Pool ${nameOrNull(edited)} XML configuration edited.\n`,
  );
}

/** `iface-edit INTERFACE` (name or MAC): the persistent definition. */
export async function editInterface(c: Context, io: CliIo, ref: string): Promise<string> {
  const iface = await findInterface(c.conn, ref);
  return editNamed(
    io,
    {
      read: () => c.conn.interfaceGetXMLDesc(iface, VIR_INTERFACE_XML_INACTIVE),
      unchanged: () => `Interface ${iface.name} XML configuration not changed.\n`,
      define: (xml) => c.conn.interfaceDefineXML(xml, 0),
    },
    (edited) => `Interface ${nameOrNull(edited)} XML configuration edited.\n`,
  );
}

/** `nwfilter-edit NWFILTER` (name or UUID). */
export async function editNwfilter(c: Context, io: CliIo, ref: string): Promise<string> {
  const filter = await findNwfilter(c.conn, ref);
  return editNamed(
    io,
    {
      read: () => c.conn.nWFilterGetXMLDesc(filter, 0),
      unchanged: () => `Network filter ${filter.name} XML configuration not changed.\n`,
      define: (xml) => c.conn.nWFilterDefineXML(xml),
    },
    (edited) => `Network filter ${nameOrNull(edited)} XML configuration edited.\n`,
  );
}

export interface RestoreStateOptions {
  running?: boolean;
  paused?: boolean;
}

/**
 * The state to restore into. Refused up front when both are asked, as virsh refuses: the
 * define would fail on every retry otherwise.
 */
function restoreStateFlags(o: RestoreStateOptions): number {
  if (o.running && o.paused) throw new Error('Options --running and --paused are mutually exclusive');
  return (o.running ? VIR_DOMAIN_SAVE_RUNNING : 0) | (o.paused ? VIR_DOMAIN_SAVE_PAUSED : 0);
}

/** `save-image-edit FILE [--running] [--paused]`: the domain XML inside a state file `save` wrote. */
export async function editSaveImage(c: Context, io: CliIo, file: string, o: RestoreStateOptions): Promise<string> {
  const flags = restoreStateFlags(o);
  return editNamed(
    io,
    {
      read: () => c.conn.domainSaveImageGetXMLDesc(file, VIR_DOMAIN_SAVE_IMAGE_XML_SECURE),
      unchanged: () => `Saved image ${file} XML configuration not changed.\n`,
      define: (xml) => c.conn.domainSaveImageDefineXML(file, xml, flags),
    },
    () => `State file ${file} edited.\n`,
  );
}

/** `managedsave-edit DOMAIN [--running] [--paused]`: the domain XML of its managed save image. */
export async function editManagedSave(c: Context, io: CliIo, ref: string, o: RestoreStateOptions): Promise<string> {
  const flags = restoreStateFlags(o);
  const dom = await findDomain(c.conn, ref);
  return editNamed(
    io,
    {
      read: () => c.conn.domainManagedSaveGetXMLDesc(dom, VIR_DOMAIN_XML_SECURE),
      unchanged: () => `Managed save image of domain '${dom.name}' XML configuration not changed.\n`,
      define: (xml) => c.conn.domainManagedSaveDefineXML(dom, xml, flags),
    },
    () => `Managed save image of Domain '${dom.name}' XML configuration edited.\n`,
  );
}

// ---------------------------------------------------------------------------------------
// Snapshots and checkpoints: redefined by name, so an edited name is a new object

/**
 * Runs the cycle for snapshot-edit and checkpoint-edit, whose failures end with virsh's
 * "Failed to update NAME" (after what it reported at once, before the daemon's error).
 * Without a terminal to ask on, virsh crashes on the failed define; this reports it instead.
 */
async function editRedefined<T>(io: CliIo, name: string, target: Editable<T>, done: (value: T) => Promise<string>): Promise<string> {
  const updateFailed = `Failed to update ${name}`;
  let outcome: EditOutcome<T>;
  try {
    outcome = await editCycle(io, target);
  } catch (e) {
    if (e instanceof GaveUp) throw new Error(updateFailed);
    if (e instanceof ReportedAtOnce) throw new Error(`${e.message}\nerror: ${updateFailed}`, { cause: e });
    throw new Error(`${updateFailed}\nerror: ${messageOf(e)}`, { cause: e });
  }
  if (outcome.kind === 'unchanged') return `${outcome.text}\n`;
  if (outcome.kind === 'unasked') throw new Error(`${updateFailed}\nerror: ${messageOf(outcome.failure)}`, { cause: outcome.failure });
  return `${await done(outcome.value)}\n`;
}

export interface SnapshotEditOptions {
  snapshotname?: string;
  current?: boolean;
  rename?: boolean;
  clone?: boolean;
}

/**
 * `snapshot-edit DOMAIN [SNAPSHOTNAME] [--current] [--rename] [--clone]`: redefines the
 * snapshot's metadata; a new name makes a copy (`--clone`), replaces the old one
 * (`--rename`), or is undone and refused.
 */
export async function editSnapshot(c: Context, io: CliIo, ref: string, o: SnapshotEditOptions): Promise<string> {
  if (o.rename && o.clone) throw new Error('Options --rename and --clone are mutually exclusive');
  let flags = VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE | (o.current && o.snapshotname !== undefined ? VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT : 0);
  const dom = await findDomain(c.conn, ref);
  if (o.snapshotname === undefined && !o.current) throw new Error('--snapshotname or --current is required');
  const snapshot = o.snapshotname !== undefined ? await c.conn.domainSnapshotLookupByName(dom, o.snapshotname, 0) : await c.conn.domainSnapshotCurrent(dom, 0);
  const name = snapshot.name;
  return editRedefined(
    io,
    name,
    {
      read: () => c.conn.domainSnapshotGetXMLDesc(snapshot, VIR_DOMAIN_SNAPSHOT_XML_SECURE),
      // Setting it current is a change of its own, so an unchanged file is defined too.
      unchanged: () => (flags & VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT ? undefined : `Snapshot ${name} XML configuration not changed.\n`),
      define: (xml, original) => {
        if (original.includes('<state>disk-snapshot</state>')) flags |= VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY;
        return c.conn.domainSnapshotCreateXML(dom, xml, flags);
      },
    },
    async (edited) => {
      if (edited.name === name) return `Snapshot ${name} edited.\n`;
      if (o.clone) return `Snapshot ${name} cloned to ${edited.name}.\n`;
      try {
        await c.conn.domainSnapshotDelete(o.rename ? snapshot : edited, VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY);
      } catch (e) {
        throw new Error(`${messageOf(e)}\nerror: Failed to clean up ${o.rename ? name : edited.name}\nerror: Failed to update ${name}`, { cause: e });
      }
      if (!o.rename) throw new Error(`Must use --rename or --clone to change ${name} to ${edited.name}\nerror: Failed to update ${name}`);
      return '';
    },
  );
}

/** `checkpoint-edit DOMAIN CHECKPOINTNAME`: redefines the checkpoint's metadata; renaming is undone and refused. */
export async function editCheckpoint(c: Context, io: CliIo, ref: string, checkpointName: string | undefined): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  if (checkpointName === undefined) throw new Error('--checkpointname is required');
  const checkpoint = await c.conn.domainCheckpointLookupByName(dom, checkpointName, 0);
  const name = checkpoint.name;
  return editRedefined(
    io,
    name,
    {
      read: () => c.conn.domainCheckpointGetXMLDesc(checkpoint, VIR_DOMAIN_CHECKPOINT_XML_SECURE),
      unchanged: () => `Checkpoint ${name} XML configuration not changed.\n`,
      define: (xml) => c.conn.domainCheckpointCreateXML(dom, xml, VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE),
    },
    async (edited) => {
      if (edited.name === name) return `Checkpoint ${name} edited.\n`;
      try {
        await c.conn.domainCheckpointDelete(edited, VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY);
      } catch (e) {
        throw new Error(`${messageOf(e)}\nerror: Failed to clean up ${edited.name}\nerror: Failed to update ${name}`, { cause: e });
      }
      throw new Error(`Cannot rename checkpoint ${name} to ${edited.name}\nerror: Failed to update ${name}`);
    },
  );
}

// ---------------------------------------------------------------------------------------

/**
 * `NAME [words...]` with an option for each of virsh's data slots (`--domain`, ...): the
 * slots not given by name take the bare words in order, as virsh fills them; a missing
 * required slot or a word left over is virsh's usage error, printed without connecting.
 */
function withSlots(
  r: Registry,
  name: string,
  description: string,
  slots: { name: string; help: string; required?: boolean }[],
  declare: (command: Command) => Command,
  work: (c: Context, values: Record<string, string | undefined>, o: Record<string, unknown>) => Promise<string>,
): void {
  const command = r.program.command(`${name} [words...]`).description(description);
  for (const slot of slots) command.option(`--${slot.name} <${slot.name}>`, slot.help);
  declare(command).action((words: string[], o: Record<string, unknown>) => {
    const bare = [...words];
    const values: Record<string, string | undefined> = {};
    for (const slot of slots) values[slot.name] = (o[slot.name] as string | undefined) ?? bare.shift();
    if (bare.length) return r.fail(`unexpected data '${bare[0]}'`);
    const missing = slots.find((slot) => slot.required && values[slot.name] === undefined);
    if (missing) return r.fail(`command '${name}' requires <${missing.name}> option`);
    return r.act((c) => work(c, values, o));
  });
}

export function register(r: Registry): void {
  const { io } = r;
  const domainSlot = { name: 'domain', help: 'domain name, id or uuid', required: true };
  withSlots(r, 'edit', 'edit XML configuration for a domain', [domainSlot], (c) => c.option('--skip-validate', 'skip validation of the XML against the schema'), (c, v, o) =>
    editDomain(c, io, v.domain!, { skipValidate: !!o.skipValidate }),
  );
  const simple: [string, string, string, string, (c: Context, io: CliIo, ref: string) => Promise<string>][] = [
    ['net-edit', 'network', 'network name or uuid', 'edit XML configuration for a network', editNetwork],
    ['pool-edit', 'pool', 'pool name or uuid', 'edit XML configuration for a storage pool', editPool],
    ['iface-edit', 'interface', 'interface name or MAC address', 'edit XML configuration for a physical host interface', editInterface],
    ['nwfilter-edit', 'nwfilter', 'network filter name or uuid', 'edit XML configuration for a network filter', editNwfilter],
  ];
  for (const [name, slot, help, description, edit] of simple) {
    withSlots(r, name, description, [{ name: slot, help, required: true }], (c) => c, (c, v) => edit(c, io, v[slot]!));
  }
  withSlots(
    r,
    'snapshot-edit',
    'edit XML for a snapshot',
    [domainSlot, { name: 'snapshotname', help: 'snapshot name' }],
    (c) => c.option('--current', 'also set edited snapshot as current').option('--rename', 'allow renaming an existing snapshot').option('--clone', 'allow cloning to new name'),
    (c, v, o) => editSnapshot(c, io, v.domain!, { ...o, snapshotname: v.snapshotname }),
  );
  withSlots(r, 'checkpoint-edit', 'edit XML for a checkpoint', [domainSlot, { name: 'checkpointname', help: 'checkpoint name' }], (c) => c, (c, v) =>
    editCheckpoint(c, io, v.domain!, v.checkpointname),
  );
  const restoreState = (when: string) => (command: Command) =>
    command.option('--running', `set domain to be running on ${when}`).option('--paused', `set domain to be paused on ${when}`);
  withSlots(r, 'save-image-edit', "edit XML for a domain's saved state file", [{ name: 'file', help: 'saved state file to edit', required: true }], restoreState('restore'), (c, v, o) =>
    editSaveImage(c, io, v.file!, o as RestoreStateOptions),
  );
  withSlots(r, 'managedsave-edit', "edit XML for a domain's managed save state file", [domainSlot], restoreState('start'), (c, v, o) =>
    editManagedSave(c, io, v.domain!, o as RestoreStateOptions),
  );
}
