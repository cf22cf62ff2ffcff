/**
 * Outgoing bytes of the RPC core: frames are encoded into one buffer and handed to the
 * transport once per tick (write coalescing), with the transport's backpressure, the reuse of
 * large buffers once written, and, for a peer that reads one frame per record (libvirtd over
 * TLS), one frame per write.
 */
import { XdrWriter } from '../xdr/index.js';
import type { RpcTransport } from './client.js';

/** Batches larger than this are handed over as they are (stream data), not copied. */
const COALESCE_HANDOFF = 64 * 1024;
/** Written-out large buffers kept for reuse. */
const MAX_SPARE_BUFFERS = 4;
/** Encoded and not yet handed over: more than this makes writers wait. */
const MAX_QUEUED = 4 * 1024 * 1024;

export class WriteBatch {
  /** Where the core encodes its frames; {@link schedule} after each. */
  out = new XdrWriter(1024);
  private flushScheduled = false;
  /** The transport asked to wait (or, frame by frame, frames still wait their turn). */
  private blocked = false;
  private stopped = false;
  private readonly spareBuffers: Uint8Array[] = [];
  private drainWaiters: (() => void)[] = [];
  /** Frames waiting for the previous one's write to finish, when frames go one per write. */
  private readonly frames: Uint8Array[] = [];
  private writing = false;

  constructor(private readonly transport: RpcTransport) {}

  /** Whether writers should wait before encoding more. */
  get needsDrain(): boolean {
    return this.blocked || this.out.pos > MAX_QUEUED;
  }

  /** Resolves when more may be written (at once if it may now, or once stopped). */
  waitDrain(): Promise<void> {
    if (!this.needsDrain || this.stopped) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  /** A frame was encoded into {@link out}: hand it over at the end of this tick. */
  schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** The transport can take more. */
  drain(): void {
    this.blocked = false;
    this.flush();
    this.wakeWaiters();
  }

  /** The connection is over: nothing more is written, and waiting writers go on (to fail). */
  stop(): void {
    this.stopped = true;
    this.frames.length = 0;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private flush(): void {
    if (this.blocked || this.out.pos === 0 || this.stopped) return;
    if (this.transport.oneFramePerWrite) return this.flushFrameByFrame();
    let bytes: Uint8Array;
    let written: (() => void) | undefined;
    if (this.out.pos > COALESCE_HANDOFF) {
      // Large batch (stream data): hand the buffer itself to the transport, go on in a spare
      // one, and take the handed one back as a spare once the transport is done with it. An
      // upload then cycles through a few buffers instead of allocating one per packet, whose
      // garbage collection cost more than the copy into them.
      bytes = this.out.finish();
      const handed = this.out.buf;
      this.out = new XdrWriter(this.spareBuffers.pop() ?? Math.min(handed.length, MAX_QUEUED));
      written = () => {
        if (this.spareBuffers.length < MAX_SPARE_BUFFERS && !this.stopped) this.spareBuffers.push(handed);
      };
    } else {
      bytes = this.out.finish().slice();
      this.out.reset();
    }
    if (!this.transport.write(bytes, written)) this.blocked = true;
    // A writer may be waiting because more than the limit was queued rather than because the
    // transport pushed back; a transport that took it all sends no drain, so wake it here.
    else if (this.drainWaiters.length) this.wakeWaiters();
  }

  /**
   * libvirtd reads one message and then waits for its socket; over TLS it does not look at
   * what GnuTLS has already decrypted, so two frames in one record stall it until more bytes
   * come. Frames then go one per write, each once the previous one is written (a stream
   * would merge queued writes into one record); writers wait while frames queue.
   */
  private flushFrameByFrame(): void {
    const bytes = this.out.finish().slice();
    this.out.reset();
    for (let at = 0; at + 4 <= bytes.length; ) {
      const len = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0);
      this.frames.push(bytes.subarray(at, at + len));
      at += len;
    }
    this.blocked = true;
    this.writeNextFrame();
  }

  private writeNextFrame(): void {
    if (this.writing || this.stopped) return;
    const frame = this.frames.shift();
    if (!frame) {
      this.blocked = false;
      this.flush();
      if (!this.blocked) this.wakeWaiters();
      return;
    }
    this.writing = true;
    this.transport.write(frame, () => {
      this.writing = false;
      this.writeNextFrame();
    });
  }

  private wakeWaiters(): void {
    if (!this.needsDrain) for (const w of this.drainWaiters.splice(0)) w();
  }
}
