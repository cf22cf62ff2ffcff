/** Modules whose text does not depend on the input files: the procedure table types and the index. */

export function emitProcedureTypes(header: string, runtimeImport: string): string {
  return `${header}
import type { Codec } from '${runtimeImport}';

/**
 * One procedure of a libvirt RPC program, as its .x file and annotations describe it.
 * \`A\`, \`R\` and \`M\` are the types of its arguments, reply and event message (\`void\`
 * where the protocol has none).
 */
export interface ProcedureInfo<A = unknown, R = unknown, M = unknown> {
  /** Program number this procedure belongs to. */
  readonly program: number;
  readonly version: number;
  /** Procedure number on the wire. */
  readonly number: number;
  /** The enum member name, such as \`REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME\`. */
  readonly name: string;
  /** The method name on a connection, such as \`domainLookupByName\`. */
  readonly method: string;
  readonly args: Codec<A> | null;
  readonly ret: Codec<R> | null;
  /** Body of the MESSAGE the server sends for an event procedure. */
  readonly msg: Codec<M> | null;
  /** Travels as a MESSAGE (events, keepalive), never as a CALL. */
  readonly message: boolean;
  /** Passes file descriptors, which JavaScript runtimes cannot do over a socket. */
  readonly fds: boolean;
  readonly priority: 'high' | 'low';
  /** A data stream rides on this call: its direction from the client's side, and the argument position the C API gives the stream. */
  readonly stream: { readonly direction: 'read' | 'write'; readonly argIndex: number } | null;
  /** The flag that turns on sparse (hole-aware) streaming for this call. */
  readonly sparseFlag: { readonly name: string; readonly value: number } | null;
  /** libvirt's own \`@generate\` annotation (none, client, server, both). */
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

/**
 * What the generated methods call into: sends \`args\` for \`proc\` and resolves with the reply,
 * or with \`unwrap\` applied to it (a field name, or a function).
 */
export interface ProcedureCaller {
  call(proc: ProcedureInfo<any, any, any>, args: unknown, options?: CallOptions, unwrap?: string | ((ret: any) => unknown)): Promise<any>;
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
`;
}

export function emitIndex(header: string, modules: string[]): string {
  return `${header}
${modules.map((m) => `export * from './${m}.js';`).join('\n')}
`;
}

/**
 * The types of every protocol module, without their codecs: what the API entry re-exports, so
 * that users name what calls take and return without seeing the wire layer.
 */
export function emitTypeIndex(header: string, modules: { module: string; text: string }[]): string {
  const lines = modules.map(({ module, text }) => {
    const names = [...text.matchAll(/^export (?:type|interface) (\w+)/gm)].map((m) => m[1]!);
    return names.length ? `export type {\n${names.map((n) => `  ${n},`).join('\n')}\n} from './${module}.js';` : '';
  });
  return `${header}\n${lines.filter(Boolean).join('\n')}\n`;
}
