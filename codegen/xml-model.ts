/**
 * Folds RelaxNG patterns (rng.ts) into element types: per element, its attributes, children,
 * text and their values, with which are required and which repeat. Choices are folded
 * conservatively: what only some branches have is optional, and a child that several branches
 * define differently gets one type that merges them. The runtime reads and writes with that
 * folded form; the types also get a shape (`Folder.shape`) that keeps the choices keyed by an
 * attribute's value apart, so that they become discriminated unions.
 */
import type { ValueDesc } from '../src/xml/runtime.js';
import type { Grammar, NameClass, Pattern } from './rng.js';

/** A value the schema allows: what the runtime reads from the descriptions (src/xml/runtime.ts). */
export type Value = ValueDesc;

export interface AttrField {
  xml: string;
  required: boolean;
  values: Value[];
}
export interface ChildField {
  xml: string;
  required: boolean;
  many: boolean;
  /** Element patterns this child may be (merged into one type); empty for any element. */
  patterns: Set<Pattern & { t: 'element' }>;
}
export interface Fragment {
  attrs: Map<string, AttrField>;
  children: Map<string, ChildField>;
  order: string[];
  text: Value[] | null;
  anyAttr: boolean;
  anyChild: boolean;
}

/**
 * A choice whose branches each fix one attribute (the key) to values no other branch allows:
 * `<disk type='file'>` or `type='block'`.
 */
export interface KeyedChoice {
  key: string;
  variants: Variant[];
}
export interface Variant {
  /** The key's values in this branch; `keyRequired` false when the branch may leave it out. */
  values: string[];
  keyRequired: boolean;
  /** The define the branch is, when it is a reference (`diskSourceFile`). */
  define?: string;
  /** The same for every use of the branch's pattern: the types are shared. */
  id: string;
  shape: Shape;
}
/** A pattern as the types see it: plain fields, and keyed choices that each add one of their variants. */
export interface Shape {
  plain: Fragment;
  unions: KeyedChoice[];
}

const empty = (): Fragment => ({ attrs: new Map(), children: new Map(), order: [], text: null, anyAttr: false, anyChild: false });

/** `{ns}local` for a namespaced name, `local` otherwise. */
export function expanded(n: NameClass & { kind: 'name' }): string {
  return n.ns ? `{${n.ns}}${n.local}` : n.local;
}

function seq(a: Fragment, b: Fragment): Fragment {
  const out = empty();
  for (const [k, v] of a.attrs) out.attrs.set(k, { ...v, values: [...v.values] });
  for (const [k, v] of b.attrs) {
    const x = out.attrs.get(k);
    out.attrs.set(k, x ? { ...x, required: x.required || v.required, values: [...x.values, ...v.values] } : { ...v, values: [...v.values] });
  }
  for (const [k, v] of a.children) out.children.set(k, { ...v, patterns: new Set(v.patterns) });
  for (const [k, v] of b.children) {
    const x = out.children.get(k);
    // The same child twice in sequence repeats.
    out.children.set(k, x ? { ...x, required: x.required || v.required, many: true, patterns: new Set([...x.patterns, ...v.patterns]) } : { ...v, patterns: new Set(v.patterns) });
  }
  out.order = [...a.order, ...b.order.filter((o) => !a.order.includes(o))];
  out.text = a.text || b.text ? [...(a.text ?? []), ...(b.text ?? [])] : null;
  out.anyAttr = a.anyAttr || b.anyAttr;
  out.anyChild = a.anyChild || b.anyChild;
  return out;
}

/** Either fragment (a choice): what only one has is optional. */
export function alt(a: Fragment, b: Fragment): Fragment {
  const out = empty();
  for (const k of new Set([...a.attrs.keys(), ...b.attrs.keys()])) {
    const x = a.attrs.get(k);
    const y = b.attrs.get(k);
    out.attrs.set(k, { xml: (x ?? y)!.xml, required: !!x?.required && !!y?.required, values: [...(x?.values ?? []), ...(y?.values ?? [])] });
  }
  for (const k of new Set([...a.children.keys(), ...b.children.keys()])) {
    const x = a.children.get(k);
    const y = b.children.get(k);
    out.children.set(k, { xml: (x ?? y)!.xml, required: !!x?.required && !!y?.required, many: !!x?.many || !!y?.many, patterns: new Set([...(x?.patterns ?? []), ...(y?.patterns ?? [])]) });
  }
  out.order = mergeOrder(a.order, b.order);
  out.text = a.text || b.text ? [...(a.text ?? []), ...(b.text ?? [])] : null;
  out.anyAttr = a.anyAttr || b.anyAttr;
  out.anyChild = a.anyChild || b.anyChild;
  return out;
}

/** Both orders in one, each kept: b's new names go after the last name they follow in b. */
function mergeOrder(a: string[], b: string[]): string[] {
  const out = [...a];
  let at = -1;
  for (const n of b) {
    const k = out.indexOf(n);
    if (k >= 0) at = k;
    else out.splice(++at, 0, n);
  }
  return out;
}

function optional(f: Fragment): Fragment {
  return alt(f, empty());
}

function repeated(f: Fragment, atLeastOnce: boolean): Fragment {
  const out = atLeastOnce ? seq(empty(), f) : optional(f);
  for (const c of out.children.values()) c.many = true;
  return out;
}

export class Folder {
  private readonly refs = new Map<string, Fragment>();
  private readonly active = new Set<string>();
  private readonly shapes = new Map<string, Shape>();
  private readonly ids = new WeakMap<Pattern, string>();

  fold(p: Pattern): Fragment {
    switch (p.t) {
      case 'element': {
        const f = empty();
        if (p.name.kind === 'any') f.anyChild = true;
        else {
          const xml = expanded(p.name);
          f.children.set(xml, { xml, required: true, many: false, patterns: new Set([p]) });
          f.order.push(xml);
        }
        return f;
      }
      case 'attribute': {
        const f = empty();
        if (p.name.kind === 'any') f.anyAttr = true;
        else {
          const xml = expanded(p.name);
          f.attrs.set(xml, { xml, required: true, values: this.values(p.content) });
        }
        return f;
      }
      case 'group':
      case 'interleave':
        return p.items.reduce((acc, i) => seq(acc, this.fold(i)), empty());
      case 'choice': {
        const branches = p.items.filter((i) => i.t !== 'notAllowed');
        if (!branches.length) return empty();
        return branches.map((b) => this.fold(b)).reduce((a, b) => alt(a, b));
      }
      case 'optional':
        return optional(this.fold(p.item));
      case 'zeroOrMore':
        return repeated(this.fold(p.item), false);
      case 'oneOrMore':
        return repeated(this.fold(p.item), true);
      case 'ref':
        return this.ref(p.grammar, p.name);
      case 'grammar':
        return this.fold(p.grammar.start!);
      case 'text': {
        const f = empty();
        f.text = [{ k: 'string' }];
        return f;
      }
      case 'data':
      case 'value':
      case 'list': {
        const f = empty();
        f.text = this.values(p);
        return f;
      }
      case 'empty':
      case 'notAllowed':
        return empty();
    }
  }

  /**
   * The pattern's shape: like `fold`, but a choice keyed by an attribute's value stays a choice
   * of variants. Under optional and repeats, and in a choice that no attribute keys, the folded
   * form stands (what it allows is a superset).
   */
  shape(p: Pattern): Shape {
    switch (p.t) {
      case 'group':
      case 'interleave': {
        const parts = p.items.map((i) => this.shape(i));
        return { plain: parts.map((s) => s.plain).reduce(seq, empty()), unions: parts.flatMap((s) => s.unions) };
      }
      case 'choice': {
        const branches = p.items.filter((i) => i.t !== 'notAllowed');
        const key = this.keyOf(branches);
        if (!key) return { plain: this.fold(p), unions: [] };
        const variants = branches.map((b): Variant => {
          const attr = this.fold(b).attrs.get(key)!;
          const id = b.t === 'ref' ? `${b.grammar.key}#${b.name}` : this.idOf(b);
          const v: Variant = { values: enumValues(attr.values), keyRequired: attr.required, id, shape: this.shape(b) };
          if (b.t === 'ref') v.define = b.name;
          return v;
        });
        return { plain: empty(), unions: [{ key, variants }] };
      }
      case 'ref': {
        const k = `${p.grammar.key}#${p.name}`;
        let s = this.shapes.get(k);
        if (!s) this.shapes.set(k, (s = this.shape(p.grammar.resolve(p.name))));
        return s;
      }
      case 'grammar':
        return this.shape(p.grammar.start!);
      default:
        return { plain: this.fold(p), unions: [] };
    }
  }

  /**
   * The attribute that keys a choice: in every branch it takes fixed values, and no value in two
   * branches. Of several, the one with the fewest values (`mode` over `type` for `<hostdev>`,
   * whose subsystem branch allows five types), then `type`.
   */
  private keyOf(branches: Pattern[]): string | null {
    if (branches.length < 2) return null;
    const folded = branches.map((b) => this.fold(b));
    const keys: { name: string; count: number }[] = [];
    for (const name of folded[0]!.attrs.keys()) {
      if (!folded.every((f) => f.attrs.get(name)?.values.every((v) => v.k === 'enum'))) continue;
      const sets = folded.map((f) => enumValues(f.attrs.get(name)!.values));
      const all = new Set(sets.flat());
      if (all.size === sets.reduce((n, s) => n + s.length, 0)) keys.push({ name, count: all.size });
    }
    keys.sort((a, b) => a.count - b.count || Number(b.name === 'type') - Number(a.name === 'type'));
    return keys[0]?.name ?? null;
  }

  private idOf(p: Pattern): string {
    let id = this.ids.get(p);
    if (!id) this.ids.set(p, (id = `b${++branchCount}`));
    return id;
  }

  private ref(g: Grammar, name: string): Fragment {
    const key = `${g.key}#${name}`;
    const hit = this.refs.get(key);
    if (hit) return hit;
    if (this.active.has(key)) throw new Error(`${name}: a reference cycle outside any element`);
    this.active.add(key);
    const f = this.fold(g.resolve(name));
    this.active.delete(key);
    this.refs.set(key, f);
    return f;
  }

  /** The values an attribute or text pattern allows, as alternatives. */
  values(p: Pattern): Value[] {
    switch (p.t) {
      case 'text':
        return [{ k: 'string' }];
      case 'value':
        return [{ k: 'enum', values: [p.value] }];
      case 'data':
        return [dataValue(p.type, p.params)];
      case 'choice':
        return p.items.flatMap((i) => this.values(i));
      case 'ref':
        return this.values(p.grammar.resolve(p.name));
      case 'empty':
        return [{ k: 'enum', values: [''] }];
      default:
        return [{ k: 'string' }];
    }
  }
}

let branchCount = 0;

function enumValues(values: Value[]): string[] {
  return [...new Set(values.flatMap((v) => (v.k === 'enum' ? v.values : [])))];
}

const INTS: Record<string, { min?: number; max?: number; big: boolean }> = {
  int: { min: -2147483648, max: 2147483647, big: false },
  unsignedInt: { min: 0, max: 4294967295, big: false },
  short: { min: -32768, max: 32767, big: false },
  unsignedShort: { min: 0, max: 65535, big: false },
  byte: { min: -128, max: 127, big: false },
  unsignedByte: { min: 0, max: 255, big: false },
  long: { big: true },
  unsignedLong: { min: 0, big: true },
  integer: { big: true },
  nonNegativeInteger: { min: 0, big: true },
  positiveInteger: { min: 1, big: true },
};

function dataValue(type: string, params: [string, string][]): Value {
  const param = (n: string) => params.find(([k]) => k === n)?.[1];
  const num = (n: string) => (param(n) === undefined ? undefined : Number(param(n)));
  const int = INTS[type];
  const pattern = param('pattern');
  if (int) {
    const v: Value = { k: 'int', big: int.big };
    const min = num('minInclusive') ?? int.min;
    const max = num('maxInclusive') ?? int.max;
    if (min !== undefined) v.min = min;
    if (max !== undefined) v.max = max;
    if (pattern) v.pattern = pattern;
    return v;
  }
  if (type === 'double' || type === 'float' || type === 'decimal') {
    const v: Value = { k: 'float' };
    if (num('minInclusive') !== undefined) v.min = num('minInclusive')!;
    if (num('maxInclusive') !== undefined) v.max = num('maxInclusive')!;
    return v;
  }
  if (type === 'boolean') return { k: 'enum', values: ['true', 'false', '1', '0'] };
  const v: Value = { k: 'string' };
  if (pattern) v.pattern = pattern;
  if (param('minLength') !== undefined) v.minLength = num('minLength')!;
  if (param('maxLength') !== undefined) v.maxLength = num('maxLength')!;
  return v;
}
