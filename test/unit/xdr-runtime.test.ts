import { XdrDecodeError, XdrEncodeError, XdrReader, XdrWriter } from '../../src/xdr/index.js';

describe('XdrWriter', () => {
  it('writes big-endian integers, hypers and floats', () => {
    const w = new XdrWriter(4);
    w.int(-2, 'i');
    w.uint(0xffffffff, 'u');
    w.hyper(-1n, 'h');
    w.uhyper(2n ** 64n - 1n, 'uh');
    w.double(1.5, 'd');
    w.float(0.5, 'f');
    w.bool(true, 'b');
    expect(Buffer.from(w.finish()).toString('hex')).toBe(
      'fffffffe' + 'ffffffff' + 'ffffffffffffffff' + 'ffffffffffffffff' + '3ff8000000000000' + '3f000000' + '00000001',
    );
  });

  it('pads strings and opaques to four bytes and counts string bounds in bytes', () => {
    const w = new XdrWriter(1);
    w.string('héllo', 6, 's');
    w.varOpaque(new Uint8Array([1, 2, 3]), 3, 'o');
    expect(Buffer.from(w.finish()).toString('hex')).toBe('00000006' + '68c3a96c6c6f0000' + '00000003' + '01020300');
    expect(() => w.string('héllo', 5, 'T.name')).toThrow(/T\.name.*6 bytes is over the bound of 5/);
  });

  it('rejects values of the wrong kind or range with the field name', () => {
    const w = new XdrWriter();
    expect(() => w.int(2 ** 31, 'T.a')).toThrow(XdrEncodeError);
    expect(() => w.int(1.5, 'T.a')).toThrow(/T\.a/);
    expect(() => w.uint(-1, 'T.b')).toThrow(/unsigned/);
    expect(() => w.hyper(2n ** 63n, 'T.c')).toThrow(/64-bit signed/);
    expect(() => w.uhyper(-1n, 'T.d')).toThrow(/64-bit unsigned/);
    expect(() => w.string(undefined as unknown as string, 10, 'T.e')).toThrow(/expected a string/);
    expect(() => w.smallInt(300, -128, 127, 'T.f')).toThrow(/-128 to 127/);
    expect(() => w.fixedOpaque(new Uint8Array(3), 16, 'T.uuid')).toThrow(/exactly 16 bytes/);
    expect(() => w.arrayLength([1, 2, 3], 2, 'T.list')).toThrow(/3 elements is over the bound of 2/);
  });

  it('grows geometrically and can be reused', () => {
    const w = new XdrWriter(4);
    for (let i = 0; i < 1000; i++) w.int(i, 'i');
    expect(w.finish().length).toBe(4000);
    expect(w.buf.length).toBe(4096);
    w.reset();
    w.int(7, 'i');
    expect(w.finish().length).toBe(4);
  });
});

describe('XdrReader', () => {
  it('reads what the writer wrote', () => {
    const w = new XdrWriter();
    w.int(-5, 'a');
    w.string('ünïcode and a long tail that is longer than sixty-four characters in total', 1000, 'b');
    w.string('short', 10, 'c');
    w.hyper(-(2n ** 62n), 'd');
    const r = new XdrReader(w.finish());
    expect(r.int()).toBe(-5);
    expect(r.string(1000, 'b')).toBe('ünïcode and a long tail that is longer than sixty-four characters in total');
    expect(r.string(10, 'c')).toBe('short');
    expect(r.hyper()).toBe(-(2n ** 62n));
    r.done('T');
  });

  it('names the type and offset when input is truncated or over a bound', () => {
    const r = new XdrReader(new Uint8Array([0, 0, 0, 9, 1, 2]));
    expect(() => r.string(100, 'T.s')).toThrow(XdrDecodeError);
    try {
      new XdrReader(new Uint8Array([0, 0, 0, 200])).string(100, 'T.s');
    } catch (e) {
      expect(e).toBeInstanceOf(XdrDecodeError);
      expect((e as XdrDecodeError).offset).toBe(0);
      expect((e as Error).message).toMatch(/T\.s at byte 0: length 200 bytes is over the bound of 100/);
    }
  });

  it('refuses array counts the input cannot hold before allocating', () => {
    const r = new XdrReader(new Uint8Array([0x00, 0xff, 0xff, 0xff]));
    expect(() => r.arrayLength(0xffffffff, 'T.list')).toThrow(/cannot fit/);
  });

  it('rejects booleans and optional flags other than 0 and 1', () => {
    expect(() => new XdrReader(new Uint8Array([0, 0, 0, 2])).bool('T.b')).toThrow(/not a boolean/);
    expect(() => new XdrReader(new Uint8Array([0, 0, 0, 2])).optional('T.o')).toThrow(/optional-data flag/);
  });

  it('reads repeating names through its cache exactly as strings, bounds and all', () => {
    const w = new XdrWriter();
    // 2,000 distinct names and then the first ones again: every slot collides many times.
    const names = Array.from({ length: 2000 }, (_, i) => `vcpu.${i}.time`);
    for (const n of [...names, ...names.slice(0, 50), 'é😀', 'x'.repeat(100)]) w.string(n, 1000, 'n');
    const r = new XdrReader(w.finish());
    const read = Array.from({ length: 2052 }, () => r.name(1000, 'T.name'));
    expect(read).toEqual([...names, ...names.slice(0, 50), 'é😀', 'x'.repeat(100)]);
    expect(() => new XdrReader(new Uint8Array([0, 0, 0, 9, 97, 98])).name(100, 'T.name')).toThrow(XdrDecodeError);
    expect(() => new XdrReader(new Uint8Array([0, 0, 0, 9, 97, 98])).name(4, 'T.name')).toThrow(/T\.name/);
  });
});
