/**
 * fast-check arbitraries for any type of a parsed .x file, built from the generator's own
 * model so every generated type can be property-tested. Bounds are honoured but scaled down
 * (short strings, few elements) to keep runs fast.
 */
import fc from 'fast-check';
import type { Definition, Primitive, TypeSpec } from '../../codegen/ast.js';
import type { Model } from '../../codegen/model.js';

const MAX_ELEMENTS = 3;
const MAX_STRING = 24;

const PRIM: Record<Primitive, () => fc.Arbitrary<unknown>> = {
  int: () => fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  uint: () => fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  hyper: () => fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  uhyper: () => fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  bool: () => fc.boolean(),
  float: () => fc.float({ noDefaultInfinity: false }),
  double: () => fc.double(),
  char: () => fc.integer({ min: -128, max: 127 }),
  uchar: () => fc.integer({ min: 0, max: 255 }),
  short: () => fc.integer({ min: -32768, max: 32767 }),
  ushort: () => fc.integer({ min: 0, max: 65535 }),
};

export class ArbitraryBuilder {
  private readonly cache = new Map<string, fc.Arbitrary<unknown>>();
  constructor(private readonly model: Model) {}

  forDefinition(def: Definition): fc.Arbitrary<unknown> {
    const cached = this.cache.get(def.name);
    if (cached) return cached;
    const arb = this.build(def);
    this.cache.set(def.name, arb);
    return arb;
  }

  private build(def: Definition): fc.Arbitrary<unknown> {
    const where = def.name;
    switch (def.kind) {
      case 'const':
        throw new Error('constants have no values');
      case 'enum':
        return fc.constantFrom(...def.members.map((m) => this.model.enumMembers.get(m.name)!.value));
      case 'typedef':
        return this.spec(def.type, where);
      case 'struct':
        return fc.record(Object.fromEntries(def.fields.map((f) => [f.name, this.spec(f.type, where)])), {
          noNullPrototype: true,
        });
      case 'union': {
        const d = def.discriminant.name;
        const used = new Set(def.arms.flatMap((a) => a.cases.map((c) => this.model.value(c, where))));
        const arms: fc.Arbitrary<unknown>[] = def.arms.map((arm) => {
          const disc = fc.constantFrom(...arm.cases.map((c) => this.model.value(c, where)));
          return arm.field
            ? fc.record({ [d]: disc, [arm.field.name]: this.spec(arm.field.type, where) }, { noNullPrototype: true })
            : fc.record({ [d]: disc }, { noNullPrototype: true });
        });
        if (def.defaultArm !== undefined) {
          const disc = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).filter((v) => !used.has(v));
          const f = def.defaultArm;
          arms.push(
            f ? fc.record({ [d]: disc, [f.name]: this.spec(f.type, where) }, { noNullPrototype: true }) : fc.record({ [d]: disc }),
          );
        }
        return fc.oneof(...arms);
      }
    }
  }

  spec(t: TypeSpec, where: string): fc.Arbitrary<unknown> {
    const bound = (v: Parameters<Model['value']>[0] | null, cap: number) =>
      Math.min(v === null ? cap : this.model.value(v, where), cap);
    switch (t.kind) {
      case 'prim':
        return PRIM[t.prim]();
      case 'string':
        return fc
          .string({ unit: 'grapheme', maxLength: bound(t.max, MAX_STRING) })
          .filter((s) => new TextEncoder().encode(s).length <= bound(t.max, 2 ** 32 - 1));
      case 'fixedOpaque': {
        const n = this.model.value(t.len, where);
        return fc.uint8Array({ minLength: n, maxLength: n });
      }
      case 'varOpaque':
        return fc.uint8Array({ maxLength: bound(t.max, MAX_STRING) });
      case 'fixedArray': {
        const n = this.model.value(t.len, where);
        return fc.array(this.spec(t.of, where), { minLength: n, maxLength: n });
      }
      case 'varArray':
        return fc.array(this.spec(t.of, where), { maxLength: bound(t.max, MAX_ELEMENTS) });
      case 'optional':
        return fc.option(this.spec(t.of, where), { nil: null });
      case 'ref': {
        const sym = this.model.lookup(t.name, where);
        return fc.constant(null).chain(() => this.forDefinition(sym.def));
      }
    }
  }
}
