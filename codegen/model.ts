/**
 * Everything the emitter needs to know across files: which module defines each name, the
 * value of every constant (from the .x files, the API XML, or the small table of C header
 * constants), and how typedefs unfold.
 */
import type { Definition, TypeSpec, Value, XdrFile } from './ast.js';
import type { ApiDescription } from './api-xml.js';

/**
 * Constants the .x files take from libvirt's C headers. The API XML is asked first; this
 * table covers API XML that lacks them (older releases, or generation without it).
 */
export const HEADER_CONSTANTS: Record<string, { value: number; header: string }> = {
  VIR_UUID_BUFLEN: { value: 16, header: 'libvirt/libvirt-host.h' },
  VIR_SECURITY_MODEL_BUFLEN: { value: 257, header: 'libvirt/libvirt-host.h' },
  VIR_SECURITY_DOI_BUFLEN: { value: 257, header: 'libvirt/libvirt-host.h' },
  VIR_SECURITY_LABEL_BUFLEN: { value: 4097, header: 'libvirt/libvirt-host.h' },
  VIR_TYPED_PARAM_INT: { value: 1, header: 'libvirt/libvirt-common.h' },
  VIR_TYPED_PARAM_UINT: { value: 2, header: 'libvirt/libvirt-common.h' },
  VIR_TYPED_PARAM_LLONG: { value: 3, header: 'libvirt/libvirt-common.h' },
  VIR_TYPED_PARAM_ULLONG: { value: 4, header: 'libvirt/libvirt-common.h' },
  VIR_TYPED_PARAM_DOUBLE: { value: 5, header: 'libvirt/libvirt-common.h' },
  VIR_TYPED_PARAM_BOOLEAN: { value: 6, header: 'libvirt/libvirt-common.h' },
  VIR_TYPED_PARAM_STRING: { value: 7, header: 'libvirt/libvirt-common.h' },
};

export interface ModuleInput {
  /** Output module name (`remote` gives `remote.ts`). */
  module: string;
  ast: XdrFile;
}

export interface Symbol {
  def: Definition;
  module: string;
}

export class Model {
  readonly symbols = new Map<string, Symbol>();
  /** Enum member name → [value, enum name, module]. */
  readonly enumMembers = new Map<string, { value: number; enumName: string; module: string }>();
  private readonly external = new Map<string, number>();

  constructor(
    readonly modules: ModuleInput[],
    readonly api: ApiDescription,
  ) {
    for (const e of api.enums) this.external.set(e.name, e.value);
    for (const m of api.macros) if (typeof m.value === 'number') this.external.set(m.name, m.value);
    for (const { module, ast } of modules) {
      for (const def of ast.definitions) {
        const prior = this.symbols.get(def.name);
        if (prior) throw new Error(`${ast.file}:${def.line}: '${def.name}' is already defined in module ${prior.module}`);
        this.symbols.set(def.name, { def, module });
        if (def.kind === 'enum') {
          for (const m of def.members) {
            if (this.enumMembers.has(m.name)) throw new Error(`${ast.file}:${m.line}: enum member '${m.name}' defined twice`);
            this.enumMembers.set(m.name, { value: NaN, enumName: def.name, module });
          }
        }
      }
    }
    for (const { ast } of modules) {
      for (const def of ast.definitions) {
        if (def.kind !== 'enum') continue;
        for (const m of def.members) this.enumMembers.get(m.name)!.value = this.value(m.value, `${ast.file}:${m.line}`);
      }
    }
  }

  /** Resolves a number or constant name to its numeric value. */
  value(v: Value, where: string, seen = new Set<string>()): number {
    if ('num' in v) return v.num;
    const name = v.ref;
    if (seen.has(name)) throw new Error(`${where}: constant '${name}' refers to itself`);
    seen.add(name);
    const sym = this.symbols.get(name);
    if (sym?.def.kind === 'const') return this.value(sym.def.value, where, seen);
    const member = this.enumMembers.get(name);
    if (member && !Number.isNaN(member.value)) return member.value;
    const ext = this.external.get(name);
    if (ext !== undefined) return ext;
    const fallback = HEADER_CONSTANTS[name];
    if (fallback) return fallback.value;
    if (name === 'TRUE') return 1;
    if (name === 'FALSE') return 0;
    throw new Error(`${where}: unknown constant '${name}'`);
  }

  /** The definition a name refers to, or a clear error. */
  lookup(name: string, where: string): Symbol {
    const sym = this.symbols.get(name);
    if (!sym || sym.def.kind === 'const') throw new Error(`${where}: unknown type '${name}'`);
    return sym;
  }

  /** Follows typedefs until the spec is not a reference to one. */
  unfold(spec: TypeSpec, where: string): TypeSpec {
    let s = spec;
    for (let guard = 0; s.kind === 'ref'; guard++) {
      const sym = this.lookup(s.name, where);
      if (sym.def.kind !== 'typedef') return s;
      if (guard > 50) throw new Error(`${where}: typedef '${s.name}' is circular`);
      s = sym.def.type;
    }
    return s;
  }

  /** Fewest bytes one value of this type takes on the wire (for pre-allocation checks). */
  minSize(spec: TypeSpec, where: string, depth = 0): number {
    if (depth > 50) return 4;
    const s = this.unfold(spec, where);
    switch (s.kind) {
      case 'prim':
        return s.prim === 'hyper' || s.prim === 'uhyper' || s.prim === 'double' ? 8 : 4;
      case 'string':
      case 'varOpaque':
      case 'varArray':
      case 'optional':
        return 4;
      case 'fixedOpaque':
        return (this.value(s.len, where) + 3) & ~3;
      case 'fixedArray':
        return this.value(s.len, where) * this.minSize(s.of, where, depth + 1);
      case 'ref': {
        const def = this.lookup(s.name, where).def;
        if (def.kind === 'enum') return 4;
        if (def.kind === 'union') return 4;
        if (def.kind === 'struct') return def.fields.reduce((n, f) => n + this.minSize(f.type, where, depth + 1), 0);
        return 4;
      }
    }
  }
}

/** `remote_nonnull_domain` → `RemoteNonnullDomain`; `virNetMessageHeader` → `VirNetMessageHeader`. */
export function tsName(xdrName: string): string {
  return xdrName
    .split('_')
    .filter(Boolean)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}
