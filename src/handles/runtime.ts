/**
 * What the generated handle face (handles/handles.ts) is built on: the handles' base classes
 * (identity, equality, JSON, and the events and file transfers written by hand), options
 * objects to flag numbers, and the plain-value conversions.
 */
import { type TransferOptions, downloadVolume, screenshotToFile, uploadVolume } from '../api/files.js';
import type { Connection } from '../api/connection.js';
import { type MigrateOptions, type MigrationJob, type MigrationResult, startMigration, startMigrationToURI } from '../api/migrate.js';
import type { RemoteEventPayloads } from '../../protocol/remote-events.js';
import type { RemoteNonnullDomain, RemoteNonnullStorageVol } from '../../protocol/remote.js';
import type { CallOptions } from '../xdr/index.js';

export type { CallOptions, TypedParams, TypedParamsInput } from '../xdr/index.js';
export type { LibvirtStream } from '../api/stream.js';
export type { MigrateOptions, MigrationJob, MigrationProgress, MigrationResult } from '../api/migrate.js';
export { enumName, keyedValues, stateReasonName, uuidBytes, uuidString } from './values.js';

/**
 * A handle method's last argument: its flags as booleans (`{ inactive: true }`), or their
 * bitwise OR as a number, with `signal` and `timeoutMs`; `flags` adds raw bits (for flags
 * newer than this library).
 */
export type Options<F = {}> = number | (F & CallOptions & { flags?: number });

/** The flag number of an options argument; an unknown option name is a TypeError, never ignored. */
export function flagsOf(options: Options<object> | undefined, table: Readonly<Record<string, number>> = {}): number {
  if (options === undefined) return 0;
  if (typeof options === 'number') return options;
  let flags = 0;
  // for...in rather than Object.entries: no arrays per call on the hot path.
  for (const k in options) {
    const v = (options as Record<string, unknown>)[k];
    if (k === 'flags') {
      if (typeof v !== 'number') throw new TypeError(`option 'flags' must be a number, not ${typeof v}`);
      flags |= v;
    } else if (k !== 'signal' && k !== 'timeoutMs') {
      // Own keys only: `toString` and friends are no options.
      const bit = Object.hasOwn(table, k) ? table[k] : undefined;
      if (bit === undefined) {
        const known = Object.keys(table);
        throw new TypeError(`unknown option '${k}'${known.length ? ` (known: ${known.join(', ')}, signal, timeoutMs, flags)` : ' (this call takes signal, timeoutMs and flags)'}`);
      }
      if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`option '${k}' must be a boolean, not ${typeof v}`);
      if (v) flags |= bit;
    }
  }
  // C's flags are unsigned 32-bit; OR of high bits gives a negative JavaScript number.
  return flags >>> 0;
}

/**
 * The `signal` and `timeoutMs` of an options argument, for the flat call: the object itself
 * (the call reads only those two), so nothing is allocated per call.
 */
export function callOptionsOf(options: Options<object> | undefined): CallOptions | undefined {
  return typeof options === 'object' ? options : undefined;
}

/** What every handle has: its connection, its wire form, identity, equality and JSON. */
export abstract class HandleBase<W> {
  constructor(
    /** The connection the handle's calls go to. */
    readonly conn: Connection,
    /** The object as the protocol carries it (what the flat face's methods take). */
    readonly wire: W,
  ) {}

  /** What two handles of the same object share: the UUID, or the key where there is none. */
  abstract get identity(): string;

  /** The handle's identity as plain values, for `JSON.stringify` and the command's `--json`. */
  abstract toJSON(): Record<string, unknown>;

  /** Whether `other` is a handle of the same object (same type, same UUID or key). */
  equals(other: unknown): boolean {
    return other instanceof HandleBase && other.constructor === this.constructor && other.identity === this.identity;
  }
}

type Stop = () => Promise<void>;
type Family<P extends string> = Extract<keyof RemoteEventPayloads, `${P}:${string}`> extends `${P}:${infer N}` ? N : never;

/** Events of one object, over the connection's dispatcher (one daemon registration per event and object). */
abstract class EventSource<W, P extends string> extends HandleBase<W> {
  /** On the prototype, not each instance: listing thousands of handles stays cheap. */
  protected abstract get family(): P;

  /**
   * Calls `listener` for each event `name` of this object until the returned function is called.
   * @example
   * ```ts
   * const stop = await dom.on('lifecycle', (e) => console.log(e.event, e.detail));
   * await stop();
   * ```
   */
  on<N extends Family<P>>(name: N, listener: (event: RemoteEventPayloads[`${P}:${N}` & keyof RemoteEventPayloads]) => void): Promise<Stop> {
    return this.conn.subscribe(`${this.family}:${name}` as keyof RemoteEventPayloads, listener as (e: unknown) => void, { filter: this.wire });
  }

  /**
   * This object's events `name` as an async iterator with a bounded queue (`maxQueue`).
   * @example
   * ```ts
   * for await (const e of await dom.events('lifecycle')) if (e.event === VIR_DOMAIN_EVENT_STOPPED) break;
   * ```
   */
  events<N extends Family<P>>(name: N, opts: { maxQueue?: number } = {}): Promise<AsyncIterableIterator<RemoteEventPayloads[`${P}:${N}` & keyof RemoteEventPayloads]>> {
    return this.conn.events(`${this.family}:${name}` as keyof RemoteEventPayloads, { filter: this.wire, ...opts }) as never;
  }
}

/** Events and the screen, written by hand beside the generated Domain methods. */
export abstract class DomainBase<W extends RemoteNonnullDomain> extends EventSource<W, 'domain'> {
  protected get family(): 'domain' {
    return 'domain';
  }

  /**
   * Saves a screenshot of `screen` to `path` (on this machine), as `virsh screenshot`; resolves
   * with its MIME type. Home of virDomainScreenshot.
   * @example
   * ```ts
   * const mime = await dom.screenshot('/tmp/guest.ppm');   // 'image/x-portable-pixmap'
   * ```
   */
  screenshot(path: string, screen = 0): Promise<string | null> {
    return screenshotToFile(this.conn, this.wire, path, screen);
  }

  /**
   * Migrates the guest to the host of `dst`, as virDomainMigrate3: the client runs libvirt's
   * five phases over both connections (with `peer2peer`, the source daemon migrates to `dst`'s
   * URI by itself). Await the job for the guest's handle on `dst`; watch it with
   * `job.progress()` or `onProgress`; abort it with `signal` or `job.abort()`.
   * Home of virDomainMigrate, virDomainMigrate2 and virDomainMigrate3.
   * @example
   * ```ts
   * const { domain } = await dom.migrate(dst, { live: true, uri: 'tcp://10.0.0.2', onProgress: (p) => console.log(p.dataRemaining) });
   * ```
   * @throws MigrationError with the phase, the host and where the guest runs; AbortError after an abort
   */
  migrate(dst: Connection, options?: MigrateOptions): MigrationJob<MigrationResult<this>> {
    const Handle = this.constructor as new (conn: Connection, wire: W) => this;
    return startMigration(this.conn, this.wire, dst, options, (wire) => new Handle(dst, wire as W));
  }

  /**
   * Migrates the guest as virDomainMigrateToURI3: with `peer2peer`, `dconnuri` is the
   * destination daemon's URI and the source daemon does the rest; without it, a direct
   * migration to the hypervisor URI in `uri` (QEMU has none). Home of virDomainMigrateToURI,
   * virDomainMigrateToURI2 and virDomainMigrateToURI3.
   * @example
   * ```ts
   * await dom.migrateToURI('qemu+tls://10.0.0.2/system', { live: true, peer2peer: true });
   * ```
   */
  migrateToURI(dconnuri: string | null, options?: MigrateOptions): MigrationJob<MigrationResult> {
    return startMigrationToURI(this.conn, this.wire, dconnuri, options);
  }
}
/** Network events. */
export abstract class NetworkBase<W> extends EventSource<W, 'network'> {
  protected get family(): 'network' {
    return 'network';
  }
}
/** Storage pool events. */
export abstract class StoragePoolBase<W> extends EventSource<W, 'storage-pool'> {
  protected get family(): 'storage-pool' {
    return 'storage-pool';
  }
}
/** Node device events. */
export abstract class NodeDeviceBase<W> extends EventSource<W, 'node-device'> {
  protected get family(): 'node-device' {
    return 'node-device';
  }
}
/** Secret events. */
export abstract class SecretBase<W> extends EventSource<W, 'secret'> {
  protected get family(): 'secret' {
    return 'secret';
  }
}

/** Volume transfers to and from files on this machine, written by hand beside the generated methods. */
export abstract class StorageVolumeBase<W extends RemoteNonnullStorageVol> extends HandleBase<W> {
  /**
   * Writes the volume (or `offset`/`length` of it) to `path`, keeping holes with `sparse`;
   * resolves with the bytes done. Home of virStorageVolDownload.
   * @example
   * ```ts
   * await vol.download('/tmp/disk.raw', { sparse: true, onProgress: (n) => console.log(n) });
   * ```
   */
  download(path: string, opts?: TransferOptions): Promise<bigint> {
    return downloadVolume(this.conn, this.wire, path, opts);
  }

  /**
   * Writes `path` into the volume, zero runs as holes with `sparse`. Home of virStorageVolUpload.
   * @example
   * ```ts
   * await vol.upload('/tmp/disk.raw', { sparse: true });
   * ```
   */
  upload(path: string, opts?: TransferOptions): Promise<bigint> {
    return uploadVolume(this.conn, this.wire, path, opts);
  }
}
