/**
 * The typed XML layer's generator: for each document kind, libvirt's schema is read
 * (rng.ts), each element folded into a type (xml-model.ts), and written as TypeScript types,
 * element descriptions for the runtime (src/xml/runtime.ts), and parse/format functions.
 *
 * The types (and their naming rules) are emit-xml-types.ts's; the descriptions are written
 * here, one per element type that differs from every other, with the table of each element's
 * choices keyed by a value that the runtime checks. Keys are the lower camel case of
 * attribute and element names (`discard`, `bootOrder`, a namespaced `qemu:commandline` →
 * `qemuCommandline`, its `qemu:arg` children → `arg`); a child whose key an attribute has gets
 * `Element` after it; the text is `value` (or `text` when `value` is taken).
 */
import { join } from 'node:path';
import type { BranchDesc, ChoiceDesc } from '../src/xml/runtime.js';
import { emitTypes } from './emit-xml-types.js';
import { loadGrammar } from './rng.js';
import { type ElType, ElementTypes, mergeEqual, normalize } from './xml-elements.js';
import { Folder, type KeyedChoice, type Shape, type Value } from './xml-model.js';

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

/** The runtime's table of an element's keyed choices (src/xml/runtime.ts ChoiceDesc), or null when it has none. */
function choiceTable(shape: Shape, t: ElType): ChoiceDesc[] | null {
  if (!shape.unions.length) return null;
  const own = new Set([...[...shape.plain.attrs.keys()].map((x) => `@${x}`), ...shape.plain.children.keys()]);
  const table = (choices: KeyedChoice[]): ChoiceDesc[] =>
    choices.map((c) => ({
      k: c.key,
      b: c.variants.map((v) => {
        const f = v.shape.plain;
        const b: BranchDesc = { v: v.values, f: [...[...f.attrs.keys()].map((x) => `@${x}`), ...f.children.keys()].filter((x) => !own.has(x)) };
        if (!v.keyRequired) b.o = true;
        const required = [...[...f.attrs.values()].filter((a) => a.required).map((a) => `@${a.xml}`), ...[...f.children.values()].filter((x) => x.required).map((x) => x.xml)];
        if (required.length) b.r = required;
        for (const a of f.attrs.values()) {
          const values = normalize(a.values);
          if (a.xml === c.key || own.has(`@${a.xml}`) || JSON.stringify(values) === JSON.stringify(t.attrs.find((x) => x.x === a.xml)!.values)) continue;
          (b.a ??= {})[a.xml] = values;
        }
        if (v.shape.unions.length) b.u = table(v.shape.unions);
        return b;
      }),
    }));
  return table(shape.unions);
}

export function emitXml(schemaDir: string, header: string): Map<string, string> {
  const folder = new Folder();
  const elements = new ElementTypes(folder);

  const roots: { kind: XmlKind; type: ElType; rootName: string }[] = [];
  for (const kind of XML_KINDS) {
    const g = loadGrammar(join(schemaDir, `${kind.schema}.rng`));
    const start = folder.fold(g.start!);
    const [rootName] = start.order;
    if (!rootName || start.order.length !== 1) throw new Error(`${kind.schema}.rng: the start is not one element (${start.order.join(', ')})`);
    roots.push({ kind, type: elements.typeOf([...start.children.get(rootName)!.patterns]), rootName });
  }
  // The choices keyed by a value, as the runtime checks them.
  const choicesOf = new Map<ElType, ChoiceDesc[] | null>();
  for (const t of elements.ordered) choicesOf.set(t, t.patterns.length === 1 ? choiceTable(folder.shape(t.patterns[0]!.content), t) : null);
  // Types that came out equal (a grammar's copy) share one description.
  const same = mergeEqual(
    elements.ordered,
    (t) => JSON.stringify([t.local, t.attrs, t.children.map((c) => [c.x, c.k, c.many, c.required]), t.text, t.textKey, t.simple, t.presence, t.anyAttr, t.anyChild, JSON.stringify(choicesOf.get(t))]),
    (t) => t.children.map((c) => c.type),
  );
  const described = elements.ordered.filter((t) => same.get(t) === t);

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
  const index = new Map(described.map((t, i) => [t, i]));
  // Branch values go through the shared value lists like every other.
  const choiceSource = (table: ChoiceDesc[] | null): string | null =>
    table &&
    `[${table.map((c) => `{ k: ${JSON.stringify(c.k)}, b: [${c.b.map((b) => {
      const parts = [`v: ${JSON.stringify(b.v)}`];
      if (b.o) parts.push('o: true');
      parts.push(`f: ${JSON.stringify(b.f)}`);
      if (b.r) parts.push(`r: ${JSON.stringify(b.r)}`);
      if (b.a) parts.push(`a: { ${Object.entries(b.a).map(([x, vs]) => `${JSON.stringify(x)}: ${valueRef(vs)}`).join(', ')} }`);
      if (b.u) parts.push(`u: ${choiceSource(b.u)}`);
      return `{ ${parts.join(', ')} }`;
    }).join(', ')}] }`).join(', ')}]`;
  const varOf = (t: ElType) => `e${index.get(same.get(t)!)}`;
  const elementLines: string[] = [];
  const childLines: string[] = [];
  for (const t of described) {
    // What the runtime can derive is left out (a key equal to the name, false flags, `value`).
    const fields = (parts: [string, string | boolean | null][]) => `{ ${parts.filter(([, v]) => v !== false && v !== null).map(([k, v]) => `${k}: ${v === true ? 'true' : v}`).join(', ')} }`;
    const key = (x: string, k: string) => (k === x ? null : JSON.stringify(k));
    const attrs = t.attrs.map((a) => fields([['x', JSON.stringify(a.x)], ['k', key(a.x, a.k)], ['v', valueRef(a.values)], ['r', a.required]])).join(', ');
    elementLines.push(`const ${varOf(t)}: ElementDesc = ${fields([['a', `[${attrs}]`], ['c', '[]'], ['x', t.text ? valueRef(t.text) : null], ['tk', t.textKey === 'value' ? null : JSON.stringify(t.textKey)], ['s', t.simple], ['p', t.presence], ['aa', t.anyAttr], ['ac', t.anyChild], ['u', choiceSource(choicesOf.get(t)!)]])};`);
    if (t.children.length) {
      childLines.push(`${varOf(t)}.c = [${t.children.map((c) => fields([['x', JSON.stringify(c.x)], ['k', key(c.x, c.k)], ['t', c.type ? varOf(c.type) : null], ['m', c.many], ['r', c.required]])).join(', ')}];`);
    }
  }
  desc.push(...valueLines, '', ...elementLines, '', '// Children after every element exists: elements refer to each other (and to themselves).', ...childLines, '');
  desc.push(`/** The root element of each kind, by kind. */`);
  desc.push(`export const roots = { ${roots.map((r) => `${r.kind.name}: ${varOf(r.type)}`).join(', ')} };`);

  // Functions.
  const fnLines: string[] = [
    header,
    '/* eslint-disable */',
    "import { type ParseOptions, formatDocument, parseDocument } from '../src/xml/runtime.js';",
    `import { roots } from './descriptors.js';`,
    `import type { ${roots.map((r) => `${r.kind.name}XML`).join(', ')} } from './types.js';`,
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
      `export function parse${n}XML(text: string, opts?: ParseOptions): ${n}XML {`,
      `  return parseDocument<${n}XML>(text, roots.${n}, ${JSON.stringify(r.rootName)}, opts);`,
      '}',
      '',
      '/**',
      ` * Writes a <${r.rootName}> document: elements in the schema's order (a parsed document keeps its own),`,
      ' * values checked against the schema\'s types, ranges and patterns.',
      ' * @throws XmlSchemaError naming the path of a value the schema does not allow or a required part that is missing',
      ' */',
      `export function format${n}XML(value: ${n}XML): string {`,
      `  return formatDocument(value, roots.${n}, ${JSON.stringify(r.rootName)});`,
      '}',
      '',
    );
  }
  return new Map([
    ['descriptors.ts', desc.join('\n') + '\n'],
    ['types.ts', emitTypes(roots.map((r) => ({ type: r.type, kind: r.kind.name })), folder, header)],
    ['index.ts', fnLines.join('\n').replace(/\n+$/, '\n')],
  ]);
}
