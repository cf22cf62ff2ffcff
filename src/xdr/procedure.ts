/**
 * The contracts between the generated protocol and the RPC core: what a procedure and a
 * program are, the options every call takes, and what the generated calls call into. Written
 * here by hand, beside the XDR runtime they describe, rather than emitted by the generator.
 */
import type { Codec } from './codec.js';

/**
 * One procedure of a libvirt RPC program, as its .x file and annotations describe it.
 * `A`, `R` and `M` are the types of its arguments, reply and event message (`void`
 * where the protocol has none).
 */
export interface ProcedureInfo<A = unknown, R = unknown, M = unknown> {
  /** Program number this procedure belongs to. */
  readonly program: number;
  readonly version: number;
  /** Procedure number on the wire. */
  readonly number: number;
  /** The enum member name, such as `REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME`. */
  readonly name: string;
  /** The method name on a connection, such as `domainLookupByName`. */
  readonly method: string;
  readonly args: Codec<A> | null;
  readonly ret: Codec<R> | null;
  /** Body of the MESSAGE the server sends for an event procedure. */
  readonly msg: Codec<M> | null;
  /** Travels as a MESSAGE (events, keepalive), never as a CALL. */
  readonly message: boolean;
  /** Passes file descriptors, which JavaScript runtimes cannot do over a socket. */
  readonly fds: boolean;
  /** Registers or deregisters for events (or the close callback): a connection's event dispatcher makes these calls. */
  readonly registersEvents: boolean;
  readonly priority: 'high' | 'low';
  /** A data stream rides on this call: its direction from the client's side, and the argument position the C API gives the stream. */
  readonly stream: { readonly direction: 'read' | 'write'; readonly argIndex: number } | null;
  /** The flag that turns on sparse (hole-aware) streaming for this call. */
  readonly sparseFlag: { readonly name: string; readonly value: number } | null;
  /** libvirt's own `@generate` annotation (none, client, server, both). */
  readonly generate: string | null;
  readonly acl: readonly string[];
  readonly aclFilter: readonly string[];
  /** The public C function this procedure implements, if any. */
  readonly cFunction: string | null;
  /** libvirt.org documentation of that function. */
  readonly docUrl: string | null;
}

/** Per-call options every method accepts as its last argument. */
export interface CallOptions {
  /** Aborts the call: it rejects with AbortError (the daemon may still carry it out). */
  signal?: AbortSignal;
  /** Rejects with TimeoutError after this many milliseconds. */
  timeoutMs?: number;
}

/** What becomes of a reply before a call resolves: one of its fields by name, or a function of it. */
export type Unwrap = string | ((ret: any) => unknown) | undefined;

/**
 * What the generated calls go through: sends `args` for `proc` and resolves with the reply,
 * or with `unwrap` applied to it.
 */
export interface ProcedureCaller {
  call(proc: ProcedureInfo<any, any, any>, args: unknown, options?: CallOptions, unwrap?: Unwrap): Promise<any>;
}

/**
 * A caller that also opens the data stream a procedure carries (volume transfers, consoles,
 * screenshots): resolves with the stream, of type `S`, and the reply (unwrapped as for `call`).
 */
export interface StreamCaller<S> extends ProcedureCaller {
  openStream(proc: ProcedureInfo<any, any, any>, args: unknown, options?: CallOptions, unwrap?: Unwrap): Promise<{ stream: S; reply: any }>;
}

/** A libvirt RPC program: its number, version and procedure table. */
export interface ProgramInfo<P extends object = Record<string, ProcedureInfo<any, any, any>>> {
  readonly name: string;
  readonly number: number;
  readonly version: number;
  /** Procedures by method name. */
  readonly procedures: P;
  readonly byNumber: ReadonlyMap<number, ProcedureInfo<any, any, any>>;
}

/** A program from its procedure table (the generated modules call it as a pure expression). */
export function defineProgram<P extends Record<string, ProcedureInfo<any, any, any>>>(name: string, number: number, version: number, procedures: P): ProgramInfo<P> {
  const byNumber = new Map<number, ProcedureInfo<any, any, any>>();
  for (const p of Object.values(procedures)) byNumber.set(p.number, p);
  return { name, number, version, procedures, byNumber };
}
