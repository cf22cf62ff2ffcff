/**
 * The typed XML layer's TypeScript types. Each element type the runtime reads with
 * (xml-elements.ts) is an interface; where the schema keys a choice by an attribute's value
 * (`<disk type='file'>` or `type='block'`) it is a discriminated union instead: one interface per
 * branch with that branch's fields, and the children a branch holds typed as that branch allows
 * (`DomainDiskSourceFile.source` has `file`, `DomainDiskSourceBlock.source` has `dev`). Keys,
 * arrays and value readings stay those of the element type the runtime reads with, so a parsed
 * document always has its declared type. Declarations that come out equal (the snapshot
 * schema's copy of the domain) are written once, and named after merging, so a copy takes no
 * name.
 *
 * Names: the root is `<Kind>XML`; an element's type is named after the kind and the schema
 * define that holds it (`<define name="disk">` → `DomainDisk`), else after the type that holds
 * it and the element (`DomainDiskDriver`). A branch that is a reference is named after its
 * define (`diskSourceFile` → `DomainDiskSourceFile`), another after its element's type and the
 * key's values (`DomainDiskLun`, `DomainDiskFloppyOrDiskOrCdrom`); an element a branch narrows
 * after the branch (`DomainDiskSourceFileSource`); the fields outside the choice are
 * `<Name>Common`. A name taken already gets a number.
 */
import { type ElType, type ElementPattern, mergeEqual, normalize, pascal, tsValue } from './xml-elements.js';
import type { Folder, Fragment, KeyedChoice, Shape, Variant } from './xml-model.js';
import { alt } from './xml-model.js';

interface TsNode {
  /** The name it gets unless taken. */
  base: string;
  /**
   * Only nodes of one label merge: the name without the kind, so that a grammar's copy (the
   * snapshot's `DomainSnapshotDisk`) merges with its original (`DomainDisk`), and an element
   * that happens to look like one elsewhere keeps its own name.
   */
  label: string;
  /** The declarations, with `\0<i>\0` where `refs[i]`'s name goes and `\0s\0` where its own does. */
  text: string;
  refs: TsNode[];
}

const REF = /\0(\d+|s)\0/g;
const SELF = '\0s\0';

export function emitTypes(roots: { type: ElType; kind: string }[], folder: Folder, header: string): string {
  const nodes = new Map<string, TsNode>();
  const order: TsNode[] = [];
  const pending: (() => void)[] = [];

  const node = (key: string, base: string, kind: string, build: (n: TsNode) => string): TsNode => {
    let n = nodes.get(key);
    if (n) return n;
    n = { base, label: base.slice(kind.length), text: '', refs: [] };
    nodes.set(key, n);
    order.push(n);
    const made = n;
    pending.push(() => (made.text = build(made)));
    return n;
  };
  const ref = (owner: TsNode, target: TsNode) => {
    owner.refs.push(target);
    return `\0${owner.refs.length - 1}\0`;
  };

  /** The element type `el` as it holds `patterns`: all of its own, or the ones a branch allows. */
  const elementNode = (el: ElType, patterns: ElementPattern[], kind: string, parent: TsNode | null): TsNode => {
    const ids = patterns.map((p) => p.id).sort((a, b) => a - b).join(',');
    const define = ids === el.key ? el.patterns[0]!.define : undefined;
    const base = !parent ? `${kind}XML` : define ? `${kind}${pascal(define)}` : `${parent.base}${pascal(el.local)}`;
    return node(`${el.key}/${ids}`, base, kind, (n) => {
      const shape: Shape = patterns.length === 1 ? folder.shape(patterns[0]!.content) : { plain: patterns.map((p) => folder.fold(p.content)).reduce(alt), unions: [] };
      const open = el.anyChild || el.anyAttr ? ': also holds what the schema leaves open (kept as written, not typed)' : '';
      return declare(n, shape, el, kind, `\`<${el.local}>\`${open}`);
    });
  };

  const variantNode = (el: ElType, v: Variant, choice: KeyedChoice, kind: string, parent: TsNode): TsNode => {
    const suffix = v.values.length <= 3 ? v.values.map(pascal).join('Or') : `${pascal(v.values[0]!)}Etc`;
    const which = `\`${choice.key}\` ${v.values.map((s) => `'${s}'`).join(', ')}${v.keyRequired ? '' : ' or none'}`;
    const base = v.define ? `${kind}${pascal(v.define)}` : `${parent.base}${suffix}`;
    const doc = v.define ? `The schema's \`${v.define}\`: ${which}` : `\`<${el.local}>\` with ${which}`;
    return node(`${el.key}/${v.id}`, base, kind, (n) => declare(n, v.shape, el, kind, doc));
  };

  /** An interface, or an alias of the common fields and the choices. */
  const declare = (n: TsNode, shape: Shape, el: ElType, kind: string, doc: string): string => {
    const body = fields(n, shape.plain, el, kind);
    if (!shape.unions.length) return `/** ${doc}. */\nexport interface ${SELF} {\n${body}}\n`;
    const parts: string[] = [];
    let out = '';
    if (body) {
      out += `/** What every variant of ${SELF} has. */\nexport interface ${SELF}Common {\n${body}}\n\n`;
      parts.push(`${SELF}Common`);
    }
    for (const u of shape.unions) {
      const alts = u.variants.map((v) => ref(n, variantNode(el, v, u, kind, n)));
      parts.push(shape.unions.length > 1 || parts.length ? `(${alts.join(' | ')})` : alts.join(' | '));
    }
    const keys = [...new Set(shape.unions.map((u) => `\`${u.key}\``))].join(' and ');
    return `${out}/** ${doc}: one of its variants, told apart by ${keys}. */\nexport type ${SELF} = ${parts.join(' & ')};\n`;
  };

  /** The fields a fragment gives, with the element type's keys, arrays and readings. */
  const fields = (n: TsNode, frag: Fragment, el: ElType, kind: string): string => {
    const lines: string[] = [];
    for (const a of el.attrs) {
      const f = frag.attrs.get(a.x);
      if (!f) continue;
      // A branch narrows fixed values only: where it allows a number or text, the element type's
      // reading decides (text that looks like a number is read as one where the type allows it).
      const narrowed = f.values.every((v) => v.k === 'enum') ? tsValue(normalize(f.values), a.values) : tsValue(a.values);
      lines.push(`  /** \`${a.x.replace(/^\{.*\}/, '')}\` attribute. */`, `  ${a.k}${f.required ? '' : '?'}: ${narrowed};`);
    }
    for (const c of el.children) {
      const f = frag.children.get(c.x);
      if (!f || !c.type) continue;
      const t = c.type;
      const one = t.presence ? 'true' : t.simple ? tsValue(t.text!) : ref(n, elementNode(t, [...f.patterns], kind, n));
      const type = c.many ? (/[ |&]/.test(one) ? `(${one})[]` : `${one}[]`) : one;
      lines.push(`  /** \`<${c.x.replace(/^\{.*\}/, '')}>\`${c.many ? ' elements' : ''}${t.presence ? ' (true when present)' : ''}. */`, `  ${c.k}${f.required ? '' : '?'}: ${type};`);
    }
    if (frag.text && el.text) lines.push("  /** The element's text. */", `  ${el.textKey}?: ${tsValue(el.text)};`);
    return lines.length ? `${lines.join('\n')}\n` : '';
  };

  for (const r of roots) {
    elementNode(r.type, r.type.patterns, r.kind, null);
    while (pending.length) pending.shift()!();
  }

  const rep = mergeEqual(order, (n) => `${n.label}\n${n.text}`, (n) => n.refs);
  const names = new Map<TsNode, string>();
  const taken = new Set<string>();
  for (const n of order) {
    if (rep.get(n) !== n) continue;
    let name = n.base;
    for (let k = 2; taken.has(name) || taken.has(`${name}Common`); k++) name = `${n.base}${k}`;
    taken.add(name);
    taken.add(`${name}Common`);
    names.set(n, name);
  }
  const lines: string[] = [header, '/* eslint-disable */', ''];
  for (const n of order) {
    if (rep.get(n) === n) lines.push(n.text.replace(REF, (_, i: string) => names.get(i === 's' ? n : rep.get(n.refs[Number(i)]!)!)!));
  }
  return lines.join('\n').replace(/\n+$/, '\n');
}
