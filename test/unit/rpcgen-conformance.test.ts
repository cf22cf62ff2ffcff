/**
 * libvirt's own rpcgen conformance suite (rpcgen-tests/): demo.x compiled by our generator
 * must encode each case's value to exactly the bytes of its .bin file, decode them back to
 * the same value, and refuse the cases libvirt expects to fail. The values below are written
 * from what test_demo.c describes; the .bin files are read from the libvirt inputs.
 *
 * One case stores 0 in an enum array although 0 is no TestEnum value: C's xdr_enum allows
 * that, RFC 4506 (and this library's protocol codecs) do not. The byte-exact checks run on
 * demo.x compiled with lax enums; the strict build must pass every other case and refuse
 * that one.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Codec, XdrDecodeError, XdrEncodeError, decodeValue, encodeValue } from '../../src/xdr/index.js';
import { LIBVIRT_SRC, describeWithLibvirtSrc } from '../helpers/libvirt-inputs.js';

type Demo = Record<string, Codec<unknown>> & Record<string, number>;

const ONE = 1;
const TWO = 2;
const S = { c1: 0x4a, c2: 0x7e }; // TEST_STRUCT_INIT
const SA = { c1: 0x09, c2: 0x07 }; // TEST_STRUCT_INIT_ALT
const U = { type: 20, i1: 1729 }; // TEST_UNION_INIT
const UA = { type: 1729, i3: 87539319 }; // TEST_UNION_INIT_ALT

/** `n` values cycling through `pattern`. */
const cycle = <T>(pattern: T[], n: number): T[] => Array.from({ length: n }, (_, i) => pattern[i % pattern.length]!);
/** Letters to values: 'SAS' → [S, SA, S]. */
const seq = <T>(letters: string, map: Record<string, T>): T[] => [...letters].map((c) => map[c]!);
const Z = { type: 0, i3: 0 }; // a zero-filled TestUnion takes the default arm
const structs = (letters: string) => seq(letters, { S, A: SA });
const unions = (letters: string) => seq(letters, { U, A: UA, Z });
const enums13 = cycle([ONE, TWO], 13);

/** [case name, codec name, value] for every case test_demo.c expects to succeed. */
const SUCCESS: [string, string, unknown][] = [
  ['enum', 'TestEnum', TWO],
  ['struct', 'TestStruct', { c1: 'a'.charCodeAt(0), c2: 'b'.charCodeAt(0) }],
  ['union_case', 'TestUnion', { type: 20, i1: 1729 }],
  ['union_default', 'TestUnion', { type: 87539319, i3: 1729 }],
  ['union_void_default_case', 'TestUnionVoidDefault', { type: 21, i1: 1729 }],
  ['union_void_default_default', 'TestUnionVoidDefault', { type: 87539319 }],
  ['union_no_default_case', 'TestUnionNoDefault', { type: 22, i1: 1729 }],
  ['int_scalar', 'TestIntScalar', 1729],
  ['int_pointer_set', 'TestIntPointer', 1729],
  ['int_pointer_null', 'TestIntPointer', null],
  ['int_fixed_array', 'TestIntFixedArray', [1729, 0, 87539319]],
  ['int_variable_array_set', 'TestIntVariableArray', [1729, 0, 87539319]],
  ['int_variable_array_empty', 'TestIntVariableArray', []],
  ['string_variable_array_set', 'TestStringVariableArray', 'taxis'],
  ['string_variable_array_empty', 'TestStringVariableArray', ''],
  ['opaque_fixed_array', 'TestOpaqueFixedArray', Uint8Array.from([0xca, 0xfe, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67, 0x78])],
  ['opaque_variable_array_set', 'TestOpaqueVariableArray', Uint8Array.from([0xca, 0xfe, 0x12])],
  ['opaque_variable_array_empty', 'TestOpaqueVariableArray', new Uint8Array(0)],
  ['enum_scalar', 'TestEnumScalar', TWO],
  ['enum_pointer_set', 'TestEnumPointer', TWO],
  ['enum_pointer_null', 'TestEnumPointer', null],
  // 11 values given; C zero-fills the other two, although 0 is not a TestEnum value.
  ['enum_fixed_array', 'TestEnumFixedArray', [...cycle([ONE, TWO], 11), 0, 0]],
  ['enum_variable_array_set', 'TestEnumVariableArray', [ONE, TWO, ONE]],
  ['enum_variable_array_empty', 'TestEnumVariableArray', []],
  ['struct_scalar', 'TestStructScalar', S],
  ['struct_pointer_set', 'TestStructPointer', S],
  ['struct_pointer_null', 'TestStructPointer', null],
  ['struct_fixed_array', 'TestStructFixedArray', structs('SASAASASSSSSAASSA')],
  ['struct_variable_array_set', 'TestStructVariableArray', structs('SAA')],
  ['struct_variable_array_empty', 'TestStructVariableArray', []],
  ['union_scalar', 'TestUnionScalar', U],
  ['union_pointer_set', 'TestUnionPointer', U],
  ['union_pointer_null', 'TestUnionPointer', null],
  ['union_fixed_array', 'TestUnionFixedArray', unions('UAUAAUAUUUUUAAUUAZZZZ')],
  ['union_variable_array_set', 'TestUnionVariableArray', unions('UAA')],
  ['union_variable_array_empty', 'TestUnionVariableArray', []],
  ['test_struct_all_types', 'TestStructAllTypes', allTypes()],
];

/** [case name, codec name, value] for the cases libvirt's encoder must refuse. */
const FAILURE: [string, string, unknown, RegExp][] = [
  ['union_no_default_default', 'TestUnionNoDefault', { type: 87539319 }, /TestUnionNoDefault\.type: 87539319 is not a discriminant/],
  ['int_variable_array_overflow', 'TestIntVariableArray', [1729, 0, 87539319, 0, 1729, 0], /TestIntVariableArray: 6 elements is over the bound of 5/],
  ['opaque_variable_array_overflow', 'TestOpaqueVariableArray', new Uint8Array(12).fill(0xca), /TestOpaqueVariableArray: 12 bytes is over the bound of 11/],
  ['enum_variable_array_overflow', 'TestEnumVariableArray', cycle([ONE, TWO], 16), /TestEnumVariableArray: 16 elements is over the bound of 15/],
  ['struct_variable_array_overflow', 'TestStructVariableArray', cycle([S], 20), /TestStructVariableArray: 20 elements is over the bound of 19/],
  ['union_variable_array_overflow', 'TestUnionVariableArray', cycle([U], 24), /TestUnionVariableArray: 24 elements is over the bound of 23/],
];

function allTypes(): Record<string, unknown> {
  const ofa = [0x1, 0x2, 0x3, 0xff, 0xff, 0xff, 0xff, 0x1];
  return {
    sc: 'x'.charCodeAt(0),
    suc: 'y'.charCodeAt(0),
    ss: -7,
    sus: 14,
    si: -1729,
    sui: 1729,
    sh: -87539319n,
    suh: 2n ** 64n - 87539319n, // C assigns -87539319 to an unsigned hyper
    sb: true,
    sf: Math.fround(0.1729),
    sd: 8753.9319,
    ip: 1729,
    ifa: [1, 2, 3, ...new Array(22).fill(0)],
    iva: [7, 8, 9],
    stva: 'hello',
    ofa: Uint8Array.from([...ofa, ...ofa, ...ofa, ...ofa, 0xff]),
    ova: Uint8Array.from([0x1, 0xca, 0xfe]),
    e1: ONE,
    e2: TWO,
    ep: TWO,
    efa: cycle([ONE, TWO], 37),
    eva: [TWO, ONE, TWO],
    s: S,
    sp: S,
    sfa: structs('SASAASASSSSSAASSSASAASASSSSSAASSSASAASASS'),
    sva: structs('SAS'),
    u: U,
    up: U,
    ufa: unions('UAUAAUAUUUUUAAUUUAUAAUAUUUUUAAUUUAUAAUAUUUUUA'),
    uva: unions('UAA'),
    tis: 1729,
    tip: 1729,
    tifa: [1, 2, 3],
    tiva: [7, 8, 9],
    tstva: 'hello',
    tofa: Uint8Array.from([...ofa, 0xff]),
    tova: Uint8Array.from([0x1, 0xca, 0xfe]),
    tes: ONE,
    tep: TWO,
    tefa: enums13,
    teva: [TWO, ONE, TWO],
    tss: S,
    tsp: S,
    tsfa: structs('SASAASASSSSSAASSS'),
    tsva: structs('SAS'),
    tu: U,
    tup: U,
    tufa: unions('UAUAAUAUUUUUAAUUUAUAA'),
    tuva: unions('UAA'),
  };
}

describeWithLibvirtSrc('libvirt rpcgen conformance (demo.x)', () => {
  const dir = join(LIBVIRT_SRC, 'rpcgen-tests');
  let demo: Demo;
  let strict: Demo;
  beforeAll(async () => {
    demo = (await import('../.generated/demo-lax.js')) as unknown as Demo;
    strict = (await import('../.generated/demo.js')) as unknown as Demo;
  });
  const bin = (name: string) => new Uint8Array(readFileSync(join(dir, `test_demo_${name}.bin`)));

  it('has one success case per .bin file libvirt ships', () => {
    const bins = readdirSync(dir)
      .filter((f) => f.startsWith('test_demo_') && f.endsWith('.bin'))
      .map((f) => f.slice('test_demo_'.length, -'.bin'.length))
      .sort();
    expect(SUCCESS.map(([name]) => name).sort()).toEqual(bins);
    expect(bins).toHaveLength(37);
  });

  it.each(SUCCESS)('%s: encodes to the .bin bytes and decodes back', (name, codecName, value) => {
    const codec = demo[`${codecName}Codec`] as Codec<unknown>;
    const expected = bin(name);
    const bytes = encodeValue(codec, value);
    expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    const decoded = decodeValue(codec, expected);
    expect(decoded).toEqual(value);
    expect(Buffer.from(encodeValue(codec, decoded)).equals(Buffer.from(expected))).toBe(true);
  });

  it.each(SUCCESS)('%s: the strict build agrees, except where C puts 0 in an enum', (name, codecName, value) => {
    const codec = strict[`${codecName}Codec`] as Codec<unknown>;
    if (name === 'enum_fixed_array') {
      expect(() => encodeValue(codec, value)).toThrow(/0 is not a value of this enum/);
      expect(() => decodeValue(codec, bin(name))).toThrow(/TestEnumFixedArray\[\] at byte 44: 0 is not a value of this enum/);
      return;
    }
    expect(Buffer.from(encodeValue(codec, value)).equals(Buffer.from(bin(name)))).toBe(true);
    expect(decodeValue(codec, bin(name))).toEqual(value);
  });

  it.each(FAILURE)('%s: refused with a clear error', (_name, codecName, value, message) => {
    const codec = demo[`${codecName}Codec`] as Codec<unknown>;
    expect(() => encodeValue(codec, value)).toThrow(XdrEncodeError);
    expect(() => encodeValue(codec, value)).toThrow(message);
  });

  it('refuses to decode an undefined discriminant of a union without default', () => {
    const bytes = Uint8Array.from([0x05, 0x37, 0xaf, 0x77, 0, 0, 0x06, 0xc1]);
    expect(() => decodeValue(demo.TestUnionNoDefaultCodec!, bytes)).toThrow(XdrDecodeError);
  });

  it('reads constants in decimal, hex and octal', () => {
    expect([demo.TestConstDec, demo.TestConstHex, demo.TestConstOct]).toEqual([25, 0x27, 0o31]);
  });
});

describeWithLibvirtSrc('RFC 4506 example (simple.x)', () => {
  let simple: Record<string, Codec<unknown>>;
  beforeAll(async () => {
    simple = (await import('../.generated/simple.js')) as unknown as Record<string, Codec<unknown>>;
  });

  it('round-trips a file record with each kind of file', () => {
    for (const type of [{ kind: 0 }, { kind: 1, creator: 'sillyprog' }, { kind: 2, interpretor: 'lisp' }]) {
      const file = { filename: 'sillyprog', type, owner: 'john', data: Uint8Array.from([0x28, 0x71, 0x75, 0x69, 0x74, 0x29]) };
      expect(decodeValue(simple.FileCodec!, encodeValue(simple.FileCodec!, file))).toEqual(file);
    }
  });

  it('encodes the RFC example to its documented 48 bytes', () => {
    const file = { filename: 'sillyprog', type: { kind: 2, interpretor: 'lisp' }, owner: 'john', data: new TextEncoder().encode('(quit)') };
    expect(encodeValue(simple.FileCodec!, file)).toHaveLength(48);
  });

  it('refuses a filekind the enum does not define', () => {
    const bytes = encodeValue(simple.FilekindCodec!, 1);
    bytes[3] = 9;
    expect(() => decodeValue(simple.FilekindCodec!, bytes)).toThrow(/9 is not a value of this enum/);
  });
});
