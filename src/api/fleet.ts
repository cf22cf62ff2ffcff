/**
 * Many hosts at once: connect to N URIs with a concurrency limit, keep each one alive with
 * keepalive and reconnect, fan calls out with per-host results and errors, and merge events
 * into one stream tagged by host.
 */
import { ConnectionError } from '../errors.js';
import { connect, type ConnectOptions } from './connect.js';
import type { Connection, ReconnectOptions } from './connection.js';
import { EventQueue } from './event-queue.js';
import type { SubscribeOptions } from './events.js';
import { type MigrateOptions, type MigrationResult, startMigration } from './migrate.js';

export type HostResult<T> = { uri: string; ok: true; value: T } | { uri: string; ok: false; error: Error };

/** What became of one guest when a host was drained. */
export type DrainResult =
  | { name: string; from: string; to: string; ok: true; result: MigrationResult }
  | { name: string; from: string; to: string | null; ok: false; error: Error };

export interface DrainOptions extends MigrateOptions {
  /** The hosts that may take guests (default: every other host of the fleet that is up). */
  to?: string[];
  /** Migrations at once (default 2). */
  concurrency?: number;
  /** Called as each guest's migration settles. */
  onResult?: (r: DrainResult) => void;
}

export interface FleetHealth {
  uri: string;
  /** Connected and not waiting for a reconnect. */
  up: boolean;
  reconnects: number;
  /** Why a host that has not joined yet is down: its last dial's error. */
  error?: string;
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the input order. */
async function pool<I, O>(items: I[], limit: number, work: (item: I) => Promise<O>): Promise<O[]> {
  const out = new Array<O>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!);
      }
    }),
  );
  return out;
}

/** One running {@link Fleet.events} iterator: what it asked for, and the hosts it listens on. */
interface MergedStream {
  event: string;
  opts: SubscribeOptions;
  queue: EventQueue<{ uri: string; event: any }>;
  /** Hosts a subscription was started on (set before it resolves, so no host is asked twice). */
  hosts: Set<string>;
  stops: (() => Promise<void>)[];
  ended: boolean;
}

/**
 * @example
 * ```ts
 * const fleet = await Fleet.connect(['qemu+tls://a/system', 'qemu+tls://b/system'], { concurrency: 16 });
 * for (const r of await fleet.map((conn) => conn.connectGetHostname())) console.log(r.uri, r.ok ? r.value : r.error.message);
 * await fleet.close();
 * ```
 */
export class Fleet {
  /** Hosts that are connected (up or reconnecting), by URI. */
  private readonly conns = new Map<string, Connection>();
  /** Hosts that have not joined yet, with their last dial's error. */
  private readonly failures = new Map<string, Error>();
  private readonly streams = new Set<MergedStream>();
  /** Waits between dials of hosts that have not joined: cleared by close(). */
  private readonly sleeps = new Set<{ timer: ReturnType<typeof setTimeout>; wake: () => void }>();
  /** Dials in flight for hosts that have not joined: aborted by close(). */
  private readonly dials = new Set<AbortController>();
  /** Every host's retry loop, so close() can wait for them to end. */
  private readonly retries = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  /** The connections' `reconnect` policy; also how hosts down at the start are dialed again. */
  private readonly policy: ReconnectOptions | undefined;

  private constructor(
    private readonly uris: readonly string[],
    private readonly concurrency: number,
    private readonly connectionOpts: ConnectOptions,
  ) {
    const reconnect = connectionOpts.reconnect;
    this.policy = reconnect === false ? undefined : reconnect === true || reconnect === undefined ? {} : reconnect;
  }

  /**
   * Connects to every URI, `concurrency` at a time, and resolves once each has been dialed
   * once. Each connection reconnects by itself once up. A host that cannot be reached is
   * dialed again in the background with the connections' `reconnect` backoff (the same
   * delays and `maxAttempts` as a lost connection; never with `reconnect: false`) and joins
   * the fleet when it answers: until then {@link health} reports it down with its last error
   * and {@link map} gives that error as its result.
   *
   * @example
   * ```ts
   * const fleet = await Fleet.connect(uris, { concurrency: 8, connection: { reconnect: { initialDelayMs: 500, maxDelayMs: 30_000 } } });
   * console.log(fleet.health().filter((h) => !h.up).map((h) => `${h.uri}: ${h.error}`));
   * ```
   */
  static async connect(uris: string[], opts: { concurrency?: number; connection?: ConnectOptions } = {}): Promise<Fleet> {
    const fleet = new Fleet([...new Set(uris)], opts.concurrency ?? 16, { ...opts.connection, reconnect: opts.connection?.reconnect ?? true });
    await pool([...fleet.uris], fleet.concurrency, async (uri) => {
      try {
        fleet.conns.set(uri, await connect(uri, fleet.connectionOpts));
      } catch (e) {
        fleet.failures.set(uri, e as Error);
        fleet.retry(uri);
      }
    });
    return fleet;
  }

  /** Every joined host's connection (those that are up or reconnecting). */
  get connections(): ReadonlyMap<string, Connection> {
    return this.conns;
  }

  /**
   * Calls `fn` on every joined host, `concurrency` at a time; one result per host, in the
   * order the URIs were given. A host that has not joined yet is not called: its result is
   * its last dial's error.
   */
  async map<T>(fn: (conn: Connection, uri: string) => Promise<T>, opts: { concurrency?: number; timeoutMs?: number } = {}): Promise<HostResult<T>[]> {
    // Both taken now: a host that joins while the calls run keeps the result it had (its error).
    const hosts = [...this.conns];
    const notJoined = new Map(this.failures);
    const results = new Map<string, HostResult<T>>();
    await pool(hosts, opts.concurrency ?? this.concurrency, async ([uri, conn]) => {
      try {
        const work = fn(conn, uri);
        const value = opts.timeoutMs ? await withTimeout(work, opts.timeoutMs, uri) : await work;
        results.set(uri, { uri, ok: true, value });
      } catch (error) {
        results.set(uri, { uri, ok: false, error: error as Error });
      }
    });
    return this.uris.map((uri) => results.get(uri) ?? { uri, ok: false, error: notJoined.get(uri)! });
  }

  /**
   * Moves the guest `name` from the host `from` to the host `to` (both URIs of this fleet),
   * live unless `live: false` is given; watch and abort it with `onProgress` and `signal`.
   * See {@link startMigration} for the options and errors.
   * @example
   * ```ts
   * const { domain } = await fleet.migrate('web1', 'qemu+tls://a/system', 'qemu+tls://b/system', { uri: 'tcp://10.0.0.2' });
   * ```
   */
  async migrate(name: string, from: string, to: string, options: MigrateOptions = {}): Promise<MigrationResult> {
    const src = this.joined(from);
    const dst = this.joined(to);
    return startMigration(src, await src.domainLookupByName(name), dst, { live: true, ...options });
  }

  /**
   * Migrates every running guest off the host `from` to the others, `concurrency` at a time,
   * each to the host with the fewest running guests (counting those it has been given);
   * resolves with each guest's outcome, and reports each as it settles to `onResult`.
   * @example
   * ```ts
   * for (const r of await fleet.drain('qemu+tls://a/system', { concurrency: 4 })) console.log(r.name, r.ok ? `→ ${r.to}` : r.error.message);
   * ```
   */
  async drain(from: string, options: DrainOptions = {}): Promise<DrainResult[]> {
    const { to, concurrency = 2, onResult, ...migrate } = options;
    const src = this.joined(from);
    const targets = (to ?? [...this.conns.keys()].filter((u) => u !== from && this.conns.get(u)!.isOpen)).map((u) => ({ uri: u, conn: this.joined(u), load: 0 }));
    const { domains } = await src.connectListAllDomains(1, 1); // VIR_CONNECT_LIST_DOMAINS_ACTIVE
    await Promise.all(targets.map(async (t) => (t.load = (await t.conn.connectListAllDomains(1, 1)).domains.length)));
    return pool(domains, concurrency, async (dom) => {
      const target = targets.sort((a, b) => a.load - b.load)[0];
      let r: DrainResult;
      if (!target) r = { name: dom.name, from, to: null, ok: false, error: new Error(`no host to take ${dom.name}`) };
      else {
        target.load++;
        try {
          r = { name: dom.name, from, to: target.uri, ok: true, result: await startMigration(src, dom, target.conn, { live: true, ...migrate }) };
        } catch (error) {
          target.load--;
          r = { name: dom.name, from, to: target.uri, ok: false, error: error as Error };
        }
      }
      onResult?.(r);
      return r;
    });
  }

  private joined(uri: string): Connection {
    const c = this.conns.get(uri);
    if (!c) throw new ConnectionError(`${uri} is not a connected host of this fleet${this.failures.has(uri) ? `: ${this.failures.get(uri)!.message}` : ''}`, { reason: 'error' });
    return c;
  }

  /** Per host, in the order given: up or not, how often it reconnected, and why it is down. */
  health(): FleetHealth[] {
    return this.uris.map((uri) => {
      const c = this.conns.get(uri);
      if (c) return { uri, up: c.isOpen, reconnects: c.reconnects };
      return { uri, up: false, reconnects: 0, error: this.failures.get(uri)?.message ?? 'not connected' };
    });
  }

  /**
   * One stream of `event` from every host, each tagged with its host's URI; bounded like
   * {@link Connection.events}. A host that joins later is subscribed before it appears in
   * {@link connections}; should the daemon refuse that subscription, the iterator ends with
   * the error. {@link close} ends the iterator with a ConnectionError.
   *
   * @example
   * ```ts
   * for await (const { uri, event } of await fleet.events('domain:lifecycle')) console.log(uri, event.dom.name);
   * ```
   */
  async events(event: string, opts: SubscribeOptions & { maxQueue?: number } = {}): Promise<AsyncIterableIterator<{ uri: string; event: any }>> {
    if (this.closing) throw new ConnectionError('the fleet is closed', { reason: 'client' });
    const { maxQueue, ...subscribeOpts } = opts;
    const stream: MergedStream = { event, opts: subscribeOpts, queue: undefined as never, hosts: new Set(), stops: [], ended: false };
    stream.queue = new EventQueue(maxQueue ?? 10_000, () => this.unsubscribe(stream));
    // Registered before the first await: a host joining from now on subscribes it itself.
    this.streams.add(stream);
    try {
      await Promise.all([...this.conns].map(([uri, c]) => this.subscribeHost(stream, uri, c)));
    } catch (e) {
      // Undo the hosts that did subscribe rather than leave their registrations behind.
      await stream.queue.return();
      throw e;
    }
    return stream.queue;
  }

  /**
   * Closes every connection, stops dialing hosts that have not joined (their timers are
   * cleared, dials in flight aborted), and ends running {@link events} iterators. Safe to
   * call twice.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const s of this.sleeps) {
        clearTimeout(s.timer);
        s.wake();
      }
      for (const d of this.dials) d.abort(new ConnectionError('the fleet was closed', { reason: 'client' }));
      await Promise.all(this.retries);
      // Deregistered before the connections go, so that the daemons hear it; then the
      // iterators end rather than wait for events that can no longer come.
      const streams = [...this.streams];
      await Promise.all(streams.map((s) => this.unsubscribe(s)));
      for (const s of streams) s.queue.fail(new ConnectionError('the fleet was closed', { reason: 'client' }));
      await pool([...this.conns.values()], this.concurrency, (c) => c.close());
    })();
    return this.closing;
  }

  /**
   * Dials a host that was down at connect() again, with the backoff of the connections'
   * reconnect loop: wait min(initialDelayMs * 2^attempt, maxDelayMs), dial, at most
   * maxAttempts times. After the last failure the host stays down with that error.
   */
  private retry(uri: string): void {
    if (!this.policy) return;
    const { initialDelayMs = 100, maxDelayMs = 10_000, maxAttempts = Infinity } = this.policy;
    const userSignal = this.connectionOpts.signal;
    const loop = async () => {
      for (let attempt = 0; attempt < maxAttempts && !this.closing && !userSignal?.aborted; attempt++) {
        // The exponent is capped so that a long outage cannot turn the delay into NaN (0 * Infinity).
        await this.sleep(Math.min(initialDelayMs * 2 ** Math.min(attempt, 40), maxDelayMs));
        if (this.closing) return;
        // Our own signal, so that close() can abort this dial. The caller's signal is
        // forwarded to it, and stays forwarded once connected: the connection's own
        // reconnects dial with this signal, as they would with the caller's.
        const dial = new AbortController();
        const forward = () => dial.abort(userSignal!.reason);
        userSignal?.addEventListener('abort', forward, { once: true });
        this.dials.add(dial);
        let conn: Connection;
        try {
          conn = await connect(uri, { ...this.connectionOpts, signal: dial.signal });
        } catch (e) {
          userSignal?.removeEventListener('abort', forward);
          if (!this.closing) this.failures.set(uri, e as Error);
          continue;
        } finally {
          this.dials.delete(dial);
        }
        if (this.closing) {
          await conn.close();
          return;
        }
        await this.join(uri, conn);
        return;
      }
    };
    // Nothing in the loop is expected to throw; should it, the host stays down rather than
    // the rejection going unhandled.
    const running: Promise<void> = loop()
      .catch(() => undefined)
      .finally(() => this.retries.delete(running));
    this.retries.add(running);
  }

  /**
   * Adds a host that came up: every running events() iterator is subscribed on it first, so
   * that once it shows in `connections` and `health()` its events reach them.
   */
  private async join(uri: string, conn: Connection): Promise<void> {
    for (;;) {
      const pending = [...this.streams].filter((s) => !s.hosts.has(uri));
      if (!pending.length) break;
      await Promise.all(
        pending.map((s) =>
          this.subscribeHost(s, uri, conn).catch((e: Error) =>
            s.queue.fail(new Error(`${uri} joined the fleet but refused the subscription to ${s.event}: ${e.message}`, { cause: e })),
          ),
        ),
      );
    }
    // No await between the check above and this: an events() call now sees the host.
    this.conns.set(uri, conn);
    this.failures.delete(uri);
  }

  private async subscribeHost(stream: MergedStream, uri: string, conn: Connection): Promise<void> {
    stream.hosts.add(uri);
    const subscribe = conn.subscribe.bind(conn) as (e: string, l: (x: any) => void, o: SubscribeOptions) => Promise<() => Promise<void>>;
    const stop = await subscribe(stream.event, (e) => stream.queue.push({ uri, event: e }), stream.opts);
    // The iterator may have ended while the daemon was being asked.
    if (stream.ended) await stop().catch(() => undefined);
    else stream.stops.push(stop);
  }

  /** Ends a stream's subscriptions on every host (the iterator ended, or the fleet closes). */
  private async unsubscribe(stream: MergedStream): Promise<void> {
    stream.ended = true;
    this.streams.delete(stream);
    await Promise.all(stream.stops.splice(0).map((s) => s().catch(() => undefined)));
  }

  /** Waits `ms`, or less if close() comes first. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => entry.wake(), ms),
        wake: () => {
          this.sleeps.delete(entry);
          resolve();
        },
      };
      this.sleeps.add(entry);
    });
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, uri: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${uri} did not answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}
