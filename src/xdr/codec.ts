import { XdrDecodeError } from './errors.js';
import { XdrReader } from './reader.js';
import { XdrWriter } from './writer.js';

/**
 * The encoder and decoder of one XDR type, as the generated protocol modules export them
 * (`RemoteNonnullDomainCodec`, ...).
 *
 * @example
 * ```ts
 * const bytes = encodeValue(RemoteNonnullDomainCodec, dom);
 * const back = decodeValue(RemoteNonnullDomainCodec, bytes);
 * ```
 */
export interface Codec<T> {
  /** The type's name in the .x file. */
  readonly name: string;
  encode(w: XdrWriter, v: T): void;
  decode(r: XdrReader): T;
}

/** Encodes one value into a fresh byte array. */
export function encodeValue<T>(codec: Codec<T>, value: T): Uint8Array {
  const w = new XdrWriter(256);
  codec.encode(w, value);
  return w.finish().slice();
}

/**
 * Decodes one value that must span exactly `bytes` (or `r` up to its end); any failure is
 * an {@link XdrDecodeError} that names the type and the byte offset.
 */
export function decodeValue<T>(codec: Codec<T>, bytes: Uint8Array | XdrReader): T {
  const r = bytes instanceof XdrReader ? bytes : new XdrReader(bytes);
  try {
    const v = codec.decode(r);
    r.done(codec.name);
    return v;
  } catch (e) {
    if (e instanceof XdrDecodeError) throw e.withRootType(codec.name);
    if (e instanceof RangeError) throw new XdrDecodeError(codec.name, r.pos, e.message);
    throw e;
  }
}
