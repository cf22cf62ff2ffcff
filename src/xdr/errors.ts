/**
 * Errors raised by the XDR runtime. Encode errors happen before a single byte is sent;
 * decode errors name the type being read and the byte offset where the input went wrong.
 */

/** Base class of every XDR encode or decode failure. */
export class XdrError extends Error {
  override name = 'XdrError';
}

/**
 * A value that cannot be encoded: wrong JavaScript type, out of range for its XDR type, or
 * over a bound declared in the protocol (`string<N>`, `T<N>`, `opaque[N]`).
 *
 * @example
 * ```ts
 * try { encodeRemoteNonnullDomain(w, { name: 'x'.repeat(5e6), uuid, id: 1 }); }
 * catch (e) { if (e instanceof XdrEncodeError) console.log(e.field); }
 * ```
 */
export class XdrEncodeError extends XdrError {
  override name = 'XdrEncodeError';
  /** `Type.field` that held the offending value. */
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`cannot encode ${field}: ${problem}`);
    this.field = field;
  }
}

/**
 * Input that does not decode: truncated, a length over its bound, an enum value or union
 * discriminant the protocol does not define, or bytes left over after the value.
 */
export class XdrDecodeError extends XdrError {
  override name = 'XdrDecodeError';
  /** The XDR type (and field, where known) being decoded. */
  type: string;
  /** Byte offset into the input where decoding failed. */
  readonly offset: number;
  readonly problem: string;
  constructor(type: string, offset: number, problem: string) {
    super(XdrDecodeError.format(type, offset, problem));
    this.type = type;
    this.offset = offset;
    this.problem = problem;
  }

  /** Names the outermost type when the failure happened inside a field with no label. */
  withRootType(root: string): this {
    if (this.type === '') {
      this.type = root;
      this.message = XdrDecodeError.format(root, this.offset, this.problem);
    }
    return this;
  }

  private static format(type: string, offset: number, problem: string): string {
    return `cannot decode ${type || 'value'} at byte ${offset}: ${problem}`;
  }
}
