/**
 * A protocol-level fake libvirt daemon for unit tests, built from the generated codecs: it
 * answers the opening sequence by itself, lets a test register a handler per procedure, emit
 * events and raw frames, and misbehave on purpose. It runs in memory (no socket) through
 * {@link FakeDaemon.dialer}, so it works on any runtime.
 */
import type { ProcedureInfo } from '../../protocol/procedure.js';
import { REMOTE_PROGRAM, remoteProcedures, remoteProgram } from '../../protocol/remote.js';
import { VirNetMessageErrorCodec, type VirNetMessageError } from '../../protocol/virnet.js';
import { FrameSplitter } from '../rpc/frame.js';
import { type MessageHeader, MessageStatus, MessageType, PAYLOAD_OFFSET, readHeader, writeHeader } from '../rpc/header.js';
import type { Dialer, TransportEvents } from '../transport/types.js';
import { type Codec, XdrWriter, decodeValue } from '../xdr/index.js';

/** What a handler may do with a call: answer it, fail it, or (returning `undefined` after `silent()`) never answer. */
export interface CallContext {
  header: MessageHeader;
  /** Answer with a libvirt error instead of a reply. */
  error(e: Partial<VirNetMessageError> & { code: number; message: string }): void;
  /** Never answer this call. */
  silent(): void;
}

type Handler = (args: any, ctx: CallContext) => unknown | Promise<unknown>;

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

/**
 * @example
 * ```ts
 * const daemon = new FakeDaemon();
 * daemon.handle('connectGetHostname', () => ({ hostname: 'fake' }));
 * const conn = await Connection.open(daemon.dialer(), 'test:///default', 'test:///default');
 * await conn.connectGetHostname(); // 'fake'
 * ```
 */
export class FakeDaemon {
  /** Procedure names of every call received, in order. */
  readonly calls: string[] = [];
  private readonly handlers = new Map<number, Handler>();
  private client: TransportEvents | undefined;
  private readonly splitter = new FrameSplitter();
  private nextCallbackId = 1;

  constructor() {
    this.handle('authList', () => ({ types: [0] }));
    this.handle('connectSupportsFeature', () => ({ supported: 1 }));
    this.handle('connectOpen', () => undefined);
    this.handle('connectClose', () => undefined);
    for (const m of ['connectDomainEventCallbackRegisterAny', 'connectNetworkEventRegisterAny', 'connectStoragePoolEventRegisterAny']) {
      this.handle(m as keyof typeof remoteProcedures, () => ({ callbackID: this.nextCallbackId++ }));
    }
  }

  /** Answers `method` (a REMOTE procedure) with what `handler` returns (the reply struct). */
  handle(method: keyof typeof remoteProcedures, handler: Handler): this {
    this.handlers.set(remoteProcedures[method].number, handler);
    return this;
  }

  /** A dialer that connects to this daemon in memory. */
  dialer(): Dialer {
    return async (events) => {
      this.client = events;
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

  /** Sends an event MESSAGE for `proc` (its msg codec) with `value`. */
  event(proc: ProcedureInfo<any, any, any>, value: unknown): void {
    this.send({ proc: proc.number, type: MessageType.MESSAGE }, proc.msg, value);
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
    if (h.type !== MessageType.CALL) return;
    const proc = remoteProgram.byNumber.get(h.proc);
    this.calls.push(proc?.method ?? String(h.proc));
    const handler = this.handlers.get(h.proc);
    let silenced = false;
    let failed: VirNetMessageError | undefined;
    const ctx: CallContext = {
      header: h,
      error: (e) => (failed = { ...OK_ERROR, ...e }),
      silent: () => (silenced = true),
    };
    if (!proc || !handler) {
      failed = { ...OK_ERROR, code: 3, message: `the fake daemon has no handler for procedure ${proc?.name ?? h.proc}` };
    }
    let ret: unknown;
    if (!failed) {
      const args = proc!.args ? decodeValue(proc!.args, f.subarray(PAYLOAD_OFFSET)) : undefined;
      ret = await handler!(args, ctx);
    }
    if (silenced) return;
    if (failed) {
      this.send({ proc: h.proc, type: MessageType.REPLY, serial: h.serial, status: MessageStatus.ERROR }, VirNetMessageErrorCodec, failed);
    } else {
      this.send({ proc: h.proc, type: MessageType.REPLY, serial: h.serial }, proc!.ret, ret);
    }
  }
}

/** One frame: header and payload, its length word filled in. */
export function frame(header: MessageHeader, codec: Codec<any> | null, value: unknown): Uint8Array {
  const w = new XdrWriter();
  w.pos = PAYLOAD_OFFSET;
  if (codec) codec.encode(w, value);
  const bytes = w.finish().slice();
  writeHeader(new DataView(bytes.buffer), 0, bytes.length, header);
  return bytes;
}
