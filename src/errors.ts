/**
 * The errors a call can end with, shared by every layer (the RPC core, the carriers, the
 * client rules, the API): one module each may import, so none has to reach into another's.
 * Every pending call settles exactly once with its reply or one of these; none is left
 * hanging when the connection goes away.
 */
import type { VirNetMessageError } from '../protocol/virnet.js';
import { virErrorDomain, virErrorLevel, virErrorNumber } from '../protocol/constants.js';

/** Value → C name; the first name wins where aliases share a value. */
function reverse(table: Record<string, number>): Map<number, string> {
  const m = new Map<number, string>();
  for (const [name, value] of Object.entries(table)) if (!m.has(value)) m.set(value, name);
  return m;
}

const ERROR_NAMES = reverse(virErrorNumber);
const DOMAIN_NAMES = reverse(virErrorDomain);
const LEVEL_NAMES = reverse(virErrorLevel);

/** Error codes that mean "the object you named does not exist". */
const NOT_FOUND = new Set(
  [
    'VIR_ERR_NO_DOMAIN',
    'VIR_ERR_NO_NETWORK',
    'VIR_ERR_NO_NETWORK_PORT',
    'VIR_ERR_NO_STORAGE_POOL',
    'VIR_ERR_NO_STORAGE_VOL',
    'VIR_ERR_NO_NODE_DEVICE',
    'VIR_ERR_NO_INTERFACE',
    'VIR_ERR_NO_NWFILTER',
    'VIR_ERR_NO_NWFILTER_BINDING',
    'VIR_ERR_NO_SECRET',
    'VIR_ERR_NO_DOMAIN_SNAPSHOT',
    'VIR_ERR_NO_DOMAIN_CHECKPOINT',
    'VIR_ERR_NO_DOMAIN_BACKUP',
    'VIR_ERR_NO_DOMAIN_METADATA',
    'VIR_ERR_NO_SERVER',
    'VIR_ERR_NO_CLIENT',
    'VIR_ERR_NO_HOSTNAME',
  ]
    .map((n) => (virErrorNumber as Record<string, number>)[n])
    .filter((v): v is number => v !== undefined),
);

/**
 * An error the daemon reported (libvirt's `virError`), with every field of `remote_error`.
 *
 * @example
 * ```ts
 * try { await conn.domainLookupByName('nope'); }
 * catch (e) {
 *   if (e instanceof LibvirtError && e.isNotFound()) console.log(e.codeName); // VIR_ERR_NO_DOMAIN
 * }
 * ```
 */
export class LibvirtError extends Error {
  override name = 'LibvirtError';
  /** virErrorNumber value. */
  readonly code: number;
  /** Symbolic name of `code`, such as `VIR_ERR_NO_DOMAIN`. */
  readonly codeName: string;
  /** virErrorDomain value: which part of libvirt raised it. */
  readonly domain: number;
  /** Symbolic name of `domain`, such as `VIR_FROM_QEMU`. */
  readonly domainName: string;
  readonly level: number;
  readonly levelName: string;
  readonly str1: string | null;
  readonly str2: string | null;
  readonly str3: string | null;
  readonly int1: number;
  readonly int2: number;
  /** The domain the error concerns, when the daemon named one. */
  readonly dom: VirNetMessageError['dom'];
  /** The network the error concerns, when the daemon named one. */
  readonly net: VirNetMessageError['net'];
  /** The procedure that failed. */
  readonly procedure: string | undefined;

  constructor(e: VirNetMessageError, procedure?: string) {
    super(e.message ?? `libvirt error ${e.code}`);
    this.code = e.code;
    this.codeName = ERROR_NAMES.get(e.code) ?? `VIR_ERR_${e.code}`;
    this.domain = e.domain;
    this.domainName = DOMAIN_NAMES.get(e.domain) ?? `VIR_FROM_${e.domain}`;
    this.level = e.level;
    this.levelName = LEVEL_NAMES.get(e.level) ?? String(e.level);
    this.str1 = e.str1;
    this.str2 = e.str2;
    this.str3 = e.str3;
    this.int1 = e.int1;
    this.int2 = e.int2;
    this.dom = e.dom;
    this.net = e.net;
    this.procedure = procedure;
  }

  /** True when the named object (domain, network, pool, volume, ...) does not exist. */
  isNotFound(): boolean {
    return NOT_FOUND.has(this.code);
  }

  /** True when the daemon refused for lack of permission. */
  isAccessDenied(): boolean {
    return this.codeName === 'VIR_ERR_ACCESS_DENIED' || this.codeName === 'VIR_ERR_OPERATION_DENIED';
  }
}

/** Why a connection ended, as libvirt's close callback reports it (virConnectCloseReason). */
export type CloseReason = 'error' | 'eof' | 'keepalive' | 'client';

/**
 * The connection could not be made, or failed or closed; a call's outcome on the daemon is
 * unknown.
 *
 * @example
 * ```ts
 * try { await connect('qemu+tcp://node1/system'); }
 * catch (e) {
 *   if (e instanceof ConnectionError && e.code === 'ECONNREFUSED') console.log('no daemon listening');
 * }
 * ```
 */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
  /** Why the connection ended, where this error ended it. */
  readonly reason: CloseReason;
  /** The operating system's error code (`ECONNREFUSED`, `ENOENT`, `EACCES`, ...) when a system call failed. */
  readonly code: string | undefined;
  constructor(message: string, options?: ErrorOptions & { reason?: CloseReason; code?: string }) {
    super(message, options);
    this.reason = options?.reason ?? 'error';
    const causeCode = (options?.cause as { code?: unknown } | undefined)?.code;
    this.code = options?.code ?? (typeof causeCode === 'string' ? causeCode : undefined);
  }
}

/** The peer sent something that breaks the protocol. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** The call took longer than its `timeoutMs`. The daemon may still complete it. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** The call's AbortSignal fired. The daemon may still complete the call if it was sent. */
export class AbortError extends Error {
  override name = 'AbortError';
}

/** The procedure or feature is not available in this client or on this peer. */
export class NotSupportedError extends Error {
  override name = 'NotSupportedError';
}

/** A phase of libvirt's migration protocol (version 3), or the single call of a peer-to-peer one. */
export type MigrationPhase = 'begin' | 'prepare' | 'perform' | 'finish' | 'confirm';

/**
 * A migration failed: which phase, on which host, and where the guest is now, as far as the
 * protocol can tell (`unknown` when a connection was lost at a point where either side may
 * hold it). `cause` is the phase's own error (a LibvirtError, ConnectionError, ...); `code` is
 * its libvirt error code when it has one.
 * @example
 * ```ts
 * try {
 *   await dom.migrate(dst, { live: true });
 * } catch (e) {
 *   if (e instanceof MigrationError) console.log(e.phase, e.host, e.guest);   // 'perform' 'source' 'source'
 * }
 * ```
 */
export class MigrationError extends Error {
  override name = 'MigrationError';
  /** libvirt's error code of the cause, when it is a LibvirtError. */
  readonly code: number | undefined;
  constructor(
    readonly phase: MigrationPhase,
    /** The host whose call failed. */
    readonly host: 'source' | 'destination',
    /** Where the guest runs now. */
    readonly guest: 'source' | 'destination' | 'unknown',
    cause: unknown,
  ) {
    const what = cause instanceof Error ? cause.message : String(cause);
    const where = guest === 'unknown' ? 'the guest may be on either host' : `the guest runs on the ${guest}`;
    super(`migration failed in ${phase} on the ${host}: ${what} (${where})`, { cause });
    this.code = cause instanceof LibvirtError ? cause.code : undefined;
  }
}
