/**
 * A connection's core, without the generated methods: it opens a session as libvirt's own
 * client does (auth, keepalive opt-in, open), calls any procedure, carries data streams,
 * re-establishes a lost connection, and asks the daemon's features on first need. The
 * one-function-per-procedure entry (`libvirt-rpc/client`) runs on it alone, so a script keeps
 * only what it calls; {@link Connection} adds a method per procedure and events.
 */
import type { CallOptions, ProcedureInfo, ProgramInfo, StreamCaller, Unwrap } from '../xdr/index.js';
import { remoteProcConnectClose, remoteProcConnectGetLibVersion } from '../../protocol/remote-procedures.js';
import {
  VIR_CONNECT_CLOSE_REASON_CLIENT,
  VIR_CONNECT_CLOSE_REASON_EOF,
  VIR_CONNECT_CLOSE_REASON_ERROR,
  VIR_CONNECT_CLOSE_REASON_KEEPALIVE,
} from '../../protocol/constants.js';
import type { Credentials } from '../auth/sasl.js';
import type { MessageHeader } from '../rpc/header.js';
import type { RpcClient } from '../rpc/client.js';
import { type CloseReason, ConnectionError, type LibvirtError, NotSupportedError } from '../errors.js';
import type { Dialer } from '../transport/types.js';
import type { XdrReader } from '../xdr/reader.js';
import { FeatureProbes, LAZY_FEATURES, type LazyFeature, type ServerFeatures, ignoreUnsupported } from './features.js';
import { type ReconnectOptions, afterReconnect, withBackoff } from './reconnect.js';
import { LibvirtStream } from './stream.js';
import { UnknownProcedureError, formatLibVersion, isUnknownProcedure } from './unknown-procedure.js';
import { type CredentialsCallback, DRV_FEATURE, openRemote } from './handshake.js';
import { type Session, type SessionOptions, closeSession, closedByClient, establish } from './session.js';

export { DRV_FEATURE, type CredentialsCallback, type ReconnectOptions, type ServerFeatures, ignoreUnsupported };

/** Our close reasons as libvirt's virConnectCloseReason values. */
export const CLOSE_REASONS: Record<CloseReason, number> = {
  error: VIR_CONNECT_CLOSE_REASON_ERROR,
  eof: VIR_CONNECT_CLOSE_REASON_EOF,
  keepalive: VIR_CONNECT_CLOSE_REASON_KEEPALIVE,
  client: VIR_CONNECT_CLOSE_REASON_CLIENT,
};

/** How a {@link Client} (and so a {@link Connection}) is opened and kept. */
export interface ConnectionOptions extends SessionOptions {
  /**
   * Re-open the connection when it is lost (not when you close it): calls in flight fail with
   * ConnectionError, new calls wait for the new connection, event subscriptions are registered
   * again.
   */
  reconnect?: boolean | ReconnectOptions;
  /** Open read-only (VIR_CONNECT_RO); local opens also use the read-only socket. */
  readonly?: boolean;
  /** SASL credentials, or a function asked for them when needed. */
  credentials?: Partial<Credentials> | CredentialsCallback;
  /** Force the auth method: `sasl`, `sasl.MECH` or `polkit` (the URI's `auth=`). */
  auth?: string;
  /**
   * Whether the channel protects what SASL sends (TLS, a local socket, SSH). Over plain TCP
   * no mechanism this client speaks gives a security layer, and credentials are never sent.
   */
  secureChannel?: boolean;
  /** Credentials from libvirt's auth.conf, consulted when `credentials` lacks them. */
  authFileCredentials?: () => Partial<Credentials> | undefined;
}

/** A session as {@link Client.openSession} hands it to a constructor. */
export interface OpenedSession {
  uri: string;
  session: Session;
  keepalive: boolean;
  /** Dials and opens a new session under `signal` (with `reconnect`). */
  reopen: ((signal: AbortSignal) => Promise<{ session: Session; result: { keepalive: boolean } }>) | undefined;
  reconnectPolicy: ReconnectOptions | undefined;
}

/**
 * An open connection without a method per procedure: call procedures with the functions of
 * `libvirt-rpc/client` (or {@link Client.call}), so that a bundle keeps only the procedures
 * it uses. Events need a {@link Connection}.
 *
 * @example
 * ```ts
 * import { openClient, connectGetLibVersion } from 'libvirt-rpc/client';
 * const client = await openClient('qemu:///system');
 * console.log(await connectGetLibVersion(client));
 * await client.close();
 * ```
 */
export class Client implements StreamCaller<LibvirtStream> {
  /** The URI the connection was opened with. */
  readonly uri: string;
  /** What the daemon supports: `keepalive` from the open, the others once asked (see {@link probeFeatures}). */
  features: ServerFeatures = {
    keepalive: false,
    remoteEventCallback: false,
    remoteCloseCallback: false,
    networkUpdateHasCorrectOrder: false,
    typedParamString: false,
  };
  /** Settles once when the connection is gone, with why. */
  readonly closed: Promise<ConnectionError>;
  /** How many times the connection was re-established (with `reconnect`). */
  reconnects = 0;
  /** The current session's RPC core. */
  protected rpc: RpcClient;
  private session: Session;
  private resolveClosed!: (e: ConnectionError) => void;
  /** While a lost connection is being re-established: what new calls wait for. */
  private reconnecting: Promise<void> | undefined;
  private readonly reopen: OpenedSession['reopen'];
  private readonly reconnectPolicy: ReconnectOptions | undefined;
  /** Aborted by close(): ends the backoff wait and any redial in flight (made with the first reconnect). */
  private stopReconnecting: AbortController | undefined;
  private closing: Promise<void> | undefined;
  /** The current session's answers to feature questions, asked on first need. */
  private probes!: FeatureProbes;
  /** The daemon's libvirt version, asked when a call comes back as unknown to it. */
  private daemonVersion: Promise<string | undefined> | undefined;

  protected constructor(opened: OpenedSession) {
    this.uri = opened.uri;
    this.session = opened.session;
    this.rpc = opened.session.rpc;
    this.reopen = opened.reopen;
    this.reconnectPolicy = opened.reconnectPolicy;
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.adopt(opened.session, opened.keepalive);
  }

  /**
   * Dials, authenticates and opens `name` on the daemon. Use `openClient()` rather than
   * this, unless you bring your own transport.
   */
  static async open(dialer: Dialer, uri: string, name: string | null, opts: ConnectionOptions = {}): Promise<Client> {
    return new Client(await Client.openSession(dialer, uri, name, opts, []));
  }

  /**
   * The session a constructor takes: dialed and opened under `opts`, with what a reconnect
   * needs. `programs` only name procedures in traces.
   */
  protected static async openSession(dialer: Dialer, uri: string, name: string | null, opts: ConnectionOptions, programs: ProgramInfo[]): Promise<OpenedSession> {
    const handshake = (rpc: RpcClient) => openRemote(rpc, uri, name, opts);
    const { session, result } = await establish(dialer, `opening ${uri}`, programs, opts, handshake);
    return {
      uri,
      session,
      keepalive: result.keepalive,
      reconnectPolicy: opts.reconnect ? (opts.reconnect === true ? {} : opts.reconnect) : undefined,
      // Each redial has the setup deadline of its own; the setup signal is not looked at again.
      reopen: opts.reconnect ? (signal) => establish(dialer, `reopening ${uri}`, programs, opts, handshake, signal) : undefined,
    };
  }

  /**
   * Calls any procedure of the REMOTE, QEMU or LXC program and resolves with its reply, or
   * with `unwrap` applied to it (a field name, or a function). The functions of
   * `libvirt-rpc/client` and the methods of a Connection come through here.
   *
   * @example
   * ```ts
   * import { remoteProcedures } from 'libvirt-rpc';
   * const { hostname } = await client.call(remoteProcedures.connectGetHostname, undefined);
   * ```
   */
  call<A, R>(proc: ProcedureInfo<A, R, any>, args: A, options?: CallOptions): Promise<R>;
  call(proc: ProcedureInfo<any, any, any>, args: unknown, options: CallOptions | undefined, unwrap: Unwrap): Promise<any>;
  call(proc: ProcedureInfo<any, any, any>, args: any, options?: CallOptions, unwrap?: Unwrap): Promise<any> {
    const session = this.session;
    return this.send(proc, args, options, unwrap).catch((e: unknown) => (isUnknownProcedure(e, proc) ? this.unknownProcedure(e, proc, session) : Promise.reject(e)));
  }

  /** An event or other MESSAGE from the daemon; a Client has no listeners, so it is dropped (and counted). */
  protected handleMessage(_header: MessageHeader, _payload: XdrReader): boolean {
    return false;
  }

  /** A session went away (before any reconnect), with libvirt's close reason. */
  protected sessionLost(_reason: number): void {}

  /** A new session was adopted after a reconnect: restore what lived on the old one. */
  protected async sessionRestored(_rpc: RpcClient): Promise<void> {}

  /** Makes `session` the one calls go to, and watches it end. */
  private adopt(session: Session, keepalive: boolean): void {
    this.session = session;
    this.rpc = session.rpc;
    this.features.keepalive = keepalive;
    // A new session may reach another daemon (upgraded, restarted): ask again.
    const probes = new FeatureProbes(session.rpc, (name, value) => {
      if (this.probes === probes) this.features[name] = value;
    });
    this.probes = probes;
    for (const name of Object.keys(LAZY_FEATURES) as LazyFeature[]) this.features[name] = false;
    this.daemonVersion = undefined;
    session.rpc.setMessageHandler((h, payload) => this.handleMessage(h, payload));
    void session.closed.then((e) => this.sessionEnded(session, e));
  }

  private sessionEnded(session: Session, e: ConnectionError): void {
    if (session !== this.session) return;
    this.sessionLost(CLOSE_REASONS[e.reason]);
    if (this.closing || !this.reopen || e.reason === 'client') {
      this.resolveClosed(e);
      return;
    }
    this.reconnecting = this.reconnectLoop(e).finally(() => (this.reconnecting = undefined));
    void this.reconnecting.catch(() => undefined);
  }

  /**
   * Dials again with exponential backoff; new calls wait; the final failure closes for good.
   * close() ends it at once: the wait is cut short, a redial in flight is aborted, and a
   * session that opens regardless is closed, never adopted.
   */
  private async reconnectLoop(cause: ConnectionError): Promise<void> {
    const stop = (this.stopReconnecting ??= new AbortController()).signal;
    const back = await withBackoff(this.reconnectPolicy!, stop, async () => {
      const { session, result } = await this.reopen!(stop);
      if (stop.aborted) {
        await closeSession(session, () => session.rpc.call(remoteProcConnectClose, undefined, { timeoutMs: 5000 }));
        return;
      }
      this.adopt(session, result.keepalive);
      await this.sessionRestored(session.rpc);
      this.reconnects++;
    });
    if (back) return;
    if (stop.aborted) throw stop.reason;
    const final = new ConnectionError(`connection lost and not re-established: ${cause.message}`, { cause, reason: cause.reason });
    this.resolveClosed(final);
    throw final;
  }

  /**
   * Calls a streaming procedure (`@readstream`/`@writestream`: volume download and upload,
   * screenshots, consoles, channels) and returns its data stream with the reply.
   *
   * The generated streaming functions and methods (`storageVolDownload(client, vol, ...)`,
   * `conn.storageVolDownload(vol, ...)`) come here; `unwrap` is what they make of the reply.
   *
   * @example
   * ```ts
   * const { stream } = await client.openStream(remoteProcedures.storageVolDownload, { vol, offset: 0n, length: 0n, flags: 0 });
   * for await (const chunk of stream.chunks()) hash.update(chunk);
   * ```
   */
  openStream<A, R>(proc: ProcedureInfo<A, R, any>, args: A, options?: CallOptions): Promise<{ stream: LibvirtStream; reply: R }>;
  openStream(proc: ProcedureInfo<any, any, any>, args: unknown, options: CallOptions | undefined, unwrap: Unwrap): Promise<{ stream: LibvirtStream; reply: any }>;
  async openStream(proc: ProcedureInfo<any, any, any>, args: any, options?: CallOptions, unwrap?: Unwrap): Promise<{ stream: LibvirtStream; reply: any }> {
    if (!proc.stream) throw new NotSupportedError(`${proc.method} carries no data stream`);
    if (this.closing) throw new ConnectionError('connection closed', { reason: 'client' });
    if (this.reconnecting) options = await afterReconnect(this.reconnecting, proc.name, options, this.reconnectPolicy?.waitMs);
    const stream = new LibvirtStream(this.rpc, proc);
    const pending = this.rpc.call(proc, args, options, unwrap, stream);
    try {
      return { stream, reply: await pending };
    } catch (e) {
      if (stream.serial) this.rpc.endStream(stream.serial);
      throw e;
    }
  }

  /** Whether calls can still be made. */
  get isOpen(): boolean {
    return this.rpc.isOpen && !this.closing;
  }

  /** Counters of the RPC core (calls sent, replies dropped, ...). */
  get stats() {
    return this.rpc.stats;
  }

  /**
   * Closes the connection: CONNECT_CLOSE, then the transport. Pending calls settle with
   * ConnectionError, a reconnect under way stops, and nothing is left that keeps the process
   * running. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = closedByClient();
      this.stopReconnecting?.abort(closed);
      await this.reconnecting?.catch(() => undefined);
      await closeSession(this.session, () => this.rpc.call(remoteProcConnectClose, undefined, { timeoutMs: 5000 }), closed);
      this.resolveClosed(closed);
    })();
    return this.closing;
  }

  /**
   * An older daemon's "unknown procedure: N" as an error that names the procedure and the
   * daemon's version (asked once per session, and only when such an answer comes).
   */
  private async unknownProcedure(e: LibvirtError, proc: ProcedureInfo<any, any, any>, session: Session): Promise<never> {
    if (session !== this.session) throw e;
    this.daemonVersion ??= this.rpc
      .call(remoteProcConnectGetLibVersion, undefined, { timeoutMs: 10_000 }, 'lib_ver')
      .then((v: bigint) => formatLibVersion(v))
      .catch(() => undefined);
    throw new UnknownProcedureError(e, proc, await this.daemonVersion);
  }

  private send(proc: ProcedureInfo<any, any, any>, args: any, options: CallOptions | undefined, unwrap: Unwrap): Promise<any> {
    if (this.closing) return Promise.reject(new ConnectionError('connection closed', { reason: 'client' }));
    if (this.reconnecting) {
      return afterReconnect(this.reconnecting, proc.name, options, this.reconnectPolicy?.waitMs).then((left) => this.send(proc, args, left, unwrap));
    }
    if (proc.fds) {
      return Promise.reject(new NotSupportedError(`${proc.method} passes file descriptors, which JavaScript runtimes cannot send over a socket`));
    }
    if (proc.stream) {
      return Promise.reject(new NotSupportedError(`${proc.method} carries a data stream: call ${proc.method}() or openStream(), which return the stream with the reply`));
    }
    if (proc.registersEvents) {
      return Promise.reject(new NotSupportedError(`${proc.method} registers for events: use a Connection's subscribe(), on() or events(), which share registrations and route the events`));
    }
    const adjusted = this.probes.adjust(proc, args);
    if (adjusted) return adjusted.then((sent) => this.rpc.call(proc, sent, options, unwrap));
    return this.rpc.call(proc, args, options, unwrap);
  }

  /** Asks the daemon about one feature, once per session; a probe that fails is asked again next time. */
  protected probe(name: LazyFeature): Promise<boolean> {
    return this.probes.probe(name);
  }

  /**
   * Asks the daemon about every feature not asked yet and returns all the answers (a
   * feature the daemon's driver cannot answer counts as unsupported).
   *
   * @example
   * ```ts
   * const { remoteEventCallback } = await client.probeFeatures();
   * ```
   */
  async probeFeatures(): Promise<ServerFeatures> {
    await this.probes.probeAll();
    return { ...this.features };
  }
}
