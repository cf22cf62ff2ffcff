import { allocBytes } from './alloc.js';
import { XdrEncodeError } from './errors.js';

const encoder = new TextEncoder();
const PAD = 3;

/**
 * Appends XDR-encoded values to a growable buffer. One writer can be reused for many
 * messages (`reset()`), so steady-state encoding allocates nothing per field.
 *
 * Every method checks its value first and throws {@link XdrEncodeError} naming `field`,
 * so a bad value is reported before anything is sent.
 *
 * @example
 * ```ts
 * const w = new XdrWriter();
 * w.int(42, 'answer');
 * w.string('hello', 64, 'greeting');
 * const bytes = w.finish(); // 16 bytes
 * ```
 */
export class XdrWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  /** `initial`: a size to allocate, or a buffer to write into (and grow from). */
  constructor(initial: number | Uint8Array = 4096) {
    this.buf = typeof initial === 'number' ? allocBytes(initial) : initial;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Forgets what was written so the buffer can be reused. */
  reset(): void {
    this.pos = 0;
  }

  /** The bytes written so far: a view of the internal buffer, valid until the next write. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Makes room for `n` more bytes, growing geometrically. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = allocBytes(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  int(v: number, field: string): void {
    if ((v | 0) !== v) throw new XdrEncodeError(field, `expected a 32-bit signed integer, got ${describe(v)}`);
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }

  uint(v: number, field: string): void {
    if (v >>> 0 !== v) throw new XdrEncodeError(field, `expected a 32-bit unsigned integer, got ${describe(v)}`);
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }

  /** libvirt's `char`, `short` and their unsigned forms: range-checked, 4 bytes on the wire. */
  smallInt(v: number, min: number, max: number, field: string): void {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new XdrEncodeError(field, `expected an integer from ${min} to ${max}, got ${describe(v)}`);
    }
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }

  hyper(v: bigint, field: string): void {
    if (typeof v !== 'bigint' || BigInt.asIntN(64, v) !== v) {
      throw new XdrEncodeError(field, `expected a 64-bit signed bigint, got ${describe(v)}`);
    }
    this.ensure(8);
    this.view.setBigInt64(this.pos, v);
    this.pos += 8;
  }

  uhyper(v: bigint, field: string): void {
    if (typeof v !== 'bigint' || BigInt.asUintN(64, v) !== v) {
      throw new XdrEncodeError(field, `expected a 64-bit unsigned bigint, got ${describe(v)}`);
    }
    this.ensure(8);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
  }

  bool(v: boolean, field: string): void {
    if (typeof v !== 'boolean') throw new XdrEncodeError(field, `expected a boolean, got ${describe(v)}`);
    this.ensure(4);
    this.view.setInt32(this.pos, v ? 1 : 0);
    this.pos += 4;
  }

  float(v: number, field: string): void {
    if (typeof v !== 'number') throw new XdrEncodeError(field, `expected a number, got ${describe(v)}`);
    this.ensure(4);
    this.view.setFloat32(this.pos, v);
    this.pos += 4;
  }

  double(v: number, field: string): void {
    if (typeof v !== 'number') throw new XdrEncodeError(field, `expected a number, got ${describe(v)}`);
    this.ensure(8);
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
  }

  /** An enum value, checked against the values the protocol defines. */
  enumValue(v: number, valid: ReadonlySet<number>, field: string): void {
    if (!valid.has(v)) throw new XdrEncodeError(field, `${describe(v)} is not a value of this enum`);
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }

  /** `opaque name[len]`: exactly `len` bytes, padded to a multiple of four. */
  fixedOpaque(v: Uint8Array, len: number, field: string): void {
    if (!(v instanceof Uint8Array)) throw new XdrEncodeError(field, `expected a Uint8Array, got ${describe(v)}`);
    if (v.length !== len) throw new XdrEncodeError(field, `expected exactly ${len} bytes, got ${v.length}`);
    this.rawPadded(v);
  }

  /** `opaque name<max>`: a length, the bytes, padding. */
  varOpaque(v: Uint8Array, max: number, field: string): void {
    if (!(v instanceof Uint8Array)) throw new XdrEncodeError(field, `expected a Uint8Array, got ${describe(v)}`);
    if (v.length > max) throw new XdrEncodeError(field, `${v.length} bytes is over the bound of ${max}`);
    this.ensure(4);
    this.view.setUint32(this.pos, v.length);
    this.pos += 4;
    this.rawPadded(v);
  }

  /** `string name<max>`: UTF-8 bytes with a length prefix; `max` counts bytes. */
  string(v: string, max: number, field: string): void {
    if (typeof v !== 'string') throw new XdrEncodeError(field, `expected a string, got ${describe(v)}`);
    const n = v.length;
    // Room for the worst case (3 bytes per UTF-16 unit) plus length and padding.
    this.ensure(4 + n * 3 + PAD);
    const buf = this.buf;
    const start = this.pos + 4;
    let len = 0;
    if (n < 64) {
      // Short strings: a plain loop beats the TextEncoder call; fall back on non-ASCII or NUL.
      let i = 0;
      for (; i < n; i++) {
        const c = v.charCodeAt(i);
        if (c >= 0x80 || c === 0) break;
        buf[start + i] = c;
      }
      if (i === n) len = n;
      else {
        checkCString(v, field);
        len = encoder.encodeInto(v, buf.subarray(start)).written;
      }
    } else {
      checkCString(v, field);
      len = encoder.encodeInto(v, buf.subarray(start)).written;
    }
    if (len > max) throw new XdrEncodeError(field, `string of ${len} bytes is over the bound of ${max}`);
    this.view.setUint32(this.pos, len);
    let end = start + len;
    while (end & 3) buf[end++] = 0;
    this.pos = end;
  }

  /**
   * Checks that a struct or union value is an object, so that a missing argument is named
   * here rather than failing as a TypeError on its first field.
   */
  struct(v: unknown, field: string): void {
    if (typeof v !== 'object' || v === null) throw new XdrEncodeError(field, `expected an object, got ${describe(v)}`);
  }

  /** Length prefix of a variable-length array, checked against its bound. */
  arrayLength(v: readonly unknown[], max: number, field: string): void {
    if (!Array.isArray(v)) throw new XdrEncodeError(field, `expected an array, got ${describe(v)}`);
    if (v.length > max) throw new XdrEncodeError(field, `${v.length} elements is over the bound of ${max}`);
    this.ensure(4);
    this.view.setUint32(this.pos, v.length);
    this.pos += 4;
  }

  /** Checks a fixed-length array (nothing goes on the wire for its length). */
  fixedArray(v: readonly unknown[], len: number, field: string): void {
    if (!Array.isArray(v)) throw new XdrEncodeError(field, `expected an array, got ${describe(v)}`);
    if (v.length !== len) throw new XdrEncodeError(field, `expected exactly ${len} elements, got ${v.length}`);
  }

  /** Raw bytes with no length and no padding (stream payloads). */
  raw(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  private rawPadded(v: Uint8Array): void {
    const n = v.length;
    this.ensure(n + PAD);
    this.buf.set(v, this.pos);
    let end = this.pos + n;
    while (end & 3) this.buf[end++] = 0;
    this.pos = end;
  }
}

/**
 * Refuses a string libvirtd would read as another one: it takes strings as C strings, so an
 * embedded NUL ends them early (`'test\0evil'` finds domain `test`), and a lone UTF-16
 * surrogate has no UTF-8 form (TextEncoder would send U+FFFD instead). python3-libvirt
 * refuses both too.
 */
export function checkCString(v: string, field: string): void {
  const nul = v.indexOf('\0');
  if (nul >= 0) throw new XdrEncodeError(field, `embedded NUL character at index ${nul}: libvirt would end the string there`);
  if (!(v as WellFormed).isWellFormed()) {
    throw new XdrEncodeError(field, `lone surrogate at index ${loneSurrogate(v)}: it has no UTF-8 form`);
  }
}

/** ES2024, in every runtime this library supports (Node 20), but not in the ES2022 lib. */
type WellFormed = string & { isWellFormed(): boolean };

function loneSurrogate(v: string): number {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = v.charCodeAt(i + 1);
    if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return i;
    i++;
  }
  return -1;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}
