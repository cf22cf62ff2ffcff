/**
 * Parse and format of libvirt's XML documents, driven by the element descriptions generated
 * from libvirt's RelaxNG schemas (xml/descriptors.ts). One reader for every kind: the
 * descriptions say which attributes and children an element has, their keys, their values
 * and whether they repeat.
 *
 * Nothing is lost: a parsed object remembers, out of sight (under a symbol it does not
 * enumerate, so neither JSON nor equality sees it), the attributes and elements its type does
 * not model, comments, the order its children came in and the exact text of each value. Formatting writes them back
 * in place and a value as it was written unless it was changed. An object built in code has
 * none of that and is written in the schema's order.
 */
import { type XmlElement, type XmlNode, XmlSyntaxError, escapeAttr, escapeText, readXml } from './tokenizer.js';

export type ValueDesc =
  | { k: 'string'; pattern?: string; minLength?: number; maxLength?: number }
  | { k: 'enum'; values: string[] }
  | { k: 'int'; min?: number; max?: number; big: boolean; pattern?: string }
  | { k: 'float'; min?: number; max?: number }
  | { k: 'bool'; yes: string; no: string };

/**
 * The descriptions as generated leave out what can be derived (prepare() fills it in once): a
 * key equal to the name, false flags, a null text, the text key `value`.
 */
export interface AttrDesc {
  /** Expanded name: `type`, or `{namespace}local`. */
  x: string;
  /** The key in the typed object. */
  k: string;
  v: ValueDesc[];
  r: boolean;
}
export interface ChildDesc {
  x: string;
  k: string;
  /** The child's element; null for any element (kept as it is). */
  t: ElementDesc | null;
  m: boolean;
  r: boolean;
}
export interface ElementDesc {
  a: AttrDesc[];
  c: ChildDesc[];
  /** The text's values, when the element has text. */
  x: ValueDesc[] | null;
  /** The key of the text in the object (`value`, or `text` when `value` is taken). */
  tk: string;
  /** Represented by its text's value alone (no attributes, no children). */
  s: boolean;
  /** Represented by `true` (no attributes, children or text: presence is all it says). */
  p: boolean;
  /** Any attribute / any child element allowed besides the modelled ones. */
  aa: boolean;
  ac: boolean;
  /** Choices keyed by an attribute's value, checked in strict parse and on format of built objects. */
  u?: ChoiceDesc[];
}

/**
 * A choice keyed by an attribute's value (`<disk type='block'>`): what each branch allows.
 * Fields are named `@attr` and `child`; a field no branch names is the element's own, always
 * allowed.
 */
export interface ChoiceDesc {
  /** The key attribute. */
  k: string;
  b: BranchDesc[];
}
export interface BranchDesc {
  /** The key's values; `o` when the branch also holds without the key. */
  v: string[];
  o?: true;
  /** The fields the branch allows, and those it requires. */
  f: string[];
  r?: string[];
  /** Attributes whose values the branch narrows (`<address type='pci' slot>` is 0 to 31). */
  a?: Record<string, ValueDesc[]>;
  u?: ChoiceDesc[];
}

/** A description as the generator writes it: the derivable parts may be missing. */
export interface GeneratedDesc extends Partial<Omit<ElementDesc, 'a' | 'c'>> {
  a: (Pick<AttrDesc, 'x' | 'v'> & Partial<AttrDesc>)[];
  c: { x: string; k?: string; t?: GeneratedDesc | null; m?: boolean; r?: boolean }[];
}

const prepared = new WeakSet<object>();

/** Fills in what the generated descriptions leave out, once per element, through the whole graph. */
export function prepare(root: GeneratedDesc): ElementDesc {
  const stack: GeneratedDesc[] = [root];
  while (stack.length) {
    const d = stack.pop()!;
    if (prepared.has(d)) continue;
    prepared.add(d);
    d.x ??= null;
    d.tk ??= 'value';
    d.s ??= false;
    d.p ??= false;
    d.aa ??= false;
    d.ac ??= false;
    for (const a of d.a) {
      a.k ??= a.x;
      a.r ??= false;
    }
    for (const c of d.c) {
      c.k ??= c.x;
      c.m ??= false;
      c.r ??= false;
      c.t ??= null;
      if (c.t) stack.push(c.t);
    }
  }
  return root as ElementDesc;
}

/** Namespaces libvirt's schemas use, with the prefixes libvirt writes for them (keys of typed objects use them too). */
export const NAMESPACE_PREFIXES: Readonly<Record<string, string>> = {
  'http://libvirt.org/schemas/domain/qemu/1.0': 'qemu',
  'http://libvirt.org/schemas/domain/lxc/1.0': 'lxc',
  'http://libvirt.org/schemas/domain/bhyve/1.0': 'bhyve',
  'http://libvirt.org/schemas/domain/vmware/1.0': 'vmware',
  'http://libvirt.org/schemas/domain/xen/1.0': 'xen',
  'http://libvirt.org/schemas/network/dnsmasq/1.0': 'dnsmasq',
  'http://libvirt.org/schemas/storagepool/fs/1.0': 'fs',
  'http://libvirt.org/schemas/storagepool/rbd/1.0': 'rbd',
};

export class XmlSchemaError extends Error {
  override name = 'XmlSchemaError';
  constructor(
    message: string,
    /** Where: `/domain/devices/disk[2]/@type`. */
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
  }
}

export interface ParseOptions {
  /**
   * `lenient` (the default) keeps what the schema does not describe and values it does not
   * allow, and writes them back; `strict` refuses them with an XmlSchemaError naming the path.
   */
  mode?: 'strict' | 'lenient';
}

/** A child in document order: a modelled value (key and index) or a node kept as written. */
type ValueSlot = { k: string; i: number; raw?: string; v?: unknown; extra?: [string, string][]; q?: string };
type Slot = ValueSlot | { node: XmlNode };
interface Hidden {
  /** Attribute values as written (`a`) and what they parsed to (`av`), by key. */
  a: Record<string, string>;
  av: Record<string, unknown>;
  /** Attributes the type does not model, as written (namespace declarations too). */
  extra: [string, string][];
  /** The children in document order. */
  slots: Slot[];
  /** The text as written and what it parsed to. */
  t?: [string, unknown];
  /** The element's qualified name as written. */
  q: string;
}

/**
 * What a parsed object remembers, under a symbol that is not enumerable: JSON, equality,
 * spreading and Object.assign never see it. Defined first on the fresh object, so every parsed
 * object keeps fast properties; a WeakMap beside the objects cost five times as much per
 * element (its table grows with every element parsed, and the collector walks it).
 */
const HIDDEN = Symbol('libvirt-rpc.xml.hidden');
const hiddenOf = (o: object): Hidden | undefined => (o as { [HIDDEN]?: Hidden })[HIDDEN];

// ---- values ----

const INT = /^[+-]?(?:[0-9]+|0x[0-9a-fA-F]+)$/;
const FLOAT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const regexCache = new Map<string, RegExp | null>();

/**
 * An XML Schema pattern as a JavaScript RegExp. XML Schema patterns match the whole value and
 * have no anchors: `^` and `$` outside a character class are plain characters there.
 */
function schemaRegex(pattern: string): RegExp | null {
  let r = regexCache.get(pattern);
  if (r === undefined) {
    let js = '';
    let inClass = false;
    for (let k = 0; k < pattern.length; k++) {
      const c = pattern[k]!;
      if (c === '\\') {
        js += c + (pattern[k + 1] ?? '');
        k++;
      } else if (inClass) {
        if (c === ']') inClass = false;
        js += c;
      } else if (c === '[') {
        inClass = true;
        js += c;
      } else js += c === '$' || c === '^' ? `\\${c}` : c;
    }
    try {
      r = new RegExp(`^(?:${js})$`, 'u');
    } catch {
      r = null; // an XML Schema construct JavaScript lacks: not checked
    }
    regexCache.set(pattern, r);
  }
  return r;
}

function parseValue(text: string, values: ValueDesc[]): { ok: boolean; v: unknown } {
  for (const d of values) {
    if (d.k === 'bool' && (text === d.yes || text === d.no)) return { ok: true, v: text === d.yes };
  }
  for (const d of values) if (d.k === 'enum' && d.values.includes(text)) return { ok: true, v: text };
  for (const d of values) {
    if (d.k === 'int' && INT.test(text)) {
      const hex = /0x/i.test(text);
      const n = hex ? Number(text.replace(/^([+-]?)0x/i, '$10x').replace(/^\+/, '')) : Number(text);
      if (hex && text.startsWith('-')) continue;
      if (Number.isSafeInteger(n)) return { ok: true, v: n };
      if (d.big) return { ok: true, v: BigInt(text.replace(/^\+/, '')) };
    }
    if (d.k === 'float' && FLOAT.test(text)) return { ok: true, v: Number(text) };
  }
  for (const d of values) if (d.k === 'string') return { ok: true, v: text };
  return { ok: false, v: text };
}

function formatValue(v: unknown, values: ValueDesc[], path: string): string {
  const errors: string[] = [];
  for (const d of values) {
    switch (d.k) {
      case 'bool':
        if (typeof v === 'boolean') return v ? d.yes : d.no;
        break;
      case 'enum':
        if (typeof v === 'string' && d.values.includes(v)) return v;
        break;
      case 'int':
        if ((typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint') {
          if ((d.min !== undefined && v < d.min) || (d.max !== undefined && v > d.max)) errors.push(`${v} is outside ${d.min ?? '-∞'}..${d.max ?? '∞'}`);
          else return String(v);
        }
        break;
      case 'float':
        if (typeof v === 'number' && Number.isFinite(v)) {
          if ((d.min !== undefined && v < d.min) || (d.max !== undefined && v > d.max)) errors.push(`${v} is outside ${d.min ?? '-∞'}..${d.max ?? '∞'}`);
          else return String(v);
        }
        break;
      case 'string':
        if (typeof v === 'string') {
          const re = d.pattern ? schemaRegex(d.pattern) : null;
          if (re && !re.test(v)) errors.push(`'${v}' does not match the schema's pattern ${d.pattern}`);
          else if (d.minLength !== undefined && v.length < d.minLength) errors.push(`'${v}' is shorter than ${d.minLength}`);
          else if (d.maxLength !== undefined && v.length > d.maxLength) errors.push(`'${v}' is longer than ${d.maxLength}`);
          else return v;
        }
        break;
    }
  }
  const allowed = values.map((d) => (d.k === 'enum' ? d.values.map((x) => `'${x}'`).join(' | ') : d.k === 'bool' ? 'boolean' : d.k === 'int' || d.k === 'float' ? 'number' : 'string')).join(' | ');
  throw new XmlSchemaError(errors[0] ?? `${typeof v === 'string' ? `'${v}'` : String(v)} is not allowed here (allowed: ${allowed})`, path);
}

/** In strict mode, a value must also be within the schema's ranges, patterns and lengths. */
function strictValue(raw: string, values: ValueDesc[], path: string): unknown {
  const pv = parseValue(raw, values);
  if (!pv.ok) throw new XmlSchemaError(`'${raw}' is not a value the schema allows`, path);
  formatValue(pv.v, values, path);
  return pv.v;
}

// ---- choices keyed by a value ----

const governedOf = new WeakMap<ChoiceDesc[], Set<string>>();
function governed(choices: ChoiceDesc[]): Set<string> {
  let g = governedOf.get(choices);
  if (!g) {
    g = new Set();
    const walk = (cs: ChoiceDesc[]) => {
      for (const c of cs) for (const b of c.b) {
        for (const f of b.f) g!.add(f);
        if (b.u) walk(b.u);
      }
    };
    walk(choices);
    governedOf.set(choices, g);
  }
  return g;
}

const fieldName = (f: string) => (f[0] === '@' ? `attribute '${localName(f.slice(1))}'` : `element <${localName(f)}>`);

/**
 * Checks an element's fields against the branches its key attributes choose: each chosen
 * branch's required fields are there, and no field belongs only to branches not chosen.
 */
function checkChoices(choices: ChoiceDesc[], has: (field: string) => boolean, keyText: (attr: string) => string | undefined, checkValue: (attr: string, values: ValueDesc[]) => void, path: string): void {
  const allowed = new Set<string>();
  const chose: string[] = [];
  const choose = (cs: ChoiceDesc[]) => {
    for (const c of cs) {
      const raw = keyText(c.k);
      const fits = c.b.filter((x) => (raw === undefined ? x.o : x.v.includes(raw)));
      if (fits.length > 1) {
        // Several branches hold without the key: any of their fields may be there.
        for (const f of governed([{ k: c.k, b: fits }])) allowed.add(f);
        continue;
      }
      const b = fits[0];
      const key = localName(c.k);
      const context = chose.length ? ` with ${chose.join(', ')}` : ' here';
      if (!b) throw new XmlSchemaError(raw === undefined ? `attribute '${key}' is required${context}` : `${key}='${raw}' is not allowed${context}`, raw === undefined ? path : `${path}/@${key}`);
      chose.push(raw === undefined ? `no ${key}` : `${key}='${raw}'`);
      for (const f of b.f) allowed.add(f);
      for (const f of b.r ?? []) if (!has(f)) throw new XmlSchemaError(`${fieldName(f)} is required with ${chose.join(', ')}`, path);
      for (const [x, values] of Object.entries(b.a ?? {})) if (has(`@${x}`)) checkValue(x, values);
      if (b.u) choose(b.u);
    }
  };
  choose(choices);
  for (const f of governed(choices)) {
    if (has(f) && !allowed.has(f)) throw new XmlSchemaError(`${fieldName(f)} is not allowed with ${chose.join(', ')}`, `${path}/${f[0] === '@' ? `@${localName(f.slice(1))}` : localName(f)}`);
  }
}

// ---- parse ----

interface Scope {
  ns: Map<string, string>;
}

function expandedName(qname: string, scope: Scope, element = true): string {
  const colon = qname.indexOf(':');
  if (colon < 0) {
    // A default namespace applies to elements, never to attributes.
    const uri = element ? scope.ns.get('') : undefined;
    return uri ? `{${uri}}${qname}` : qname;
  }
  const uri = scope.ns.get(qname.slice(0, colon));
  return uri ? `{${uri}}${qname.slice(colon + 1)}` : qname;
}

function withDeclarations(el: XmlElement, scope: Scope): Scope {
  let next: Scope | null = null;
  for (const [n, v] of el.attrs) {
    if (n === 'xmlns' || n.startsWith('xmlns:')) {
      next ??= { ns: new Map(scope.ns) };
      next.ns.set(n.slice(6), v);
    }
  }
  return next ?? scope;
}

function textContent(el: XmlElement): string {
  let s = '';
  for (const c of el.children) if (c.kind === 'text') s += c.text;
  return s;
}

const isBlank = (s: string) => /^[ \t\r\n]*$/.test(s);

function parseElement(el: XmlElement, d: ElementDesc, path: string, scope: Scope, strict: boolean): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  const hidden: Hidden = { a: {}, av: {}, extra: [], slots: [], q: el.name };
  Object.defineProperty(obj, HIDDEN, { value: hidden });
  for (const [name, raw] of el.attrs) {
    const a = attrOf(d, expandedName(name, scope, false));
    if (!a) {
      if (strict && !d.aa && !name.startsWith('xmlns')) throw new XmlSchemaError(`attribute '${name}' is not in the schema`, `${path}/@${name}`);
      hidden.extra.push([name, raw]);
      continue;
    }
    const v = strict ? strictValue(raw, a.v, `${path}/@${name}`) : parseValue(raw, a.v).v;
    obj[a.k] = v;
    hidden.a[a.k] = raw;
    hidden.av[a.k] = v;
  }
  if (strict) for (const a of d.a) if (a.r && !(a.k in obj)) throw new XmlSchemaError(`attribute '${a.x}' is required`, path);
  let text = '';
  for (const c of el.children) {
    if (c.kind === 'text') {
      text += c.text;
      if (!d.x && !isBlank(c.text)) {
        if (strict) throw new XmlSchemaError(`text is not allowed here`, path);
        hidden.slots.push({ node: c });
      }
      continue;
    }
    if (c.kind !== 'element') {
      hidden.slots.push({ node: c });
      continue;
    }
    const inner = withDeclarations(c, scope);
    const x = expandedName(c.name, inner);
    const cd = childOf(d, x);
    // A second copy of a child that may appear once is kept as written, as unknown ones are.
    if (!cd || !cd.t || (!cd.m && cd.k in obj)) {
      if (strict && !(cd && !cd.t) && !d.ac) {
        const n = el.children.slice(0, el.children.indexOf(c) + 1).filter((k) => k.kind === 'element' && k.name === c.name).length;
        throw new XmlSchemaError(cd ? `<${c.name}> may appear only once here` : `element <${c.name}> is not in the schema here`, `${path}/${c.name}${n > 1 ? `[${n}]` : ''}`);
      }
      hidden.slots.push({ node: c });
      continue;
    }
    let value: unknown;
    let slot: Slot;
    const index = cd.m ? ((obj[cd.k] as unknown[] | undefined)?.length ?? 0) : 0;
    const here = `${path}/${c.name}${cd.m ? `[${index + 1}]` : ''}`;
    if (cd.t.p || cd.t.s) {
      // A presence or text-only element: its value stands for it; what else it carries stays hidden.
      const extra = c.attrs.length ? [...c.attrs] : undefined;
      if (strict && extra && !extra.every(([k]) => k.startsWith('xmlns'))) throw new XmlSchemaError(`attribute '${extra[0]![0]}' is not in the schema`, `${here}/@${extra[0]![0]}`);
      const kids = c.children.filter((k) => k.kind === 'element' || k.kind === 'comment');
      if (kids.length) {
        if (strict) throw new XmlSchemaError('child elements are not allowed here', here);
        hidden.slots.push({ node: c });
        continue;
      }
      if (cd.t.p) {
        const t = textContent(c);
        if (!isBlank(t)) {
          if (strict) throw new XmlSchemaError('text is not allowed here', here);
          hidden.slots.push({ node: c });
          continue;
        }
        value = true;
        slot = { k: cd.k, i: index, ...(extra ? { extra } : {}), q: c.name };
      } else {
        const raw = textContent(c);
        value = strict ? strictValue(raw, cd.t.x!, here) : parseValue(raw, cd.t.x!).v;
        slot = { k: cd.k, i: index, raw, v: value, ...(extra ? { extra } : {}), q: c.name };
      }
    } else {
      value = parseElement(c, cd.t, here, inner, strict);
      slot = { k: cd.k, i: index };
    }
    if (cd.m) ((obj[cd.k] ??= []) as unknown[]).push(value);
    else obj[cd.k] = value;
    hidden.slots.push(slot);
  }
  if (strict) for (const c of d.c) if (c.r && !(c.k in obj)) throw new XmlSchemaError(`element <${c.x.replace(/^\{.*\}/, '')}> is required`, path);
  if (strict && d.u) {
    const raw = (x: string) => hidden.a[attrOf(d, x)!.k];
    checkChoices(d.u, (f) => (f[0] === '@' ? attrOf(d, f.slice(1))!.k : childOf(d, f)!.k) in obj, raw, (x, values) => strictValue(raw(x)!, values, `${path}/@${localName(x)}`), path);
  }
  if (d.x) {
    if (!isBlank(text) || (!d.c.length && text.length)) {
      const v = strict ? strictValue(text, d.x, path) : parseValue(text, d.x).v;
      obj[d.tk] = v;
      hidden.t = [text, v];
    }
  }
  return obj;
}

const attrIndex = new WeakMap<ElementDesc, Map<string, AttrDesc>>();
const childIndex = new WeakMap<ElementDesc, Map<string, ChildDesc>>();
function attrOf(d: ElementDesc, x: string): AttrDesc | undefined {
  let m = attrIndex.get(d);
  if (!m) attrIndex.set(d, (m = new Map(d.a.map((a) => [a.x, a]))));
  return m.get(x);
}
function childOf(d: ElementDesc, x: string): ChildDesc | undefined {
  let m = childIndex.get(d);
  if (!m) childIndex.set(d, (m = new Map(d.c.map((c) => [c.x, c]))));
  return m.get(x);
}

/** Reads `text` as the document `root` describes (its root element named `rootName`). */
export function parseDocument<T>(text: string, described: GeneratedDesc, rootName: string, opts: ParseOptions = {}): T {
  const root = prepare(described);
  const { root: el } = readXml(text);
  const scope = withDeclarations(el, { ns: new Map() });
  if (expandedName(el.name, scope) !== rootName) throw new XmlSchemaError(`the root element is <${el.name}>, not <${rootName}>`, `/${el.name}`);
  return parseElement(el, root, `/${el.name}`, scope, opts.mode === 'strict') as T;
}

// ---- format ----

function qualified(x: string, declared: Map<string, string>, preferred?: string): { name: string; declare?: [string, string] } {
  if (x[0] !== '{') return { name: preferred ?? x };
  const end = x.indexOf('}');
  const uri = x.slice(1, end);
  const local = x.slice(end + 1);
  const wanted = preferred?.includes(':') ? preferred.slice(0, preferred.indexOf(':')) : undefined;
  if (preferred !== undefined && !preferred.includes(':') && declared.get('') === uri) return { name: local };
  for (const [p, u] of declared) if (p && u === uri && (!wanted || p === wanted)) return { name: `${p}:${local}` };
  const prefix = wanted ?? NAMESPACE_PREFIXES[uri] ?? 'ns';
  return { name: `${prefix}:${local}`, declare: [`xmlns:${prefix}`, uri] };
}

function serializeRaw(node: XmlNode, out: string[]): void {
  switch (node.kind) {
    case 'text':
      out.push(node.cdata ? `<![CDATA[${node.text}]]>` : escapeText(node.text));
      return;
    case 'comment':
      out.push(`<!--${node.text}-->`);
      return;
    case 'pi':
      out.push(`<?${node.target}${node.text ? ` ${node.text}` : ''}?>`);
      return;
    case 'element':
      out.push(`<${node.name}${node.attrs.map(([k, v]) => ` ${k}='${escapeAttr(v).replace(/'/g, '&apos;')}'`).join('')}`);
      if (!node.children.length) {
        out.push('/>');
        return;
      }
      out.push('>');
      for (const c of node.children) serializeRaw(c, out);
      out.push(`</${node.name}>`);
  }
}

const attrText = (k: string, v: string) => ` ${k}='${escapeAttr(v).replace(/'/g, '&apos;')}'`;
const localName = (x: string) => (x[0] === '{' ? x.slice(x.indexOf('}') + 1) : x);

const childKeys = new WeakMap<ElementDesc, Map<string, ChildDesc>>();
function childByKey(d: ElementDesc, k: string): ChildDesc | undefined {
  let m = childKeys.get(d);
  if (!m) childKeys.set(d, (m = new Map(d.c.map((c) => [c.k, c]))));
  return m.get(k);
}

function valuesOf(o: Record<string, unknown>, c: ChildDesc, path: string): unknown[] {
  const v = o[c.k];
  if (v === undefined) return [];
  if (!c.m) return [v];
  if (!Array.isArray(v)) throw new XmlSchemaError('an array was expected', `${path}/${localName(c.x)}`);
  return v;
}

/** Whether a parsed object holds children its document did not have (added since). */
function hasUnwritten(o: Record<string, unknown>, d: ElementDesc, written: Map<string, number>): boolean {
  for (const k in o) {
    const c = childByKey(d, k);
    const v = o[k];
    if (!c || v === undefined || v === false) continue;
    // Not an array where one belongs: the full pass reports it.
    const count = c.m ? (Array.isArray(v) ? v.length : Infinity) : 1;
    if (count > (written.get(k) ?? 0)) return true;
  }
  return false;
}

/** One child, as lines of `out`. */
function formatChild(c: ChildDesc, value: unknown, index: number, slot: ValueSlot | undefined, path: string, indent: string, declared: Map<string, string>, out: string[]): void {
  const here = `${path}/${localName(c.x)}${c.m ? `[${index + 1}]` : ''}`;
  const t = c.t!;
  if (!t.p && !t.s) return formatElement(value, t, c.x, here, indent, declared, out);
  const cq = qualified(c.x, declared, slot?.q);
  let extra = cq.declare ? attrText(cq.declare[0], cq.declare[1]) : '';
  if (slot?.extra) for (const [k, v] of slot.extra) extra += attrText(k, v);
  if (t.p) {
    if (value === false) return;
    if (value !== true) throw new XmlSchemaError(`true (the element is there) or false was expected, not ${typeof value}`, here);
    out.push(`${indent}<${cq.name}${extra}/>\n`);
    return;
  }
  const text = slot && slot.raw !== undefined && Object.is(slot.v, value) ? slot.raw : formatValue(value, t.x!, here);
  out.push(text === '' ? `${indent}<${cq.name}${extra}/>\n` : `${indent}<${cq.name}${extra}>${escapeText(text)}</${cq.name}>\n`);
}

function formatElement(obj: unknown, d: ElementDesc, x: string, path: string, indent: string, declared: Map<string, string>, out: string[], q?: string): void {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new XmlSchemaError(`an object was expected, not ${Array.isArray(obj) ? 'an array' : typeof obj}`, path);
  const o = obj as Record<string, unknown>;
  const hidden = hiddenOf(o);
  // Namespace declarations in scope: copied only by an element that declares one.
  let own = declared;
  const declare = (prefix: string, uri: string) => {
    if (own === declared) own = new Map(declared);
    own.set(prefix, uri);
  };
  let head = '';
  if (hidden) {
    for (const [k, v] of hidden.extra) {
      if (k === 'xmlns' || k.startsWith('xmlns:')) declare(k.slice(6), v);
      head += attrText(k, v);
    }
  }
  const qn = qualified(x, own, hidden?.q ?? q);
  if (qn.declare && !own.has(qn.declare[0].slice(6))) {
    declare(qn.declare[0].slice(6), qn.declare[1]);
    head = attrText(qn.declare[0], qn.declare[1]) + head;
  }
  for (const a of d.a) {
    const v = o[a.k];
    if (v === undefined) {
      // A parsed document that lacked it is written back as it was (lenient mode keeps such documents).
      if (a.r && (!hidden || a.k in hidden.a)) throw new XmlSchemaError(`attribute '${a.x}' is required`, path);
      continue;
    }
    const kept = hidden?.a[a.k];
    const text = kept !== undefined && Object.is(hidden!.av[a.k], v) ? kept : formatValue(v, a.v, `${path}/@${a.x}`);
    head += attrText(a.x[0] === '{' ? qualified(a.x, own).name : a.x, text);
  }
  if (d.u && !hidden) {
    // Built in code: the branch rules hold as the schema states them (a parsed element's were checked, or kept, at parse).
    const present = (k: string) => {
      const v = o[k];
      return v !== undefined && v !== false && !(Array.isArray(v) && !v.length);
    };
    checkChoices(d.u, (f) => present(f[0] === '@' ? attrOf(d, f.slice(1))!.k : childOf(d, f)!.k), (x) => {
      const a = attrOf(d, x)!;
      return o[a.k] === undefined ? undefined : formatValue(o[a.k], a.v, `${path}/@${a.x}`);
    }, (x, values) => formatValue(o[attrOf(d, x)!.k], values, `${path}/@${localName(x)}`), path);
  }
  // The start tag goes here once it is known whether anything follows it.
  const start = out.length;
  out.push('');
  const inner = `${indent}  `;
  let written: Map<string, number> | undefined;
  if (hidden) {
    written = new Map();
    for (const s of hidden.slots) {
      if ('node' in s) {
        const raw: string[] = [];
        serializeRaw(s.node, raw);
        out.push(`${inner}${raw.join('')}\n`);
        continue;
      }
      const c = childByKey(d, s.k)!;
      const list = valuesOf(o, c, path);
      // Seen, even if the object no longer has it: a required child the document had must stay.
      if (!written.has(c.k)) written.set(c.k, 0);
      if (s.i < list.length) {
        formatChild(c, list[s.i], s.i, s, path, inner, own, out);
        written.set(c.k, Math.max(written.get(c.k) ?? 0, s.i + 1));
      }
    }
  }
  // What the document did not have (all of it, for an object built in code), in schema order.
  // A parsed object usually has nothing new: its few keys say so without a look at every child
  // the schema allows.
  if (!written || hasUnwritten(o, d, written)) {
    for (const c of d.c) {
      const list = valuesOf(o, c, path);
      for (let i = written?.get(c.k) ?? 0; i < list.length; i++) formatChild(c, list[i], i, undefined, path, inner, own, out);
      if (c.r && !list.length && !hidden) throw new XmlSchemaError(`element <${localName(c.x)}> is required`, path);
    }
  }
  // A required child the document had may not go (one it lacked stays lacking: lenient mode keeps such documents).
  if (written) {
    for (const k of written.keys()) {
      const c = childByKey(d, k)!;
      if (c.r && !valuesOf(o, c, path).length) throw new XmlSchemaError(`element <${localName(c.x)}> is required`, path);
    }
  }
  let text = '';
  if (d.x && o[d.tk] !== undefined) {
    const v = o[d.tk];
    text = escapeText(hidden?.t && Object.is(hidden.t[1], v) ? hidden.t[0] : formatValue(v, d.x, path));
  }
  const name = qn.name;
  if (out.length === start + 1) {
    out[start] = text ? `${indent}<${name}${head}>${text}</${name}>\n` : `${indent}<${name}${head}/>\n`;
  } else {
    out[start] = `${indent}<${name}${head}>${text}\n`;
    out.push(`${indent}</${name}>\n`);
  }
}

/** Writes `value` as the document `root` describes. */
export function formatDocument(value: unknown, described: GeneratedDesc, rootName: string): string {
  const root = prepare(described);
  const out: string[] = [];
  formatElement(value, root, rootName, `/${rootName.replace(/^\{.*\}/, '')}`, '', new Map(), out);
  return out.join('');
}

export { XmlSyntaxError };
