/**
 * Reads libvirt's RelaxNG schemas (XML syntax) into patterns, and folds each element's
 * pattern into the shape the typed XML layer needs: its attributes, its child elements (which
 * may repeat, which are required), its text, and the value each takes.
 *
 * RelaxNG rules followed: `include` merges the included grammar's defines (the include's own
 * defines override them), `combine="choice|interleave"` joins defines of one name, a nested
 * `grammar` is its `start` in a scope of its own, and references bind in the grammar they are
 * written in. Folding is a conservative over-approximation: a choice makes what only some
 * branches have optional, so every document the schema accepts has a typed reading, and what
 * the types cannot say (the choice itself) is checked by libvirt's own schema in the tests.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type XmlElement, readXml } from '../src/xml/tokenizer.js';

export type NameClass = { kind: 'name'; ns: string; local: string } | { kind: 'any' };

export type Pattern =
  | { t: 'element'; name: NameClass; content: Pattern; id: number; define?: string }
  | { t: 'attribute'; name: NameClass; content: Pattern }
  | { t: 'group' | 'interleave' | 'choice'; items: Pattern[] }
  | { t: 'optional' | 'zeroOrMore' | 'oneOrMore' | 'list'; item: Pattern }
  | { t: 'ref'; name: string; grammar: Grammar }
  | { t: 'text' | 'empty' | 'notAllowed' }
  | { t: 'data'; type: string; params: [string, string][] }
  | { t: 'value'; value: string; type: string }
  | { t: 'grammar'; grammar: Grammar };

export class Grammar {
  readonly defines = new Map<string, { combine: string | null; patterns: Pattern[] }>();
  start: Pattern | null = null;
  constructor(readonly key: string) {}

  resolve(name: string): Pattern {
    const d = this.defines.get(name);
    if (!d) throw new Error(`${this.key}: no define named ${name}`);
    if (d.patterns.length === 1) return d.patterns[0]!;
    return { t: d.combine === 'interleave' ? 'interleave' : 'choice', items: d.patterns };
  }
}

/**
 * Where libvirt's daemons write what their own schemas refuse, the schema is read as the daemon
 * writes: [define, the pattern as written, the pattern used]. `hostcpu` (cputypes.rng) names
 * the host CPU's features with a pattern that forgets the dot its `featureName` allows, and the
 * QEMU driver's capabilities list features such as `sse4.1` there.
 */
const PATTERN_CORRECTIONS: readonly [string, string, string][] = [['hostcpu', '[a-zA-Z0-9\\-_]+', '[a-zA-Z0-9\\-_\\.]+']];

/** `p` with the corrections for `define` applied to its data patterns. */
function corrected(define: string, p: Pattern): Pattern {
  const fixes = PATTERN_CORRECTIONS.filter(([d]) => d === define);
  if (!fixes.length) return p;
  const walk = (x: Pattern): void => {
    if (x.t === 'data') {
      for (const param of x.params) for (const [, from, to] of fixes) if (param[0] === 'pattern' && param[1] === from) param[1] = to;
    }
    if ('items' in x) x.items.forEach(walk);
    if ('item' in x) walk(x.item);
    if ('content' in x) walk(x.content);
  };
  walk(p);
  return p;
}

let nextId = 0;
const fileCache = new Map<string, XmlElement>();
const grammarCache = new Map<string, Grammar>();

function rngFile(path: string): XmlElement {
  let el = fileCache.get(path);
  if (!el) fileCache.set(path, (el = readXml(readFileSync(path, 'utf8')).root));
  return el;
}

const elements = (e: XmlElement) => e.children.filter((c): c is XmlElement => c.kind === 'element');
const attr = (e: XmlElement, n: string) => e.attrs.find(([k]) => k === n)?.[1];
const textOf = (e: XmlElement) => e.children.map((c) => (c.kind === 'text' ? c.text : '')).join('');

/** The grammar of a schema file, read once per file (a nested grammar that only includes one file is that file's). */
export function loadGrammar(path: string): Grammar {
  const full = resolve(path);
  let g = grammarCache.get(full);
  if (!g) {
    g = new Grammar(full);
    grammarCache.set(full, g);
    collect(rngFile(full), dirname(full), g, new Set(), 'http://www.w3.org/2001/XMLSchema-datatypes', '');
  }
  return g;
}

function collect(grammarEl: XmlElement, dir: string, g: Grammar, skip: Set<string>, dtl: string, ns: string): void {
  const here = attr(grammarEl, 'datatypeLibrary') ?? dtl;
  const nsHere = attr(grammarEl, 'ns') ?? ns;
  for (const c of elements(grammarEl)) {
    if (c.name === 'start') {
      if (!skip.has('$start')) g.start = pattern(elements(c)[0]!, g, dir, nsHere, here);
    } else if (c.name === 'define') {
      const name = attr(c, 'name')!;
      if (skip.has(name)) continue;
      const body = elements(c);
      const p = corrected(name, body.length === 1 ? pattern(body[0]!, g, dir, nsHere, here) : { t: 'group' as const, items: body.map((b) => pattern(b, g, dir, nsHere, here)) });
      if (p.t === 'element') p.define ??= name;
      const combine = attr(c, 'combine') ?? null;
      const existing = g.defines.get(name);
      if (existing && combine) existing.patterns.push(p);
      else if (existing && existing.combine) existing.patterns.push(p);
      else g.defines.set(name, { combine, patterns: [p] });
    } else if (c.name === 'include') {
      const file = resolve(dir, attr(c, 'href')!);
      // The include's own defines replace the included grammar's of the same names.
      const overrides = new Set(skip);
      for (const o of elements(c)) if (o.name === 'define') overrides.add(attr(o, 'name')!);
      if (elements(c).some((o) => o.name === 'start')) overrides.add('$start');
      collect(rngFile(file), dirname(file), g, overrides, here, nsHere);
      collect(c, dir, g, skip, here, nsHere);
    } else if (c.name === 'div') {
      collect(c, dir, g, skip, here, nsHere);
    }
  }
}

function nameClass(e: XmlElement, ns: string): NameClass {
  const n = attr(e, 'name');
  if (n !== undefined) return { kind: 'name', ns: attr(e, 'ns') ?? (e.name === 'attribute' ? '' : ns), local: n };
  const first = elements(e)[0];
  if (first?.name === 'name') return { kind: 'name', ns: attr(first, 'ns') ?? ns, local: textOf(first).trim() };
  return { kind: 'any' };
}

function pattern(e: XmlElement, g: Grammar, dir: string, ns: string, dtl: string): Pattern {
  const nsHere = attr(e, 'ns') ?? ns;
  const kids = () => elements(e).filter((k) => !['anyName', 'name', 'nsName', 'param', 'except'].includes(k.name));
  const group = (items: XmlElement[]): Pattern => (items.length === 1 ? pattern(items[0]!, g, dir, nsHere, dtl) : { t: 'group', items: items.map((i) => pattern(i, g, dir, nsHere, dtl)) });
  switch (e.name) {
    case 'element':
      return { t: 'element', name: nameClass(e, nsHere), content: kids().length ? group(kids()) : { t: 'empty' }, id: nextId++ };
    case 'attribute':
      return { t: 'attribute', name: nameClass(e, nsHere), content: kids().length ? group(kids()) : { t: 'text' } };
    case 'group':
    case 'interleave':
    case 'choice':
      return { t: e.name, items: kids().map((k) => pattern(k, g, dir, nsHere, dtl)) };
    case 'mixed':
      return { t: 'interleave', items: [{ t: 'text' }, group(kids())] };
    case 'optional':
    case 'zeroOrMore':
    case 'oneOrMore':
    case 'list':
      return { t: e.name, item: group(kids()) };
    case 'ref':
      return { t: 'ref', name: attr(e, 'name')!, grammar: g };
    case 'parentRef':
      throw new Error('parentRef is not used by libvirt and not supported');
    case 'text':
    case 'empty':
    case 'notAllowed':
      return { t: e.name };
    case 'data':
      return { t: 'data', type: attr(e, 'type')!, params: elements(e).filter((p) => p.name === 'param').map((p) => [attr(p, 'name')!, textOf(p)]) };
    case 'value':
      return { t: 'value', value: textOf(e), type: attr(e, 'type') ?? 'token' };
    case 'grammar': {
      // A grammar that only includes one file (libvirt's way to reuse domain.rng) is that file's.
      const inner = elements(e);
      if (inner.length === 1 && inner[0]!.name === 'include' && !elements(inner[0]!).length) {
        return { t: 'grammar', grammar: loadGrammar(join(dir, attr(inner[0]!, 'href')!)) };
      }
      const sub = new Grammar(`${dir}#nested${nextId++}`);
      collect(e, dir, sub, new Set(), dtl, nsHere);
      return { t: 'grammar', grammar: sub };
    }
    default:
      throw new Error(`RelaxNG element <${e.name}> is not supported`);
  }
}
