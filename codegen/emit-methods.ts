/**
 * Emits one method per procedure for a program: `domainLookupByName(name, options?)`.
 * Arguments follow the .x field order (which is the C API's), a trailing `flags` defaults
 * to 0, a one-field reply resolves to that field and an empty one to void. Typed parameters
 * travel as plain objects and C `char[N]` arrays as strings.
 */
import type { Field, TypeSpec } from './ast.js';
import { type Model, tsName } from './model.js';
import type { Procedure } from './procedures.js';
import { TypeEmitter } from './emit-types.js';
import { procedureConst } from './emit-module.js';
import { importLines } from './import-lines.js';

const TYPED_PARAM_STRUCTS = new Set(['remote_typed_param', 'admin_typed_param']);

/**
 * Procedures whose typed parameters stay wire arrays: virDomainGetCPUStats returns one block
 * of parameters per CPU, and its caller needs the block boundaries (`nparams`).
 */
export const RAW_TYPED_PARAMS = new Set(['REMOTE_PROC_DOMAIN_GET_CPU_STATS']);

type Conversion =
  | { kind: 'typedParams' }
  | { kind: 'cString' }
  | { kind: 'records'; field: string; inner: string }
  | null;

export interface MethodsOptions {
  header: string;
  runtimeImport: string;
  /** Module that holds the program's types and procedure table. */
  module: string;
  className: string;
  /** The program's name in traces (`REMOTE`). */
  programName: string;
  /** How examples name the object the methods live on (`conn`, `conn.qemu`). */
  programLabel: string;
  /**
   * `class`: a class over a ProcedureCaller (`conn.qemu`). `mixin`: only the methods' type,
   * derived from the calls; a hand-written class puts the calls on its prototype (Connection).
   */
  style: 'class' | 'mixin';
  /** Also emit one function per procedure (`<module>-calls.ts`), named with this prefix. */
  calls?: { prefix: string };
  /**
   * What the handle face says of a procedure: the flag enums its `flags` take, the C
   * function's arguments (for `@param`), and its home on the handle face.
   */
  describe?: (p: Procedure) => ProcedureFacts | null;
}

export interface ProcedureFacts {
  flagEnums: string[];
  /** `@param` text by protocol field name. */
  params: Map<string, string>;
  /** Where the handle face has it (`dom.getXMLDesc`). */
  home: string | null;
}

export interface EmittedMethods {
  methods: string;
  /** The functions module, when asked for. */
  calls?: string;
}

const capitalized = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** The fields of struct `name` (an args or ret struct). */
export function structFields(model: Model, name: string): Field[] {
  const def = model.lookup(name, name).def;
  if (def.kind !== 'struct') throw new Error(`${name} is not a struct`);
  return def.fields;
}

/** A list of typed parameters, which the calls take and give as plain objects. */
export function isTypedParams(model: Model, t: TypeSpec): boolean {
  const s = model.unfold(t, 'methods');
  return s.kind === 'varArray' && s.of.kind === 'ref' && TYPED_PARAM_STRUCTS.has(s.of.name);
}

/** A C `char[]` buffer, which the calls give as a string. */
export function isCharArray(model: Model, t: TypeSpec): boolean {
  const s = model.unfold(t, 'methods');
  return (s.kind === 'fixedArray' || s.kind === 'varArray') && s.of.kind === 'prim' && s.of.prim === 'char';
}

export function emitMethods(model: Model, procedures: Procedure[], opts: MethodsOptions): EmittedMethods {
  // A module name no definition has, so every type the signatures use is recorded as an import.
  const emitter = new TypeEmitter(model, '<methods>');
  const fromModule = new Set<string>();
  const procConsts = new Set<string>();
  const runtime = new Set<string>();
  const enumTypes = new Set<string>();
  const body: string[] = [];
  const calls: string[] = [];
  const callNames: string[] = [];

  const conversionOf = (f: Field, raw: boolean): Conversion => {
    const s = model.unfold(f.type, f.name);
    if (!raw && isTypedParams(model, f.type)) return { kind: 'typedParams' };
    // C strings the daemon copies out of a `char[]` buffer (node model, security labels).
    if (isCharArray(model, f.type)) return { kind: 'cString' };
    if (!raw && s.kind === 'varArray' && s.of.kind === 'ref') {
      const def = model.lookup(s.of.name, f.name).def;
      if (def.kind === 'struct') {
        const inner = def.fields.find((x) => isTypedParams(model, x.type));
        if (inner) return { kind: 'records', field: inner.name, inner: s.of.name };
      }
    }
    return null;
  };
  const typeAfter = (f: Field, c: Conversion): string => {
    if (!c) return emitter.tsType(f.type, f.name);
    if (c.kind === 'typedParams') return (runtime.add('type TypedParams'), 'TypedParams');
    if (c.kind === 'cString') return 'string';
    fromModule.add(tsName(c.inner));
    runtime.add('type TypedParams');
    return `(Omit<${tsName(c.inner)}, '${c.field}'> & { ${c.field}: TypedParams })[]`;
  };
  const convertExpr = (expr: string, c: Conversion): string => {
    if (!c) return expr;
    if (c.kind === 'typedParams') return (runtime.add('typedParamsFromWire'), `typedParamsFromWire(${expr})`);
    if (c.kind === 'cString') return (runtime.add('cStringFromChars'), `cStringFromChars(${expr})`);
    runtime.add('recordsWithTypedParams');
    return `recordsWithTypedParams(${expr}, '${c.field}')`;
  };

  let streams = false;
  for (const p of procedures) {
    // Nothing callable for what a plain call cannot do: events arrive from the daemon, event
    // registrations belong to the event dispatcher, and file descriptors cannot cross a
    // JavaScript socket. All of them stay in the procedure tables.
    if (p.message || p.registersEvents || p.fds) continue;
    if (p.stream && opts.style === 'class') throw new Error(`${p.name}: a streaming procedure in a method class; streams are emitted for the calls style only`);
    const raw = RAW_TYPED_PARAMS.has(p.name);
    const argFields = p.args ? structFields(model, p.args) : [];
    const retFields = p.ret ? structFields(model, p.ret) : [];
    if (p.args) fromModule.add(tsName(p.args));
    if (p.ret) fromModule.add(tsName(p.ret));

    const facts = opts.describe?.(p) ?? null;
    // Parameters
    const params: string[] = [];
    const argProps: string[] = [];
    let converts = false;
    argFields.forEach((f, k) => {
      const last = k === argFields.length - 1;
      if (!raw && isTypedParams(model, f.type)) {
        converts = true;
        runtime.add('type TypedParamsInput').add('typedParamsToWire');
        params.push(`${f.name}: TypedParamsInput`);
        argProps.push(`${f.name}: typedParamsToWire(${f.name}, ${JSON.stringify(`${p.args}.${f.name}`)})`);
        return;
      }
      const t = emitter.tsType(f.type, `${p.args}.${f.name}`);
      if (last && f.name === 'flags' && t === 'number') {
        const named = facts?.flagEnums ?? [];
        for (const e of named) enumTypes.add(e);
        params.push(`flags: ${named.length ? named.join(' | ') : 'number'} = 0`);
      } else {
        params.push(`${f.name}: ${t}`);
      }
      argProps.push(f.name);
    });
    params.push('options?: CallOptions');

    // Result
    const conversions = retFields.map((f) => conversionOf(f, raw));
    let resultType = 'void';
    let unwrap = 'undefined';
    if (retFields.length === 1) {
      const f = retFields[0]!;
      const c = conversions[0]!;
      resultType = typeAfter(f, c);
      unwrap = c ? `(r: ${tsName(p.ret!)}) => ${convertExpr(`r.${f.name}`, c)}` : JSON.stringify(f.name);
    } else if (retFields.length > 1) {
      if (conversions.some(Boolean)) {
        resultType = `{ ${retFields.map((f, k) => `${f.name}: ${typeAfter(f, conversions[k]!)}`).join('; ')} }`;
        unwrap = `(r: ${tsName(p.ret!)}) => ({ ${retFields.map((f, k) => `${f.name}: ${convertExpr(`r.${f.name}`, conversions[k]!)}`).join(', ')} })`;
      } else {
        resultType = tsName(p.ret!);
      }
    }

    const argObject = p.args ? `{ ${argProps.join(', ')} }` : 'undefined';
    const procConst = procedureConst(opts.module, p.method);
    procConsts.add(procConst);
    // A streaming procedure resolves with its stream and the (unwrapped) reply.
    if (p.stream) {
      streams = true;
      resultType = `{ stream: S; reply: ${resultType} }`;
    }
    const callOf = (caller: string) => `${caller}.${p.stream ? 'openStream' : 'call'}(${procConst}, ${argObject}, options, ${unwrap})`;
    const paramDocs = (caller: boolean) => [
      ...(caller ? ['@param client - the connection (a `Client` or `Connection`) the call goes to'] : []),
      ...argFields.map((f, k) => `@param ${f.name} - ${facts?.params.get(f.name) ?? (k === 0 ? facts?.params.get('$first') : undefined) ?? `\`${f.name}\` of the protocol's ${p.args}`}`),
      '@param options - `signal` and `timeoutMs`',
      `@returns ${resultType === 'void' ? 'nothing, once the daemon has done it' : p.stream ? 'the stream and the reply' : `the reply${retFields.length === 1 ? `'s \`${retFields[0]!.name}\`` : ''}`}`,
      '@throws {@link LibvirtError} from the daemon; {@link ConnectionError}, {@link TimeoutError}, {@link AbortError}; {@link XdrEncodeError} for an argument that does not fit, before anything is sent',
    ];
    const docOf = (indent: string, example: string, more: string[] = [], caller = false) => [
      `${indent}/**`,
      p.cFunction ? `${indent} * {@link ${p.cFunction.url} | ${p.cFunction.name}} (${p.name}).${facts?.home ? ` On the handle face: \`${facts.home}\`.` : ''}` : `${indent} * ${p.name} (no public C function; libvirt uses it internally).`,
      ...(p.stream ? [`${indent} * Carries a ${p.stream.direction} stream.`] : []),
      ...paramDocs(caller).map((d) => `${indent} * ${d}`),
      `${indent} * @example`,
      `${indent} * \`\`\`ts`,
      `${indent} * ${p.stream ? 'const { stream, reply } = ' : resultType === 'void' ? '' : 'const result = '}await ${example};`,
      ...more.map((line) => `${indent} * ${line}`),
      `${indent} * \`\`\``,
      `${indent} */`,
    ];
    const argNames = argFields.map((f) => f.name);
    // Typed parameters are converted before the call: an async method rejects with their
    // errors, as every call does with the encoder's, rather than throwing.
    const async = converts ? 'async ' : '';
    const example = `${opts.programLabel}.${p.method}(${argNames.join(', ')})`;
    if (opts.style === 'class') {
      body.push(...docOf('  ', example), `  ${async}${p.method}(${params.join(', ')}): Promise<${resultType}> {`, `    return ${callOf('this.$caller')};`, '  }', '');
    }
    if (opts.calls) {
      callNames.push(opts.calls.prefix ? `${opts.calls.prefix}${capitalized(p.method)}` : p.method);
      const fn = opts.calls.prefix ? `${opts.calls.prefix}${capitalized(p.method)}` : p.method;
      // In mixin style these functions are also the methods (RemoteMethods is derived from
      // them), so their docs show both forms.
      const also = opts.style === 'mixin' ? [`// on a Connection: ${p.stream ? 'const { stream, reply } = ' : resultType === 'void' ? '' : 'const result = '}await ${example};`] : [];
      const caller = p.stream ? 'client: StreamCaller<S>' : 'client: ProcedureCaller';
      calls.push(
        ...docOf('', `${fn}(${['client', ...argNames].join(', ')})`, also, true),
        `export ${async}function ${fn}${p.stream ? '<S>' : ''}(${[caller, ...params].join(', ')}): Promise<${resultType}> {`,
        `  return ${callOf('client')};`,
        '}',
        '',
      );
    }
  }

  const byModule = new Map<string, Set<string>>(emitter.imports);
  const own = byModule.get(opts.module) ?? new Set<string>();
  for (const n of fromModule) own.add(n);
  byModule.set(opts.module, own);
  if (procConsts.size) byModule.set(`${opts.module}-procedures`, procConsts);
  // Both files use the same names: the procedure constants as values, everything else as types.
  // A program with nothing callable (LXC: its one procedure passes file descriptors) still
  // gets its class, which needs only the caller's type.
  const runtimeNames = [...(procConsts.size ? ['type CallOptions'] : []), 'type ProcedureCaller', ...(streams ? ['type StreamCaller'] : []), ...runtime];
  const imports = [importLines(runtimeNames, opts.runtimeImport)];
  if (enumTypes.size) imports.push(importLines([...enumTypes].sort().map((n) => `type ${n}`), './constants.js'));
  for (const [mod, names] of [...byModule].sort()) {
    if (names.size) imports.push(importLines([...names].map((n) => (procConsts.has(n) ? n : `type ${n}`)), `./${mod}.js`));
  }
  const file = (lines: string[]) => lines.join('\n').replace(/\n\n}$/, '\n}').replace(/\n+$/, '').concat('\n');

  if (opts.style === 'mixin' && !opts.calls) throw new Error(`${opts.className}: mixin methods are derived from the calls, so they need calls`);
  const classFile = [
    opts.header,
    '/* eslint-disable */',
    ...imports,
    '',
    `/** One method per procedure of the ${opts.programName} program that a client calls. */`,
    `export class ${opts.className} {`,
    `  constructor(protected readonly $caller: ProcedureCaller) {}`,
    '',
    ...body,
    '}',
  ];
  // The methods are the functions without their first argument, docs included: one copy of
  // every signature and doc in the package rather than two.
  // The table is a plain object literal of imported functions, which a bundle that never
  // installs the methods drops; a namespace import (`import * as`) would pin every function.
  const table = `${opts.module}MethodTable`;
  const mixinFile = [
    opts.header,
    '/* eslint-disable */',
    `import type { ProcedureCaller, StreamCaller } from '${opts.runtimeImport}';`,
    importLines(callNames, `./${opts.module}-calls.js`),
    '',
    `/** The functions of \`${opts.module}-calls.ts\` by name, for installing them as methods. */`,
    `export const ${table} = {`,
    ...callNames.map((n) => `  ${n},`),
    '};',
    '',
    '/**',
    ' * A function of the calls module as a method: the same, without its first argument (the',
    ' * caller); a streaming one resolves with a stream of type `S`, the connection\'s.',
    ' */',
    'type Bound<F, S> =',
    '  F extends (client: StreamCaller<any>, ...args: infer A) => Promise<{ stream: unknown; reply: infer R }>',
    '    ? (...args: A) => Promise<{ stream: S; reply: R }>',
    '    : F extends (client: ProcedureCaller, ...args: infer A) => infer R',
    '      ? (...args: A) => R',
    '      : never;',
    '',
    `/** One method per callable procedure of the ${opts.programName} program: the functions of \`libvirt-rpc/client\`, bound to a connection whose streams are \`S\`. */`,
    `export type ${opts.className}<S = unknown> = { [K in keyof typeof ${table}]: Bound<(typeof ${table})[K], S> };`,
  ];
  return {
    methods: file(opts.style === 'class' ? classFile : mixinFile),
    ...(opts.calls
      ? {
          calls: file(
            calls.length
              ? [
                  opts.header,
                  '/* eslint-disable */',
                  ...imports,
                  '',
                  `// One function per callable procedure of the ${opts.programName} program, for code that keeps only what it calls.`,
                  '',
                  ...calls,
                ]
              : [opts.header, '', `// The ${opts.programName} program has no procedure to call this way (see its procedure table).`, 'export {};'],
          ),
        }
      : {}),
  };
}
