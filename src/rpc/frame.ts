/**
 * Splits a byte stream into libvirt RPC frames. Each frame starts with a 4-byte length that
 * counts itself. Chunks are appended to one growing buffer and read with a cursor, so
 * nothing is concatenated per chunk; a bad length is refused before anything is allocated.
 */
import { VIR_NET_MESSAGE_HEADER_MAX, VIR_NET_MESSAGE_LEN_MAX, VIR_NET_MESSAGE_MAX } from '../../protocol/virnet.js';
import { allocBytes } from '../xdr/alloc.js';
import { ProtocolError } from '../errors.js';
import { type MessageHeader, PAYLOAD_OFFSET, readHeader } from './header.js';

/** Smallest legal frame: the length word plus a header. */
export const MIN_FRAME = VIR_NET_MESSAGE_LEN_MAX + VIR_NET_MESSAGE_HEADER_MAX;
/** Largest legal frame: the message limit plus the length word, which it does not count. */
export const MAX_FRAME = VIR_NET_MESSAGE_MAX + VIR_NET_MESSAGE_LEN_MAX;
/**
 * Frames at least this large that arrive in pieces are gathered into a buffer of their own,
 * which the consumer may keep (stream data): one copy fewer per 256 KiB packet.
 */
const OWN_BUFFER_MIN = 64 * 1024;
/** Given-back buffers kept for reuse. */
const MAX_SPARES = 48;

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
  /** A large frame being gathered in a buffer of its own, and how much of it has arrived. */
  private own: Uint8Array | undefined;
  private ownFilled = 0;
  /** Buffers of owned frames that their consumer gave back ({@link recycle}). */
  private readonly spares: ArrayBuffer[] = [];
  /** Buffers of owned frames handed out and not given back: only those are taken back, once. */
  private readonly lent = new WeakSet<ArrayBufferLike>();

  /** Bytes received that do not yet make a whole frame. */
  get buffered(): number {
    return this.end - this.start + this.ownFilled;
  }

  /**
   * Feeds a chunk; calls `onFrame` with each complete frame (length word included). Unless
   * `owned` is true the frame is a view of a buffer that is reused, valid only during the
   * callback; an owned frame is the caller's to keep.
   * Throws ProtocolError on an impossible length; the stream cannot be resynchronised after.
   */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array, owned: boolean) => void): void {
    let off = this.own ? this.fillOwn(chunk, onFrame) : 0;
    // Fast path: nothing buffered and the chunk holds whole frames. Frames are handed out
    // as views of the chunk itself.
    if (this.start === this.end) {
      while (chunk.length - off >= 4) {
        const len = frameLength(chunk, off);
        if (chunk.length - off < len) {
          if (len >= OWN_BUFFER_MIN) return this.startOwn(len, chunk.subarray(off));
          break;
        }
        onFrame(chunk.subarray(off, off + len), false);
        off += len;
      }
      if (off === chunk.length) return;
    }
    this.append(chunk, off);
    while (this.end - this.start >= 4) {
      const len = frameLength(this.buf, this.start);
      if (this.end - this.start < len) {
        if (len >= OWN_BUFFER_MIN) {
          this.startOwn(len, this.buf.subarray(this.start, this.end));
          this.start = this.end = 0;
        } else {
          this.reserve(len);
        }
        return;
      }
      const at = this.start;
      this.start += len;
      onFrame(this.buf.subarray(at, at + len), false);
    }
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** Begins gathering a frame of `len` bytes, of which `head` (the beginning) has arrived. */
  private startOwn(len: number, head: Uint8Array): void {
    const i = this.spares.findIndex((b) => b.byteLength >= len);
    if (i >= 0) {
      this.own = new Uint8Array(this.spares[i]!, 0, len);
      this.spares.splice(i, 1);
    } else {
      this.own = allocBytes(len);
    }
    this.own.set(head);
    this.ownFilled = head.length;
  }

  /**
   * Gives back the buffer of an owned frame (any view into it) once nothing reads it any
   * more, for the next large frame to be gathered into. Views of anything else are ignored.
   */
  recycle(view: Uint8Array): void {
    const buffer = view.buffer;
    if (!this.lent.has(buffer)) return;
    this.lent.delete(buffer);
    if (this.spares.length < MAX_SPARES) this.spares.push(buffer as ArrayBuffer);
  }

  /** Forgets the given-back buffers (no stream left to use them). */
  dropSpares(): void {
    this.spares.length = 0;
  }

  /** Adds the chunk's bytes to the frame being gathered; returns how many it took. */
  private fillOwn(chunk: Uint8Array, onFrame: (frame: Uint8Array, owned: boolean) => void): number {
    const own = this.own!;
    const n = Math.min(own.length - this.ownFilled, chunk.length);
    own.set(n === chunk.length ? chunk : chunk.subarray(0, n), this.ownFilled);
    this.ownFilled += n;
    if (this.ownFilled === own.length) {
      this.own = undefined;
      this.ownFilled = 0;
      this.lent.add(own.buffer);
      onFrame(own, true);
    }
    return n;
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

/**
 * The headers of the frames in a byte stream, without keeping their payloads: for a relay
 * that passes the bytes on as they are and only needs to see what each frame is (the
 * bridge's audit of replies). Only the 28 header bytes are ever copied.
 */
export class HeaderScanner {
  /** Payload bytes of the current frame still to pass over. */
  private skip = 0;
  private readonly head = new Uint8Array(PAYLOAD_OFFSET);
  private have = 0;

  /** Feeds a chunk; calls `onHeader` once per frame, when its header is complete. Throws ProtocolError on an impossible length. */
  push(chunk: Uint8Array, onHeader: (h: MessageHeader) => void): void {
    for (let at = 0; at < chunk.length; ) {
      if (this.skip) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      const n = Math.min(PAYLOAD_OFFSET - this.have, chunk.length - at);
      this.head.set(chunk.subarray(at, at + n), this.have);
      this.have += n;
      at += n;
      if (this.have < PAYLOAD_OFFSET) return;
      const len = frameLength(this.head, 0);
      this.have = 0;
      this.skip = len - PAYLOAD_OFFSET;
      onHeader(readHeader(new DataView(this.head.buffer), 0));
    }
  }
}

function frameLength(buf: Uint8Array, at: number): number {
  const len = ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
  if (len < MIN_FRAME) throw new ProtocolError(`frame length ${len} is below the ${MIN_FRAME}-byte minimum`);
  if (len > MAX_FRAME) throw new ProtocolError(`frame length ${len} is over the ${MAX_FRAME}-byte maximum`);
  return len;
}
