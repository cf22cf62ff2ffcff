/**
 * A protocol-level fake libvirt daemon for unit tests, built from the generated codecs: it
 * answers the opening sequence by itself, lets a test register a handler per procedure, emit
 * events and raw frames, and misbehave on purpose. It runs in memory (no socket) through
 * {@link FakeDaemon.dialer}, so it works on any runtime.
 */
import { VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_ERR_INTERNAL_ERROR, VIR_ERR_INVALID_ARG, VIR_FROM_RPC } from '../../protocol/constants.js';
import { lxcProgram } from '../../protocol/lxc-procedures.js';
import type { ProcedureInfo, ProgramInfo } from '../xdr/index.js';
import { qemuProcedures, qemuProgram } from '../../protocol/qemu-procedures.js';
import { REMOTE_PROGRAM } from '../../protocol/remote.js';
import { remoteProcedures, remoteProgram } from '../../protocol/remote-procedures.js';
import { VirNetMessageErrorCodec, VirNetStreamHoleCodec, type VirNetMessageError } from '../../protocol/virnet.js';
import type { StreamItem } from '../api/stream.js';
import { FrameSplitter } from '../rpc/frame.js';
import { type MessageHeader, MessageStatus, MessageType, PAYLOAD_OFFSET, readHeader, writeHeader } from '../rpc/header.js';
import type { Dialer, TransportEvents } from '../transport/types.js';
import { type Codec, XdrWriter, decodeValue } from '../xdr/index.js';

/** The argument struct of a procedure (`void` when it takes none). */
export type ArgsOf<P> = P extends ProcedureInfo<infer A, any, any> ? A : never;
/** The reply struct of a procedure (`void` when it returns nothing). */
export type ReplyOf<P> = P extends ProcedureInfo<any, infer R, any> ? R : never;
/** The body of an event procedure's message. */
export type MessageOf<P> = P extends ProcedureInfo<any, any, infer M> ? M : never;

type Remote = typeof remoteProcedures;

/** What a handler may do with a call: answer it, fail it, or (returning `undefined` after `silent()`) never answer. */
export interface CallContext {
  header: MessageHeader;
  /** Answer with a libvirt error instead of a reply. */
  error(e: Partial<VirNetMessageError> & { code: number; message: string }): void;
  /** Never answer this call. */
  silent(): void;
  /**
   * The data stream of a streaming procedure (volume upload and download, screenshot,
   * console, ...); undefined for the others. What the handler sends on it reaches the client
   * after the reply, as a daemon's stream data does.
   */
  stream?: FakeStream;
}

/**
 * A handler for one procedure: gets the decoded arguments and returns the reply struct
 * (nothing for procedures without one, or after `ctx.error()` or `ctx.silent()`).
 */
export type Handler<P> = (args: ArgsOf<P>, ctx: CallContext) => ReplyOf<P> | void | Promise<ReplyOf<P> | void>;

const OK_ERROR: VirNetMessageError = {
  code: 1,
  domain: 0,
  message: null,
  level: 2,
  dom: null,
  str1: null,
  str2: null,
  str3: null,
  int1: 0,
  int2: 0,
  net: null,
};

/** An event registration the client holds on the fake daemon (see {@link FakeDaemon.registrations}). */
export interface FakeRegistration {
  /**
   * The procedure that made it, as {@link FakeDaemon.calls} names it:
   * `connectDomainEventCallbackRegisterAny`, `qemu.connectDomainMonitorEventRegister`,
   * `connectRegisterCloseCallback`, ...
   */
  procedure: string;
  /** The ID the daemon gave it; the client deregisters with it and events carry it. */
  callbackID?: number;
  /** Legacy domain registrations (no callback ID) are keyed by their event ID. */
  eventID?: number;
  /** The register call's decoded arguments. */
  args: unknown;
}

/**
 * The families whose registrations get a callback ID, each with its register and deregister
 * procedure and the words libvirtd's error uses for it.
 */
const CALLBACK_FAMILIES: [register: ProcedureInfo<any, any, any>, deregister: ProcedureInfo<any, any, any>, what: string][] = [
  [remoteProcedures.connectDomainEventCallbackRegisterAny, remoteProcedures.connectDomainEventCallbackDeregisterAny, 'domain event callback'],
  [remoteProcedures.connectNetworkEventRegisterAny, remoteProcedures.connectNetworkEventDeregisterAny, 'network event callback'],
  [remoteProcedures.connectStoragePoolEventRegisterAny, remoteProcedures.connectStoragePoolEventDeregisterAny, 'storage pool event callback'],
  [remoteProcedures.connectNodeDeviceEventRegisterAny, remoteProcedures.connectNodeDeviceEventDeregisterAny, 'node device event callback'],
  // libvirtd says "node device event callback" for secrets too, a slip of its own.
  [remoteProcedures.connectSecretEventRegisterAny, remoteProcedures.connectSecretEventDeregisterAny, 'secret event callback'],
  [qemuProcedures.connectDomainMonitorEventRegister, qemuProcedures.connectDomainMonitorEventDeregister, 'qemu monitor event callback'],
];

/** The programs a call may name; the keepalive program only ever sends messages. */
const PROGRAMS = new Map<number, ProgramInfo>([remoteProgram, qemuProgram, lxcProgram].map((p) => [p.number, p as ProgramInfo]));

/** How {@link FakeDaemon.calls} names a procedure: QEMU and LXC ones as `conn.qemu` and `conn.lxc` do. */
const callName = (proc: ProcedureInfo<any, any, any>) => (proc.program === REMOTE_PROGRAM ? proc.method : `${PROGRAMS.get(proc.program)!.name.toLowerCase()}.${proc.method}`);

/**
 * A libvirt daemon in memory: answers the opening sequence and the registration and
 * deregistration of events of every family itself, and every other procedure with the
 * handler registered for it (an unhandled one gets a libvirt error naming it).
 *
 * @example
 * ```ts
 * const daemon = new FakeDaemon();
 * daemon.handle('connectGetHostname', () => ({ hostname: 'fake' }));
 * const conn = await Connection.open(daemon.dialer(), 'test:///default', 'test:///default');
 * await conn.connectGetHostname(); // 'fake'
 * ```
 */
export class FakeDaemon {
  /**
   * Procedure names of every call received, in order: REMOTE ones by method name
   * (`domainLookupByName`), the others with their program (`qemu.domainMonitorCommand`).
   */
  readonly calls: string[] = [];
  /** Handlers by program and procedure number. */
  private readonly handlers = new Map<string, Handler<any>>();
  private readonly streams = new Map<number, FakeStream>();
  private client: TransportEvents | undefined;
  private readonly splitter = new FrameSplitter();
  private nextCallbackId = 1;
  /** Registrations with a callback ID, by that ID, with the procedure that may remove each. */
  private readonly callbacks = new Map<number, { registration: FakeRegistration; deregister: ProcedureInfo<any, any, any> }>();
  /** Legacy domain registrations, by event ID. */
  private readonly legacy = new Map<number, FakeRegistration>();
  private closeCallback: FakeRegistration | undefined;

  constructor() {
    this.handle('authList', () => ({ types: [0] }));
    this.handle('connectSupportsFeature', () => ({ supported: 1 }));
    this.handle('connectOpen', () => undefined);
    this.handle('connectClose', () => undefined);
    this.serveEventRegistrations();
  }

  /**
   * The event registrations the client holds right now, oldest first: what a test checks to
   * see that its code stopped listening. A new connection starts with none.
   *
   * @example
   * ```ts
   * const stop = await conn.subscribe('network:lifecycle', () => {});
   * expect(daemon.registrations).toMatchObject([{ procedure: 'connectNetworkEventRegisterAny', callbackID: 1 }]);
   * await stop();
   * expect(daemon.registrations).toEqual([]);
   * ```
   */
  get registrations(): FakeRegistration[] {
    return [
      ...[...this.callbacks.values()].map((c) => c.registration),
      ...this.legacy.values(),
      ...(this.closeCallback ? [this.closeCallback] : []),
    ];
  }

  /**
   * Answers `method` (a REMOTE procedure by method name, or any program's procedure such as
   * `qemuProcedures.domainMonitorCommand`) with what `handler` returns (the reply struct);
   * replaces an earlier handler, built-in ones included. Arguments and reply are typed from
   * the protocol.
   *
   * @example
   * ```ts
   * daemon.handle('domainLookupByName', ({ name }) => ({ dom: { name, uuid: new Uint8Array(16), id: 1 } }));
   * daemon.handle(qemuProcedures.domainMonitorCommand, () => ({ result: '{"return":{}}' }));
   * ```
   */
  handle<M extends keyof Remote>(method: M, handler: Handler<Remote[M]>): this;
  handle<P extends ProcedureInfo<any, any, any>>(proc: P, handler: Handler<P>): this;
  handle(method: keyof Remote | ProcedureInfo<any, any, any>, handler: Handler<any>): this {
    const proc = typeof method === 'string' ? remoteProcedures[method] : method;
    this.handlers.set(`${proc.program}:${proc.number}`, handler);
    return this;
  }

  /** A dialer that connects to this daemon in memory. */
  dialer(): Dialer {
    return async (events) => {
      this.client = events;
      // A new client: registrations belong to a connection, as on a real daemon.
      this.callbacks.clear();
      this.legacy.clear();
      this.closeCallback = undefined;
      return {
        description: 'fake daemon',
        write: (bytes) => {
          this.receive(bytes.slice());
          return true;
        },
        close: () => queueMicrotask(() => this.client?.closed()),
      };
    };
  }

  /** Sends raw bytes to the client, as they are (for broken frames). */
  sendRaw(bytes: Uint8Array): void {
    this.client?.data(bytes);
  }

  /** Sends a frame with `header` and a payload encoded by `codec` (or raw bytes). */
  send(header: Partial<MessageHeader> & { proc: number; type: number }, codec?: Codec<any> | null, value?: unknown): void {
    this.sendRaw(frame({ prog: REMOTE_PROGRAM, vers: 1, serial: 0, status: MessageStatus.OK, ...header }, codec ?? null, value));
  }

  /**
   * Sends an event MESSAGE for `proc` (its msg codec) with `value`.
   *
   * @example
   * ```ts
   * daemon.event(remoteProcedures.domainEventCallbackLifecycle, { callbackID: 1, msg: { dom, event: 0, detail: 0 } });
   * ```
   */
  event<P extends ProcedureInfo<any, any, any>>(proc: P, value: MessageOf<P>): void {
    this.send({ prog: proc.program, vers: proc.version, proc: proc.number, type: MessageType.MESSAGE }, proc.msg, value);
  }

  /** Drops the connection, as a dying daemon does. */
  reset(error = new Error('connection reset by the fake daemon')): void {
    this.client?.closed(error);
  }

  private receive(bytes: Uint8Array): void {
    this.splitter.push(bytes, (f) => void this.dispatch(f.slice()));
  }

  private async dispatch(f: Uint8Array): Promise<void> {
    const h = readHeader(new DataView(f.buffer, f.byteOffset), 0);
    if (h.type === MessageType.STREAM || h.type === MessageType.STREAM_HOLE) {
      // Before any await: stream packets must be handled in the order they came.
      this.streams.get(h.serial)?.fromClient(h, f.subarray(PAYLOAD_OFFSET));
      return;
    }
    if (h.type !== MessageType.CALL) return;
    const proc = PROGRAMS.get(h.prog)?.byNumber.get(h.proc);
    this.calls.push(proc ? callName(proc) : `${h.prog}:${h.proc}`);
    const handler = this.handlers.get(`${h.prog}:${h.proc}`);
    let silenced = false;
    let failed: VirNetMessageError | undefined;
    const stream = proc?.stream ? new FakeStream(this, h, () => this.streams.delete(h.serial)) : undefined;
    if (stream) this.streams.set(h.serial, stream);
    const ctx: CallContext = {
      header: h,
      error: (e) => (failed = { ...OK_ERROR, ...e }),
      silent: () => (silenced = true),
      ...(stream ? { stream } : {}),
    };
    if (!proc || !handler) {
      failed = { ...OK_ERROR, code: 3, message: `the fake daemon has no handler for procedure ${proc?.name ?? `${h.proc} of program ${h.prog}`}` };
    }
    let ret: unknown;
    if (!failed) {
      const args = proc!.args ? decodeValue(proc!.args, f.subarray(PAYLOAD_OFFSET)) : undefined;
      ret = await handler!(args, ctx);
    }
    if (silenced) return;
    // The reply names the call's program and version, as a daemon's does.
    const reply = { prog: h.prog, vers: h.vers, proc: h.proc, type: MessageType.REPLY, serial: h.serial };
    if (failed) {
      this.streams.delete(h.serial);
      this.send({ ...reply, status: MessageStatus.ERROR }, VirNetMessageErrorCodec, failed);
    } else {
      this.send(reply, proc!.ret, ret);
      stream?.replied();
    }
  }

  /**
   * Registration and deregistration of every event family, kept as libvirtd keeps them: a
   * callback ID per registration of the families that have one, legacy domain registrations
   * by event ID (one each), the close callback as a flag. Removing what is not registered
   * fails with libvirtd's error code and wording, so a test sees a client that deregisters
   * twice or with the wrong ID.
   */
  private serveEventRegistrations(): void {
    const refuse = (ctx: CallContext, code: number, message: string) => ctx.error({ code, domain: VIR_FROM_RPC, message });
    for (const [register, deregister, what] of CALLBACK_FAMILIES) {
      this.handle(register, (args) => {
        const callbackID = this.nextCallbackId++;
        this.callbacks.set(callbackID, { registration: { procedure: callName(register), callbackID, args }, deregister });
        return { callbackID };
      });
      this.handle(deregister, ({ callbackID }: { callbackID: number }, ctx) => {
        // One list per family on the daemon: another family's ID is not registered here.
        if (this.callbacks.get(callbackID)?.deregister !== deregister) return refuse(ctx, VIR_ERR_INTERNAL_ERROR, `${what} ${callbackID} not registered`);
        this.callbacks.delete(callbackID);
      });
    }

    const legacyRegister = (procedure: string, eventID: number, args: unknown, ctx: CallContext): void => {
      // Event IDs added after callback IDs came exist only in the callback style.
      if (eventID < 0 || eventID > VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED) return refuse(ctx, VIR_ERR_INTERNAL_ERROR, `unsupported event ID ${eventID}`);
      if (this.legacy.has(eventID)) return refuse(ctx, VIR_ERR_INVALID_ARG, 'event callback already tracked');
      this.legacy.set(eventID, { procedure, eventID, args });
    };
    const legacyDeregister = (eventID: number, ctx: CallContext): void => {
      if (!this.legacy.delete(eventID)) refuse(ctx, VIR_ERR_INTERNAL_ERROR, `domain event ${eventID} not registered`);
    };
    this.handle('connectDomainEventRegisterAny', (args, ctx) => legacyRegister('connectDomainEventRegisterAny', args.eventID, args, ctx));
    this.handle('connectDomainEventDeregisterAny', (args, ctx) => legacyDeregister(args.eventID, ctx));
    // The oldest API, lifecycle events only. libvirtd never sets cb_registered: it stays 0.
    this.handle('connectDomainEventRegister', (_args, ctx) => {
      legacyRegister('connectDomainEventRegister', VIR_DOMAIN_EVENT_ID_LIFECYCLE, undefined, ctx);
      return { cb_registered: 0 };
    });
    this.handle('connectDomainEventDeregister', (_args, ctx) => {
      legacyDeregister(VIR_DOMAIN_EVENT_ID_LIFECYCLE, ctx);
      return { cb_registered: 0 };
    });

    // libvirtd accepts both whatever came before: its drivers keep no close callback of their own.
    this.handle('connectRegisterCloseCallback', () => void (this.closeCallback = { procedure: 'connectRegisterCloseCallback', args: undefined }));
    this.handle('connectUnregisterCloseCallback', () => void (this.closeCallback = undefined));
  }
}

/**
 * The daemon's end of one data stream, given to a streaming procedure's handler as
 * `ctx.stream`. It speaks the stream protocol as libvirtd does: data in packets of at most
 * 256 KiB, an empty packet at the end of a download, a confirmation of the client's finish,
 * and errors as libvirt errors.
 *
 * @example
 * ```ts
 * // A download: the client reads these bytes, then the end.
 * daemon.handle('storageVolDownload', (_args, ctx) => {
 *   ctx.stream!.send(new TextEncoder().encode('disk contents'));
 *   ctx.stream!.end();
 * });
 * // An upload: everything the client writes, once it finishes.
 * let uploaded: Promise<Uint8Array>;
 * daemon.handle('storageVolUpload', (_args, ctx) => {
 *   uploaded = ctx.stream!.receiveAll();
 * });
 * ```
 */
export class FakeStream {
  /** Packets sent before the reply went out; they follow it. */
  private pending: Uint8Array[] | null = [];
  private readonly incoming: StreamItem[] = [];
  private state: 'open' | 'finished' | 'aborted' = 'open';
  private waiter: (() => void) | undefined;
  private settle!: (how: 'finished' | 'aborted') => void;
  /** Resolves when the client finishes the stream (`finished`) or aborts it (`aborted`). */
  readonly done: Promise<'finished' | 'aborted'> = new Promise((resolve) => (this.settle = resolve));

  /** @internal Made by the fake daemon for a streaming call. */
  constructor(
    private readonly daemon: FakeDaemon,
    private readonly call: MessageHeader,
    private readonly forget: () => void,
  ) {}

  /** Sends data to the client, split into packets of at most 256 KiB. */
  send(data: Uint8Array): void {
    for (let at = 0; at < data.length; at += STREAM_PACKET_MAX) {
      this.packet(MessageType.STREAM, MessageStatus.CONTINUE, VirNetStreamDataCodec, data.subarray(at, at + STREAM_PACKET_MAX));
    }
  }

  /** Sends a hole of `length` bytes (a sparse download). */
  sendHole(length: bigint): void {
    this.packet(MessageType.STREAM_HOLE, MessageStatus.CONTINUE, VirNetStreamHoleCodec, { length, flags: 0 });
  }

  /** Ends the data the client reads; the client then finishes the stream (see {@link done}). */
  end(): void {
    this.packet(MessageType.STREAM, MessageStatus.CONTINUE, null, undefined);
  }

  /** Fails the stream with a libvirt error: the client's reads and writes throw it. */
  fail(e: Partial<VirNetMessageError> & { code: number; message: string }): void {
    this.packet(MessageType.STREAM, MessageStatus.ERROR, VirNetMessageErrorCodec, { ...OK_ERROR, ...e });
    this.close('aborted');
  }

  /** What the client sends, data and holes, until it finishes; throws if it aborts. */
  async *[Symbol.asyncIterator](): AsyncGenerator<StreamItem> {
    for (;;) {
      while (!this.incoming.length) {
        if (this.state === 'aborted') throw new Error(`the client aborted the stream of call ${this.call.serial}`);
        if (this.state === 'finished') return;
        await new Promise<void>((r) => (this.waiter = r));
      }
      yield this.incoming.shift()!;
    }
  }

  /** Everything the client sends (holes as zeros), once it finishes; rejects if it aborts. */
  async receiveAll(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const item of this) {
      const part = item instanceof Uint8Array ? item : new Uint8Array(Number(item.hole));
      parts.push(part);
      total += part.length;
    }
    const all = new Uint8Array(total);
    let at = 0;
    for (const p of parts) all.set(p, (at += p.length) - p.length);
    return all;
  }

  /** @internal The reply went out: what was sent so far follows it. */
  replied(): void {
    const queued = this.pending ?? [];
    this.pending = null;
    for (const bytes of queued) this.daemon.sendRaw(bytes);
  }

  /** @internal A stream packet from the client. */
  fromClient(h: MessageHeader, payload: Uint8Array): void {
    if (this.state !== 'open') return;
    if (h.status === MessageStatus.CONTINUE) {
      this.incoming.push(h.type === MessageType.STREAM_HOLE ? { hole: decodeValue(VirNetStreamHoleCodec, payload).length } : payload.slice());
      this.wake();
    } else if (h.status === MessageStatus.OK) {
      // The client's finish: confirm it, as the daemon does once it has written everything.
      this.packet(MessageType.STREAM, MessageStatus.OK, null, undefined);
      this.close('finished');
    } else {
      this.close('aborted');
    }
  }

  private close(how: 'finished' | 'aborted'): void {
    if (this.state !== 'open') return;
    this.state = how;
    this.forget();
    this.settle(how);
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private packet(type: number, status: number, codec: Codec<any> | null, value: unknown): void {
    const c = this.call;
    const bytes = frame({ prog: c.prog, vers: c.vers, proc: c.proc, type, serial: c.serial, status }, codec, value);
    if (this.pending) this.pending.push(bytes);
    else this.daemon.sendRaw(bytes);
  }
}

/** libvirtd's limit on one stream packet's payload. */
const STREAM_PACKET_MAX = 256 * 1024;

/** Stream data travels as the bare payload, without XDR framing of its own. */
const VirNetStreamDataCodec: Codec<Uint8Array> = {
  name: 'stream data',
  encode: (w, v) => w.raw(v),
  decode: (r) => r.fixedOpaque(r.remaining, 'stream data'),
};

/** One frame: header and payload, its length word filled in. */
export function frame(header: MessageHeader, codec: Codec<any> | null, value: unknown): Uint8Array {
  const w = new XdrWriter();
  w.pos = PAYLOAD_OFFSET;
  if (codec) codec.encode(w, value);
  const bytes = w.finish().slice();
  writeHeader(new DataView(bytes.buffer), 0, bytes.length, header);
  return bytes;
}
