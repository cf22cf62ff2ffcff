/**
 * Reads libvirt's `*-structs` files (the C layout of each XDR type, as pdwtags prints it)
 * into a neutral form, and renders the generator's AST into the same form, so the two can
 * be compared field by field.
 */
import type { Definition, Primitive, TypeSpec } from '../../codegen/ast.js';
import type { Model } from '../../codegen/model.js';

export interface LayoutField {
  name: string;
  type: string;
}

export interface Layout {
  structs: Map<string, LayoutField[]>;
  enums: Map<string, { name: string; value: number }[]>;
}

export function parseStructsFile(text: string): Layout {
  const structs = new Map<string, LayoutField[]>();
  const enums = new Map<string, { name: string; value: number }[]>();
  const lines = text
    .replace(/\/\*.*?\*\//gs, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  let i = 0;
  const fieldsUntilClose = (): LayoutField[] => {
    const out: LayoutField[] = [];
    while (i < lines.length && !lines[i]!.startsWith('}')) {
      const line = lines[i++]!;
      if (line === 'struct {') {
        // struct { u_int x_len; T * x_val; } x;
        i++; // the _len line
        const val = lines[i++]!.match(/^(.*?)\s*\*\s*(\w+)_val;$/)!;
        const close = lines[i++]!.match(/^}\s*(\w+);$/)!;
        out.push({ name: close[1]!, type: `varray<${val[1]!.trim()}>` });
      } else if (line === 'union {') {
        out.push(...fieldsUntilClose());
        i++; // } name_u;
      } else {
        const m = line.match(/^(.*?)\s*(\*?)\s*(\w+)(?:\[(\d+)\])?;$/);
        if (!m) throw new Error(`structs file: cannot read '${line}'`);
        const [, base, star, name, len] = m;
        const t = base!.trim();
        const type = star ? (t === 'char' ? 'char*' : `ptr<${t}>`) : len ? `${t}[${len}]` : t;
        out.push({ name: name!, type });
      }
    }
    return out;
  };
  while (i < lines.length) {
    const line = lines[i++]!;
    let m = line.match(/^struct (\w+) \{$/);
    if (m) {
      structs.set(m[1]!, fieldsUntilClose());
      i++;
      continue;
    }
    m = line.match(/^enum (\w+) \{$/);
    if (m) {
      const members: { name: string; value: number }[] = [];
      while (!lines[i]!.startsWith('}')) {
        const mm = lines[i++]!.match(/^(\w+)\s*=\s*(-?\d+),?$/)!;
        members.push({ name: mm[1]!, value: Number(mm[2]) });
      }
      i++;
      enums.set(m[1]!, members);
      continue;
    }
    throw new Error(`structs file: unexpected line '${line}'`);
  }
  return { structs, enums };
}

const C_PRIM: Record<Primitive, string> = {
  int: 'int',
  uint: 'u_int',
  hyper: 'int64_t',
  uhyper: 'uint64_t',
  bool: 'bool_t',
  float: 'float',
  double: 'double',
  char: 'char',
  uchar: 'u_char',
  short: 'short',
  ushort: 'u_short',
};

function cType(model: Model, t: TypeSpec, where: string): string {
  switch (t.kind) {
    case 'prim':
      return C_PRIM[t.prim];
    case 'ref':
      return t.name;
    case 'string':
      return 'char*';
    case 'fixedOpaque':
      return `char[${model.value(t.len, where)}]`;
    case 'varOpaque':
      return 'varray<char>';
    case 'fixedArray':
      return `${cType(model, t.of, where)}[${model.value(t.len, where)}]`;
    case 'varArray':
      return `varray<${cType(model, t.of, where)}>`;
    case 'optional':
      return `ptr<${cType(model, t.of, where)}>`;
  }
}

/** The generator's view of a struct or union, in the structs file's form. */
export function layoutOf(model: Model, def: Definition): LayoutField[] | null {
  if (def.kind === 'struct') return def.fields.map((f) => ({ name: f.name, type: cType(model, f.type, def.name) }));
  if (def.kind === 'union') {
    const arms = [...def.arms.map((a) => a.field), def.defaultArm ?? null].filter((f) => f !== null);
    return [def.discriminant, ...arms].map((f) => ({ name: f.name, type: cType(model, f.type, def.name) }));
  }
  return null;
}
