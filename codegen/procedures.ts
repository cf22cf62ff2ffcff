/**
 * Builds a program's procedure table from its `*_procedure` enum: each member's number,
 * annotations, and the args/ret/msg structs found by libvirt's naming convention
 * (`REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME` → `remote_domain_lookup_by_name_args`).
 */
import type { ApiFunction } from './api-xml.js';
import { docUrl } from './api-xml.js';
import type { Model } from './model.js';
import { FD_PROCEDURES, type ProgramInput } from './programs.js';

export interface Procedure {
  number: number;
  /** Enum member name: `REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME`. */
  name: string;
  /** Method name users call: `domainLookupByName`. */
  method: string;
  args: string | null;
  ret: string | null;
  msg: string | null;
  /** Sent as a MESSAGE (an event, or keepalive), never as a CALL. */
  message: boolean;
  /** Passes file descriptors. */
  fds: boolean;
  /**
   * Registers or deregisters for events (or the close callback): the event dispatcher calls
   * these, since the events they start need routing; nothing else should.
   */
  registersEvents: boolean;
  priority: 'high' | 'low';
  stream: { direction: 'read' | 'write'; argIndex: number } | null;
  sparseFlag: { name: string; value: number } | null;
  generate: string | null;
  acl: string[];
  aclFilter: string[];
  /** The public C function this procedure implements, when there is one. */
  cFunction: { name: string; url: string } | null;
}

/** `..._EVENT_REGISTER_ANY`, `..._EVENT_CALLBACK_DEREGISTER_ANY`, `..._MONITOR_EVENT_REGISTER`, the close callback. */
const EVENT_REGISTRATION = /_EVENT_(?:.*_)?(?:DE)?REGISTER|_CLOSE_CALLBACK$/;

/** `@key: value` pairs from a procedure's comment (`@generate:both` has no space). */
export function parseAnnotations(comment: string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of (comment ?? '').matchAll(/@([a-z]+)\s*:\s*([^\n*]*?)\s*(?:\*\/|\n|$)/g)) {
    const key = m[1]!;
    const list = out.get(key) ?? [];
    list.push(m[2]!.trim());
    out.set(key, list);
  }
  return out;
}

/** `DOMAIN_GET_XML_DESC` → `domainGetXmlDesc`. */
export function camelCase(upperSnake: string): string {
  return upperSnake
    .toLowerCase()
    .split('_')
    .map((p, k) => (k === 0 ? p : p.charAt(0).toUpperCase() + p.slice(1)))
    .join('');
}

export function buildProcedures(model: Model, input: ProgramInput, functions: ApiFunction[]): Procedure[] {
  const prog = input.program!;
  const sym = model.lookup(prog.procedureEnum, input.xFile);
  if (sym.def.kind !== 'enum') throw new Error(`${input.xFile}: ${prog.procedureEnum} is not an enum`);

  // C functions by normalized name: lower case, without `vir` and the program's own word.
  const byNormalized = new Map<string, ApiFunction[]>();
  for (const f of functions) {
    let n = f.name.replace(/^vir/, '');
    if (prog.cWord) n = n.replace(new RegExp(`${prog.cWord}(?=[A-Z])`), '');
    const key = n.toLowerCase();
    byNormalized.set(key, [...(byNormalized.get(key) ?? []), f]);
  }

  const structName = (tail: string, suffix: string) => {
    const name = `${prog.structPrefix}${tail.toLowerCase()}_${suffix}`;
    const s = model.symbols.get(name);
    return s && s.def.kind === 'struct' ? name : null;
  };

  const procs: Procedure[] = [];
  const methods = new Set<string>();
  for (const member of sym.def.members) {
    if (!member.name.startsWith(prog.procPrefix)) {
      throw new Error(`${input.xFile}:${member.line}: ${member.name} does not start with ${prog.procPrefix}`);
    }
    const tail = member.name.slice(prog.procPrefix.length);
    const ann = parseAnnotations(member.comment);
    const one = (k: string) => ann.get(k)?.[0] ?? null;

    const matches = byNormalized.get(tail.replace(/_/g, '').toLowerCase()) ?? [];
    const cf = matches.length === 1 ? matches[0]! : null;
    let method = camelCase(tail);
    if (cf) {
      let n = cf.name.replace(/^vir/, '');
      if (prog.cWord) n = n.replace(new RegExp(`${prog.cWord}(?=[A-Z])`), '');
      method = n.charAt(0).toLowerCase() + n.slice(1);
    }
    if (methods.has(method)) throw new Error(`${input.xFile}:${member.line}: method name ${method} is used twice`);
    methods.add(method);

    const streamAnn = one('readstream') ?? one('writestream');
    const sparse = one('sparseflag');
    const msg = structName(tail, 'msg');
    procs.push({
      number: model.enumMembers.get(member.name)!.value,
      name: member.name,
      method,
      args: structName(tail, 'args'),
      ret: structName(tail, 'ret'),
      msg,
      message: prog.allMessages || msg !== null,
      fds: FD_PROCEDURES.has(member.name),
      registersEvents: EVENT_REGISTRATION.test(member.name),
      priority: one('priority') === 'high' ? 'high' : 'low',
      stream:
        streamAnn === null
          ? null
          : { direction: one('readstream') !== null ? 'read' : 'write', argIndex: Number(streamAnn) },
      sparseFlag: sparse ? { name: sparse, value: model.value({ ref: sparse }, member.name) } : null,
      generate: one('generate'),
      acl: ann.get('acl') ?? [],
      aclFilter: ann.get('aclfilter') ?? [],
      cFunction: cf ? { name: cf.name, url: docUrl(cf.file, cf.name) } : null,
    });
  }
  return procs;
}
