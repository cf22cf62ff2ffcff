/**
 * A libvirt data stream: the STREAM packets that follow a streaming call (volume upload and
 * download, screenshots, consoles). Data is read and written in chunks of at most 256 KiB, the
 * daemon's limit; a download pauses the socket when the consumer falls behind instead of
 * buffering without bound; finish() and abort() end it as libvirt's client does.
 */
import type { Readable, Writable } from 'node:stream';
import { VirNetMessageErrorCodec, VirNetStreamHoleCodec } from '../../protocol/virnet.js';
import type { ProcedureInfo } from '../xdr/index.js';
import type { RpcClient, StreamSink } from '../rpc/client.js';
import { AbortError, LibvirtError, NotSupportedError, ProtocolError } from '../errors.js';
import { type MessageHeader, MessageStatus, MessageType } from '../rpc/header.js';
import { decodeValue, encodeValue } from '../xdr/index.js';

/** The daemon refuses stream packets larger than this. */
export const STREAM_CHUNK = 256 * 1024;
/** Buffered download bytes above which the socket stops being read. */
const HIGH_WATER = 4 * 1024 * 1024;

/** What a read of a stream gives: data, a hole (sparse streams), or the end (null). */
export type StreamItem = Uint8Array | { hole: bigint };

export class LibvirtStream implements StreamSink {
  private readonly queue: StreamItem[] = [];
  private buffered = 0;
  private paused = false;
  private eof = false;
  private error: Error | undefined;
  private waiter: (() => void) | undefined;
  private finishing: { resolve(): void; reject(e: Error): void } | undefined;
  private finished: Promise<void> | undefined;

  /** The serial of the call that opened the stream (set by the RPC core). */
  serial = 0;

  constructor(
    private readonly rpc: RpcClient,
    private readonly proc: ProcedureInfo<any, any, any>,
  ) {}

  // StreamSink: packets from the daemon.
  packet(h: MessageHeader, payload: Uint8Array, owned: boolean): void {
    if (h.type === MessageType.STREAM_HOLE) {
      if (h.status === MessageStatus.CONTINUE) return this.enqueue({ hole: decodeValue(VirNetStreamHoleCodec, payload).length });
    } else if (h.status === MessageStatus.CONTINUE) {
      if (payload.length) {
        // A payload that is a view of a buffer the RPC core reuses is copied to be kept.
        this.enqueue(owned ? payload : payload.slice());
      } else {
        // An empty CONTINUE is the daemon's end of data: confirm it, as virStreamFinish does.
        this.eof = true;
        this.wake();
        void this.finish().catch(() => undefined);
      }
      return;
    }
    if (h.status === MessageStatus.OK) {
      this.rpc.endStream(this.serial);
      this.eof = true;
      this.unpause();
      this.finishing?.resolve();
      this.finishing = undefined;
      this.wake();
      return;
    }
    let err: Error;
    try {
      err = payload.length ? new LibvirtError(decodeValue(VirNetMessageErrorCodec, payload), this.proc.name) : new ProtocolError(`${this.proc.name}: stream error with no details`);
    } catch (e) {
      err = new ProtocolError(`${this.proc.name}: stream error that does not decode`, { cause: e });
    }
    this.failed(err);
  }

  failed(error: Error): void {
    this.rpc.endStream(this.serial);
    this.error ??= error;
    this.unpause();
    this.finishing?.reject(error);
    this.finishing = undefined;
    this.wake();
  }

  private enqueue(item: StreamItem): void {
    this.queue.push(item);
    if (item instanceof Uint8Array) this.buffered += item.length;
    if (this.buffered > HIGH_WATER && !this.paused) {
      this.paused = true;
      this.rpc.pauseReading();
    }
    this.wake();
  }

  /**
   * Gives back this stream's hold on the socket. Also once the stream has ended: no more of
   * its packets can come, so holding the socket would only stall the rest of the connection.
   */
  private unpause(): void {
    if (!this.paused) return;
    this.paused = false;
    this.rpc.resumeReading();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next chunk or hole, or null at the end. Throws the stream's error. */
  async read(): Promise<StreamItem | null> {
    while (!this.queue.length) {
      if (this.error) throw this.error;
      if (this.eof) return null;
      await new Promise<void>((r) => (this.waiter = r));
    }
    const item = this.queue.shift()!;
    if (item instanceof Uint8Array) this.buffered -= item.length;
    if (this.buffered < HIGH_WATER / 2) this.unpause();
    return item;
  }

  /**
   * Hands back chunks returned by {@link read} that nothing will read again, so that later
   * packets can be received into their memory. Only for code that owns the chunks entirely
   * (volume downloads to a file); a chunk used after this is overwritten.
   *
   * @example
   * ```ts
   * await file.write(chunk);
   * stream.recycle([chunk]);
   * ```
   */
  recycle(chunks: readonly Uint8Array[]): void {
    for (const c of chunks) this.rpc.recycleStreamData(c);
  }

  /** Sends data (split into 256 KiB packets), waiting while the transport pushes back. */
  async write(data: Uint8Array): Promise<void> {
    for (let at = 0; at < data.length; at += STREAM_CHUNK) {
      if (this.error) throw this.error;
      this.send(MessageType.STREAM, MessageStatus.CONTINUE, data.subarray(at, at + STREAM_CHUNK));
      if (this.rpc.needsDrain) await this.rpc.waitDrain();
    }
  }

  /** Sends a hole of `length` bytes (sparse uploads). */
  async writeHole(length: bigint): Promise<void> {
    if (this.error) throw this.error;
    this.send(MessageType.STREAM_HOLE, MessageStatus.CONTINUE, encodeValue(VirNetStreamHoleCodec, { length, flags: 0 }));
    if (this.rpc.needsDrain) await this.rpc.waitDrain();
  }

  /** Ends the stream: tells the daemon, and resolves when it confirms (virStreamFinish). */
  finish(): Promise<void> {
    this.finished ??= new Promise<void>((resolve, reject) => {
      if (this.error) return reject(this.error);
      this.finishing = { resolve, reject };
      this.send(MessageType.STREAM, MessageStatus.OK, new Uint8Array(0));
    });
    return this.finished;
  }

  /**
   * Aborts the stream (virStreamAbort); the connection stays usable. Reads and writes after
   * it throw AbortError: ConnectionError would say the connection is gone.
   */
  async abort(): Promise<void> {
    if (this.error || this.finished) return;
    this.error = new AbortError(`${this.proc.name}: stream aborted`);
    this.queue.length = 0;
    this.buffered = 0;
    this.unpause();
    try {
      this.send(MessageType.STREAM, MessageStatus.ERROR, new Uint8Array(0));
    } catch {
      // The connection is gone; nothing to tell the daemon.
    }
    this.rpc.endStream(this.serial);
    this.wake();
  }

  private send(type: number, status: number, payload: Uint8Array): void {
    this.rpc.sendStreamPacket({ prog: this.proc.program, vers: this.proc.version, proc: this.proc.number, type, serial: this.serial, status }, payload);
  }

  /** A Node Readable of the data (holes become zero bytes). */
  toNodeReadable(): Readable {
    return nodeStreams().Readable.from(this.chunks(true), { objectMode: false });
  }

  /** A Web ReadableStream of the data (holes become zero bytes). */
  toWebReadable(): ReadableStream<Uint8Array> {
    const it = this.chunks(true);
    return new ReadableStream<Uint8Array>({
      pull: async (ctl) => {
        const { value, done } = await it.next();
        if (done) ctl.close();
        else ctl.enqueue(value);
      },
      cancel: () => this.abort(),
    });
  }

  /** A Node Writable that uploads what is written and finishes the stream at the end. */
  toNodeWritable(): Writable {
    return new (nodeStreams().Writable)({
      write: (chunk: Uint8Array, _enc, cb) => void this.write(chunk).then(() => cb(), cb),
      final: (cb) => void this.finish().then(() => cb(), cb),
      destroy: (err, cb) => void (err ? this.abort() : Promise.resolve()).then(() => cb(err)),
    });
  }

  /** A Web WritableStream that uploads and finishes on close. */
  toWebWritable(): WritableStream<Uint8Array> {
    return new WritableStream<Uint8Array>({
      write: (chunk) => this.write(chunk),
      close: () => this.finish(),
      abort: () => this.abort(),
    });
  }

  /** Data chunks; with `fillHoles` a hole is given as zeros in 256 KiB pieces. */
  async *chunks(fillHoles = false): AsyncGenerator<Uint8Array> {
    for (;;) {
      const item = await this.read();
      if (item === null) return;
      if (item instanceof Uint8Array) {
        yield item;
      } else if (fillHoles) {
        for (let left = item.hole; left > 0n; left -= BigInt(STREAM_CHUNK)) {
          yield new Uint8Array(Number(left < BigInt(STREAM_CHUNK) ? left : BigInt(STREAM_CHUNK)));
        }
      }
    }
  }
}

/**
 * Node's stream module, asked of the runtime when a Node stream is wanted (Node, Deno and Bun
 * have it), so that this module imports nothing of Node's and runs in a browser too.
 */
function nodeStreams(): typeof import('node:stream') {
  const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  const mod = get?.('node:stream') as typeof import('node:stream') | undefined;
  if (!mod) throw new NotSupportedError("Node streams need a runtime with Node's stream module: use chunks() or toWebReadable() here");
  return mod;
}
