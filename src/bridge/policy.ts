/**
 * What a bridge lets through: each CALL's procedure, read from the frame's header with the
 * generated tables, against an allow-list of procedures or the read-only rule, which comes
 * from the protocol's ACL annotations. A refused CALL is answered here, as libvirt answers a
 * refused call: a REPLY with status ERROR and a virNetMessageError.
 */
import * as constants from '../../protocol/constants.js';
import { keepaliveProgram } from '../../protocol/keepalive-procedures.js';
import { lxcProgram } from '../../protocol/lxc-procedures.js';
import { qemuProgram } from '../../protocol/qemu-procedures.js';
import { remoteProgram } from '../../protocol/remote-procedures.js';
import { VIR_NET_ERROR, VIR_NET_REPLY, encodeVirNetMessageError } from '../../protocol/virnet.js';
import { type MessageHeader, PAYLOAD_OFFSET, writeHeader } from '../rpc/header.js';
import { type ProcedureInfo, XdrReader, XdrWriter } from '../xdr/index.js';

const PROGRAMS = [remoteProgram, qemuProgram, lxcProgram, keepaliveProgram];

/** The procedure a header names, if this client knows it. */
export function procedureOf(h: MessageHeader): ProcedureInfo<any, any, any> | undefined {
  return PROGRAMS.find((p) => p.number === h.prog)?.byNumber.get(h.proc);
}

export interface PolicyOptions {
  /** Only procedures that change nothing (see {@link isReadOnlyCall}). */
  readOnly?: boolean;
  /** Only these procedures (method names, e.g. `connectListAllDomains`), besides the handshake. */
  allow?: readonly string[];
}

/** What every client needs to open and close a connection, whatever the policy. */
const HANDSHAKE = new Set(['authList', 'authSaslInit', 'authSaslStart', 'authSaslStep', 'authPolkit', 'connectOpen', 'connectClose', 'connectSupportsFeature']);

export type Verdict = { allowed: true } | { allowed: false; reason: string };

/**
 * The verdict on one CALL frame (the whole frame, length word included).
 *
 * @example
 * ```ts
 * decide(header, frame, { readOnly: true }); // { allowed: false, reason: 'domainDestroy changes state ...' }
 * ```
 */
export function decide(h: MessageHeader, frame: Uint8Array, policy: PolicyOptions): Verdict {
  const proc = procedureOf(h);
  if (!proc) return { allowed: false, reason: `procedure ${h.proc} of program 0x${h.prog.toString(16)} is unknown to this bridge` };
  if (proc.program === keepaliveProgram.number || HANDSHAKE.has(proc.method)) return { allowed: true };
  if (policy.allow && !policy.allow.includes(proc.method)) return { allowed: false, reason: `${proc.method} is not in this bridge's allow-list` };
  if (policy.readOnly && !isReadOnlyCall(proc, frame)) return { allowed: false, reason: `${proc.method} is refused by this read-only bridge` };
  return { allowed: true };
}

/** A permission that only reads: `*:getattr`, `*:read`, `*:search_*`, or none at all. */
const readsOnly = (perm: string) => perm === 'none' || perm === 'getattr' || perm === 'read' || perm.startsWith('search_');

/**
 * Whether a call changes nothing, by the procedure's ACL annotations: every permission it
 * always needs only reads, and a permission it needs only with some flags (`read_secure`
 * with VIR_DOMAIN_XML_SECURE) is not asked for by this call's flags.
 */
export function isReadOnlyCall(proc: ProcedureInfo<any, any, any>, frame: Uint8Array): boolean {
  let flags: number | undefined;
  for (const acl of proc.acl) {
    const [, perm = 'none', condition] = acl === 'none' ? ['', 'none'] : acl.split(':');
    if (readsOnly(perm)) continue;
    if (condition === undefined) return false;
    flags ??= callFlags(proc, frame);
    if (flags === undefined || conditionHolds(condition, flags)) return false;
  }
  return true;
}

/** `A|B` holds when one of the flags is set, `!A|B` when none is. */
function conditionHolds(condition: string, flags: number): boolean {
  const negated = condition.startsWith('!');
  const mask = (negated ? condition.slice(1) : condition).split('|').reduce((m, name) => m | ((constants as unknown as Record<string, number>)[name] ?? 0), 0);
  return negated ? (flags & mask) === 0 : (flags & mask) !== 0;
}

/** The call's `flags` argument, or undefined when it cannot be read. */
function callFlags(proc: ProcedureInfo<any, any, any>, frame: Uint8Array): number | undefined {
  try {
    const args = proc.args?.decode(new XdrReader(frame, PAYLOAD_OFFSET)) as { flags?: unknown } | undefined;
    return typeof args?.flags === 'number' ? args.flags : undefined;
  } catch {
    return undefined;
  }
}

/** The name of the object a call is about (a domain's, a network's, ...), for the audit line. */
export function objectName(proc: ProcedureInfo<any, any, any> | undefined, frame: Uint8Array): string | undefined {
  if (!proc?.args) return undefined;
  try {
    const args = proc.args.decode(new XdrReader(frame, PAYLOAD_OFFSET)) as Record<string, unknown> | undefined;
    for (const key of ['dom', 'net', 'pool', 'vol', 'iface', 'dev', 'secret', 'nwfilter']) {
      const name = (args?.[key] as { name?: unknown } | undefined)?.name;
      if (typeof name === 'string') return name;
    }
    return typeof args?.name === 'string' ? args.name : undefined;
  } catch {
    return undefined;
  }
}

/** The REPLY a client gets for a refused CALL: libvirt's "operation denied" with the reason. */
export function refusalFrame(h: MessageHeader, reason: string): Uint8Array {
  const w = new XdrWriter(256);
  w.ensure(PAYLOAD_OFFSET);
  w.pos = PAYLOAD_OFFSET;
  encodeVirNetMessageError(w, {
    code: constants.VIR_ERR_OPERATION_DENIED,
    domain: constants.VIR_FROM_RPC,
    message: `operation denied: ${reason}`,
    level: constants.VIR_ERR_ERROR,
    dom: null,
    str1: reason,
    str2: null,
    str3: null,
    int1: 0,
    int2: 0,
    net: null,
  });
  const len = w.pos;
  writeHeader(w.view, 0, len, { ...h, type: VIR_NET_REPLY, status: VIR_NET_ERROR });
  return w.finish().slice();
}
