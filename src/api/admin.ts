/**
 * A connection to a daemon's admin program (what virt-admin speaks): servers, clients,
 * thread pools, logging. It runs on the daemon's admin socket.
 */
import { adminProcedures, adminProgram } from '../../protocol/admin-procedures.js';
import { AdminMethods } from '../../protocol/admin-methods.js';
import { keepaliveProgram } from '../../protocol/keepalive-procedures.js';
import type { ProcedureCaller } from '../xdr/index.js';
import type { ConnectionError } from '../errors.js';
import type { Dialer } from '../transport/types.js';
import { type Session, type SessionOptions, closeSession, establish } from './session.js';

/**
 * @example
 * ```ts
 * const admin = await connectAdmin('libvirtd:///system');
 * const servers = await admin.connectListServers(0);
 * await admin.close();
 * ```
 */
export class AdminConnection extends AdminMethods {
  readonly uri: string;
  /** Settles once when the connection is gone, with why. */
  readonly closed: Promise<ConnectionError>;
  private readonly session: Session;
  private closing: Promise<void> | undefined;

  private constructor(uri: string, session: Session) {
    const caller: ProcedureCaller = { call: (proc, args, options, unwrap) => session.rpc.call(proc, args, options, unwrap) };
    super(caller);
    this.uri = uri;
    this.session = session;
    this.closed = session.closed;
  }

  /** Dials and opens the admin program. Use {@link connectAdmin} unless you bring a transport. */
  static async open(dialer: Dialer, uri: string, opts: SessionOptions = {}): Promise<AdminConnection> {
    const open = (rpc: Session['rpc']) => rpc.call(adminProcedures.connectOpen, { flags: 0 });
    const { session } = await establish(dialer, `opening ${uri}`, [adminProgram, keepaliveProgram], { keepalive: false, ...opts }, open);
    return new AdminConnection(uri, session);
  }

  get isOpen(): boolean {
    return this.session.rpc.isOpen && !this.closing;
  }

  /** Sends ADMIN_PROC_CONNECT_CLOSE and closes the transport. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= closeSession(this.session, () => this.session.rpc.call(adminProcedures.connectClose, undefined, { timeoutMs: 5000 }));
    return this.closing;
  }
}
