/**
 * libvirt's typed parameters (`virTypedParameter`) as plain objects, both ways. On the wire
 * they are arrays of `{ field, value: { type, i | ui | l | ul | d | b | s } }`; users want
 * `{ 'cpu.time': 123n }`. Each value keeps its type: 64-bit integers are bigint, booleans are
 * boolean, and the exact wire type is remembered so an object read from the daemon can be
 * sent back unchanged.
 */
import { XdrEncodeError } from './errors.js';
import { checkCString } from './writer.js';

export type TypedParamType = 'int' | 'uint' | 'llong' | 'ullong' | 'double' | 'boolean' | 'string';
export type TypedParamValue = number | bigint | boolean | string;

/**
 * Typed parameters by name. A name the daemon repeats (virDomainGetCPUStats lists one set per
 * CPU) maps to an array of its values in order.
 */
export type TypedParams = { [name: string]: TypedParamValue | TypedParamValue[] };

/** A value with its wire type spelled out, for when the JavaScript type is ambiguous. */
export interface TypedParamExplicit {
  type: TypedParamType;
  value: TypedParamValue;
}

/** What calls accept: plain values (type inferred), explicit ones, or arrays for repeated names. */
export type TypedParamsInput = {
  [name: string]: TypedParamValue | TypedParamExplicit | (TypedParamValue | TypedParamExplicit)[];
};

/** The wire shape shared by remote_typed_param and admin_typed_param. */
export type WireTypedParam = {
  field: string;
  value:
    | { type: 1; i: number }
    | { type: 2; ui: number }
    | { type: 3; l: bigint }
    | { type: 4; ul: bigint }
    | { type: 5; d: number }
    | { type: 6; b: number }
    | { type: 7; s: string };
};

const TYPES = Symbol.for('libvirt-rpc.typedParamTypes');
const CODES: Record<TypedParamType, number> = { int: 1, uint: 2, llong: 3, ullong: 4, double: 5, boolean: 6, string: 7 };
const NO_TYPES: Readonly<Record<string, TypedParamType>> = Object.freeze(Object.create(null));
const NAMES: TypedParamType[] = ['int', 'int', 'uint', 'llong', 'ullong', 'double', 'boolean', 'string'];

/** The wire type each name had when the object came from the daemon, if it did. */
export function typedParamTypes(params: TypedParams): Readonly<Record<string, TypedParamType>> | undefined {
  return (params as { [TYPES]?: Record<string, TypedParamType> })[TYPES];
}

/**
 * The objects {@link typedParamsFromWire} makes: plain to read (own enumerable properties are
 * the parameters, nothing else), with the wire array kept in a private field so that the
 * wire types are worked out only when asked for (a stats reply makes thousands of these and
 * almost never sends one back). The types are found through a getter under a global symbol,
 * so that another copy of this library recognises them too.
 */
class DaemonTypedParams {
  readonly #wire: readonly WireTypedParam[];
  #types: Record<string, TypedParamType> | undefined;

  constructor(wire: readonly WireTypedParam[]) {
    this.#wire = wire;
  }

  get [TYPES](): Readonly<Record<string, TypedParamType>> {
    if (!this.#types) {
      // No prototype: a parameter may be called '__proto__' or 'constructor'.
      const types: Record<string, TypedParamType> = Object.create(null);
      for (const p of this.#wire) types[p.field] = NAMES[p.value.type]!;
      this.#types = types;
    }
    return this.#types;
  }
}

/**
 * Wire array → object.
 *
 * @example
 * ```ts
 * typedParamsFromWire([{ field: 'cpu_shares', value: { type: 4, ul: 1024n } }]); // { cpu_shares: 1024n }
 * ```
 */
export function typedParamsFromWire(wire: readonly WireTypedParam[]): TypedParams {
  const out = new DaemonTypedParams(wire) as unknown as TypedParams;
  let repeatedNames: Set<string> | undefined;
  for (const p of wire) {
    const v = p.value;
    const field = p.field;
    const value: TypedParamValue =
      v.type === 1 ? v.i : v.type === 2 ? v.ui : v.type === 3 ? v.l : v.type === 4 ? v.ul : v.type === 5 ? v.d : v.type === 6 ? v.b !== 0 : v.s;
    if (!Object.hasOwn(out, field)) {
      // An assignment to '__proto__' would set the prototype (or be dropped) instead.
      if (field === '__proto__') Object.defineProperty(out, field, { value, enumerable: true, writable: true, configurable: true });
      else out[field] = value;
    } else if (repeatedNames?.has(field)) (out[field] as TypedParamValue[]).push(value);
    else {
      out[field] = [out[field] as TypedParamValue, value];
      (repeatedNames ??= new Set()).add(field);
    }
  }
  return out;
}

/**
 * Records whose `field` holds a typed-parameter array (domain stats, ...), with that field
 * turned into an object. The records are changed in place: they come fresh from the decoder,
 * and a copy of each of thousands would cost more than the conversion.
 *
 * @example
 * ```ts
 * const stats = recordsWithTypedParams(reply.retStats, 'params'); // stats[0].params['state.state']
 * ```
 */
export function recordsWithTypedParams<T extends { [F in K]: readonly WireTypedParam[] }, K extends string>(
  records: T[],
  field: K,
): (Omit<T, K> & { [F in K]: TypedParams })[] {
  for (const r of records) (r as Record<string, unknown>)[field] = typedParamsFromWire(r[field]);
  return records as unknown as (Omit<T, K> & { [F in K]: TypedParams })[];
}

/**
 * Object → wire array. A value's type comes from, in order: an explicit `{ type, value }`,
 * the type recorded when the object was read from the daemon, or its JavaScript type
 * (bigint → llong/ullong, boolean, string, integer number → int/uint, other number → double).
 *
 * @example
 * ```ts
 * typedParamsToWire({ weight: 500, cap: { type: 'ullong', value: 10n } });
 * ```
 */
export function typedParamsToWire(input: TypedParamsInput, where = 'typed parameters'): WireTypedParam[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new XdrEncodeError(where, 'expected an object of typed parameters');
  }
  const known = typedParamTypes(input as TypedParams) ?? NO_TYPES;
  const out: WireTypedParam[] = [];
  for (const [field, raw] of Object.entries(input)) {
    checkCString(field, `${where} name ${JSON.stringify(field)}`);
    for (const item of Array.isArray(raw) ? raw : [raw]) {
      const explicit = typeof item === 'object' && item !== null;
      const value = explicit ? (item as TypedParamExplicit).value : (item as TypedParamValue);
      const type = explicit ? (item as TypedParamExplicit).type : (known[field] ?? inferType(value, `${where}.${field}`));
      out.push({ field, value: wireValue(type, value, `${where}.${field}`) });
    }
  }
  return out;
}

function inferType(v: TypedParamValue, where: string): TypedParamType {
  switch (typeof v) {
    case 'bigint':
      return v < 0n ? 'llong' : 'ullong';
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'number':
      if (!Number.isInteger(v)) return 'double';
      return v < 0 ? 'int' : 'uint';
    default:
      throw new XdrEncodeError(where, `cannot send a value of type ${typeof v} as a typed parameter`);
  }
}

function wireValue(type: TypedParamType, v: TypedParamValue, where: string): WireTypedParam['value'] {
  const code = CODES[type];
  if (code === undefined) throw new XdrEncodeError(where, `unknown typed parameter type '${type}'`);
  switch (type) {
    case 'int':
    case 'uint':
    case 'double':
      if (typeof v !== 'number') throw new XdrEncodeError(where, `a ${type} needs a number, got ${typeof v}`);
      return type === 'int' ? { type: 1, i: v } : type === 'uint' ? { type: 2, ui: v } : { type: 5, d: v };
    case 'llong':
    case 'ullong': {
      const b = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
      if (typeof b !== 'bigint') throw new XdrEncodeError(where, `a ${type} needs a bigint, got ${typeof v}`);
      return type === 'llong' ? { type: 3, l: b } : { type: 4, ul: b };
    }
    case 'boolean':
      if (typeof v !== 'boolean') throw new XdrEncodeError(where, `a boolean needs true or false, got ${typeof v}`);
      return { type: 6, b: v ? 1 : 0 };
    case 'string':
      if (typeof v !== 'string') throw new XdrEncodeError(where, `a string needs a string, got ${typeof v}`);
      checkCString(v, where);
      return { type: 7, s: v };
  }
}

/** A C `char name[N]` array as the daemon fills it: bytes up to the first NUL, as UTF-8 text. */
export function cStringFromChars(chars: readonly number[]): string {
  const end = chars.indexOf(0);
  const bytes = Uint8Array.from(end < 0 ? chars : chars.slice(0, end), (c) => c & 0xff);
  return new TextDecoder().decode(bytes);
}
