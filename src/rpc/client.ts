/**
 * The sans-I/O RPC core. It is handed bytes (`receive`) and hands bytes back through the
 * transport's `write`; it never opens a socket. It owns serial numbers, the pending-call map,
 * keepalive and the routing of replies, events and stream packets; src/rpc/write-batch.ts
 * batches what it writes.
 */
import { KEEPALIVE_PROC_PING, KEEPALIVE_PROC_PONG, KEEPALIVE_PROGRAM, KEEPALIVE_PROTOCOL_VERSION } from '../../protocol/keepalive.js';
import type { CallOptions, ProcedureInfo, ProgramInfo, Unwrap } from '../xdr/index.js';
import { VirNetMessageErrorCodec } from '../../protocol/virnet.js';
import { XdrReader, decodeValue } from '../xdr/index.js';
import { AbortError, ConnectionError, LibvirtError, NotSupportedError, ProtocolError, TimeoutError } from '../errors.js';
import { FrameSplitter, MAX_FRAME } from './frame.js';
import { type MessageHeader, MessageStatus, MessageType, PAYLOAD_OFFSET, readHeader, writeHeader } from './header.js';
import { DEFAULT_KEEPALIVE, Keepalive, type KeepaliveOptions } from './keepalive.js';
import { type TraceEntry, describeFrame } from './trace.js';
import { WriteBatch } from './write-batch.js';

/** What the core needs from a transport. */
export interface RpcTransport {
  /**
   * Queues bytes for sending; false asks the caller to wait for `drain()` before more.
   * `written`, if the transport supports it, says when `bytes` may be reused.
   */
  write(bytes: Uint8Array, written?: () => void): boolean;
  /**
   * The peer reads one frame per record (libvirtd over TLS): write frames one at a time, each
   * once the last is written. Needs `written` to be called.
   */
  readonly oneFramePerWrite?: boolean;
  /** Closes the transport; it must call `closed()` on the client when done. */
  close(): void;
  /** Stops delivering received bytes until `resume` (download backpressure). */
  pause?(): void;
  resume?(): void;
}

/** Receives the STREAM and STREAM_HOLE packets of one call, by its serial. */
export interface StreamSink {
  /** Set by the core to the serial of the call that opened the stream. */
  serial: number;
  /** A STREAM or STREAM_HOLE packet; `owned`: the payload may be kept, else it is only valid during the call. */
  packet(header: MessageHeader, payload: Uint8Array, owned: boolean): void;
  /** The connection died: the stream ends with this error. */
  failed(error: Error): void;
}

export type { CallOptions };


export interface RpcClientOptions {
  /** Keepalive settings, or false to neither send PINGs nor watch for silence. */
  keepalive?: Partial<KeepaliveOptions> | false;
  /** Programs whose procedures may appear in traces and MESSAGEs. */
  programs?: ProgramInfo[];
  /** Receives one entry per frame sent or received (the `--debug` wire trace). */
  trace?: (entry: TraceEntry) => void;
  /** The connection died (transport closed, keepalive timeout, protocol error). */
  onClose?: (error: ConnectionError) => void;
}

interface Pending {
  proc: ProcedureInfo<any, any, any>;
  unwrap: Unwrap;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Counters of what the core dropped or ignored, for diagnostics and tests. */
export interface RpcStats {
  callsSent: number;
  repliesReceived: number;
  /** Replies whose serial matches no pending call (late after a timeout or abort). */
  droppedReplies: number;
  /** MESSAGE and STREAM frames nobody was listening for. */
  droppedMessages: number;
}

export class RpcClient {
  readonly stats: RpcStats = { callsSent: 0, repliesReceived: 0, droppedReplies: 0, droppedMessages: 0 };
  private readonly pending = new Map<number, Pending>();
  private readonly splitter = new FrameSplitter();
  private readonly batch: WriteBatch;
  private serial = 0;
  /** Stream payloads handed out as owned and not given back yet. */
  private readonly lentPayloads = new WeakSet<Uint8Array>();
  /** Holders of {@link pauseReading}. */
  private readPauses = 0;
  private closedWith: ConnectionError | undefined;
  private keepalive: Keepalive | undefined;
  private readonly programs = new Map<number, ProgramInfo>();
  private messageHandler: ((header: MessageHeader, payload: XdrReader) => boolean) | undefined;
  private readonly streams = new Map<number, StreamSink>();
  /** The splitter's callback, made once rather than per chunk received. */
  private readonly onFrame = (frame: Uint8Array, owned: boolean) => this.dispatch(frame, owned);

  constructor(
    private readonly transport: RpcTransport,
    private readonly opts: RpcClientOptions = {},
  ) {
    for (const p of opts.programs ?? []) this.programs.set(p.number, p);
    this.batch = new WriteBatch(transport);
  }

  /** Whether the connection is still usable. */
  get isOpen(): boolean {
    return !this.closedWith;
  }

  /** Calls waiting for a reply. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Routes unsolicited MESSAGE frames (events) to `handler`; it returns false for ones nobody wanted. */
  setMessageHandler(handler: (header: MessageHeader, payload: XdrReader) => boolean): void {
    this.messageHandler = handler;
  }

  /** Starts keepalive (after the peer agreed to the keepalive program). */
  startKeepalive(): void {
    if (this.opts.keepalive === false || this.keepalive || this.closedWith) return;
    const ka = { ...DEFAULT_KEEPALIVE, ...this.opts.keepalive };
    this.keepalive = new Keepalive(
      ka,
      () => this.sendMessage(KEEPALIVE_PROGRAM, KEEPALIVE_PROTOCOL_VERSION, KEEPALIVE_PROC_PING),
      (silent) =>
        this.fail(new ConnectionError(`no answer from the peer for ${silent} ms (keepalive: ${ka.count} PINGs every ${ka.intervalMs} ms)`, { reason: 'keepalive' })),
    );
    if (this.readPauses) this.keepalive.pause();
    this.keepalive.start();
  }

  /**
   * Sends a CALL and resolves with its reply, unwrapped. Encoding errors reject before
   * anything is queued.
   */
  call<A, R>(proc: ProcedureInfo<A, R, any>, args: A, options?: CallOptions, unwrap?: Unwrap, sink?: StreamSink): Promise<any> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(abortError(proc, signal));
    let serial = (this.serial + 1) >>> 0;
    while (this.pending.has(serial)) serial = (serial + 1) >>> 0;
    try {
      this.encodeFrame(proc.program, proc.version, proc.number, MessageType.CALL, serial, MessageStatus.OK, proc.args, args);
    } catch (e) {
      return Promise.reject(e);
    }
    this.serial = serial;
    this.stats.callsSent++;
    // Stream data may follow the reply at once: the sink must be in place before it.
    if (sink) {
      sink.serial = serial;
      this.streams.set(serial, sink);
    }
    return new Promise((resolve, reject) => {
      const p: Pending = { proc, unwrap, resolve, reject, timer: undefined, signal, onAbort: undefined };
      if (options?.timeoutMs !== undefined) {
        p.timer = setTimeout(() => {
          if (this.pending.get(serial) !== p) return;
          this.settle(serial, p);
          reject(new TimeoutError(`${proc.name} got no reply within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }
      if (signal) {
        p.onAbort = () => {
          if (this.pending.get(serial) !== p) return;
          this.settle(serial, p);
          reject(abortError(proc, signal));
        };
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.pending.set(serial, p);
    });
  }

  /** Sends a MESSAGE with no body (keepalive). */
  sendMessage(prog: number, vers: number, proc: number): void {
    if (this.closedWith) return;
    this.encodeFrame(prog, vers, proc, MessageType.MESSAGE, 0, MessageStatus.OK, null, undefined);
  }

  /**
   * Takes back the buffer behind a stream payload that was handed out as owned, once its
   * reader is done with it (see FrameSplitter.recycle).
   */
  recycleStreamData(payload: Uint8Array): void {
    // Only a payload handed out as owned, and only once: a view given back twice must not
    // return a buffer that already holds a later packet.
    if (!this.lentPayloads.delete(payload)) return;
    // Kept only while a stream may use them: an idle connection holds no spare memory.
    if (this.streams.size) this.splitter.recycle(payload);
  }

  /** Stops routing stream packets of `serial`. */
  endStream(serial: number): void {
    this.streams.delete(serial);
    if (!this.streams.size) this.splitter.dropSpares();
  }

  /** Whether the transport asked to wait before more is written. */
  get needsDrain(): boolean {
    return this.batch.needsDrain;
  }

  /** Resolves when the transport can take more (at once if it can now). */
  waitDrain(): Promise<void> {
    return this.batch.waitDrain();
  }

  /**
   * Stops reading the transport until every pause is matched by {@link resumeReading}: each
   * download stream that falls behind holds one, and one stream catching up must not
   * release another's. While paused, keepalive counts no silence (see Keepalive.pause).
   */
  pauseReading(): void {
    if (!this.transport.pause || this.readPauses++) return;
    this.transport.pause();
    this.keepalive?.pause();
  }

  resumeReading(): void {
    if (!this.transport.pause || !this.readPauses || --this.readPauses) return;
    this.keepalive?.resume();
    this.transport.resume?.();
  }

  /** Sends a STREAM or STREAM_HOLE packet with a raw payload (already encoded). */
  sendStreamPacket(header: MessageHeader, payload: Uint8Array): void {
    if (this.closedWith) throw this.closedWith;
    const w = this.batch.out;
    const start = w.pos;
    w.ensure(PAYLOAD_OFFSET + payload.length);
    w.pos += PAYLOAD_OFFSET;
    w.raw(payload);
    writeHeader(w.view, start, w.pos - start, header);
    this.traceFrame('send', header, w.pos - start);
    this.batch.schedule();
  }

  /** Bytes from the transport. */
  receive(chunk: Uint8Array): void {
    if (this.closedWith) return;
    try {
      this.splitter.push(chunk, this.onFrame);
    } catch (e) {
      // A broken length word leaves no way to find the next frame: the connection is over.
      this.fail(new ConnectionError(`protocol error from the peer: ${(e as Error).message}`, { cause: e }));
      this.transport.close();
    }
  }

  /** The transport can take more bytes. */
  drain(): void {
    this.batch.drain();
  }

  /** The transport closed or failed: every pending call settles with ConnectionError. */
  closed(cause?: Error): void {
    if (this.closedWith) return;
    this.fail(
      cause instanceof ConnectionError
        ? cause
        : new ConnectionError(cause ? `connection lost: ${cause.message}` : 'connection closed by the peer', { cause, reason: cause ? 'error' : 'eof' }),
    );
  }

  /** Settles everything with `error` and refuses new calls. Idempotent. */
  fail(error: ConnectionError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.keepalive?.stop();
    const pending = [...this.pending];
    this.pending.clear();
    for (const [, p] of pending) {
      this.clearTimers(p);
      p.reject(error);
    }
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of streams) s.failed(error);
    this.batch.stop();
    this.opts.onClose?.(error);
  }

  private encodeFrame(
    prog: number,
    vers: number,
    proc: number,
    type: number,
    serial: number,
    status: number,
    codec: ProcedureInfo['args'],
    args: unknown,
  ): void {
    const w = this.batch.out;
    const start = w.pos;
    w.ensure(PAYLOAD_OFFSET);
    w.pos += PAYLOAD_OFFSET;
    try {
      if (codec) codec.encode(w, args);
      const len = w.pos - start;
      if (len > MAX_FRAME) throw new ProtocolError(`message of ${len} bytes is over libvirt's ${MAX_FRAME}-byte limit`);
      const header = { prog, vers, proc, type, serial, status };
      writeHeader(w.view, start, len, header);
      this.traceFrame('send', header, len);
    } catch (e) {
      w.pos = start; // nothing of a bad call is ever sent
      throw e;
    }
    this.batch.schedule();
  }

  private dispatch(frame: Uint8Array, owned: boolean): void {
    this.keepalive?.received();
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const h = readHeader(view, 0);
    this.traceFrame('recv', h, frame.length);
    switch (h.type) {
      case MessageType.REPLY:
        return this.onReply(h, frame);
      case MessageType.MESSAGE:
        return this.onMessage(h, frame);
      case MessageType.STREAM:
      case MessageType.STREAM_HOLE:
        return this.onStreamPacket(h, frame, owned);
      case MessageType.REPLY_WITH_FDS: {
        const p = this.pending.get(h.serial);
        if (!p) return void this.stats.droppedReplies++;
        this.settle(h.serial, p);
        p.reject(new NotSupportedError(`${p.proc.name}: the reply carries file descriptors, which JavaScript runtimes cannot receive`));
        return;
      }
      default: {
        // A CALL from the server, or a type no daemon sends: libvirt's client takes the peer
        // for broken and closes, and so do we, rather than leave the call it answers waiting.
        const error = new ProtocolError(`the peer sent a message of type ${h.type} (program ${h.prog}, procedure ${h.proc}, serial ${h.serial}), which a client never receives`);
        this.fail(new ConnectionError(`protocol error from the peer: ${error.message}`, { cause: error }));
        this.transport.close();
      }
    }
  }

  private onStreamPacket(h: MessageHeader, frame: Uint8Array, owned: boolean): void {
    const sink = this.streams.get(h.serial);
    if (!sink) return void this.stats.droppedMessages++;
    const payload = frame.subarray(PAYLOAD_OFFSET);
    if (owned) this.lentPayloads.add(payload);
    sink.packet(h, payload, owned);
  }

  private onReply(h: MessageHeader, frame: Uint8Array): void {
    const p = this.pending.get(h.serial);
    if (!p) {
      this.stats.droppedReplies++;
      return;
    }
    this.settle(h.serial, p);
    this.stats.repliesReceived++;
    if (h.prog !== p.proc.program || h.vers !== p.proc.version || h.proc !== p.proc.number) {
      p.reject(
        new ProtocolError(`reply for serial ${h.serial} names program ${h.prog} version ${h.vers} procedure ${h.proc}, but ${p.proc.name} was called`),
      );
      return;
    }
    const r = new XdrReader(frame, PAYLOAD_OFFSET, frame.length);
    if (h.status === MessageStatus.OK) {
      let value: any;
      try {
        value = p.proc.ret ? decodeValue(p.proc.ret, r) : (r.done(p.proc.name), undefined);
      } catch (e) {
        p.reject(new ProtocolError(`reply to ${p.proc.name} does not decode: ${(e as Error).message}`, { cause: e }));
        return;
      }
      const u = p.unwrap;
      if (u === undefined) p.resolve(value);
      else if (typeof u === 'string') p.resolve(value[u]);
      else {
        try {
          p.resolve(u(value));
        } catch (e) {
          p.reject(e as Error);
        }
      }
    } else if (h.status === MessageStatus.ERROR) {
      try {
        p.reject(new LibvirtError(decodeValue(VirNetMessageErrorCodec, r), p.proc.name));
      } catch (e) {
        p.reject(new ProtocolError(`error reply to ${p.proc.name} does not decode: ${(e as Error).message}`, { cause: e }));
      }
    } else {
      p.reject(new ProtocolError(`reply to ${p.proc.name} has status ${h.status}`));
    }
  }

  private onMessage(h: MessageHeader, frame: Uint8Array): void {
    if (h.prog === KEEPALIVE_PROGRAM) {
      if (h.proc === KEEPALIVE_PROC_PING) this.sendMessage(KEEPALIVE_PROGRAM, KEEPALIVE_PROTOCOL_VERSION, KEEPALIVE_PROC_PONG);
      return;
    }
    if (!this.messageHandler?.(h, new XdrReader(frame, PAYLOAD_OFFSET, frame.length))) this.stats.droppedMessages++;
  }

  private settle(serial: number, p: Pending): void {
    this.pending.delete(serial);
    this.clearTimers(p);
  }

  private clearTimers(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
  }

  private traceFrame(direction: 'send' | 'recv', h: MessageHeader, size: number): void {
    if (this.opts.trace) this.opts.trace(describeFrame(direction, h, size, this.programs));
  }
}

function abortError(proc: ProcedureInfo<any, any, any>, signal: AbortSignal): AbortError {
  return new AbortError(`${proc.name} was aborted`, { cause: signal.reason });
}
