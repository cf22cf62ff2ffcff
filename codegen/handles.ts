/**
 * The handle face (`conn.domains.lookupByName('vm')`, `dom.create()`): each C function that
 * a callable procedure carries gets one home, found as libvirt-python finds it, by the object
 * type of its first argument; its flags become an options object built from the flag enum
 * the API XML names for that argument; its result becomes plain values (handles, arrays,
 * booleans, UUID strings, enum names, objects keyed by name).
 *
 * Homes, by rule (handle-types.ts has the tables):
 * - first argument an object of type T, function named after T (`virDomainCreate`): `T.create`;
 * - named after a type whose collection T owns (`virDomainSnapshotCreateXML(dom)`,
 *   `virDomainLookupByName(conn)`): that collection (`dom.snapshots.createXML`,
 *   `conn.domains.lookupByName`);
 * - a host-wide function naming a type (`virConnectListAllDomains`): that type's collection
 *   on the connection, without the word (`conn.domains.listAll`);
 * - other host-wide functions: `conn.host` (`virConnectGetHostname` → `conn.host.getHostname`).
 */
import type { ApiArg, ApiEnum, ApiFunction } from './api-xml.js';
import type { Field, TypeSpec } from './ast.js';
import { type Model, tsName } from './model.js';
import type { Procedure } from './procedures.js';
import type { ProcedureFacts } from './emit-methods.js';
import { TypeEmitter } from './emit-types.js';
import { RAW_TYPED_PARAMS, isCharArray, isTypedParams as typedParamsIn, structFields as structFieldsOf } from './emit-methods.js';
import {
  CONNECTION,
  ENUM_RESULTS,
  FILLED_ARGUMENTS,
  HAND_WRITTEN_HOMES,
  HANDLE_TYPES,
  HOST,
  HOST_PREFIXES,
  type HandleType,
  KEYED_RESULTS,
  NAME_OVERRIDES,
  XML_ARGUMENTS,
  SIZED_ARGUMENTS,
  STATE_REASON,
  STATE_REASONS,
} from './handle-types.js';
import { importLines } from './import-lines.js';

/** Where a C function lives on the handle face. */
export interface Home {
  cFunction: string;
  /** `Domain`, `Domains` (a collection class), `Host`, or a hand-written place. */
  owner: string;
  method: string;
  /** How a user reaches it: `dom.create`, `conn.domains.lookupByName`. */
  path: string;
  /** The flat face's method (`domainCreate`, `qemu.domainMonitorCommand`). */
  flat: string;
}

interface Placement {
  owner: string;
  method: string;
  /** The handle whose wire form is the procedure's first argument, if any. */
  self: HandleType | null;
}

const byClass = new Map(HANDLE_TYPES.map((t) => [t.className, t]));
const byCType = new Map(HANDLE_TYPES.map((t) => [t.cType, t]));
const byWire = new Map(HANDLE_TYPES.map((t) => [t.wire, t]));
// Longest prefix first: virDomainSnapshot before virDomain.
const prefixes = [...HANDLE_TYPES.map((t) => ({ prefix: t.prefix, type: t as HandleType | null })), ...HOST_PREFIXES.map((p) => ({ prefix: p, type: null }))].sort(
  (a, b) => b.prefix.length - a.prefix.length,
);

/** `XMLFromNative` → `xmlFromNative`, `GetXMLDesc` → `getXMLDesc`, `CPUStats` → `cpuStats`. */
export function lowerFirst(name: string): string {
  const m = /^([A-Z]+)(?=[A-Z][a-z]|$)/.exec(name);
  if (m && m[1]!.length > 1) return m[1]!.toLowerCase() + name.slice(m[1]!.length);
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** `UPDATE_CPU` → `updateCpu`. */
function camelOfSnake(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function collectionOf(child: HandleType, owner: string) {
  return child.collections.find((c) => c.owner === owner) ?? null;
}

/** The example path of an owner class: `conn`, `conn.host`, `dom`, `conn.domains`, `dom.snapshots`. */
function pathOf(owner: string): string {
  if (owner === HOST) return 'conn.host';
  if (owner === CONNECTION) return 'conn';
  const handle = byClass.get(owner);
  if (handle) return handle.example;
  for (const t of HANDLE_TYPES) {
    for (const c of t.collections) {
      if (c.className === owner) return `${c.owner === CONNECTION ? 'conn' : byClass.get(c.owner)!.example}.${c.property}`;
    }
  }
  return owner;
}

function stripWord(rest: string, words: string[]): string | null {
  for (const w of words) {
    const i = rest.search(new RegExp(`${w}(?![a-z])`));
    if (i >= 0) return rest.slice(0, i) + rest.slice(i + w.length);
  }
  return null;
}

/** The first object type a host-wide function's name mentions, longest word first. */
function mentionedType(rest: string): { type: HandleType; stripped: string } | null {
  const words = HANDLE_TYPES.flatMap((t) => t.words.map((w) => ({ w, t }))).sort((a, b) => b.w.length - a.w.length);
  for (const { w, t } of words) {
    if (!collectionOf(t, CONNECTION)) continue;
    const stripped = stripWord(rest, [w]);
    if (stripped !== null) return { type: t, stripped };
  }
  return null;
}

export function place(f: ApiFunction): Placement {
  const first = f.args[0]?.type ?? '';
  const self = byCType.get(first) ?? null;
  const firstIsConn = first === 'virConnectPtr';
  const pre = prefixes.find((p) => f.name.startsWith(p.prefix) && /^[A-Z]/.test(f.name.slice(p.prefix.length)))!;
  if (!pre) throw new Error(`${f.name}: no known prefix`);
  const rest = f.name.slice(pre.prefix.length);
  const named = NAME_OVERRIDES[f.name];
  if (self) {
    if (pre.type === self) {
      // A child collection's word after the owner's prefix: virDomainListAllSnapshots.
      for (const child of HANDLE_TYPES) {
        const coll = collectionOf(child, self.className);
        const stripped = coll && stripWord(rest, child.words);
        if (coll && stripped) return { owner: coll.className, method: named ?? lowerFirst(stripped), self };
      }
      return { owner: self.className, method: named ?? lowerFirst(rest), self };
    }
    const coll = pre.type && collectionOf(pre.type, self.className);
    if (coll) return { owner: coll.className, method: named ?? lowerFirst(rest), self };
    return { owner: self.className, method: named ?? lowerFirst(f.name.replace(/^vir/, '')), self };
  }
  if (!firstIsConn) throw new Error(`${f.name}: first argument ${first} is neither the connection nor an object`);
  if (pre.type) {
    const coll = collectionOf(pre.type, CONNECTION);
    if (!coll) throw new Error(`${f.name}: ${pre.type.className} has no collection on the connection`);
    return { owner: coll.className, method: named ?? lowerFirst(rest), self: null };
  }
  const mention = mentionedType(rest);
  if (mention) return { owner: collectionOf(mention.type, CONNECTION)!.className, method: named ?? lowerFirst(mention.stripped), self: null };
  return { owner: HOST, method: named ?? lowerFirst(rest), self: null };
}

/** A flag enum's members as option names: `virDomainXMLFlags` → `{ secure: 1, inactive: 2, ... }`. */
export function flagOptions(enums: ApiEnum[], type: string): Map<string, number> {
  const members = enums.filter((e) => e.type === type && !/_(LAST|NR)$/.test(e.name));
  const out = new Map<string, number>();
  if (!members.length) return out;
  let prefix: string;
  // A zero `..._NONE` member (`VIR_DOMAIN_NONE` of virDomainCreateFlags) may have a shorter
  // prefix than the bits: the bits decide, and it is no option (it sets nothing).
  const bits = members.filter((m) => !(m.value === 0 && /_NONE$/.test(m.name)));
  if (bits.length > 1) {
    prefix = bits.map((m) => m.name).reduce((a, b) => {
      let k = 0;
      while (k < a.length && a[k] === b[k]) k++;
      return a.slice(0, k);
    });
    prefix = prefix.slice(0, prefix.lastIndexOf('_') + 1);
  } else {
    // One member: the enum's own name gives the prefix when the member follows it.
    const one = (bits[0] ?? members[0]!).name;
    const words = type.replace(/^vir/, '').replace(/(FlagsValues|Flags|Values)$/, '').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
    prefix = one.startsWith(`VIR_${words}_`) ? `VIR_${words}_` : 'VIR_';
  }
  for (const m of members.sort((a, b) => a.value - b.value || a.name.length - b.name.length)) {
    if (!m.name.startsWith(prefix)) continue;
    const key = camelOfSnake(m.name.slice(prefix.length));
    if (!out.has(key)) out.set(key, m.value);
  }
  return out;
}

/** Names by value for an enum's results: the shortest name when aliases share a value. */
export function enumNames(enums: ApiEnum[], type: string): Map<number, string> {
  const out = new Map<number, string>();
  const opts = flagOptions(enums, type);
  for (const [name, value] of opts) if (!out.has(value)) out.set(value, name);
  return out;
}

/** The flag enums an argument's description names (`bitwise-OR of virDomainXMLFlags`). */
function flagEnumsOf(arg: ApiArg | undefined, enumTypes: Set<string>): string[] {
  if (!arg) return [];
  return [...new Set([...arg.info.matchAll(/\bvir[A-Z][A-Za-z0-9]*/g)].map((m) => m[0]).filter((n) => enumTypes.has(n)))];
}

/** A unit the C documentation gives for a value, as our own words. */
function unitOf(info: string): string | null {
  if (/\b(KiB|kibibytes|KBytes|kilobytes|kB|KB|kb)\b/.test(info)) return 'KiB';
  if (/\bmilliseconds?\b|\bms\b/.test(info)) return 'milliseconds';
  if (/\bnanoseconds?\b/.test(info)) return 'nanoseconds';
  if (/\bmicroseconds?\b/.test(info)) return 'microseconds';
  if (/\bseconds?\b/.test(info)) return 'seconds';
  if (/\bMiB\b|mebibytes/.test(info)) return 'MiB';
  if (/\bbytes\b/.test(info)) return 'bytes';
  return null;
}

/** What an argument is for, in our words, by its protocol name. */
const ROLES: Record<string, string> = {
  xml: 'the XML document',
  xmlDesc: 'the XML document',
  xml_desc: 'the XML document',
  name: 'the name',
  uuid: 'the UUID, as a string or 16 bytes',
  key: 'the volume key',
  path: 'a path on the daemon\'s host',
  file: 'a file on the daemon\'s host',
  to: 'a file on the daemon\'s host',
  from: 'a file on the daemon\'s host',
  dxml: 'replacement domain XML, or null',
  uri: 'a libvirt URI',
  dname: 'the new name, or null to keep it',
  bandwidth: 'a bandwidth',
  disk: 'the disk (target name or source path)',
  device: 'the device (target name or path)',
  params: 'typed parameters as an object',
  nparams: 'how many typed parameters',
  cpumap: 'a CPU bitmap',
  memory: 'an amount of memory',
  nvcpus: 'a number of virtual CPUs',
  type: 'the type',
  command: 'the command text',
  cmd: 'the command text',
  timeout: 'a timeout',
  offset: 'a byte offset',
  length: 'a byte length (0: to the end)',
  capacity: 'the new capacity',
  value: 'the value',
  mac: 'a MAC address',
  pid: 'a process id',
  id: 'the numeric id',
  usageType: 'the usage type',
  usageID: 'the usage id',
  clonevol: 'the volume to copy',
  snap: 'the snapshot',
  dev_name: 'the device name',
  devname: 'the device name, or null for the first',
  nativeFormat: 'the native format\'s name',
  nativeConfig: 'the native configuration text',
  emulatorbin: 'the emulator binary, or null',
  arch: 'the architecture, or null',
  machine: 'the machine type, or null',
  virttype: 'the virtualization type, or null',
  mountpoints: 'mount points (all when empty)',
  keycodes: 'key codes',
  codeset: 'the key code set',
  holdtime: 'how long to hold the keys',
  signum: 'the signal number',
  cellNum: 'a NUMA cell',
  startCell: 'the first NUMA cell',
  maxCells: 'how many NUMA cells',
};

/** An argument's `@param` text, in our words: its role, its C type, its unit. */
function argumentDoc(fieldName: string, cArg: ApiArg | undefined): string {
  const unit = cArg ? unitOf(cArg.info) : null;
  const role = ROLES[fieldName] ?? `\`${cArg?.name ?? fieldName}\``;
  return `${role}${cArg ? ` (C \`${cArg.type}\`)` : ''}${unit ? `, in ${unit}` : ''}`;
}

function cArgFor(f: ApiFunction, name: string): ApiArg | undefined {
  return f.args.slice(1).find((a) => a.name.toLowerCase().replace(/_/g, '') === name.toLowerCase().replace(/_/g, ''));
}

/**
 * What the flat face's docs and types say of a procedure, from the same facts the handle face
 * uses: its flag enums, its arguments' `@param` text, and its home on the handle face.
 */
export function procedureFacts(functions: ApiFunction[], enums: ApiEnum[], homes: Home[]): (p: Procedure) => ProcedureFacts | null {
  const enumTypes = new Set(enums.map((e) => e.type));
  const fnByName = new Map(functions.map((f) => [f.name, f]));
  const homeOf = new Map(homes.map((h) => [h.cFunction, h.path]));
  return (p) => {
    const f = p.cFunction ? fnByName.get(p.cFunction.name) : undefined;
    if (!f) return null;
    const params = new Map<string, string>();
    for (const a of f.args) params.set(a.name, argumentDoc(a.name, cArgFor(f, a.name) ?? a));
    const self = byCType.get(f.args[0]?.type ?? '');
    if (self) params.set('$first', `the ${self.className} as the protocol carries it (a handle's \`wire\`)`);
    const flagEnums = flagEnumsOf(cArgFor(f, 'flags'), enumTypes);
    if (flagEnums.length) params.set('flags', `flags of ${flagEnums.map((e) => `\`${e}\``).join(' and ')}, OR-ed (\`${flagEnums[0]}\` lists them)`);
    return { flagEnums, params, home: homeOf.get(f.name) ?? null };
  };
}

export interface HandlesInput {
  model: Model;
  enums: ApiEnum[];
  functions: ApiFunction[];
  /** The flat face's procedures by program (`remote`, `qemu`). */
  procedures: Map<string, Procedure[]>;
}

export interface EmittedHandles {
  file: string;
  homes: Home[];
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const prop = (k: string) => (IDENT.test(k) ? k : JSON.stringify(k));

export function emitHandles(input: HandlesInput, header: string, runtimeImport: string): EmittedHandles {
  const { model, enums } = input;
  const enumTypes = new Set(enums.map((e) => e.type));
  const fnByName = new Map(input.functions.map((f) => [f.name, f]));
  const emitter = new TypeEmitter(model, '<handles>');
  const flatImports = new Set<string>();
  const xmlTypes = new Set<string>();
  const runtime = new Set<string>(['type CallOptions', 'flagsOf', 'callOptionsOf', 'type Options']);
  const flagTables = new Map<string, Map<string, number>>();
  const enumTables = new Map<string, Map<number, string>>();
  const classes = new Map<string, string[]>();
  const homes: Home[] = [];
  const seen = new Map<string, string>();
  const memberOf = (owner: string) => {
    let list = classes.get(owner);
    if (!list) classes.set(owner, (list = []));
    return list;
  };

  const structFields = (name: string) => structFieldsOf(model, name);
  const isTypedParams = (t: TypeSpec) => typedParamsIn(model, t);
  const flagTable = (types: string[]): string | null => {
    if (!types.length) return null;
    const name = types.map((t) => t.replace(/^vir/, '')).join('And');
    if (!flagTables.has(name)) {
      const merged = new Map<string, number>();
      for (const t of types) for (const [k, v] of flagOptions(enums, t)) if (!merged.has(k)) merged.set(k, v);
      flagTables.set(name, merged);
    }
    return name;
  };
  const enumTable = (type: string) => {
    if (!enumTables.has(type)) enumTables.set(type, enumNames(enums, type));
    return `${lowerFirst(type.replace(/^vir/, ''))}Names`;
  };
  const enumTypeName = (type: string) => type.replace(/^vir/, '');

  /**
   * The handle face's type and conversion of a value the flat face returned, typed by the
   * protocol; `null` expr when it passes unchanged. Handles replace wire objects, UUID bytes
   * become strings; typed parameters and C strings were converted by the flat face already.
   */
  let raw = false;
  let usesStateReasons = false;
  const convert = (spec: TypeSpec, expr: string, where: string, depth = 0): { type: string; expr: string | null } => {
    if (isTypedParams(spec) && !raw) return (runtime.add('type TypedParams'), { type: 'TypedParams', expr: null });
    if (isCharArray(model, spec)) return { type: 'string', expr: null };
    if (spec.kind === 'ref') {
      const handle = byWire.get(spec.name);
      if (handle) return { type: handle.className, expr: `new ${handle.className}(this.conn, ${expr})` };
      if (spec.name === 'remote_uuid') return (runtime.add('uuidString'), { type: 'string', expr: `uuidString(${expr})` });
      const def = model.lookup(spec.name, where).def;
      // Typedefs unfold to what they name: `remote_nonnull_string` is a string.
      if (def.kind === 'typedef') return convert(def.type, expr, where, depth);
      if (def.kind === 'struct') {
        const fields = def.fields.map((f) => ({ f, c: convert(f.type, `x${depth}.${f.name}`, where, depth + 1) }));
        if (fields.every((x) => x.c.expr === null)) return { type: emitter.tsType(spec, where), expr: null };
        const type = `{ ${fields.map((x) => `${x.f.name}: ${x.c.type}`).join('; ')} }`;
        const body = fields.map((x) => `${x.f.name}: ${x.c.expr ?? `x${depth}.${x.f.name}`}`).join(', ');
        return { type, expr: `((x${depth}) => ({ ${body} }))(${expr})` };
      }
      return { type: emitter.tsType(spec, where), expr: null };
    }
    if (spec.kind === 'optional') {
      const inner = convert(spec.of, `v${depth}`, where, depth + 1);
      const type = `${inner.type} | null`;
      if (inner.expr === null) return { type, expr: null };
      return { type, expr: `((v${depth}) => (v${depth} === null ? null : ${inner.expr}))(${expr})` };
    }
    if (spec.kind === 'varArray' || spec.kind === 'fixedArray') {
      const inner = convert(spec.of, `e${depth}`, where, depth + 1);
      const type = /[ |{]/.test(inner.type) ? `(${inner.type})[]` : `${inner.type}[]`;
      if (inner.expr === null) return { type, expr: null };
      return { type, expr: `${expr}.map((e${depth}) => ${inner.expr})` };
    }
    return { type: emitter.tsType(spec, where), expr: null };
  };

  const callable = [...(input.procedures.get('remote') ?? []).map((p) => ({ p, program: 'remote' })), ...(input.procedures.get('qemu') ?? []).map((p) => ({ p, program: 'qemu' }))];
  for (const { p, program } of callable) {
    if (!p.cFunction) continue;
    const f = fnByName.get(p.cFunction.name);
    if (!f) throw new Error(`${p.cFunction.name}: not in the API XML`);
    const flat = program === 'remote' ? p.method : `qemu.${p.method}`;
    if (HAND_WRITTEN_HOMES[f.name]) {
      const [owner, method] = HAND_WRITTEN_HOMES[f.name]!.split('.') as [string, string | undefined];
      homes.push({ cFunction: f.name, owner, method: method ?? '', path: method ? `${pathOf(owner)}.${method}` : owner, flat });
      continue;
    }
    if (p.message) continue;
    if (p.registersEvents) {
      homes.push({ cFunction: f.name, owner: CONNECTION, method: 'subscribe', path: 'conn.subscribe', flat });
      continue;
    }
    if (p.fds) continue;

    const { owner, method, self } = place(f);
    raw = RAW_TYPED_PARAMS.has(p.name);
    const key = `${owner}.${method}`;
    if (seen.has(key)) throw new Error(`${f.name}: ${key} is already the home of ${seen.get(key)}; add a name to NAME_OVERRIDES`);
    seen.set(key, f.name);
    homes.push({ cFunction: f.name, owner, method, path: `${pathOf(owner)}.${method}`, flat });

    const argFields = p.args ? structFields(p.args) : [];
    const retFields = p.ret ? structFields(p.ret) : [];
    const cArgOf = (name: string) => cArgFor(f, name);
    const owned = owner !== HOST && !byClass.has(owner) && self !== null; // a collection on a handle
    const wireSelf = self ? (owned ? 'this.owner.wire' : 'this.wire') : null;

    // Parameters and the flat call's arguments.
    const params: string[] = [];
    const docParams: string[] = [];
    const callArgs: string[] = [];
    let flags: string | null = null;
    let twoCalls = false;
    const nullable = new Map<number, boolean>();
    const xmlKind = XML_ARGUMENTS[f.name];
    let xmlTaken = false;
    const prelude: string[] = [];
    argFields.forEach((field, k) => {
      const where = `${p.args}.${field.name}`;
      if (k === 0 && self) {
        const s = field.type;
        if (s.kind === 'ref' && s.name === self.wire) return void callArgs.push(wireSelf!);
        // Node device procedures carry the device's name alone.
        if (structFields(self.wire).some((w) => w.name === field.name)) return void callArgs.push(`${wireSelf!}.${field.name}`);
        throw new Error(`${f.name}: first argument ${field.name} is not a ${self.wire}`);
      }
      if (FILLED_ARGUMENTS[field.name]) return void callArgs.push(FILLED_ARGUMENTS[field.name]!);
      // A C-style capacity for the reply's list: the protocol's own bound, so nothing is cut off.
      const list = SIZED_ARGUMENTS.has(field.name) ? retFields.map((r) => model.unfold(r.type, where)).find((r) => r.kind === 'varArray' && r.max !== null) : undefined;
      if (list && list.kind === 'varArray') return void callArgs.push(String(model.value(list.max!, where)));
      // C's two-call protocol: ask the count with 0, then ask that many.
      if (!raw && field.name === 'nparams' && retFields.some((r) => r.name === 'nparams') && retFields.some((r) => model.unfold(r.type, where).kind === 'varArray')) {
        twoCalls = true;
        return void callArgs.push('$nparams');
      }
      if (k === argFields.length - 1 && field.name === 'flags') {
        flags = flagTable(flagEnumsOf(cArgOf('flags'), enumTypes));
        callArgs.push(`flagsOf(options${flags ? `, ${lowerFirst(flags)}Flags` : ''})`);
        return;
      }
      const cArg = cArgOf(field.name);
      const role = ROLES[field.name] ?? `\`${cArg?.name ?? field.name}\``;
      const name = camelOfSnake(field.name);
      const s = field.type;
      const unfolded = model.unfold(s, where);
      const handle = s.kind === 'ref' ? byWire.get(s.name) : undefined;
      const handles = unfolded.kind === 'varArray' && unfolded.of.kind === 'ref' ? byWire.get(unfolded.of.name) : undefined;
      if (handle) {
        params.push(`${name}: ${handle.className}`);
        callArgs.push(`${name}.wire`);
        docParams.push(`@param ${name} - ${role}: a {@link ${handle.className}}`);
      } else if (handles) {
        params.push(`${name}: ${handles.className}[]`);
        callArgs.push(`${name}.map((h) => h.wire)`);
        docParams.push(`@param ${name} - ${role}: {@link ${handles.className}} handles`);
      } else if (s.kind === 'ref' && s.name === 'remote_uuid') {
        runtime.add('uuidBytes');
        params.push(`${name}: string | Uint8Array`);
        callArgs.push(`uuidBytes(${name}, ${JSON.stringify(where)})`);
        docParams.push(`@param ${name} - ${role}`);
      } else if (xmlKind && /xml/i.test(field.name) && !xmlTaken && unfolded.kind === 'string') {
        // The document as text, or typed (libvirt-rpc/xml, loaded only when a typed one comes).
        xmlTaken = true;
        xmlTypes.add(`${xmlKind}XML`);
        params.push(`${name}: string | ${xmlKind}XML`);
        prelude.push(`const $${name} = typeof ${name} === 'string' ? ${name} : (await import('../xml/index.js')).format${xmlKind}XML(${name});`);
        callArgs.push(`$${name}`);
        docParams.push(`@param ${name} - ${argumentDoc(field.name, cArg)}, or the document as a typed {@link ${xmlKind}XML}`);
      } else {
        const t = isTypedParams(s) && !raw ? (runtime.add('type TypedParamsInput'), 'TypedParamsInput') : convert(s, name, where).type;
        params.push(`${name}: ${t}`);
        nullable.set(params.length - 1, unfolded.kind === 'optional');
        callArgs.push(name);
        docParams.push(`@param ${name} - ${argumentDoc(field.name, cArg)}`);
      }
    });
    // Trailing parameters that may be null default to null (`dom.openConsole()` for the first console).
    for (let k = params.length - 1; k >= 0 && nullable.get(k); k--) params[k] += ' = null';
    const flagType = flags ? `${flags}Options` : null;
    params.push(`options?: Options${flagType ? `<${flagType}>` : ''}`);
    callArgs.push('callOptionsOf(options)');
    if (flags) {
      const names = [...flagTables.get(flags)!.keys()];
      docParams.push(`@param options - flags as booleans (${names.map((n) => `\`${n}\``).join(', ')}; ${flagEnumsOfDoc(flags)}), or their bitwise OR as a number; also \`signal\` and \`timeoutMs\``);
    } else if (argFields.at(-1)?.name === 'flags') {
      docParams.push('@param options - `signal` and `timeoutMs`; `flags` as a number (libvirt defines none for this call yet)');
    } else {
      docParams.push('@param options - `signal` and `timeoutMs`');
    }

    // The result, from what the flat face resolves with.
    const shown = retFields.filter((r) => !(r.name === 'ret' && retFields.length > 1) && !(twoCalls && r.name === 'nparams'));
    const flatValue = (name: string) => (retFields.length === 1 ? '$r' : `$r.${name}`);
    let resultType = 'void';
    let resultExpr: string | null = null;
    const enumFields = ENUM_RESULTS[p.method] ?? {};
    const keyed = KEYED_RESULTS[p.method];
    const isBool = /(?:Is|Has|Supports)[A-Z]/.test(f.name) || (shown.length === 1 && shown[0]!.name === 'autostart');
    const fieldResult = (field: Field): { type: string; expr: string } => {
      const value = flatValue(field.name);
      if (isBool && field.type.kind === 'prim') return { type: 'boolean', expr: `${value} !== 0` };
      const e = enumFields[field.name];
      if (e === STATE_REASON) {
        runtime.add('stateReasonName');
        usesStateReasons = true;
        return { type: 'string | number', expr: `stateReasonName(domainStateReasons, $r.state, ${value})` };
      }
      if (e) {
        runtime.add('enumName');
        return { type: `${enumTypeName(e)} | number`, expr: `enumName(${enumTable(e)}, ${value})` };
      }
      if (keyed && field.type.kind !== 'prim') {
        runtime.add('keyedValues');
        const names = keyed.enum ? `, ${enumTable(keyed.enum)}` : '';
        const s = model.unfold(field.type, 'handles');
        const inner = s.kind === 'varArray' ? emitter.tsType(structFields((s.of as { name: string }).name).find((x) => x.name === keyed.value)!.type, 'handles') : 'unknown';
        return { type: keyed.enum ? `Partial<Record<${enumTypeName(keyed.enum)}, ${inner}>> & Record<string, ${inner}>` : `Record<string, ${inner}>`, expr: `keyedValues(${value}, '${keyed.tag}', '${keyed.value}'${names})` };
      }
      const c = convert(field.type, value, `${p.ret}.${field.name}`);
      return { type: c.type, expr: c.expr ?? value };
    };
    if (shown.length === 1) {
      const r = fieldResult(shown[0]!);
      resultType = r.type;
      resultExpr = r.expr;
    } else if (shown.length > 1) {
      const rs = shown.map((fld) => ({ fld, r: fieldResult(fld) }));
      resultType = `{ ${rs.map(({ fld, r }) => `${fld.name}: ${r.type}`).join('; ')} }`;
      resultExpr = `{ ${rs.map(({ fld, r }) => `${fld.name}: ${r.expr}`).join(', ')} }`;
    }

    const flatCall = (args: string[]) => (program === 'remote' ? (flatImports.add(p.method), `${p.method}(this.conn, ${args.join(', ')})`) : `this.conn.qemu.${p.method}(${args.join(', ')})`);
    const body: string[] = [...prelude];
    let returns = resultType;
    let passThrough = false;
    if (p.stream) {
      // The stream is the result; a reply with a value (a screenshot's MIME type) comes beside it.
      runtime.add('type LibvirtStream');
      const reply = resultType === 'void' ? null : resultType;
      returns = reply ? `{ stream: LibvirtStream; reply: ${reply} }` : 'LibvirtStream';
      body.push(`const { stream, reply: $r } = await ${flatCall(callArgs)};`);
      body.push(reply ? `return { stream, reply: ${resultExpr ?? '$r'} };` : 'void $r;', ...(reply ? [] : ['return stream;']));
    } else if (twoCalls) {
      body.push(`const $nparams = (await ${flatCall(callArgs.map((a) => (a === '$nparams' ? '0' : a)))}).nparams;`);
      body.push(`const $r = await ${flatCall(callArgs)};`, `return ${resultExpr ?? '$r'};`);
    } else if (resultType === 'void') {
      passThrough = !prelude.length;
      body.push(`${prelude.length ? 'await' : 'return'} ${flatCall(callArgs)};`);
    } else if (resultExpr === null || resultExpr === '$r') {
      passThrough = !prelude.length;
      body.push(`return ${flatCall(callArgs)};`);
    } else {
      body.push(`const $r = await ${flatCall(callArgs)};`, `return ${resultExpr};`);
    }
    // A bad option or UUID rejects, as every call's errors do, rather than throwing: methods
    // that await are async; those that hand the flat call's promise on catch instead, which
    // costs no promise of their own.
    const isAsync = !passThrough;
    if (passThrough) body.splice(0, body.length, 'try {', ...body.map((l) => `  ${l}`), '} catch (e) {', '  return Promise.reject(e);', '}');
    const selfNotFound = self?.notFound ?? null;
    const doc = [
      '  /**',
      `   * {@link ${p.cFunction.url} | ${f.name}}; on the flat face \`conn.${flat}\`.`,
      ...docParams.map((d) => `   * ${d}`),
      `   * @returns ${returnsDoc(returns, isBool)}`,
      `   * @throws {@link LibvirtError} from the daemon${selfNotFound ? ` (\`${selfNotFound}\` once the object is gone)` : ''}, \`VIR_ERR_NO_SUPPORT\` where the driver lacks the call; {@link ConnectionError}, {@link TimeoutError}, {@link AbortError}`,
      '   */',
    ];
    memberOf(owner).push(...doc, `  ${isAsync ? 'async ' : ''}${method}(${params.join(', ')}): Promise<${returns}> {`, ...body.map((l) => `    ${l}`), '  }', '');
  }

  // Every C function carried by a callable procedure has a home; list the ones with none.
  const homeless = callable.filter(({ p }) => p.cFunction && !homes.some((h) => h.cFunction === p.cFunction!.name) && !p.fds && !p.message);
  if (homeless.length) throw new Error(`no home for ${homeless.map(({ p }) => p.cFunction!.name).join(', ')}`);

  const lines: string[] = [];
  // Options types and flag tables.
  for (const [name, table] of [...flagTables].sort()) {
    lines.push(`/** Flags of ${flagEnumsOfDoc(name)} as options: each \`true\` adds its bit. */`);
    lines.push(`export interface ${name}Options {`, ...[...table.keys()].map((k) => `  ${prop(k)}?: boolean;`), '}');
    lines.push(`const ${lowerFirst(name)}Flags: Readonly<Record<string, number>> = { ${[...table].map(([k, v]) => `${prop(k)}: ${v}`).join(', ')} };`, '');
  }
  // Enum names.
  if (usesStateReasons) for (const r of Object.values(STATE_REASONS)) enumTable(r);
  enumTable('virSecretUsageType');
  for (const [type, table] of [...enumTables].sort()) {
    lines.push(`/** The values of \`${type}\` by name (lower camel case of the C name after the enum's prefix). */`);
    lines.push(`export type ${enumTypeName(type)} = ${[...new Set(table.values())].map((n) => JSON.stringify(n)).join(' | ')};`);
    lines.push(`const ${enumTable(type)}: Readonly<Record<number, ${enumTypeName(type)}>> = { ${[...table].map(([v, n]) => `${v}: ${JSON.stringify(n)}`).join(', ')} };`, '');
  }
  if (usesStateReasons) {
    const state = enums.filter((e) => e.type === 'virDomainState');
    lines.push('/** The reason enum of each domain state. */');
    lines.push(`const domainStateReasons: Readonly<Record<number, Readonly<Record<number, string>>>> = { ${Object.entries(STATE_REASONS).map(([s, r]) => `${state.find((e) => e.name === s)!.value}: ${enumTable(r)}`).join(', ')} };`, '');
  }

  // Handle classes.
  for (const t of HANDLE_TYPES) {
    const fields = structFields(t.wire);
    const identity: string[] = [];
    const json: string[] = [];
    for (const fld of fields) {
      const s = fld.type;
      const nested = s.kind === 'ref' ? byWire.get(s.name) : undefined;
      if (nested) {
        const propName = lowerFirst(nested.className);
        identity.push(`  /** The ${nested.className.toLowerCase()} it belongs to. */`, `  get ${propName}(): ${nested.className} {`, `    return new ${nested.className}(this.conn, this.wire.${fld.name});`, '  }');
        json.push(`${propName}: this.${propName}.toJSON()`);
      } else if (s.kind === 'ref' && s.name === 'remote_uuid') {
        runtime.add('uuidString');
        identity.push('  /** Its UUID, canonical lower-case form. */', '  get uuid(): string {', '    return uuidString(this.wire.uuid);', '  }');
        json.push('uuid: this.uuid');
      } else if (fld.name === 'usageType') {
        runtime.add('enumName');
        identity.push('  /** What the secret is for. */', `  get usageType(): SecretUsageType | number {`, `    return enumName(${enumTable('virSecretUsageType')}, this.wire.usageType);`, '  }');
        json.push('usageType: this.usageType');
      } else {
        const doc = fld.name === 'id' ? '  /** Its id while it runs, -1 when it does not (as of the call that made this handle). */' : `  /** Its ${fld.name}. */`;
        identity.push(doc, `  get ${fld.name}(): ${emitter.tsType(s, t.wire)} {`, `    return this.wire.${fld.name};`, '  }');
        json.push(`${fld.name}: this.wire.${fld.name}`);
      }
    }
    const keyExpr = t.key.map((k) => (k === 'uuid' ? 'this.uuid' : k === 'dom' ? 'this.domain.uuid' : `this.wire.${k}`)).join(" + '/' + ");
    const collections = HANDLE_TYPES.flatMap((c) => c.collections.filter((x) => x.owner === t.className));
    const members = [
      ...identity,
      '',
      '  /**',
      `   * Its XML as typed values: \`getXMLDesc()\` read by libvirt-rpc/xml's \`parse${t.xml}XML\` (loaded on first use).`,
      '   * @example',
      '   * ```ts',
      `   * const def = await ${t.example}.describe();`,
      '   * ```',
      '   */',
      `  async describe(options?: Parameters<${t.className}['getXMLDesc']>[0]): Promise<${t.xml}XML> {`,
      `    const { parse${t.xml}XML } = await import('../xml/index.js');`,
      `    return parse${t.xml}XML(await this.getXMLDesc(options));`,
      '  }',
      '',
      '  /** What two handles of the same object share. */',
      '  get identity(): string {',
      `    return ${keyExpr};`,
      '  }',
      '',
      '  /** The identity as plain values (what `JSON.stringify` writes). */',
      `  toJSON(): Record<string, unknown> {`,
      `    return { ${json.join(', ')} };`,
      '  }',
      '',
      ...collections.flatMap((c) => [`  /** Its ${c.property}. */`, `  get ${c.property}(): ${c.className} {`, `    return new ${c.className}(this.conn, this);`, '  }', '']),
      ...(classes.get(t.className) ?? []),
    ];
    runtime.add(t.base);
    xmlTypes.add(`${t.xml}XML`);
    flatImports.add(`type ${tsName(t.wire)}`);
    lines.push(
      '/**',
      ` * A libvirt ${t.cType.replace(/Ptr$/, '')}: carries its connection and identity; its methods call the daemon.`,
      ' * @example',
      ' * ```ts',
      ...exampleOf(t).map((l) => ` * ${l}`),
      ' * ```',
      ' */',
      `export class ${t.className} extends ${t.base}<${tsName(t.wire)}> {`,
      ...trimEnd(members),
      '}',
      '',
    );
  }
  // Collections.
  for (const t of HANDLE_TYPES) {
    for (const c of t.collections) {
      const ownerType = c.owner === CONNECTION ? 'Connection' : c.owner;
      const ctor = c.owner === CONNECTION ? '  constructor(readonly conn: Connection) {}' : `  constructor(readonly conn: Connection, readonly owner: ${ownerType}) {}`;
      lines.push(`/** The ${t.className} objects ${c.owner === CONNECTION ? 'of the connection' : `of a ${c.owner}`}: \`${pathOf(c.className)}\`. */`, `export class ${c.className} {`, ctor, '', ...trimEnd(classes.get(c.className) ?? []), '}', '');
    }
  }
  lines.push('/** Host-wide calls: `conn.host`. */', 'export class Host {', '  constructor(readonly conn: Connection) {}', '', ...trimEnd(classes.get(HOST) ?? []), '}', '');

  const imports = [
    importLines([...runtime].sort(byName), runtimeImport.replace(/xdr\/index\.js$/, 'handles/runtime.js')),
    `import type { AbortError, ConnectionError, LibvirtError, TimeoutError } from '${runtimeImport.replace(/xdr\/index\.js$/, 'errors.js')}';`,
    `import type { Connection } from '${runtimeImport.replace(/xdr\/index\.js$/, 'api/connection.js')}';`,
    importLines([...flatImports].filter((n) => !n.startsWith('type ')).sort(byName), '../protocol/remote-calls.js'),
    importLines([...new Set([...flatImports, ...(emitter.imports.get('remote') ?? [])].filter((n) => n.startsWith('type ') || /^[A-Z]/.test(n)).map((n) => (n.startsWith('type ') ? n : `type ${n}`)))].sort(byName), '../protocol/remote.js'),
  ];
  imports.push(importLines([...xmlTypes].sort(byName).map((n) => `type ${n}`), '../xml/index.js'));
  for (const [mod, names] of emitter.imports) if (mod !== 'remote') imports.push(importLines([...names].map((n) => `type ${n}`).sort(byName), `../protocol/${mod}.js`));
  const file = [header, '/* eslint-disable */', ...imports, '', ...lines].join('\n').replace(/\n+$/, '\n');
  return { file, homes };

  function flagEnumsOfDoc(name: string): string {
    return name.split('And').map((n) => `\`vir${n}\``).join(' and ');
  }
}

function byName(a: string, b: string): number {
  const k = (s: string) => s.replace(/^type /, '').toLowerCase();
  return k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0;
}

function trimEnd(lines: string[]): string[] {
  const out = [...lines];
  while (out.length && out.at(-1) === '') out.pop();
  return out;
}

function returnsDoc(type: string, bool: boolean): string {
  if (type === 'void') return 'nothing, once the daemon has done it';
  if (bool) return 'libvirt\'s yes or no as a boolean';
  return `\`${type.replace(/`/g, '')}\``;
}

/** One real example per handle type, written here (never libvirt's words). */
function exampleOf(t: HandleType): string[] {
  switch (t.className) {
    case 'Domain':
      return ["const dom = await conn.domains.lookupByName('guest');", 'if (!(await dom.isActive())) await dom.create();', "console.log(dom.name, dom.uuid, await dom.getState()); // { state: 'running', reason: 'booted' }"];
    case 'DomainSnapshot':
      return ["const snap = await dom.snapshots.createXML('<domainsnapshot><name>before</name></domainsnapshot>');", 'await snap.revert();', 'await snap.delete();'];
    case 'DomainCheckpoint':
      return ["const cp = await dom.checkpoints.createXML('<domaincheckpoint><name>cp1</name></domaincheckpoint>');", 'console.log(await cp.getXMLDesc());'];
    case 'Network':
      return ["const net = await conn.networks.lookupByName('default');", 'if (!(await net.isActive())) await net.create();', 'console.log(await net.getDHCPLeases(null));'];
    case 'NetworkPort':
      return ['for (const port of await net.ports.listAll()) console.log(port.uuid, await port.getXMLDesc());'];
    case 'StoragePool':
      return ["const pool = await conn.storagePools.lookupByName('default');", "const vol = await pool.volumes.createXML('<volume><name>disk.raw</name><capacity>1048576</capacity></volume>');", 'console.log(vol.key, await pool.getInfo());'];
    case 'StorageVolume':
      return ["const vol = await pool.volumes.lookupByName('disk.raw');", "await vol.download('/tmp/disk.raw', { sparse: true });", 'await vol.delete();'];
    case 'NodeDevice':
      return ['for (const dev of await conn.nodeDevices.listAll()) console.log(dev.name, await dev.getParent());'];
    case 'Interface':
      return ['for (const iface of await conn.interfaces.listAll()) console.log(iface.name, iface.mac, await iface.isActive());'];
    case 'Secret':
      return ["const secret = await conn.secrets.defineXML('<secret ephemeral=\"no\" private=\"yes\"><usage type=\"volume\"><volume>/v</volume></usage></secret>');", "await secret.setValue(new TextEncoder().encode('s3cret'));", 'console.log(secret.uuid, secret.usageType); // ..., volume'];
    case 'NWFilter':
      return ["const filter = await conn.nwfilters.lookupByName('clean-traffic');", 'console.log(filter.uuid, await filter.getXMLDesc());'];
    case 'NWFilterBinding':
      return ['for (const binding of await conn.nwfilterBindings.listAll()) console.log(binding.portdev, binding.filtername);'];
    default:
      return [`console.log(${t.example});`];
  }
}

/**
 * The homes as data (for the coverage test) and as a table for people: every C function the
 * protocol carries, where the handle face has it, and its flat method.
 */
export function emitHomes(homes: Home[], header: string): [string, string][] {
  const sorted = [...homes].sort((a, b) => (a.cFunction < b.cFunction ? -1 : 1));
  const ts = [
    header,
    '',
    '/** Each C function the protocol carries, its one home on the handle face, and its flat method. */',
    'export const homes: readonly { cFunction: string; path: string; flat: string }[] = [',
    ...sorted.map((h) => `  { cFunction: '${h.cFunction}', path: '${h.path}', flat: '${h.flat}' },`),
    '];',
    '',
  ].join('\n');
  const md = [
    '<!-- Generated by the libvirt-rpc code generator (npm run codegen). DO NOT EDIT. -->',
    '# Where each C function lives',
    '',
    `Every C function of libvirt's API that the protocol carries (${sorted.length}), its home on the handle face and its method on the flat face. Functions that pass file descriptors have none (see the README).`,
    '',
    '| C function | handle face | flat face |',
    '| --- | --- | --- |',
    ...sorted.map((h) => `| \`${h.cFunction}\` | \`${h.path}\` | \`conn.${h.flat}\` |`),
    '',
  ].join('\n');
  return [
    ['homes.ts', ts],
    ['c-functions.md', md],
  ];
}
