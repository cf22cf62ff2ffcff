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
function procedureOf(h: MessageHeader): ProcedureInfo<any, any, any> | undefined {
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

/** One CALL as the bridge sees it: the procedure, the object it is about, and why it is refused, if it is. */
export interface CallReading {
  procedure: string;
  object?: string;
  refused?: string;
}

/**
 * The policy made once into a reader of CALL frames (the whole frame, length word
 * included). A call's arguments are decoded at most once, and only when the read-only rule
 * or the audit (`objects`) needs them.
 *
 * @example
 * ```ts
 * const read = callReader({ readOnly: true }, true);
 * read(header, frame); // { procedure: 'domainDestroy', object: 'web1', refused: 'domainDestroy is refused by this read-only bridge' }
 * ```
 */
export function callReader(policy: PolicyOptions, objects: boolean): (h: MessageHeader, frame: Uint8Array) => CallReading {
  const allow = policy.allow ? new Set(policy.allow) : undefined;
  return (h, frame) => {
    const proc = procedureOf(h);
    if (!proc) {
      const procedure = `0x${h.prog.toString(16)}:${h.proc}`;
      return { procedure, refused: `procedure ${h.proc} of program 0x${h.prog.toString(16)} is unknown to this bridge` };
    }
    let decoded: Record<string, unknown> | undefined | null = null;
    const args = () => (decoded === null ? (decoded = decodeArgs(proc, frame)) : decoded);
    const object = objects ? objectName(args()) : undefined;
    const reading: CallReading = { procedure: proc.method, ...(object ? { object } : {}) };
    if (proc.program === keepaliveProgram.number || HANDSHAKE.has(proc.method)) return reading;
    if (allow && !allow.has(proc.method)) return { ...reading, refused: `${proc.method} is not in this bridge's allow-list` };
    if (policy.readOnly && !isReadOnlyCall(proc, args)) return { ...reading, refused: `${proc.method} is refused by this read-only bridge` };
    return reading;
  };
}

/** A permission that only reads: `*:getattr`, `*:read`, `*:search_*`, or none at all. */
const readsOnly = (perm: string) => perm === 'none' || perm === 'getattr' || perm === 'read' || perm.startsWith('search_');

/**
 * Whether a call changes nothing, by the procedure's ACL annotations: every permission it
 * always needs only reads, and a permission it needs only with some flags (`read_secure`
 * with VIR_DOMAIN_XML_SECURE) is not asked for by this call's flags (from `args`).
 */
export function isReadOnlyCall(proc: ProcedureInfo<any, any, any>, args: () => Record<string, unknown> | undefined): boolean {
  for (const acl of proc.acl) {
    const [, perm = 'none', condition] = acl === 'none' ? ['', 'none'] : acl.split(':');
    if (readsOnly(perm)) continue;
    if (condition === undefined) return false;
    const flags = args()?.flags;
    if (typeof flags !== 'number' || conditionHolds(condition, flags)) return false;
  }
  return true;
}

/** `A|B` holds when one of the flags is set, `!A|B` when none is. */
function conditionHolds(condition: string, flags: number): boolean {
  const negated = condition.startsWith('!');
  const mask = (negated ? condition.slice(1) : condition).split('|').reduce((m, name) => m | ((constants as unknown as Record<string, number>)[name] ?? 0), 0);
  return negated ? (flags & mask) === 0 : (flags & mask) !== 0;
}

/** A call's arguments, or undefined when it has none or they cannot be read. */
function decodeArgs(proc: ProcedureInfo<any, any, any>, frame: Uint8Array): Record<string, unknown> | undefined {
  try {
    return proc.args?.decode(new XdrReader(frame, PAYLOAD_OFFSET)) as Record<string, unknown> | undefined;
  } catch {
    return undefined;
  }
}

/** The name of the object a call is about (a domain's, a network's, ...), for the audit line. */
function objectName(args: Record<string, unknown> | undefined): string | undefined {
  for (const key of ['dom', 'net', 'pool', 'vol', 'iface', 'dev', 'secret', 'nwfilter']) {
    const name = (args?.[key] as { name?: unknown } | undefined)?.name;
    if (typeof name === 'string') return name;
  }
  return typeof args?.name === 'string' ? args.name : undefined;
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
