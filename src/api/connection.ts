/**
 * A connection to a libvirt daemon: a {@link Client} with one generated method per REMOTE
 * procedure (the flat face), `conn.qemu` and `conn.lxc`, the handle face's collections
 * (`conn.domains`, ...) and `conn.host`, and events (every family, shared registrations,
 * re-registered after a reconnect).
 */
import {
  AnyStorageVolumes,
  Domains,
  Host,
  Interfaces,
  NWFilterBindings,
  NWFilters,
  Networks,
  NodeDevices,
  Secrets,
  StoragePools,
} from '../../handles/handles.js';
import { lxcProgram } from '../../protocol/lxc-procedures.js';
import { LxcMethods } from '../../protocol/lxc-methods.js';
import type { ProgramInfo } from '../xdr/index.js';
import { qemuProgram } from '../../protocol/qemu-procedures.js';
import { QemuMethods } from '../../protocol/qemu-methods.js';
import type { QemuDomainMonitorEventMsg } from '../../protocol/qemu.js';
import type { RemoteEventPayloads } from '../../protocol/remote-events.js';
import type { RemoteNonnullDomain } from '../../protocol/remote.js';
import { remoteProcConnectRegisterCloseCallback, remoteProgram } from '../../protocol/remote-procedures.js';
import { remoteMethodTable, type RemoteMethods } from '../../protocol/remote-methods.js';
import { keepaliveProgram } from '../../protocol/keepalive-procedures.js';
import type { MessageHeader } from '../rpc/header.js';
import type { RpcClient } from '../rpc/client.js';
import type { Dialer } from '../transport/types.js';
import type { XdrReader } from '../xdr/reader.js';
import { CLOSE_REASONS, Client, type ConnectionOptions, type OpenedSession, ignoreUnsupported } from './client.js';
import { EventQueue } from './event-queue.js';
import { type EventFamily, EventHub, type SubscribeOptions } from './events.js';
import type { LibvirtStream } from './stream.js';

export { DRV_FEATURE, type CredentialsCallback, type ConnectionOptions, type ReconnectOptions, type ServerFeatures } from './client.js';

/** A QEMU monitor event as `qemu:monitor` listeners get it. */
export type QemuMonitorEvent = Omit<QemuDomainMonitorEventMsg, 'callbackID'>;

/** The names of domain events: `lifecycle`, `reboot`, `block-job-2`, ... */
export type DomainEventName = Extract<keyof RemoteEventPayloads, `domain:${string}`> extends `domain:${infer N}` ? N : never;

/** The programs whose procedures a Connection's traces name. */
const PROGRAMS: ProgramInfo[] = [remoteProgram, qemuProgram, lxcProgram, keepaliveProgram];

export interface Connection extends RemoteMethods<LibvirtStream> {}

/**
 * An open connection, with both faces: handles (`conn.domains`, `conn.host`, ...) and the
 * flat methods, one per procedure.
 *
 * @example
 * ```ts
 * const conn = await connect('qemu:///system');
 * const dom = await conn.domains.lookupByName('guest');     // handle face
 * console.log(await dom.getInfo());                        // { state: 'running', ... }
 * const info = await conn.domainGetInfo(dom.wire);          // flat face: { state: 1, ... }
 * await conn.close();
 * ```
 */
export class Connection extends Client {
  /** Methods of the QEMU program (monitor and agent commands). */
  readonly qemu: QemuMethods = new QemuMethods(this);
  /** Methods of the LXC program. */
  readonly lxc: LxcMethods = new LxcMethods(this);
  /** The handle face: domains (`lookupByName`, `listAll`, `defineXML`, ...). */
  readonly domains: Domains = new Domains(this);
  /** The handle face: virtual networks. */
  readonly networks: Networks = new Networks(this);
  /** The handle face: storage pools (their volumes are `pool.volumes`). */
  readonly storagePools: StoragePools = new StoragePools(this);
  /** The handle face: volumes found by key or path, whatever their pool. */
  readonly storageVolumes: AnyStorageVolumes = new AnyStorageVolumes(this);
  /** The handle face: the host's devices. */
  readonly nodeDevices: NodeDevices = new NodeDevices(this);
  /** The handle face: the host's network interfaces. */
  readonly interfaces: Interfaces = new Interfaces(this);
  /** The handle face: secrets. */
  readonly secrets: Secrets = new Secrets(this);
  /** The handle face: network filters. */
  readonly nwfilters: NWFilters = new NWFilters(this);
  /** The handle face: network filter bindings. */
  readonly nwfilterBindings: NWFilterBindings = new NWFilterBindings(this);
  /** The handle face: host-wide calls (`getHostname`, `getCapabilities`, `getInfo`, ...). */
  readonly host: Host = new Host(this);
  private readonly eventHub: EventHub;
  private readonly closeListeners = new Set<(reason: number) => void>();
  private closeCallbackRegistered = false;
  private readonly onListeners = new Map<string, Map<(e: any) => void, Promise<() => Promise<void>>>>();

  protected constructor(opened: OpenedSession) {
    super(opened);
    // Read here so that a bundler keeps the installed methods exactly when it keeps Connection.
    if (!remoteMethodsInstalled) throw new Error('the generated methods are not on Connection.prototype');
    this.eventHub = new EventHub(this.rpc, () => this.probe('remoteEventCallback').catch(ignoreUnsupported));
    this.eventHub.onConnectionClosed = (reason) => {
      for (const l of this.closeListeners) l(reason);
    };
  }

  /**
   * Dials, authenticates and opens `name` on the daemon. Use {@link connect} rather than
   * this, unless you bring your own transport.
   */
  static override async open(dialer: Dialer, uri: string, name: string | null, opts: ConnectionOptions = {}): Promise<Connection> {
    return new Connection(await Client.openSession(dialer, uri, name, opts, PROGRAMS));
  }

  protected override handleMessage(header: MessageHeader, payload: XdrReader): boolean {
    return this.eventHub.handleMessage(header, payload);
  }

  protected override sessionLost(reason: number): void {
    this.closeCallbackRegistered = false;
    for (const l of this.closeListeners) l(reason);
  }

  protected override async sessionRestored(rpc: RpcClient): Promise<void> {
    await this.eventHub.rebind(rpc);
    if (this.closeListeners.size) await this.registerCloseCallback();
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
      await this.rpc.call(remoteProcConnectRegisterCloseCallback, undefined);
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
}

/**
 * Puts each function of a calls module on the prototype as a method that passes the instance
 * as the caller, not enumerable, as a class's own methods are.
 */
function installCalls(target: { prototype: object }, calls: Record<string, (client: any, ...args: any[]) => unknown>): boolean {
  // Hundreds of properties added one at a time to a fast-mode object cost a new hidden class
  // each (quadratic: 10 ms at start-up for the REMOTE program). One deletion first puts the
  // prototype in dictionary mode, where each addition is cheap; V8 makes it fast again once
  // it is used as a prototype, and calls through it cost the same.
  const proto = target.prototype as Record<string, unknown>;
  proto.__installing = true;
  delete proto.__installing;
  for (const [name, fn] of Object.entries(calls)) {
    const method = {
      [name](this: unknown, ...args: unknown[]) {
        return fn(this, ...args);
      },
    }[name];
    Object.defineProperty(target.prototype, name, { value: method, writable: true, configurable: true, enumerable: false });
  }
  return true;
}

// A pure expression of identifiers: a bundle that never uses Connection drops it, methods and all.
const remoteMethodsInstalled = /* @__PURE__ */ installCalls(Connection, remoteMethodTable);
