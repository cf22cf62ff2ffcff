/**
 * Splits a byte stream into libvirt RPC frames. Each frame starts with a 4-byte length that
 * counts itself. Chunks are appended to one growing buffer and read with a cursor, so
 * nothing is concatenated per chunk; a bad length is refused before anything is allocated.
 */
import { VIR_NET_MESSAGE_HEADER_MAX, VIR_NET_MESSAGE_LEN_MAX, VIR_NET_MESSAGE_MAX } from '../../protocol/virnet.js';
import { ProtocolError } from './errors.js';

/** Smallest legal frame: the length word plus a header. */
export const MIN_FRAME = VIR_NET_MESSAGE_LEN_MAX + VIR_NET_MESSAGE_HEADER_MAX;
/** Largest legal frame: the message limit plus the length word, which it does not count. */
export const MAX_FRAME = VIR_NET_MESSAGE_MAX + VIR_NET_MESSAGE_LEN_MAX;

/**
 * @example
 * ```ts
 * const splitter = new FrameSplitter();
 * socket.on('data', (chunk) => splitter.push(chunk, (frame) => handle(frame)));
 * ```
 */
export class FrameSplitter {
  // Empty until a frame arrives split across chunks; most frames never need it.
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;

  /** Bytes received that do not yet make a whole frame. */
  get buffered(): number {
    return this.end - this.start;
  }

  /**
   * Feeds a chunk; calls `onFrame` with each complete frame (length word included). The
   * frame is a view into an internal buffer, valid only during the callback.
   * Throws ProtocolError on an impossible length; the stream cannot be resynchronised after.
   */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    // Fast path: nothing buffered and the chunk holds whole frames. Frames are handed out
    // as views of the chunk itself.
    let off = 0;
    if (this.start === this.end) {
      while (chunk.length - off >= 4) {
        const len = frameLength(chunk, off);
        if (chunk.length - off < len) break;
        onFrame(chunk.subarray(off, off + len));
        off += len;
      }
      if (off === chunk.length) return;
    }
    this.append(chunk, off);
    while (this.end - this.start >= 4) {
      const len = frameLength(this.buf, this.start);
      if (this.end - this.start < len) {
        this.reserve(len);
        return;
      }
      const at = this.start;
      this.start += len;
      onFrame(this.buf.subarray(at, at + len));
    }
    if (this.start === this.end) this.start = this.end = 0;
  }

  private append(chunk: Uint8Array, from: number): void {
    const n = chunk.length - from;
    if (this.end + n > this.buf.length) this.compactOrGrow(this.end - this.start + n);
    this.buf.set(from === 0 ? chunk : chunk.subarray(from), this.end);
    this.end += n;
  }

  /** Makes sure a frame of `len` bytes fits once it has arrived. */
  private reserve(len: number): void {
    if (this.start + len > this.buf.length) this.compactOrGrow(len);
  }

  private compactOrGrow(need: number): void {
    const live = this.buf.subarray(this.start, this.end);
    if (need <= this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      let size = Math.max(this.buf.length * 2, 64 * 1024);
      while (size < need) size *= 2;
      const next = new Uint8Array(size);
      next.set(live);
      this.buf = next;
    }
    this.end -= this.start;
    this.start = 0;
  }
}

function frameLength(buf: Uint8Array, at: number): number {
  const len = ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
  if (len < MIN_FRAME) throw new ProtocolError(`frame length ${len} is below the ${MIN_FRAME}-byte minimum`);
  if (len > MAX_FRAME) throw new ProtocolError(`frame length ${len} is over the ${MAX_FRAME}-byte maximum`);
  return len;
}
