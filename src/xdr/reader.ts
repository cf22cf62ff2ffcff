import { XdrDecodeError } from './errors.js';

const decoder = new TextDecoder('utf-8');

/** Names longer than this are decoded every time (libvirt's parameter names are shorter). */
const NAME_CACHE_MAX_BYTES = 64;
/** Direct-mapped by a hash of the bytes; a power of two. Shared by every reader. */
const NAME_CACHE_SLOTS = 512;
const nameCache: ({ bytes: Uint8Array; text: string } | undefined)[] = new Array(NAME_CACHE_SLOTS).fill(undefined);

/**
 * Reads XDR values from a byte range, checking every length against both the input and
 * the protocol's bounds before it allocates anything.
 *
 * Labels passed to the variable-length readers name the type and field in errors; a
 * failure in a fixed-size read carries no label and is named by {@link decodeAll}.
 *
 * @example
 * ```ts
 * const r = new XdrReader(bytes);
 * const n = r.int();
 * const s = r.string(64, 'greeting');
 * r.done('Greeting');
 * ```
 */
export class XdrReader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, label: string): void {
    if (this.pos + n > this.end) {
      throw new XdrDecodeError(label, this.pos, `truncated: needs ${n} bytes, ${this.end - this.pos} left`);
    }
  }

  int(): number {
    if (this.pos + 4 > this.end) this.need(4, '');
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  uint(): number {
    if (this.pos + 4 > this.end) this.need(4, '');
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /** libvirt's `char`, `short` and unsigned forms: an int that must fit the narrower type. */
  smallInt(min: number, max: number, label: string): number {
    const at = this.pos;
    const v = this.int();
    if (v < min || v > max) throw new XdrDecodeError(label, at, `${v} is outside ${min}..${max}`);
    return v;
  }

  hyper(): bigint {
    if (this.pos + 8 > this.end) this.need(8, '');
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }

  uhyper(): bigint {
    if (this.pos + 8 > this.end) this.need(8, '');
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  bool(label: string): boolean {
    const at = this.pos;
    const v = this.int();
    if (v === 1) return true;
    if (v === 0) return false;
    throw new XdrDecodeError(label, at, `${v} is not a boolean (0 or 1)`);
  }

  float(): number {
    if (this.pos + 4 > this.end) this.need(4, '');
    const v = this.view.getFloat32(this.pos);
    this.pos += 4;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) this.need(8, '');
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  enumValue(valid: ReadonlySet<number>, label: string): number {
    const at = this.pos;
    const v = this.int();
    if (!valid.has(v)) throw new XdrDecodeError(label, at, `${v} is not a value of this enum`);
    return v;
  }

  /** A union discriminant the protocol does not define (no default arm). */
  badDiscriminant(value: number, label: string): never {
    throw new XdrDecodeError(label, this.pos - 4, `${value} is not a discriminant of this union`);
  }

  /** Presence word of an optional value. */
  optional(label: string): boolean {
    const at = this.pos;
    const v = this.int();
    if (v === 1) return true;
    if (v === 0) return false;
    throw new XdrDecodeError(label, at, `${v} is not an optional-data flag (0 or 1)`);
  }

  fixedOpaque(len: number, label: string): Uint8Array {
    const padded = (len + 3) & ~3;
    this.need(padded, label);
    // A copy, as a plain Uint8Array: the input may be a Node Buffer (whose slice() is a view)
    // or a buffer the frame splitter reuses.
    const v = new Uint8Array(this.buf.subarray(this.pos, this.pos + len));
    this.pos += padded;
    return v;
  }

  varOpaque(max: number, label: string): Uint8Array {
    const len = this.length(max, label, 'bytes');
    return this.fixedOpaque(len, label);
  }

  string(max: number, label: string): string {
    const len = this.length(max, label, 'bytes');
    const padded = (len + 3) & ~3;
    this.need(padded, label);
    const start = this.pos;
    this.pos += padded;
    // TextDecoder beats a hand-written ASCII loop on current V8, even for short strings.
    return decoder.decode(this.buf.subarray(start, start + len));
  }

  /**
   * A string that comes back again and again with the same bytes: the names of typed
   * parameters, repeated in every record of a stats reply. Short ones are looked up in a
   * small cache by their bytes, which skips the UTF-8 decoding and hands out the same string
   * each time (so using it as a property key needs no new lookup in V8's string table).
   */
  name(max: number, label: string): string {
    const len = this.length(max, label, 'bytes');
    const padded = (len + 3) & ~3;
    this.need(padded, label);
    const start = this.pos;
    this.pos += padded;
    if (len > NAME_CACHE_MAX_BYTES) return decoder.decode(this.buf.subarray(start, start + len));
    const buf = this.buf;
    let hash = len;
    for (let i = start; i < start + len; i++) hash = (Math.imul(hash, 31) + buf[i]!) | 0;
    const slot = hash & (NAME_CACHE_SLOTS - 1);
    const hit = nameCache[slot];
    if (hit !== undefined && hit.bytes.length === len) {
      const bytes = hit.bytes;
      let i = 0;
      while (i < len && bytes[i] === buf[start + i]) i++;
      if (i === len) return hit.text;
    }
    const text = decoder.decode(buf.subarray(start, start + len));
    nameCache[slot] = { bytes: buf.slice(start, start + len), text };
    return text;
  }

  /** Element count of a variable-length array, checked against its bound and the input. */
  arrayLength(max: number, label: string, minElementSize = 4): number {
    const at = this.pos;
    const len = this.length(max, label, 'elements');
    // Every element takes at least minElementSize bytes: refuse counts the input cannot hold
    // before an array of that size is allocated.
    if (len * minElementSize > this.end - this.pos) {
      throw new XdrDecodeError(label, at, `truncated: ${len} elements cannot fit in ${this.end - this.pos} bytes`);
    }
    return len;
  }

  /** Throws unless every byte was consumed. */
  done(label: string): void {
    if (this.pos !== this.end) {
      throw new XdrDecodeError(label, this.pos, `${this.end - this.pos} bytes left over after the value`);
    }
  }

  private length(max: number, label: string, unit: string): number {
    const at = this.pos;
    const len = this.uint();
    if (len > max) throw new XdrDecodeError(label, at, `length ${len} ${unit} is over the bound of ${max}`);
    return len;
  }
}
