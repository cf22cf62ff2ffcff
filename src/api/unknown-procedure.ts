/**
 * A call the daemon does not know: the protocol here is libvirt 11.3's, and an older daemon
 * answers a procedure it lacks with VIR_ERR_RPC "unknown procedure: N". The error a caller
 * gets names the procedure and the daemon's version instead of the bare number.
 */
import type { ProcedureInfo } from '../xdr/index.js';
import { VIR_ERR_RPC, VIR_FROM_RPC } from '../../protocol/constants.js';
import { LibvirtError } from '../errors.js';

/**
 * The daemon does not know this procedure (it is older than the procedure). `code`,
 * `codeName` and the other fields are the daemon's own error (VIR_ERR_RPC).
 *
 * @example
 * ```ts
 * try { await conn.domainGetAutostartOnce(dom); }
 * catch (e) { if (e instanceof UnknownProcedureError) console.log(e.method, e.daemonVersion); }
 * ```
 */
export class UnknownProcedureError extends LibvirtError {
  override name = 'UnknownProcedureError';
  /** The method that was called, e.g. `domainGetAutostartOnce`. */
  readonly method: string;
  /** The daemon's libvirt version (`9.0.0`), when it told. */
  readonly daemonVersion: string | undefined;

  constructor(cause: LibvirtError, proc: ProcedureInfo<any, any, any>, daemonVersion: string | undefined) {
    super(
      {
        code: cause.code,
        domain: cause.domain,
        message: `${proc.name} (${proc.method}, procedure ${proc.number}) is not known to the daemon (libvirt ${daemonVersion ?? 'of unknown version'}): it is newer than that daemon; the daemon said "${cause.message}"`,
        level: cause.level,
        dom: cause.dom,
        str1: cause.str1,
        str2: cause.str2,
        str3: cause.str3,
        int1: cause.int1,
        int2: cause.int2,
        net: cause.net,
      },
      cause.procedure,
    );
    this.method = proc.method;
    this.daemonVersion = daemonVersion;
  }
}

/** Whether the daemon answered `proc` with "unknown procedure" (its own number in the text). */
export function isUnknownProcedure(e: unknown, proc: ProcedureInfo<any, any, any>): e is LibvirtError {
  return (
    e instanceof LibvirtError &&
    e.code === VIR_ERR_RPC &&
    e.domain === VIR_FROM_RPC &&
    new RegExp(`unknown procedure: ${proc.number}\\b`).test(e.message)
  );
}

/** libvirt's version number (major * 1e6 + minor * 1e3 + micro) as `major.minor.micro`. */
export function formatLibVersion(v: bigint | number): string {
  const n = Number(v);
  return `${Math.floor(n / 1e6)}.${Math.floor(n / 1e3) % 1000}.${n % 1000}`;
}
