/**
 * Emits, for every definition of one module, its TypeScript type and straight-line encode
 * and decode functions. Typedefs of strings, opaques and arrays are unfolded at the point
 * of use, so a field costs one runtime call and an encode error names the field. A struct or
 * union encoder is handed the name of the field that holds it, so a missing one is named too.
 */
import type { Definition, Field, Primitive, TypeSpec, Value } from './ast.js';
import { type Model, tsName } from './model.js';

/**
 * Field names that cannot be a decoder's local as they are: JavaScript's reserved words and
 * the decoder's own parameter (`r`).
 */
const RESERVED_LOCALS = new Set(
  'r break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await arguments eval'.split(' '),
);

/**
 * Strings that repeat with the same bytes in every record of a reply (the names of typed
 * parameters and node stats): decoded through the reader's name cache.
 */
const REPEATING_NAMES = new Set([
  'remote_typed_param.field',
  'admin_typed_param.field',
  'remote_node_get_cpu_stats.field',
  'remote_node_get_memory_stats.field',
]);

const SMALL_RANGES: Partial<Record<Primitive, [number, number]>> = {
  char: [-128, 127],
  uchar: [0, 255],
  short: [-32768, 32767],
  ushort: [0, 65535],
};

export class TypeEmitter {
  /** Names this module takes from other modules, by module. */
  readonly imports = new Map<string, Set<string>>();

  constructor(
    private readonly model: Model,
    private readonly module: string,
    /** Extra TSDoc lines (such as a libvirt.org link) for a definition, by name. */
    private readonly docFor: (name: string) => string[] = () => [],
    /**
     * Accept any int for an enum, as C's xdr_enum does, instead of RFC 4506's rule that only
     * declared values are legal. Off for the protocol; libvirt's rpcgen vectors need it.
     */
    private readonly laxEnums = false,
  ) {}

  /** Name of a type, function or value from the module that defines `xdrName`. */
  private ref(xdrName: string, exported: string, where: string): string {
    const sym = this.model.lookup(xdrName, where);
    if (sym.module !== this.module) {
      let set = this.imports.get(sym.module);
      if (!set) this.imports.set(sym.module, (set = new Set()));
      set.add(exported);
    }
    return exported;
  }

  tsType(spec: TypeSpec, where: string): string {
    switch (spec.kind) {
      case 'prim':
        return spec.prim === 'hyper' || spec.prim === 'uhyper' ? 'bigint' : spec.prim === 'bool' ? 'boolean' : 'number';
      case 'ref':
        return this.ref(spec.name, tsName(spec.name), where);
      case 'string':
        return 'string';
      case 'fixedOpaque':
      case 'varOpaque':
        return 'Uint8Array';
      case 'fixedArray':
      case 'varArray': {
        const inner = this.tsType(spec.of, where);
        return /[ |]/.test(inner) ? `(${inner})[]` : `${inner}[]`;
      }
      case 'optional':
        return `${this.tsType(spec.of, where)} | null`;
    }
  }

  private bound(v: Value | null, where: string): number {
    return v === null ? 0xffffffff : this.model.value(v, where);
  }

  /** Statements that write `val` (an expression) of type `spec`. */
  encode(spec: TypeSpec, val: string, label: string, depth: number): string[] {
    const where = label;
    const lit = JSON.stringify(label);
    const s = this.model.unfold(spec, where);
    switch (s.kind) {
      case 'prim':
        return [this.encodePrim(s.prim, val, lit)];
      case 'string':
        return [`w.string(${val}, ${this.bound(s.max, where)}, ${lit});`];
      case 'fixedOpaque':
        return [`w.fixedOpaque(${val}, ${this.model.value(s.len, where)}, ${lit});`];
      case 'varOpaque':
        return [`w.varOpaque(${val}, ${this.bound(s.max, where)}, ${lit});`];
      case 'optional': {
        const o = `o${depth}`;
        return [
          `const ${o} = ${val};`,
          `if (${o} == null) w.uint(0, ${lit});`,
          `else {`,
          `  w.uint(1, ${lit});`,
          ...this.encode(s.of, o, label, depth + 1).map((l) => '  ' + l),
          `}`,
        ];
      }
      case 'fixedArray':
      case 'varArray': {
        const a = `a${depth}`;
        const i = `i${depth}`;
        const head =
          s.kind === 'fixedArray'
            ? `w.fixedArray(${a}, ${this.model.value(s.len, where)}, ${lit});`
            : `w.arrayLength(${a}, ${this.bound(s.max, where)}, ${lit});`;
        return [
          `const ${a} = ${val};`,
          head,
          `for (let ${i} = 0; ${i} < ${a}.length; ${i}++) {`,
          ...this.encode(s.of, `${a}[${i}]!`, `${label}[]`, depth + 1).map((l) => '  ' + l),
          `}`,
        ];
      }
      case 'ref': {
        const def = this.model.lookup(s.name, where).def;
        if (def.kind === 'enum') {
          if (this.laxEnums) return [`w.int(${val}, ${lit});`];
          const set = this.ref(s.name, `${tsName(s.name)}Values`, where);
          return [`w.enumValue(${val}, ${set}, ${lit});`];
        }
        return [`${this.ref(s.name, `encode${tsName(s.name)}`, where)}(w, ${val}, ${lit});`];
      }
    }
  }

  private encodePrim(p: Primitive, val: string, lit: string): string {
    const small = SMALL_RANGES[p];
    if (small) return `w.smallInt(${val}, ${small[0]}, ${small[1]}, ${lit});`;
    return `w.${p}(${val}, ${lit});`;
  }

  /** Statements that leave the decoded value in a fresh local, and that local's name. */
  decode(spec: TypeSpec, label: string, target: string): string[] {
    const where = label;
    const lit = JSON.stringify(label);
    const s = this.model.unfold(spec, where);
    const set = (expr: string) => [`const ${target} = ${expr};`];
    switch (s.kind) {
      case 'prim': {
        const small = SMALL_RANGES[s.prim];
        if (small) return set(`r.smallInt(${small[0]}, ${small[1]}, ${lit})`);
        if (s.prim === 'bool') return set(`r.bool(${lit})`);
        return set(`r.${s.prim}()`);
      }
      case 'string':
        return set(`r.${REPEATING_NAMES.has(label) ? 'name' : 'string'}(${this.bound(s.max, where)}, ${lit})`);
      case 'fixedOpaque':
        return set(`r.fixedOpaque(${this.model.value(s.len, where)}, ${lit})`);
      case 'varOpaque':
        return set(`r.varOpaque(${this.bound(s.max, where)}, ${lit})`);
      case 'optional': {
        const inner = `${target}$p`;
        const body = this.decode(s.of, label, inner);
        return [
          `let ${target}: ${this.tsType(s, where)} = null;`,
          `if (r.optional(${lit})) {`,
          ...body.map((l) => '  ' + l),
          `  ${target} = ${inner};`,
          `}`,
        ];
      }
      case 'fixedArray':
      case 'varArray': {
        const n = `${target}$n`;
        const i = `${target}$i`;
        const e = `${target}$e`;
        const min = this.model.minSize(s.of, where);
        const count =
          s.kind === 'fixedArray'
            ? `const ${n} = ${this.model.value(s.len, where)};`
            : `const ${n} = r.arrayLength(${this.bound(s.max, where)}, ${lit}${min === 4 ? '' : `, ${min}`});`;
        return [
          count,
          `const ${target}: ${this.tsType(s, where)} = [];`,
          `for (let ${i} = 0; ${i} < ${n}; ${i}++) {`,
          ...this.decode(s.of, `${label}[]`, e).map((l) => '  ' + l),
          `  ${target}.push(${e});`,
          `}`,
        ];
      }
      case 'ref': {
        const def = this.model.lookup(s.name, where).def;
        if (def.kind === 'enum') {
          if (this.laxEnums) return set(`r.int() as ${this.tsType(s, where)}`);
          const values = this.ref(s.name, `${tsName(s.name)}Values`, where);
          return set(`r.enumValue(${values}, ${lit}) as ${this.tsType(s, where)}`);
        }
        return set(`${this.ref(s.name, `decode${tsName(s.name)}`, where)}(r)`);
      }
    }
  }

  private docBlock(def: Definition, extra: string[] = []): string[] {
    const lines = [`\`${def.kind} ${def.name}\` from the protocol.`, ...extra, ...this.docFor(def.name)];
    return ['/**', ...lines.map((l) => ` * ${l}`), ' */'];
  }

  private codecConst(name: string, xdrName: string): string[] {
    const t = tsName(name);
    return [
      `export const ${t}Codec: Codec<${t}> = { name: ${JSON.stringify(xdrName)}, encode: encode${t}, decode: decode${t} };`,
    ];
  }

  emit(def: Definition): string[] {
    const where = `${def.name}`;
    const t = tsName(def.name);
    switch (def.kind) {
      case 'const':
        return [`export const ${def.name} = ${this.model.value(def.value, where)};`];
      case 'enum': {
        const values = def.members.map((m) => this.model.enumMembers.get(m.name)!.value);
        return [
          ...this.docBlock(def),
          `export type ${t} = ${[...new Set(values)].join(' | ')};`,
          ...def.members.map((m, k) => `export const ${m.name} = ${values[k]};`),
          `export const ${t}Values: ReadonlySet<number> = new Set([${[...new Set(values)].join(', ')}]);`,
          `export function encode${t}(w: XdrWriter, v: ${t}): void {`,
          this.laxEnums ? `  w.int(v, ${JSON.stringify(def.name)});` : `  w.enumValue(v, ${t}Values, ${JSON.stringify(def.name)});`,
          `}`,
          `export function decode${t}(r: XdrReader): ${t} {`,
          this.laxEnums ? `  return r.int() as ${t};` : `  return r.enumValue(${t}Values, ${JSON.stringify(def.name)}) as ${t};`,
          `}`,
          ...this.codecConst(def.name, def.name),
        ];
      }
      case 'typedef': {
        return [
          ...this.docBlock(def),
          `export type ${t} = ${this.tsType(def.type, where)};`,
          `export function encode${t}(w: XdrWriter, v: ${t}): void {`,
          ...this.encode(def.type, 'v', def.name, 0).map((l) => '  ' + l),
          `}`,
          `export function decode${t}(r: XdrReader): ${t} {`,
          ...this.decode(def.type, def.name, 'v').map((l) => '  ' + l),
          `  return v;`,
          `}`,
          ...this.codecConst(def.name, def.name),
        ];
      }
      case 'struct':
        return this.emitStruct(def, t);
      case 'union':
        return this.emitUnion(def, t);
    }
  }

  private emitStruct(def: Extract<Definition, { kind: 'struct' }>, t: string): string[] {
    const fieldLabel = (f: Field) => `${def.name}.${f.name}`;
    const out = [...this.docBlock(def), `export interface ${t} {`];
    for (const f of def.fields) out.push(`  ${f.name}: ${this.tsType(f.type, fieldLabel(f))};`);
    out.push('}');
    out.push(`export function encode${t}(w: XdrWriter, v: ${t}, field = ${JSON.stringify(def.name)}): void {`, '  w.struct(v, field);');
    def.fields.forEach((f) => {
      const lines = this.encode(f.type, `v.${f.name}`, fieldLabel(f), 0);
      out.push(...(lines.length > 1 ? ['  {', ...lines.map((l) => '    ' + l), '  }'] : lines.map((l) => '  ' + l)));
    });
    out.push('}');
    out.push(`export function decode${t}(r: XdrReader): ${t} {`);
    // Each field's value in a local of its name (helpers carry a `$`, which XDR names cannot).
    const local = (f: Field) => (RESERVED_LOCALS.has(f.name) ? `${f.name}_` : f.name);
    def.fields.forEach((f) => out.push(...this.decode(f.type, fieldLabel(f), local(f)).map((l) => '  ' + l)));
    out.push(`  return { ${def.fields.map((f) => (local(f) === f.name ? f.name : `${f.name}: ${local(f)}`)).join(', ')} };`);
    out.push('}');
    out.push(...this.codecConst(def.name, def.name));
    return out;
  }

  private emitUnion(def: Extract<Definition, { kind: 'union' }>, t: string): string[] {
    const where = def.name;
    const d = def.discriminant;
    const dLabel = `${def.name}.${d.name}`;
    const dType = this.tsType(d.type, dLabel);
    const armType = (disc: string, f: Field | null) =>
      f ? `{ ${d.name}: ${disc}; ${f.name}: ${this.tsType(f.type, `${def.name}.${f.name}`)} }` : `{ ${d.name}: ${disc} }`;
    const variants: string[] = [];
    for (const arm of def.arms) {
      const lits = arm.cases.map((c) => this.model.value(c, where));
      variants.push(armType(lits.join(' | '), arm.field));
    }
    if (def.defaultArm !== undefined) variants.push(armType(dType, def.defaultArm));

    const out = [...this.docBlock(def), `export type ${t} =`, ...variants.map((v, k) => `  | ${v}${k === variants.length - 1 ? ';' : ''}`)];

    // Encode
    out.push(`export function encode${t}(w: XdrWriter, v: ${t}, field = ${JSON.stringify(def.name)}): void {`, '  w.struct(v, field);');
    out.push(...this.encode(d.type, `v.${d.name}`, dLabel, 0).map((l) => '  ' + l));
    out.push(`  switch (v.${d.name}) {`);
    const encodeArm = (f: Field | null) => {
      if (!f) return ['      break;'];
      const label = `${def.name}.${f.name}`;
      const val = `(v as { ${f.name}: ${this.tsType(f.type, label)} }).${f.name}`;
      return ['      {', ...this.encode(f.type, val, label, 0).map((l) => '        ' + l), '      }', '      break;'];
    };
    for (const arm of def.arms) {
      for (const c of arm.cases) out.push(`    case ${this.model.value(c, where)}:`);
      out.push(...encodeArm(arm.field));
    }
    out.push('    default:');
    if (def.defaultArm === undefined) {
      out.push(
        `      throw new XdrEncodeError(${JSON.stringify(dLabel)}, \`\${(v as { ${d.name}: unknown }).${d.name}} is not a discriminant of this union\`);`,
      );
    } else {
      out.push(...encodeArm(def.defaultArm));
    }
    out.push('  }', '}');

    // Decode
    out.push(`export function decode${t}(r: XdrReader): ${t} {`);
    out.push(...this.decode(d.type, dLabel, 'disc').map((l) => '  ' + l));
    out.push('  switch (disc) {');
    const decodeArm = (disc: string, f: Field | null) => {
      if (!f) return [`      return { ${d.name}: ${disc} };`];
      const label = `${def.name}.${f.name}`;
      return [
        '      {',
        ...this.decode(f.type, label, 'x').map((l) => '        ' + l),
        `        return { ${d.name}: ${disc}, ${f.name}: x };`,
        '      }',
      ];
    };
    for (const arm of def.arms) {
      const lits = arm.cases.map((c) => this.model.value(c, where));
      for (const c of lits) out.push(`    case ${c}:`);
      out.push(...decodeArm(lits.length === 1 ? String(lits[0]) : `disc as ${lits.join(' | ')}`, arm.field));
    }
    out.push('    default:');
    if (def.defaultArm === undefined) {
      out.push(`      return r.badDiscriminant(disc, ${JSON.stringify(def.name)});`);
    } else {
      out.push(...decodeArm('disc', def.defaultArm));
    }
    out.push('  }', '}');
    out.push(...this.codecConst(def.name, def.name));
    return out;
  }
}
