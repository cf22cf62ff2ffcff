/**
 * Typed parameters both ways: the objects made from the daemon's arrays read as plain
 * objects, remember each wire type, and go back to the daemon unchanged.
 */
import { type WireTypedParam, typedParamTypes, typedParamsFromWire, typedParamsToWire } from '../../src/xdr/index.js';

const wire: WireTypedParam[] = [
  { field: 'cpu_shares', value: { type: 4, ul: 1024n } },
  { field: 'weight', value: { type: 2, ui: 500 } },
  { field: 'offset', value: { type: 1, i: -3 } },
  { field: 'ratio', value: { type: 5, d: 0.5 } },
  { field: 'enabled', value: { type: 6, b: 1 } },
  { field: 'name', value: { type: 7, s: 'sda' } },
  { field: 'cpu.time', value: { type: 3, l: 7n } },
  { field: 'cpu.time', value: { type: 3, l: 8n } },
  { field: 'cpu.time', value: { type: 3, l: 9n } },
];

describe('typed parameters', () => {
  it('read as a plain object, repeated names as arrays in order', () => {
    const params = typedParamsFromWire(wire);
    expect(params).toEqual({ cpu_shares: 1024n, weight: 500, offset: -3, ratio: 0.5, enabled: true, name: 'sda', 'cpu.time': [7n, 8n, 9n] });
    expect(Object.keys(params)).toEqual(['cpu_shares', 'weight', 'offset', 'ratio', 'enabled', 'name', 'cpu.time']);
    expect(JSON.parse(JSON.stringify(params, (_k, v) => (typeof v === 'bigint' ? String(v) : v)))).toMatchObject({ weight: 500, name: 'sda' });
  });

  it('remember the wire types, and go back unchanged', () => {
    const params = typedParamsFromWire(wire);
    expect(typedParamTypes(params)).toEqual({ cpu_shares: 'ullong', weight: 'uint', offset: 'int', ratio: 'double', enabled: 'boolean', name: 'string', 'cpu.time': 'llong' });
    expect(typedParamsToWire(params)).toEqual(wire);
    // A changed value keeps its wire type: 7 stays unsigned 32-bit, not int.
    params.weight = 7;
    expect(typedParamsToWire(params)[1]).toEqual({ field: 'weight', value: { type: 2, ui: 7 } });
  });

  it('keep names that are properties of every object', () => {
    const odd: WireTypedParam[] = [
      { field: '__proto__', value: { type: 1, i: 1 } },
      { field: 'constructor', value: { type: 1, i: 2 } },
      { field: 'toString', value: { type: 1, i: 3 } },
      { field: '__proto__', value: { type: 1, i: 4 } },
    ];
    const params = typedParamsFromWire(odd);
    expect(Object.getOwnPropertyNames(params)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getOwnPropertyDescriptor(params, '__proto__')?.value).toEqual([1, 4]);
    expect(params.constructor).toBe(2);
    expect(typedParamsToWire(params)).toEqual([odd[0], odd[3], odd[1], odd[2]]);
  });

  it('infer types for objects made by hand (unsigned unless negative), or take them spelled out', () => {
    expect(typedParamsToWire({ big: 5n, small: 5, negative: -5, flag: false, text: 'x', fraction: 1.5, cap: { type: 'llong', value: 10n }, constructor: 1 })).toEqual([
      { field: 'big', value: { type: 4, ul: 5n } },
      { field: 'small', value: { type: 2, ui: 5 } },
      { field: 'negative', value: { type: 1, i: -5 } },
      { field: 'flag', value: { type: 6, b: 0 } },
      { field: 'text', value: { type: 7, s: 'x' } },
      { field: 'fraction', value: { type: 5, d: 1.5 } },
      { field: 'cap', value: { type: 3, l: 10n } },
      { field: 'constructor', value: { type: 2, ui: 1 } },
    ]);
  });
});
