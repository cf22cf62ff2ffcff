/**
 * A connection to a libvirt daemon: one generated method per REMOTE procedure, plus
 * `conn.qemu` and `conn.lxc`, over an RPC core that the connection set up as libvirt's own
 * client does (auth, keepalive opt-in, open, feature probes).
 */
import { lxcProgram } from '../../protocol/lxc.js';
import { LxcMethods } from '../../protocol/lxc-methods.js';
import type { CallOptions, ProcedureCaller, ProcedureInfo } from '../../protocol/procedure.js';
import { qemuProgram } from '../../protocol/qemu.js';
import { QemuMethods } from '../../protocol/qemu-methods.js';
import type { QemuDomainMonitorEventMsg } from '../../protocol/qemu.js';
import type { RemoteEventPayloads } from '../../protocol/remote-events.js';
import type { RemoteNonnullDomain } from '../../protocol/remote.js';
import { remoteProcedures, remoteProgram } from '../../protocol/remote.js';
import { RemoteMethods } from '../../protocol/remote-methods.js';
import { keepaliveProgram } from '../../protocol/keepalive.js';
import {
  VIR_CONNECT_CLOSE_REASON_CLIENT,
  VIR_CONNECT_CLOSE_REASON_EOF,
  VIR_CONNECT_CLOSE_REASON_ERROR,
  VIR_CONNECT_CLOSE_REASON_KEEPALIVE,
  VIR_TYPED_PARAM_STRING_OKAY,
} from '../../protocol/constants.js';
import type { RpcClient, Unwrap } from '../rpc/client.js';
import type { Credentials } from '../auth/sasl.js';
import { AbortError, type CloseReason, ConnectionError, LibvirtError, NotSupportedError, TimeoutError } from '../rpc/errors.js';
import type { Dialer } from '../transport/types.js';
import { EventQueue } from './event-queue.js';
import { LibvirtStream } from './stream.js';
import { UnknownProcedureError, formatLibVersion, isUnknownProcedure } from './unknown-procedure.js';
import { type EventFamily, EventHub, type SubscribeOptions } from './events.js';
import { type CredentialsCallback, DRV_FEATURE, openRemote, supportsFeature } from './handshake.js';
import { DEFAULT_SETUP_TIMEOUT_MS, type Session, type SessionOptions, closeSession, establish, untilAborted } from './session.js';

export { DRV_FEATURE, type CredentialsCallback };

/** A QEMU monitor event as `qemu:monitor` listeners get it. */
export type QemuMonitorEvent = Omit<QemuDomainMonitorEventMsg, 'callbackID'>;

/** The names of domain events: `lifecycle`, `reboot`, `block-job-2`, ... */
export type DomainEventName = Extract<keyof RemoteEventPayloads, `domain:${string}`> extends `domain:${infer N}` ? N : never;

/** Our close reasons as libvirt's virConnectCloseReason values. */
const CLOSE_REASONS: Record<CloseReason, number> = {
  error: VIR_CONNECT_CLOSE_REASON_ERROR,
  eof: VIR_CONNECT_CLOSE_REASON_EOF,
  keepalive: VIR_CONNECT_CLOSE_REASON_KEEPALIVE,
  client: VIR_CONNECT_CLOSE_REASON_CLIENT,
};

/**
 * What the daemon said it supports: `keepalive` is asked at open, the others when first
 * needed (or all at once by {@link Connection.probeFeatures}); false until asked.
 */
export interface ServerFeatures {
  keepalive: boolean;
  remoteEventCallback: boolean;
  remoteCloseCallback: boolean;
  networkUpdateHasCorrectOrder: boolean;
  typedParamString: boolean;
}

/** The features asked on first need, with libvirt's numbers for them. */
const LAZY_FEATURES = {
  remoteEventCallback: DRV_FEATURE.REMOTE_EVENT_CALLBACK,
  remoteCloseCallback: DRV_FEATURE.REMOTE_CLOSE_CALLBACK,
  networkUpdateHasCorrectOrder: DRV_FEATURE.NETWORK_UPDATE_HAS_CORRECT_ORDER,
  typedParamString: DRV_FEATURE.TYPED_PARAM_STRING,
} as const;
type LazyFeature = keyof typeof LAZY_FEATURES;

/**
 * Getters to which libvirt's C library adds VIR_TYPED_PARAM_STRING_OKAY when the daemon
 * supports string parameters; without it the daemon leaves string parameters out.
 */
const STRING_OKAY_PROCEDURES = new Set(
  [
    remoteProcedures.domainGetMemoryParameters,
    remoteProcedures.domainGetNumaParameters,
    remoteProcedures.domainGetBlkioParameters,
    remoteProcedures.domainGetSchedulerParametersFlags,
    remoteProcedures.domainGetBlockIoTune,
    remoteProcedures.domainGetInterfaceParameters,
    remoteProcedures.domainBlockStatsFlags,
    remoteProcedures.domainGetCPUStats,
    remoteProcedures.nodeGetMemoryParameters,
  ].map((p) => p.number),
);

/** Event (de)registration procedures: they need the event dispatcher, not a bare call. */
const EVENT_REGISTRATION = /_EVENT_(?:.*_)?(?:DE)?REGISTER|CLOSE_CALLBACK/;

/** Re-establishing a lost connection: exponential backoff between attempts. */
export interface ReconnectOptions {
  /** Wait before the first attempt, doubled after each failed one (default 100 ms). */
  initialDelayMs?: number;
  /** The longest wait between attempts (default 10 000 ms). */
  maxDelayMs?: number;
  /** Attempts before the connection is given up for good (default: no limit). */
  maxAttempts?: number;
  /**
   * How long a call made while the connection is down waits for it to come back, when the
   * call has no `timeoutMs` of its own (default 30 000 ms); then it fails with
   * ConnectionError. A call's own `timeoutMs` or `signal` ends its wait instead.
   */
  waitMs?: number;
}

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

/**
 * An open connection.
 *
 * @example
 * ```ts
 * const conn = await connect('qemu:///system');
 * const dom = await conn.domainLookupByName('guest');
 * const info = await conn.domainGetInfo(dom);
 * await conn.close();
 * ```
 */
export class Connection extends RemoteMethods {
  /** Methods of the QEMU program (monitor and agent commands). */
  readonly qemu: QemuMethods;
  /** Methods of the LXC program. */
  readonly lxc: LxcMethods;
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
  private rpc: RpcClient;
  private session: Session;
  private resolveClosed!: (e: ConnectionError) => void;
  /** While a lost connection is being re-established: what new calls wait for. */
  private reconnecting: Promise<void> | undefined;
  /** Dials and opens a new session under `signal` (with `reconnect`). */
  private reopen: ((signal: AbortSignal) => Promise<{ session: Session; result: { keepalive: boolean } }>) | undefined;
  /** Aborted by close(): ends the backoff wait and any redial in flight. */
  private readonly stopReconnecting = new AbortController();
  private closing: Promise<void> | undefined;
  /** The current session's answers to feature questions, asked on first need. */
  private featureProbes = new Map<LazyFeature, Promise<boolean>>();
  private readonly eventHub: EventHub;
  private readonly closeListeners = new Set<(reason: number) => void>();
  private closeCallbackRegistered = false;
  /** The daemon's libvirt version, asked when a call comes back as unknown to it. */
  private daemonVersion: Promise<string | undefined> | undefined;
  private readonly onListeners = new Map<string, Map<(e: any) => void, Promise<() => Promise<void>>>>();

  private constructor(uri: string, session: Session, keepalive: boolean) {
    const caller: ProcedureCaller = { call: (proc, args, options, unwrap) => this.dispatch(proc, args, options, unwrap) };
    super(caller);
    this.uri = uri;
    this.session = session;
    this.rpc = session.rpc;
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.qemu = new QemuMethods(caller);
    this.lxc = new LxcMethods(caller);
    this.eventHub = new EventHub(session.rpc, () => this.probe('remoteEventCallback').catch(ignoreUnsupported));
    this.eventHub.onConnectionClosed = (reason) => {
      for (const l of this.closeListeners) l(reason);
    };
    this.adopt(session, keepalive);
  }

  /** Makes `session` the one calls go to, and watches it end. */
  private adopt(session: Session, keepalive: boolean): void {
    this.session = session;
    this.rpc = session.rpc;
    this.features.keepalive = keepalive;
    // A new session may reach another daemon (upgraded, restarted): ask again.
    this.featureProbes = new Map();
    for (const name of Object.keys(LAZY_FEATURES) as LazyFeature[]) this.features[name] = false;
    this.closeCallbackRegistered = false;
    this.daemonVersion = undefined;
    session.rpc.setMessageHandler((h, payload) => this.eventHub.handleMessage(h, payload));
    void session.closed.then((e) => this.sessionEnded(session, e));
  }

  private sessionEnded(session: Session, e: ConnectionError): void {
    if (session !== this.session) return;
    for (const l of this.closeListeners) l(CLOSE_REASONS[e.reason]);
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
    const { initialDelayMs = 100, maxDelayMs = 10_000, maxAttempts = Infinity } = this.reconnectPolicy!;
    const stop = this.stopReconnecting.signal;
    for (let attempt = 0; attempt < maxAttempts && !stop.aborted; attempt++) {
      await sleep(Math.min(initialDelayMs * 2 ** attempt, maxDelayMs), stop);
      if (stop.aborted) break;
      try {
        const { session, result } = await this.reopen!(stop);
        if (stop.aborted) {
          await closeSession(session, () => session.rpc.call(remoteProcedures.connectClose, undefined, { timeoutMs: 5000 }));
          break;
        }
        this.adopt(session, result.keepalive);
        await this.eventHub.rebind(session.rpc);
        if (this.closeListeners.size) await this.registerCloseCallback();
        this.reconnects++;
        return;
      } catch {
        // Try again after a longer wait.
      }
    }
    if (stop.aborted) throw stop.reason;
    const final = new ConnectionError(`connection lost and not re-established: ${cause.message}`, { cause, reason: cause.reason });
    this.resolveClosed(final);
    throw final;
  }

  /**
   * For a call made while the connection is being re-established: resolves with the call's
   * options (its timeout shortened by the time waited) once it is back, or rejects when the
   * call's own timeout, its signal, the reconnect wait limit or close() comes first.
   */
  private afterReconnect(reconnecting: Promise<void>, what: string, options: CallOptions | undefined): Promise<CallOptions | undefined> {
    const started = Date.now();
    const own = options?.timeoutMs;
    const limit = own ?? this.reconnectPolicy?.waitMs ?? DEFAULT_SETUP_TIMEOUT_MS;
    const waited = new AbortController();
    const timer = setTimeout(
      () =>
        waited.abort(
          own !== undefined
            ? new TimeoutError(`${what} got no reply within ${own} ms: the connection was still being re-established`)
            : new ConnectionError(`${what} waited ${limit} ms for the lost connection to be re-established`),
        ),
      limit,
    );
    const signal = options?.signal;
    const onAbort = () => waited.abort(new AbortError(`${what} was aborted`, { cause: signal!.reason }));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    return untilAborted(reconnecting, waited.signal)
      .then(() => (own === undefined ? options : { ...options, timeoutMs: Math.max(0, own - (Date.now() - started)) }))
      .finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      });
  }

  /**
   * Calls a streaming procedure (`@readstream`/`@writestream`: volume download and upload,
   * screenshots, consoles, channels) and returns its data stream with the reply.
   *
   * @example
   * ```ts
   * const { stream } = await conn.openStream(remoteProcedures.storageVolDownload, { vol, offset: 0n, length: 0n, flags: 0 });
   * for await (const chunk of stream.chunks()) hash.update(chunk);
   * ```
   */
  async openStream<A, R>(proc: ProcedureInfo<A, R, any>, args: A, options?: CallOptions): Promise<{ stream: LibvirtStream; reply: R }> {
    if (!proc.stream) throw new NotSupportedError(`${proc.method} carries no data stream`);
    if (this.closing) throw new ConnectionError('connection closed', { reason: 'client' });
    if (this.reconnecting) options = await this.afterReconnect(this.reconnecting, proc.name, options);
    const stream = new LibvirtStream(this.rpc, proc);
    const pending = this.rpc.call(proc, args, options, undefined, stream);
    try {
      return { stream, reply: await pending };
    } catch (e) {
      if (stream.serial) this.rpc.endStream(stream.serial);
      throw e;
    }
  }

  /**
   * Listens for `family:event` (`domain:lifecycle`, `network:lifecycle`, `storage-pool:refresh`,
   * `node-device:update`, `secret:value-changed`, `qemu:monitor`, ...). The daemon is asked
   * once per event and filter however many listeners there are. Resolves, once the daemon has
   * agreed, with a function that stops listening.
   *
   * @example
   * ```ts
   * const stop = await conn.subscribe('domain:lifecycle', (e) => console.log(e.dom.name, e.event, e.detail));
   * // ...
   * await stop();
   * ```
   */
  subscribe<K extends keyof RemoteEventPayloads>(event: K, listener: (event: RemoteEventPayloads[K]) => void, opts?: SubscribeOptions): Promise<() => Promise<void>>;
  subscribe(event: 'qemu:monitor', listener: (event: QemuMonitorEvent) => void, opts?: SubscribeOptions): Promise<() => Promise<void>>;
  subscribe(event: 'connection:closed', listener: (event: { reason: number }) => void): Promise<() => Promise<void>>;
  subscribe(event: string, listener: (event: any) => void, opts: SubscribeOptions = {}): Promise<() => Promise<void>> {
    const colon = event.indexOf(':');
    if (colon < 0) return Promise.reject(new Error(`event names are family:event, such as domain:lifecycle (got '${event}')`));
    if (event === 'connection:closed') return this.onClosed(listener);
    return this.eventHub.subscribe(event.slice(0, colon) as EventFamily, event.slice(colon + 1), listener, opts);
  }

  /**
   * `connection:closed` listeners: told once, with libvirt's reason (VIR_CONNECT_CLOSE_REASON_*),
   * when the daemon closes our driver connection or the connection itself ends.
   */
  private async onClosed(listener: (event: { reason: number }) => void): Promise<() => Promise<void>> {
    let active = true;
    let told = false;
    const tell = (reason: number) => {
      if (active && !told) {
        told = true;
        listener({ reason });
      }
    };
    await this.registerCloseCallback();
    this.closeListeners.add(tell);
    void this.closed.then((e) => tell(CLOSE_REASONS[e.reason]));
    return async () => {
      active = false;
      this.closeListeners.delete(tell);
    };
  }

  /** Asks the daemon to say when it closes our driver connection, once per session, where it can. */
  private async registerCloseCallback(): Promise<void> {
    if (this.closeCallbackRegistered) return;
    this.closeCallbackRegistered = true;
    if (await this.probe('remoteCloseCallback').catch(ignoreUnsupported)) {
      await this.rpc.call(remoteProcedures.connectRegisterCloseCallback, undefined);
    }
  }

  /**
   * `subscribe` for listeners that do not wait for the registration: if the daemon refuses
   * it, the error goes to `onError`, or is thrown asynchronously when there is none.
   *
   * @example
   * ```ts
   * conn.on('domain:lifecycle', (e) => console.log(e.event));
   * ```
   */
  on<K extends keyof RemoteEventPayloads>(event: K, listener: (event: RemoteEventPayloads[K]) => void, opts?: SubscribeOptions & { onError?: (e: Error) => void }): this;
  on(event: 'qemu:monitor', listener: (event: QemuMonitorEvent) => void, opts?: SubscribeOptions & { onError?: (e: Error) => void }): this;
  on(event: 'connection:closed', listener: (event: { reason: number }) => void, opts?: { onError?: (e: Error) => void }): this;
  on(event: string, listener: (event: any) => void, opts: SubscribeOptions & { onError?: (e: Error) => void } = {}): this {
    const stop = (this.subscribe as (e: string, l: (x: any) => void, o: SubscribeOptions) => Promise<() => Promise<void>>)(event, listener, opts);
    stop.catch((e: Error) => (opts.onError ? opts.onError(e) : queueMicrotask(() => { throw e; })));
    const byListener = this.onListeners.get(event) ?? new Map();
    byListener.set(listener, stop);
    this.onListeners.set(event, byListener);
    return this;
  }

  /** Removes a listener added with {@link on}. */
  off(event: string, listener: (event: any) => void): this {
    const stop = this.onListeners.get(event)?.get(listener);
    this.onListeners.get(event)?.delete(listener);
    void stop?.then((s) => s()).catch(() => undefined);
    return this;
  }

  /**
   * Events as an async iterator with a bounded queue: a consumer more than `maxQueue` events
   * behind gets a SlowConsumerError. Breaking out of the loop unsubscribes.
   *
   * @example
   * ```ts
   * for await (const e of await conn.events('domain:lifecycle', { filter: dom })) {
   *   if (e.event === VIR_DOMAIN_EVENT_STOPPED) break;
   * }
   * ```
   */
  async events<K extends keyof RemoteEventPayloads>(event: K, opts?: SubscribeOptions & { maxQueue?: number }): Promise<AsyncIterableIterator<RemoteEventPayloads[K]>>;
  async events(event: 'qemu:monitor', opts?: SubscribeOptions & { maxQueue?: number }): Promise<AsyncIterableIterator<QemuMonitorEvent>>;
  async events(event: string, opts: SubscribeOptions & { maxQueue?: number } = {}): Promise<AsyncIterableIterator<any>> {
    let stop: (() => Promise<void>) | undefined;
    const queue = new EventQueue<any>(opts.maxQueue ?? 1000, async () => {
      await stop?.();
    });
    stop = await (this.subscribe as (e: string, l: (x: any) => void, o: SubscribeOptions) => Promise<() => Promise<void>>)(event, (e) => queue.push(e), opts);
    void this.closed.then((e) => queue.fail(e));
    return queue;
  }

  /**
   * Domain events of one kind as an async iterator, optionally for one domain.
   *
   * @example
   * ```ts
   * for await (const e of await conn.domainEvents('lifecycle', { domain: dom })) console.log(e.event, e.detail);
   * ```
   */
  domainEvents<N extends DomainEventName>(
    name: N,
    opts: { domain?: RemoteNonnullDomain; maxQueue?: number } = {},
  ): Promise<AsyncIterableIterator<RemoteEventPayloads[`domain:${N}`]>> {
    return this.events(`domain:${name}` as `domain:${N}`, { ...(opts.domain ? { filter: opts.domain } : {}), ...(opts.maxQueue ? { maxQueue: opts.maxQueue } : {}) });
  }

  /**
   * Dials, authenticates and opens `name` on the daemon. Use {@link connect} rather than
   * this, unless you bring your own transport.
   */
  static async open(dialer: Dialer, uri: string, name: string | null, opts: ConnectionOptions = {}): Promise<Connection> {
    const programs = [remoteProgram, qemuProgram, lxcProgram, keepaliveProgram];
    const handshake = (rpc: RpcClient) => openRemote(rpc, uri, name, opts);
    const { session, result } = await establish(dialer, `opening ${uri}`, programs, opts, handshake);
    const conn = new Connection(uri, session, result.keepalive);
    if (opts.reconnect) {
      conn.reconnectPolicy = opts.reconnect === true ? {} : opts.reconnect;
      // Each redial has the setup deadline of its own; the setup signal is not looked at again.
      conn.reopen = (signal) => establish(dialer, `reopening ${uri}`, programs, opts, handshake, signal);
    }
    return conn;
  }

  /** How many times the connection was re-established (with `reconnect`). */
  reconnects = 0;
  private reconnectPolicy: ReconnectOptions | undefined;

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
      const closed = new ConnectionError('connection closed', { reason: 'client' });
      this.stopReconnecting.abort(closed);
      await this.reconnecting?.catch(() => undefined);
      await closeSession(this.session, () => this.rpc.call(remoteProcedures.connectClose, undefined, { timeoutMs: 5000 }));
      this.resolveClosed(closed);
    })();
    return this.closing;
  }

  private dispatch(proc: ProcedureInfo<any, any, any>, args: any, options: CallOptions | undefined, unwrap: Unwrap): Promise<any> {
    const session = this.session;
    return this.send(proc, args, options, unwrap).catch((e: unknown) => (isUnknownProcedure(e, proc) ? this.unknownProcedure(e, proc, session) : Promise.reject(e)));
  }

  /**
   * An older daemon's "unknown procedure: N" as an error that names the procedure and the
   * daemon's version (asked once per session, and only when such an answer comes).
   */
  private async unknownProcedure(e: LibvirtError, proc: ProcedureInfo<any, any, any>, session: Session): Promise<never> {
    if (session !== this.session) throw e;
    this.daemonVersion ??= this.rpc
      .call(remoteProcedures.connectGetLibVersion, undefined, { timeoutMs: 10_000 }, 'lib_ver')
      .then((v: bigint) => formatLibVersion(v))
      .catch(() => undefined);
    throw new UnknownProcedureError(e, proc, await this.daemonVersion);
  }

  private send(proc: ProcedureInfo<any, any, any>, args: any, options: CallOptions | undefined, unwrap: Unwrap): Promise<any> {
    if (this.closing) return Promise.reject(new ConnectionError('connection closed', { reason: 'client' }));
    if (this.reconnecting) {
      return this.afterReconnect(this.reconnecting, proc.name, options).then((left) => this.send(proc, args, left, unwrap));
    }
    if (proc.fds) {
      return Promise.reject(new NotSupportedError(`${proc.method} passes file descriptors, which JavaScript runtimes cannot send over a socket`));
    }
    if (proc.stream) {
      return Promise.reject(
        new NotSupportedError(`${proc.method} carries a data stream: call it through conn.openStream(remoteProcedures.${proc.method}, args), which returns the stream with the reply`),
      );
    }
    if (EVENT_REGISTRATION.test(proc.name)) {
      return Promise.reject(new NotSupportedError(`${proc.method} registers for events: use conn.subscribe(), conn.on() or conn.events(), which share registrations and route the events`));
    }
    if (proc.program === remoteProgram.number && STRING_OKAY_PROCEDURES.has(proc.number)) {
      return this.probe('typedParamString')
        .catch(ignoreUnsupported)
        .then((ok) => this.rpc.call(proc, ok ? { ...args, flags: (args.flags | VIR_TYPED_PARAM_STRING_OKAY) >>> 0 } : args, options, unwrap));
    }
    if (proc === remoteProcedures.networkUpdate) {
      // Daemons before the fix took command and section the other way round; libvirt's
      // library asks, and swaps them for such a daemon (an error asking fails the call).
      return this.probe('networkUpdateHasCorrectOrder').then((ok) =>
        this.rpc.call(proc, ok ? args : { ...args, command: args.section, section: args.command }, options, unwrap),
      );
    }
    return this.rpc.call(proc, args, options, unwrap);
  }

  /** Asks the daemon about one feature, once per session; a probe that fails is asked again next time. */
  private probe(name: LazyFeature): Promise<boolean> {
    let answer = this.featureProbes.get(name);
    if (!answer) {
      const probes = this.featureProbes;
      answer = supportsFeature(this.rpc, LAZY_FEATURES[name]).then((v) => {
        if (probes === this.featureProbes) this.features[name] = v;
        return v;
      });
      answer.catch(() => probes.delete(name));
      probes.set(name, answer);
    }
    return answer;
  }

  /**
   * Asks the daemon about every feature not asked yet and returns all the answers (a
   * feature the daemon's driver cannot answer counts as unsupported).
   *
   * @example
   * ```ts
   * const { remoteEventCallback } = await conn.probeFeatures();
   * ```
   */
  async probeFeatures(): Promise<ServerFeatures> {
    await Promise.all((Object.keys(LAZY_FEATURES) as LazyFeature[]).map((name) => this.probe(name).catch(ignoreUnsupported)));
    return { ...this.features };
  }
}

/** Drivers that do not implement a feature query answer with an error: that means no. */
function ignoreUnsupported(e: unknown): boolean {
  if (e instanceof LibvirtError) return false;
  throw e;
}

/** Resolves after `ms`, or at once when `signal` aborts (the timer is cleared then). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}
