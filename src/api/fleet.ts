/**
 * Many hosts at once: connect to N URIs with a concurrency limit, keep each one alive with
 * keepalive and reconnect, fan calls out with per-host results and errors, and merge events
 * into one stream tagged by host.
 */
import { connect, type ConnectOptions } from './connect.js';
import type { Connection } from './connection.js';
import { EventQueue } from './event-queue.js';
import type { SubscribeOptions } from './events.js';

export type HostResult<T> = { uri: string; ok: true; value: T } | { uri: string; ok: false; error: Error };

export interface FleetHealth {
  uri: string;
  /** Connected and not waiting for a reconnect. */
  up: boolean;
  reconnects: number;
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

/**
 * @example
 * ```ts
 * const fleet = await Fleet.connect(['qemu+tls://a/system', 'qemu+tls://b/system'], { concurrency: 16 });
 * for (const r of await fleet.map((conn) => conn.connectGetHostname())) console.log(r.uri, r.ok ? r.value : r.error.message);
 * await fleet.close();
 * ```
 */
export class Fleet {
  private constructor(
    private readonly conns: Map<string, Connection>,
    private readonly failures: Map<string, Error>,
    private readonly concurrency: number,
  ) {}

  /**
   * Connects to every URI, `concurrency` at a time. Hosts that cannot be reached are kept with
   * their error (see {@link health}); each connection reconnects by itself once up.
   */
  static async connect(uris: string[], opts: { concurrency?: number; connection?: ConnectOptions } = {}): Promise<Fleet> {
    const concurrency = opts.concurrency ?? 16;
    const conns = new Map<string, Connection>();
    const failures = new Map<string, Error>();
    await pool(uris, concurrency, async (uri) => {
      try {
        conns.set(uri, await connect(uri, { reconnect: true, ...opts.connection }));
      } catch (e) {
        failures.set(uri, e as Error);
      }
    });
    return new Fleet(conns, failures, concurrency);
  }

  /** Every host's connection (those that are up or reconnecting). */
  get connections(): ReadonlyMap<string, Connection> {
    return this.conns;
  }

  /** Calls `fn` on every connected host, `concurrency` at a time; one result per host. */
  map<T>(fn: (conn: Connection, uri: string) => Promise<T>, opts: { concurrency?: number; timeoutMs?: number } = {}): Promise<HostResult<T>[]> {
    const hosts = [...this.conns];
    return pool(hosts, opts.concurrency ?? this.concurrency, async ([uri, conn]): Promise<HostResult<T>> => {
      try {
        const work = fn(conn, uri);
        const value = opts.timeoutMs ? await withTimeout(work, opts.timeoutMs, uri) : await work;
        return { uri, ok: true, value };
      } catch (error) {
        return { uri, ok: false, error: error as Error };
      }
    }).then((results) => [...results, ...[...this.failures].map(([uri, error]) => ({ uri, ok: false as const, error }))]);
  }

  /** Per host: up or not, how often it reconnected, and why it is down. */
  health(): FleetHealth[] {
    return [
      ...[...this.conns].map(([uri, c]) => ({ uri, up: c.isOpen, reconnects: c.reconnects })),
      ...[...this.failures].map(([uri, e]) => ({ uri, up: false, reconnects: 0, error: e.message })),
    ];
  }

  /**
   * One stream of `event` from every host, each tagged with its host's URI; bounded like
   * {@link Connection.events}.
   *
   * @example
   * ```ts
   * for await (const { uri, event } of await fleet.events('domain:lifecycle')) console.log(uri, event.dom.name);
   * ```
   */
  async events(event: string, opts: SubscribeOptions & { maxQueue?: number } = {}): Promise<AsyncIterableIterator<{ uri: string; event: any }>> {
    const stops: (() => Promise<void>)[] = [];
    const queue = new EventQueue<{ uri: string; event: any }>(opts.maxQueue ?? 10_000, async () => {
      await Promise.all(stops.map((s) => s().catch(() => undefined)));
    });
    const subscribe = (c: Connection) => c.subscribe.bind(c) as (e: string, l: (x: any) => void, o: SubscribeOptions) => Promise<() => Promise<void>>;
    await Promise.all([...this.conns].map(async ([uri, c]) => stops.push(await subscribe(c)(event, (e) => queue.push({ uri, event: e }), opts))));
    return queue;
  }

  async close(): Promise<void> {
    await pool([...this.conns.values()], this.concurrency, (c) => c.close());
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, uri: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${uri} did not answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}
