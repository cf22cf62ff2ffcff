/**
 * The typed XML layer's generator: for each document kind, libvirt's schema is read
 * (rng.ts), each element folded into a type (xml-model.ts), and written as TypeScript types,
 * element descriptions for the runtime (src/xml/runtime.ts), and parse/format functions.
 *
 * Naming rules: a type is named after the kind and the schema define that holds its element
 * (`<define name="disk">` in the domain schema → `DomainDisk`), else after its parent type
 * and its element (`DomainDiskDriver`); the root is `<Kind>XML`. Keys are the lower camel
 * case of attribute and element names (`discard`, `bootOrder`, a namespaced
 * `qemu:commandline` → `qemuCommandline`, its `qemu:arg` children → `arg`); a child whose key an attribute has gets `Element`
 * after it; the text is `value` (or `text` when `value` is taken).
 */
import { join } from 'node:path';
import { type Pattern, loadGrammar } from './rng.js';
import { NAMESPACE_PREFIXES } from '../src/xml/runtime.js';
import { type Fragment, Folder, type Value, alt } from './xml-model.js';

export interface XmlKind {
  /** The schema file, without `.rng`. */
  schema: string;
  /** The name in function names: `Domain` → parseDomainXML. */
  name: string;
}

export const XML_KINDS: XmlKind[] = [
  { schema: 'domain', name: 'Domain' },
  { schema: 'network', name: 'Network' },
  { schema: 'networkport', name: 'NetworkPort' },
  { schema: 'storagepool', name: 'StoragePool' },
  { schema: 'storagepoolcaps', name: 'StoragePoolCapabilities' },
  { schema: 'storagevol', name: 'StorageVolume' },
  { schema: 'capability', name: 'Capabilities' },
  { schema: 'domaincaps', name: 'DomainCapabilities' },
  { schema: 'nodedev', name: 'NodeDevice' },
  { schema: 'interface', name: 'Interface' },
  { schema: 'secret', name: 'Secret' },
  { schema: 'nwfilter', name: 'NWFilter' },
  { schema: 'nwfilterbinding', name: 'NWFilterBinding' },
  { schema: 'domainsnapshot', name: 'DomainSnapshot' },
  { schema: 'domaincheckpoint', name: 'DomainCheckpoint' },
  { schema: 'domainbackup', name: 'DomainBackup' },
];

type ElementPattern = Pattern & { t: 'element' };

interface ElType {
  key: string;
  patterns: ElementPattern[];
  name: string;
  frag: Fragment;
  /** Keys of attributes and children, decided once. */
  attrs: { x: string; k: string; values: Value[]; required: boolean }[];
  children: { x: string; k: string; type: ElType | null; many: boolean; required: boolean }[];
  text: Value[] | null;
  textKey: string;
  simple: boolean;
  presence: boolean;
  anyAttr: boolean;
  anyChild: boolean;
}

const pascal = (s: string) =>
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
function normalize(values: Value[]): Value[] {
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

function tsValue(values: Value[]): string {
  const parts: string[] = [];
  let anyString = false;
  for (const v of values) {
    if (v.k === 'bool') parts.push('boolean');
    else if (v.k === 'enum') parts.push(...v.values.map((s) => JSON.stringify(s)));
    else if (v.k === 'int') parts.push(v.big ? 'number | bigint' : 'number');
    else if (v.k === 'float') parts.push('number');
    else anyString = true;
  }
  const uniq = [...new Set(parts.join(' | ').split(' | ').filter(Boolean))];
  if (anyString) return uniq.length && uniq.some((p) => p.startsWith('"')) ? `${uniq.join(' | ')} | (string & {})` : uniq.filter((p) => !p.startsWith('"')).concat('string').join(' | ');
  return uniq.join(' | ') || 'string';
}

export interface EmittedXml {
  files: Map<string, string>;
  /** Element types per kind, for the README and tests. */
  counts: Map<string, number>;
}

export function emitXml(schemaDir: string, header: string): EmittedXml {
  const folder = new Folder();
  const types = new Map<string, ElType>();
  const names = new Set<string>();
  const ordered: ElType[] = [];
  const counts = new Map<string, number>();

  const uniqueName = (base: string) => {
    let n = base;
    for (let k = 2; names.has(n); k++) n = `${base}${k}`;
    names.add(n);
    return n;
  };
  const typeOf = (patterns: ElementPattern[], kind: string, parent: string | null): ElType => {
    const key = patterns.map((p) => p.id).sort((a, b) => a - b).join(',');
    let t = types.get(key);
    if (t) return t;
    const first = patterns[0]!;
    const local = first.name.kind === 'name' ? first.name.local : 'any';
    const base = parent === null ? `${kind}XML` : first.define ? `${kind}${pascal(first.define)}` : `${parent}${pascal(local)}`;
    const frag = patterns.map((p) => folder.fold(p.content)).reduce(alt);
    t = { key, patterns, name: uniqueName(base), frag, attrs: [], children: [], text: null, textKey: 'value', simple: false, presence: false, anyAttr: frag.anyAttr, anyChild: frag.anyChild };
    types.set(key, t);
    ordered.push(t);
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
      const child = { x, k, type: null as ElType | null, many: c.many, required: c.required };
      t.children.push(child);
    }
    t.text = frag.text ? normalize(frag.text) : null;
    t.textKey = used.has('value') ? (used.has('text') ? '$text' : 'text') : 'value';
    t.presence = !t.attrs.length && !t.children.length && !t.text && !t.anyAttr && !t.anyChild;
    t.simple = !t.attrs.length && !t.children.length && !!t.text && !t.anyAttr && !t.anyChild;
    // Children after the parent is registered: recursive elements (backingStore) refer back.
    for (const child of t.children) {
      const c = frag.children.get(child.x)!;
      child.type = c.patterns.size ? typeOf([...c.patterns], kind, t.name) : null;
    }
    return t;
  };

  const roots: { kind: XmlKind; type: ElType; rootName: string }[] = [];
  for (const kind of XML_KINDS) {
    const g = loadGrammar(join(schemaDir, `${kind.schema}.rng`));
    const start = folder.fold(g.start!);
    const [rootName] = start.order;
    if (!rootName || start.order.length !== 1) throw new Error(`${kind.schema}.rng: the start is not one element (${start.order.join(', ')})`);
    const before = ordered.length;
    roots.push({ kind, type: typeOf([...start.children.get(rootName)!.patterns], kind.name, null), rootName });
    counts.set(kind.schema, ordered.length - before);
  }

  // Descriptions, in one module: kinds share types (a snapshot holds a domain).
  const desc: string[] = [header, '/* eslint-disable */', "import type { GeneratedDesc as ElementDesc, ValueDesc } from '../src/xml/runtime.js';", ''];
  const valueIds = new Map<string, string>();
  const valueLines: string[] = [];
  const valueRef = (vs: Value[]) => {
    const sig = JSON.stringify(vs);
    let id = valueIds.get(sig);
    if (!id) {
      id = `v${valueIds.size}`;
      valueIds.set(sig, id);
      valueLines.push(`const ${id}: ValueDesc[] = ${sig};`);
    }
    return id;
  };
  const varOf = (t: ElType) => `e${ordered.indexOf(t)}`;
  const elementLines: string[] = [];
  const childLines: string[] = [];
  for (const t of ordered) {
    // What the runtime can derive is left out (a key equal to the name, false flags, `value`).
    const fields = (parts: [string, string | boolean | null][]) => `{ ${parts.filter(([, v]) => v !== false && v !== null).map(([k, v]) => `${k}: ${v === true ? 'true' : v}`).join(', ')} }`;
    const key = (x: string, k: string) => (k === x ? null : JSON.stringify(k));
    const attrs = t.attrs.map((a) => fields([['x', JSON.stringify(a.x)], ['k', key(a.x, a.k)], ['v', valueRef(a.values)], ['r', a.required]])).join(', ');
    elementLines.push(`const ${varOf(t)}: ElementDesc = ${fields([['a', `[${attrs}]`], ['c', '[]'], ['x', t.text ? valueRef(t.text) : null], ['tk', t.textKey === 'value' ? null : JSON.stringify(t.textKey)], ['s', t.simple], ['p', t.presence], ['aa', t.anyAttr], ['ac', t.anyChild]])};`);
    if (t.children.length) {
      childLines.push(`${varOf(t)}.c = [${t.children.map((c) => fields([['x', JSON.stringify(c.x)], ['k', key(c.x, c.k)], ['t', c.type ? varOf(c.type) : null], ['m', c.many], ['r', c.required]])).join(', ')}];`);
    }
  }
  desc.push(...valueLines, '', ...elementLines, '', '// Children after every element exists: elements refer to each other (and to themselves).', ...childLines, '');
  desc.push(`/** The root element of each kind, by kind. */`);
  desc.push(`export const roots = { ${roots.map((r) => `${r.kind.name}: ${varOf(r.type)}`).join(', ')} };`);

  // Types.
  const tsLines: string[] = [header, '/* eslint-disable */', ''];
  const fieldType = (c: ElType['children'][number]): string => {
    if (!c.type) return 'unknown';
    const t = c.type;
    const one = t.presence ? 'true' : t.simple ? tsValue(t.text!) : t.name;
    return c.many ? (/[ |&]/.test(one) ? `(${one})[]` : `${one}[]`) : one;
  };
  for (const t of ordered) {
    if (t.presence || t.simple) continue;
    const first = t.patterns[0]!;
    const xmlName = first.name.kind === 'name' ? first.name.local : '*';
    tsLines.push(`/** \`<${xmlName}>\`${t.anyChild || t.anyAttr ? ': also holds what the schema leaves open (kept as written, not typed)' : ''}. */`);
    tsLines.push(`export interface ${t.name} {`);
    for (const a of t.attrs) tsLines.push(`  /** \`${a.x.replace(/^\{.*\}/, '')}\` attribute. */`, `  ${a.k}${a.required ? '' : '?'}: ${tsValue(a.values)};`);
    for (const c of t.children) {
      if (!c.type) continue;
      const what = c.type.presence ? ' (true when present)' : '';
      tsLines.push(`  /** \`<${c.x.replace(/^\{.*\}/, '')}>\`${c.many ? ' elements' : ''}${what}. */`, `  ${c.k}${c.required ? '' : '?'}: ${fieldType(c)};`);
    }
    if (t.text) tsLines.push('  /** The element\'s text. */', `  ${t.textKey}?: ${tsValue(t.text)};`);
    tsLines.push('}', '');
  }

  // Functions.
  const fnLines: string[] = [
    header,
    '/* eslint-disable */',
    "import { type ParseOptions, formatDocument, parseDocument } from '../src/xml/runtime.js';",
    `import { roots } from './descriptors.js';`,
    `import type { ${roots.map((r) => r.type.name).join(', ')} } from './types.js';`,
    '',
    "export type * from './types.js';",
    "export { XmlSchemaError, XmlSyntaxError, type ParseOptions } from '../src/xml/runtime.js';",
    '',
  ];
  for (const r of roots) {
    const n = r.kind.name;
    fnLines.push(
      '/**',
      ` * Reads a <${r.rootName}> document (libvirt's ${r.kind.schema}.rng) into typed values. What the types do not`,
      " * model is kept and written back by the format function; `{ mode: 'strict' }` refuses it instead.",
      ' * @throws XmlSyntaxError for text that is not well-formed XML, XmlSchemaError (with the path) for a',
      ' *   document of another kind, or in strict mode for what the schema does not allow',
      ' */',
      `export function parse${n}XML(text: string, opts?: ParseOptions): ${r.type.name} {`,
      `  return parseDocument<${r.type.name}>(text, roots.${n}, ${JSON.stringify(r.rootName)}, opts);`,
      '}',
      '',
      '/**',
      ` * Writes a <${r.rootName}> document: elements in the schema's order (a parsed document keeps its own),`,
      ' * values checked against the schema\'s types, ranges and patterns.',
      ' * @throws XmlSchemaError naming the path of a value the schema does not allow or a required part that is missing',
      ' */',
      `export function format${n}XML(value: ${r.type.name}): string {`,
      `  return formatDocument(value, roots.${n}, ${JSON.stringify(r.rootName)});`,
      '}',
      '',
    );
  }
  const files = new Map([
    ['descriptors.ts', desc.join('\n') + '\n'],
    ['types.ts', tsLines.join('\n').replace(/\n+$/, '\n')],
    ['index.ts', fnLines.join('\n').replace(/\n+$/, '\n')],
  ]);
  return { files, counts };
}
