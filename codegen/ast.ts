/** The parsed form of an rpcgen (.x) file. */

/** A number written in the file, or the name of a constant to look up. */
export type Value = { num: number } | { ref: string };

export type Primitive =
  | 'int'
  | 'uint'
  | 'hyper'
  | 'uhyper'
  | 'bool'
  | 'float'
  | 'double'
  | 'char'
  | 'uchar'
  | 'short'
  | 'ushort';

export type TypeSpec =
  | { kind: 'prim'; prim: Primitive }
  | { kind: 'ref'; name: string }
  | { kind: 'string'; max: Value | null }
  | { kind: 'fixedOpaque'; len: Value }
  | { kind: 'varOpaque'; max: Value | null }
  | { kind: 'fixedArray'; of: TypeSpec; len: Value }
  | { kind: 'varArray'; of: TypeSpec; max: Value | null }
  | { kind: 'optional'; of: TypeSpec };

export interface Field {
  name: string;
  type: TypeSpec;
  line: number;
}

export interface EnumMember {
  name: string;
  value: Value;
  line: number;
  /** The comment before the member (procedure annotations live there). */
  comment?: string;
}

export interface UnionArm {
  /** Case labels sharing this arm. */
  cases: Value[];
  /** null for `void`. */
  field: Field | null;
}

export type Definition =
  | { kind: 'const'; name: string; value: Value; line: number }
  | { kind: 'enum'; name: string; members: EnumMember[]; line: number }
  | { kind: 'struct'; name: string; fields: Field[]; line: number }
  | {
      kind: 'union';
      name: string;
      discriminant: Field;
      arms: UnionArm[];
      /** undefined: no default arm; null: `default: void`. */
      defaultArm: Field | null | undefined;
      line: number;
    }
  | { kind: 'typedef'; name: string; type: TypeSpec; line: number };

export interface XdrFile {
  file: string;
  definitions: Definition[];
}
