/**
 * Assembles one protocol module (header, imports, every definition's type and codec) and, for
 * a program, the module of its procedure table.
 */
import type { XdrFile } from './ast.js';
import type { Model } from './model.js';
import { tsName } from './model.js';
import type { Procedure } from './procedures.js';
import type { ProgramInput } from './programs.js';
import { TypeEmitter } from './emit-types.js';
import { importLines } from './import-lines.js';

export interface ModuleOptions {
  header: string;
  /** Import path of the XDR runtime as seen from the output folder. */
  runtimeImport: string;
  docFor?: (xdrName: string) => string[];
  /** See TypeEmitter: accept any int as an enum value. */
  laxEnums?: boolean;
}

export function emitModule(
  model: Model,
  input: Pick<ProgramInput, 'module' | 'program'>,
  ast: XdrFile,
  opts: ModuleOptions,
): string {
  const emitter = new TypeEmitter(model, input.module, opts.docFor, opts.laxEnums);
  const body: string[] = [];
  for (const def of ast.definitions) {
    body.push(...emitter.emit(def), '');
  }
  const runtimeNames = ['type Codec', 'XdrReader', 'XdrWriter'];
  if (body.some((l) => l.includes('XdrEncodeError'))) runtimeNames.push('XdrEncodeError');
  const imports = [importLines(runtimeNames, opts.runtimeImport)];
  for (const [mod, names] of [...emitter.imports].sort()) imports.push(importLines([...names], `./${mod}.js`));
  return [opts.header, '/* eslint-disable */', ...imports, '', ...body].join('\n').replace(/\n+$/, '\n');
}

/** The exported constant that holds one procedure's description: `remoteProcDomainLookupByName`. */
export function procedureConst(module: string, method: string): string {
  return `${module}Proc${method[0]!.toUpperCase()}${method.slice(1)}`;
}

/**
 * A program's `<module>-procedures.ts`: one constant per procedure, then the table and the
 * program built from them. Code that names one procedure keeps that procedure's codecs alone,
 * and a bundler drops the rest (the table and the program are pure expressions, kept only
 * when used). A file of its own, apart from the types and codecs, so that neither is too
 * large for the usual tools.
 */
export function emitProcedureModule(
  module: string,
  program: NonNullable<ProgramInput['program']>,
  procedures: Procedure[],
  opts: Pick<ModuleOptions, 'header' | 'runtimeImport'>,
): string {
  const table = `${module}Procedures`;
  const out: string[] = [];
  const used = new Set<string>([program.numberConst, program.versionConst]);
  for (const p of procedures) {
    const t = (s: string | null) => (s ? (used.add(`type ${tsName(s)}`), tsName(s)) : 'void');
    const codec = (s: string | null) => (s ? (used.add(`${tsName(s)}Codec`), `${tsName(s)}Codec`) : 'null');
    out.push(
      `/** ${p.cFunction ? `{@link ${p.cFunction.url} | ${p.cFunction.name}}` : p.name} */`,
      `export const ${procedureConst(module, p.method)}: ProcedureInfo<${t(p.args)}, ${t(p.ret)}, ${t(p.msg)}> = {`,
      `  program: ${program.numberConst}, version: ${program.versionConst}, number: ${p.number},`,
      `  name: ${JSON.stringify(p.name)}, method: ${JSON.stringify(p.method)},`,
      `  args: ${codec(p.args)}, ret: ${codec(p.ret)}, msg: ${codec(p.msg)}, message: ${p.message}, fds: ${p.fds},`,
      `  registersEvents: ${p.registersEvents},`,
      `  priority: ${JSON.stringify(p.priority)}, stream: ${JSON.stringify(p.stream)}, sparseFlag: ${JSON.stringify(p.sparseFlag)},`,
      `  generate: ${JSON.stringify(p.generate)}, acl: ${JSON.stringify(p.acl)}, aclFilter: ${JSON.stringify(p.aclFilter)},`,
      `  cFunction: ${JSON.stringify(p.cFunction?.name ?? null)}, docUrl: ${JSON.stringify(p.cFunction?.url ?? null)},`,
      `};`,
    );
  }
  out.push(
    '',
    `/** Every procedure of the ${program.name} program, by method name. */`,
    `export const ${table} = {`,
    ...procedures.map((p) => `  ${p.method}: ${procedureConst(module, p.method)},`),
    '} as const;',
    '',
    `/** The ${program.name} program: number, version and procedures (by method and by number). */`,
    `export const ${module}Program: ProgramInfo<typeof ${table}> = /* @__PURE__ */ defineProgram(${JSON.stringify(program.name)}, ${program.numberConst}, ${program.versionConst}, ${table});`,
  );
  return [
    opts.header,
    '/* eslint-disable */',
    importLines(['type ProcedureInfo', 'type ProgramInfo', 'defineProgram'], opts.runtimeImport),
    importLines([...used], `./${module}.js`),
    '',
    ...out,
  ].join('\n').concat('\n');
}
