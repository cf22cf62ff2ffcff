/**
 * Events: one server registration per family, event id and filter, shared by every local
 * listener and removed on the server when the last one goes, as libvirt's client does. Events
 * arrive as MESSAGE frames carrying the registration's callbackID.
 */
import EventEmitter from 'eventemitter3';
import { virDomainEventID, virNetworkEventID, virNodeDeviceEventID, virSecretEventID, virStoragePoolEventID } from '../../protocol/constants.js';
import type { ProcedureInfo } from '../xdr/index.js';
import { QEMU_PROGRAM } from '../../protocol/qemu.js';
import { qemuProcedures, qemuProgram } from '../../protocol/qemu-procedures.js';
import { REMOTE_PROC_CONNECT_EVENT_CONNECTION_CLOSED, REMOTE_PROGRAM, RemoteConnectEventConnectionClosedMsgCodec } from '../../protocol/remote.js';
import { remoteProcedures, remoteProgram } from '../../protocol/remote-procedures.js';
import type { RpcClient } from '../rpc/client.js';
import type { MessageHeader } from '../rpc/header.js';
import { remoteEventTypedParamFields } from '../../protocol/remote-events.js';
import { type XdrReader, decodeValue, typedParamsFromWire } from '../xdr/index.js';

export type EventFamily = 'domain' | 'network' | 'storage-pool' | 'node-device' | 'secret' | 'qemu';

interface FamilySpec {
  ids: Record<string, number>;
  prefix: string;
  register: ProcedureInfo<any, any, any>;
  deregister: ProcedureInfo<any, any, any>;
  /** Name of the filter field in the register call's arguments. */
  filter: string;
  /** Prefix of the MESSAGE procedures that carry this family's events. */
  messages: string;
}

// Built on first use: read at import, its procedure tables would keep every procedure in a
// bundle that never subscribes (bundlers keep property reads of imports).
const families = /* @__PURE__ */ once((): Record<Exclude<EventFamily, 'qemu'>, FamilySpec> => ({
  domain: {
    ids: virDomainEventID,
    prefix: 'VIR_DOMAIN_EVENT_ID_',
    register: remoteProcedures.connectDomainEventCallbackRegisterAny,
    deregister: remoteProcedures.connectDomainEventCallbackDeregisterAny,
    filter: 'dom',
    messages: 'REMOTE_PROC_DOMAIN_EVENT_',
  },
  network: {
    ids: virNetworkEventID,
    prefix: 'VIR_NETWORK_EVENT_ID_',
    register: remoteProcedures.connectNetworkEventRegisterAny,
    deregister: remoteProcedures.connectNetworkEventDeregisterAny,
    filter: 'net',
    messages: 'REMOTE_PROC_NETWORK_EVENT_',
  },
  'storage-pool': {
    ids: virStoragePoolEventID,
    prefix: 'VIR_STORAGE_POOL_EVENT_ID_',
    register: remoteProcedures.connectStoragePoolEventRegisterAny,
    deregister: remoteProcedures.connectStoragePoolEventDeregisterAny,
    filter: 'pool',
    messages: 'REMOTE_PROC_STORAGE_POOL_EVENT_',
  },
  'node-device': {
    ids: virNodeDeviceEventID,
    prefix: 'VIR_NODE_DEVICE_EVENT_ID_',
    register: remoteProcedures.connectNodeDeviceEventRegisterAny,
    deregister: remoteProcedures.connectNodeDeviceEventDeregisterAny,
    filter: 'dev',
    messages: 'REMOTE_PROC_NODE_DEVICE_EVENT_',
  },
  secret: {
    ids: virSecretEventID,
    prefix: 'VIR_SECRET_EVENT_ID_',
    register: remoteProcedures.connectSecretEventRegisterAny,
    deregister: remoteProcedures.connectSecretEventDeregisterAny,
    filter: 'secret',
    messages: 'REMOTE_PROC_SECRET_EVENT_',
  },
}));

/** `VIR_DOMAIN_EVENT_ID_RTC_CHANGE` → `rtc-change`. */
function eventName(constant: string, prefix: string): string {
  return constant.slice(prefix.length).toLowerCase().replace(/_/g, '-');
}

const familyEventsCache = new Map<EventFamily, ReadonlyMap<string, number>>();

/** Every event name a family knows, with its id: `lifecycle` → 0. */
export function familyEvents(family: Exclude<EventFamily, 'qemu'>): ReadonlyMap<string, number> {
  let events = familyEventsCache.get(family);
  if (!events) {
    const spec = families()[family];
    events = new Map(
      Object.entries(spec.ids)
        .filter(([k]) => !k.endsWith('_LAST'))
        .map(([k, v]) => [eventName(k, spec.prefix), v]),
    );
    familyEventsCache.set(family, events);
  }
  return events;
}

/**
 * A table built from the protocol on first use and shared by every connection after: opening
 * a connection must not walk the 460 procedures again.
 */
function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

export interface SubscribeOptions {
  /** Only events of this object (domain, network, pool, device or secret, as the API returns it). */
  filter?: unknown;
  /** QEMU monitor events: the event name to match (all when absent). */
  qemuEvent?: string;
  /** QEMU monitor events: VIR_CONNECT_DOMAIN_QEMU_MONITOR_EVENT_REGISTER_REGEX / _NOCASE. */
  qemuFlags?: number;
}

/** A server registration and the local listeners that share it. */
interface Shared {
  pending: Promise<unknown>;
  emitter: EventEmitter;
  listeners: number;
}

interface Registration extends Shared {
  key: string;
  prog: number;
  family: EventFamily;
  callbackID: number | undefined;
  pending: Promise<number>;
  /** Registers on the server (again, after a reconnect). */
  register(): Promise<number>;
}

/** The key a MESSAGE is filed under: program, family and callbackID. */
const routeKey = (prog: number, family: EventFamily, id: number) => `${prog}:${family}:${id}`;

const messageFamilies = /* @__PURE__ */ once((): ReadonlyMap<string, EventFamily> => {
  const out = new Map<string, EventFamily>();
  for (const [family, spec] of Object.entries(families()) as [EventFamily, FamilySpec][]) {
    for (const p of Object.values(remoteProcedures) as ProcedureInfo<any, any, any>[]) {
      if (p.message && p.name.startsWith(spec.messages)) out.set(`${REMOTE_PROGRAM}:${p.number}`, family);
    }
  }
  for (const p of Object.values(qemuProcedures) as ProcedureInfo<any, any, any>[]) {
    if (p.message) out.set(`${QEMU_PROGRAM}:${p.number}`, 'qemu');
  }
  return out;
});

export class EventHub {
  /** Registrations by family, id/name and filter. */
  private readonly registrations = new Map<string, Registration>();
  /** Registrations by the server's callbackID. */
  private readonly routes = new Map<string, Registration>();
  private readonly families = messageFamilies();
  /** Events that arrived for no registration (counted, not fatal). */
  dropped = 0;
  /** The daemon's "your driver connection closed" message (close callback), with its reason. */
  onConnectionClosed: ((reason: number) => void) | undefined;

  /** Legacy domain registrations (daemons without REMOTE_EVENT_CALLBACK), by event id. */
  private readonly legacy = new Map<number, Shared>();
  /** Legacy MESSAGE procedure number → domain event id. */
  private readonly legacyIds = legacyDomainEventIds();

  constructor(
    private rpc: RpcClient,
    /** Whether the daemon supports callback IDs (REMOTE_EVENT_CALLBACK); asked at each domain subscribe. */
    private readonly callbacksSupported: () => Promise<boolean> | boolean = () => true,
  ) {}

  /**
   * Adds `listener` for `family:name`; registers on the server the first time that event and
   * filter are asked for. Resolves with a function that removes the listener (and the server
   * registration with the last one).
   */
  async subscribe(family: EventFamily, name: string, listener: (event: any) => void, opts: SubscribeOptions = {}): Promise<() => Promise<void>> {
    if (family === 'domain' && !(await this.callbacksSupported())) return this.subscribeLegacy(name, listener, opts);
    const { key, register, prog } = this.describe(family, name, opts);
    let reg = this.registrations.get(key);
    if (!reg) {
      const created: Registration = { key, prog, family, callbackID: undefined, pending: undefined as never, emitter: new EventEmitter(), listeners: 0, register };
      created.pending = register().then((id) => {
        created.callbackID = id;
        this.routes.set(routeKey(prog, family, id), created);
        return id;
      });
      this.registrations.set(key, created);
      reg = created;
      created.pending.catch(() => this.registrations.delete(key));
    }
    const theReg = reg;
    return this.attach(theReg, listener, async () => {
      this.registrations.delete(theReg.key);
      const id = await theReg.pending;
      this.routes.delete(routeKey(theReg.prog, theReg.family, id));
      if (this.rpc.isOpen) await this.deregister(theReg.family, id);
    });
  }

  /**
   * Adds a listener to a registration shared by many; the function it resolves with removes
   * the listener, and runs `onLast` when it was the last one.
   */
  private async attach(reg: Shared, listener: (event: any) => void, onLast: () => Promise<void>): Promise<() => Promise<void>> {
    reg.emitter.on('event', listener);
    reg.listeners++;
    try {
      await reg.pending;
    } catch (e) {
      reg.emitter.off('event', listener);
      reg.listeners--;
      throw e;
    }
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      reg.emitter.off('event', listener);
      if (--reg.listeners === 0) await onLast();
    };
  }

  /**
   * Moves every registration to a new connection (after a reconnect): the daemon knows none of
   * them, so each is made again and its events routed under the new callback ID.
   */
  async rebind(rpc: RpcClient): Promise<void> {
    this.rpc = rpc;
    this.routes.clear();
    await Promise.all(
      [...this.registrations.values()].map(async (reg) => {
        reg.pending = reg.register();
        const id = await reg.pending;
        reg.callbackID = id;
        this.routes.set(routeKey(reg.prog, reg.family, id), reg);
      }),
    );
    await Promise.all([...this.legacy.keys()].map((id) => this.rpc.call(remoteProcedures.connectDomainEventRegisterAny, { eventID: id })));
  }

  /** Called with every MESSAGE frame that is not keepalive. Returns false if nobody wanted it. */
  handleMessage(h: MessageHeader, payload: XdrReader): boolean {
    if (h.prog === REMOTE_PROGRAM && h.proc === REMOTE_PROC_CONNECT_EVENT_CONNECTION_CLOSED) {
      try {
        this.onConnectionClosed?.(decodeValue(RemoteConnectEventConnectionClosedMsgCodec, payload).reason);
      } catch {
        this.dropped++;
      }
      return true;
    }
    const family = this.families.get(`${h.prog}:${h.proc}`);
    const program = h.prog === QEMU_PROGRAM ? qemuProgram : h.prog === REMOTE_PROGRAM ? remoteProgram : undefined;
    const proc = program?.byNumber.get(h.proc);
    if (!family || !proc?.msg) return false;
    let body: any;
    try {
      body = decodeValue(proc.msg, payload);
    } catch {
      // A malformed event must not take the connection down.
      this.dropped++;
      return true;
    }
    if (typeof body.callbackID !== 'number') {
      const legacy = this.legacy.get(this.legacyIds.get(h.proc) ?? -1);
      if (!legacy) this.dropped++;
      else legacy.emitter.emit('event', body);
      return true;
    }
    const reg = this.routes.get(routeKey(h.prog, family, body.callbackID));
    if (!reg) {
      this.dropped++;
      return true;
    }
    const { callbackID: _id, ...rest } = body;
    // Events of the callback era wrap the older message: hand out the inner one.
    const event = rest.msg !== undefined && Object.keys(rest).length === 1 ? rest.msg : rest;
    for (const field of remoteEventTypedParamFields[h.proc] ?? []) {
      if (h.prog === REMOTE_PROGRAM) event[field] = typedParamsFromWire(event[field]);
    }
    reg.emitter.emit('event', event);
    return true;
  }

  /**
   * Daemons without callback IDs take one registration per event id, with no filter: the
   * filter is applied here, and the registration is shared by every listener of that id.
   */
  private async subscribeLegacy(name: string, listener: (event: any) => void, opts: SubscribeOptions): Promise<() => Promise<void>> {
    const id = familyEvents('domain').get(name);
    if (id === undefined) throw new Error(`unknown domain event '${name}' (known: ${[...familyEvents('domain').keys()].join(', ')})`);
    const want = opts.filter === undefined || opts.filter === null ? undefined : filterKey(opts.filter);
    const filtered = (e: { dom?: unknown }) => {
      if (want === undefined || filterKey(e.dom) === want) listener(e);
    };
    let reg = this.legacy.get(id);
    if (!reg) {
      const created = {
        emitter: new EventEmitter(),
        listeners: 0,
        pending: this.rpc.call(remoteProcedures.connectDomainEventRegisterAny, { eventID: id }) as Promise<void>,
      };
      created.pending.catch(() => this.legacy.delete(id));
      this.legacy.set(id, created);
      reg = created;
    }
    return this.attach(reg, filtered, async () => {
      this.legacy.delete(id);
      if (this.rpc.isOpen) await this.rpc.call(remoteProcedures.connectDomainEventDeregisterAny, { eventID: id });
    });
  }

  private describe(family: EventFamily, name: string, opts: SubscribeOptions) {
    if (family === 'qemu') {
      const p = qemuProcedures;
      const key = `qemu:${opts.qemuEvent ?? '*'}:${opts.qemuFlags ?? 0}:${filterKey(opts.filter)}`;
      return {
        key,
        prog: QEMU_PROGRAM,
        register: () =>
          this.rpc.call(p.connectDomainMonitorEventRegister, { dom: opts.filter ?? null, event: opts.qemuEvent ?? null, flags: opts.qemuFlags ?? 0 }, undefined, 'callbackID') as Promise<number>,
      };
    }
    const spec = families()[family];
    if (!spec) throw new Error(`unknown event family '${family}' (use ${[...Object.keys(families()), 'qemu'].join(', ')})`);
    const id = familyEvents(family).get(name);
    if (id === undefined) throw new Error(`unknown ${family} event '${name}' (known: ${[...familyEvents(family).keys()].join(', ')})`);
    return {
      key: `${family}:${id}:${filterKey(opts.filter)}`,
      prog: REMOTE_PROGRAM,
      register: () => this.rpc.call(spec.register, { eventID: id, [spec.filter]: opts.filter ?? null }, undefined, 'callbackID') as Promise<number>,
    };
  }

  private deregister(family: EventFamily, callbackID: number): Promise<void> {
    const proc = family === 'qemu' ? qemuProcedures.connectDomainMonitorEventDeregister : families()[family].deregister;
    return this.rpc.call(proc, { callbackID });
  }
}

/**
 * The MESSAGE procedures of legacy domain registrations (`REMOTE_PROC_DOMAIN_EVENT_X`, no
 * callbackID), by number, with the event id each belongs to.
 */
const legacyDomainEventIds = /* @__PURE__ */ once((): ReadonlyMap<number, number> => {
  const ids = familyEvents('domain');
  const out = new Map<number, number>();
  for (const p of Object.values(remoteProcedures) as ProcedureInfo<any, any, any>[]) {
    if (!p.message || !p.name.startsWith('REMOTE_PROC_DOMAIN_EVENT_') || p.name.includes('_CALLBACK_')) continue;
    const id = ids.get(p.name.slice('REMOTE_PROC_DOMAIN_EVENT_'.length).toLowerCase().replace(/_/g, '-'));
    if (id !== undefined) out.set(p.number, id);
  }
  return out;
});

/** Registrations are shared per filter object identity by name (and UUID where there is one). */
function filterKey(filter: unknown): string {
  if (filter === null || filter === undefined) return '*';
  const f = filter as { name?: string; uuid?: Uint8Array };
  return `${f.name ?? ''}/${f.uuid ? Array.from(f.uuid).join('.') : ''}`;
}
