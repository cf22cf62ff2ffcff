/**
 * The element types the runtime reads and writes with: one per set of element patterns that a
 * place in a document may hold, with its keys decided once (the descriptions and the
 * TypeScript types both follow them), and the structural merge that makes copies of a grammar
 * (the snapshot schema's own copy of the domain) one type.
 */
import { NAMESPACE_PREFIXES } from '../src/xml/runtime.js';
import type { Pattern } from './rng.js';
import { type Folder, type Fragment, type Value, alt } from './xml-model.js';

export type ElementPattern = Pattern & { t: 'element' };

export interface ElType {
  key: string;
  patterns: ElementPattern[];
  /** The element's local name. */
  local: string;
  frag: Fragment;
  attrs: { x: string; k: string; values: Value[]; required: boolean }[];
  children: { x: string; k: string; type: ElType | null; many: boolean; required: boolean }[];
  text: Value[] | null;
  textKey: string;
  simple: boolean;
  presence: boolean;
  anyAttr: boolean;
  anyChild: boolean;
}

export const pascal = (s: string) =>
  s
    .replace(/^\{.*\}/, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
const camel = (s: string) => {
  const p = pascal(s);
  return p ? p[0]!.toLowerCase() + p.slice(1) : '_';
};
/** The key of an attribute or child: its namespace's prefix leads unless the parent shares the namespace. */
function keyOf(x: string, parentNs = ''): string {
  const m = /^\{(.*)\}(.*)$/.exec(x);
  if (!m) return camel(x);
  if (m[1] === parentNs) return camel(m[2]!);
  return camel(`${NAMESPACE_PREFIXES[m[1]!] ?? 'ns'}-${m[2]}`);
}

/** yes/no and on/off choices are booleans. */
export function normalize(values: Value[]): Value[] {
  const enums = new Set(values.flatMap((v) => (v.k === 'enum' ? v.values : [])));
  const others = values.filter((v) => v.k !== 'enum');
  const out: Value[] = [];
  const pairs: [string, string][] = [['yes', 'no'], ['on', 'off']];
  for (const [y, n] of pairs) {
    if (enums.has(y) && enums.has(n) && enums.size === 2) {
      out.push({ k: 'bool', yes: y, no: n });
      enums.clear();
    }
  }
  if (enums.size) out.push({ k: 'enum', values: [...enums].sort() });
  // One copy of each other alternative.
  const seen = new Set<string>();
  for (const v of others) {
    const sig = JSON.stringify(v);
    if (!seen.has(sig)) {
      seen.add(sig);
      out.push(v);
    }
  }
  // Most specific first: booleans, names, numbers, then strings.
  const rank = { bool: 0, enum: 1, int: 2, float: 3, string: 4 } as const;
  return out.sort((a, b) => rank[a.k] - rank[b.k]);
}

/**
 * The TypeScript type of values. `read`, the values of the element type that reads them, says
 * what the runtime makes of a fixed value: where it reads yes/no as a boolean, a branch that
 * allows only `yes` is `true`.
 */
export function tsValue(values: Value[], read?: Value[]): string {
  const bool = read?.find((v) => v.k === 'bool');
  const parts: string[] = [];
  let anyString = false;
  for (const v of values) {
    if (v.k === 'bool') parts.push('boolean');
    else if (v.k === 'enum') parts.push(...v.values.map((s) => (bool?.k === 'bool' && s === bool.yes ? 'true' : bool?.k === 'bool' && s === bool.no ? 'false' : JSON.stringify(s))));
    else if (v.k === 'int') parts.push(v.big ? 'number | bigint' : 'number');
    else if (v.k === 'float') parts.push('number');
    else anyString = true;
  }
  let uniq = [...new Set(parts.join(' | ').split(' | ').filter(Boolean))];
  if (uniq.includes('true') && uniq.includes('false')) uniq = uniq.filter((p) => p !== 'true' && p !== 'false').concat(uniq.includes('boolean') ? [] : ['boolean']);
  if (anyString) return uniq.length && uniq.some((p) => p.startsWith('"')) ? `${uniq.join(' | ')} | (string & {})` : uniq.filter((p) => !p.startsWith('"')).concat('string').join(' | ');
  return uniq.join(' | ') || 'string';
}

/** Builds the element types, one per set of patterns. */
export class ElementTypes {
  readonly ordered: ElType[] = [];
  private readonly types = new Map<string, ElType>();

  constructor(private readonly folder: Folder) {}

  typeOf(patterns: ElementPattern[]): ElType {
    const key = patterns.map((p) => p.id).sort((a, b) => a - b).join(',');
    let t = this.types.get(key);
    if (t) return t;
    const first = patterns[0]!;
    const local = first.name.kind === 'name' ? first.name.local : 'any';
    const frag = patterns.map((p) => this.folder.fold(p.content)).reduce(alt);
    t = { key, patterns, local, frag, attrs: [], children: [], text: null, textKey: 'value', simple: false, presence: false, anyAttr: frag.anyAttr, anyChild: frag.anyChild };
    this.types.set(key, t);
    this.ordered.push(t);
    const used = new Set<string>();
    for (const a of frag.attrs.values()) {
      const k = keyOf(a.xml);
      used.add(k);
      t.attrs.push({ x: a.xml, k, values: normalize(a.values), required: a.required });
    }
    const ownNs = first.name.kind === 'name' ? first.name.ns : '';
    for (const x of frag.order) {
      const c = frag.children.get(x)!;
      let k = keyOf(x, ownNs);
      if (used.has(k)) k = `${k}Element`;
      used.add(k);
      t.children.push({ x, k, type: null, many: c.many, required: c.required });
    }
    t.text = frag.text ? normalize(frag.text) : null;
    t.textKey = used.has('value') ? (used.has('text') ? '$text' : 'text') : 'value';
    t.presence = !t.attrs.length && !t.children.length && !t.text && !t.anyAttr && !t.anyChild;
    t.simple = !t.attrs.length && !t.children.length && !!t.text && !t.anyAttr && !t.anyChild;
    // Children after the parent is registered: recursive elements (backingStore) refer back.
    for (const child of t.children) {
      const c = frag.children.get(child.x)!;
      child.type = c.patterns.size ? this.typeOf([...c.patterns]) : null;
    }
    return t;
  }
}

/**
 * Structural merge: the coarsest partition in which nodes of one class have the same signature
 * and refer, place by place, to nodes of one class (partition refinement, so cycles merge too).
 * Returns each node's representative: the first of its class in `nodes`.
 */
export function mergeEqual<N>(nodes: N[], signature: (n: N) => string, refs: (n: N) => (N | null)[]): Map<N, N> {
  const ids = new Map<string, number>();
  const intern = (s: string) => {
    let id = ids.get(s);
    if (id === undefined) ids.set(s, (id = ids.size));
    return id;
  };
  let cls = new Map(nodes.map((n) => [n, intern(signature(n))]));
  let count = new Set(cls.values()).size;
  for (;;) {
    ids.clear();
    const next = new Map(nodes.map((n) => [n, intern(`${cls.get(n)}|${refs(n).map((r) => (r === null ? '-' : cls.get(r))).join(',')}`)]));
    const nextCount = new Set(next.values()).size;
    cls = next;
    if (nextCount === count) break;
    count = nextCount;
  }
  const first = new Map<number, N>();
  const out = new Map<N, N>();
  for (const n of nodes) {
    const c = cls.get(n)!;
    if (!first.has(c)) first.set(c, n);
    out.set(n, first.get(c)!);
  }
  return out;
}
