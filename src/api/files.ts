/**
 * Volume transfers to and from files, as `virsh vol-download` and `vol-upload` do them:
 * holes kept on download and sent as holes on upload when asked (`sparse`), with progress.
 */
import { loadLater } from '../transport/load-later.js';
import {
  VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM,
  VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM,
} from '../../protocol/constants.js';
import { type RemoteNonnullDomain, type RemoteNonnullStorageVol } from '../../protocol/remote.js';
import { remoteProcedures } from '../../protocol/remote-procedures.js';
import type { Connection } from './connection.js';
import { STREAM_CHUNK } from './stream.js';

/** File reads and writes are batched to this size. */
const FILE_BATCH = 4 * 1024 * 1024;

export interface TransferOptions {
  /** Keep holes (download) or send zero runs as holes (upload). */
  sparse?: boolean;
  /** Called after each chunk with the bytes (data and holes) done so far. */
  onProgress?: (done: bigint) => void;
  /** Range of the volume; 0 length means to the end. */
  offset?: bigint;
  length?: bigint;
}

/**
 * @example
 * ```ts
 * await downloadVolume(conn, vol, '/tmp/disk.raw', { sparse: true, onProgress: (n) => bar.update(Number(n)) });
 * ```
 */
export async function downloadVolume(conn: Connection, vol: RemoteNonnullStorageVol, path: string, opts: TransferOptions = {}): Promise<bigint> {
  const file = await (await fsPromises()).open(path, 'w');
  let position = 0n;
  try {
    const { stream } = await conn.openStream(remoteProcedures.storageVolDownload, {
      vol,
      offset: opts.offset ?? 0n,
      length: opts.length ?? 0n,
      flags: opts.sparse ? VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM : 0,
    });
    // Data is gathered into writes of a few MiB: one file write per 256 KiB packet costs more
    // than the copy.
    const pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let pendingAt = 0n;
    const flush = async () => {
      if (!pendingBytes) return;
      await file.writev(pending, Number(pendingAt));
      // Written: their memory can take the next packets.
      stream.recycle(pending);
      pending.length = 0;
      pendingBytes = 0;
    };
    try {
      for (let item = await stream.read(); item; item = await stream.read()) {
        if (item instanceof Uint8Array) {
          if (!pendingBytes) pendingAt = position;
          pending.push(item);
          pendingBytes += item.length;
          position += BigInt(item.length);
          if (pendingBytes >= FILE_BATCH) await flush();
        } else {
          // A hole: move on without writing, so the file system leaves it unallocated.
          await flush();
          position += item.hole;
        }
        opts.onProgress?.(position);
      }
      await flush();
    } catch (e) {
      await stream.abort();
      throw e;
    }
    // A trailing hole has nothing written after it: set the size explicitly.
    await file.truncate(Number(position));
    return position;
  } finally {
    await file.close();
  }
}

/** Whether every byte of `buf` is zero. */
function allZero(buf: Uint8Array): boolean {
  const words = buf.length >> 3;
  const view = new BigUint64Array(buf.buffer, buf.byteOffset, buf.byteOffset % 8 === 0 ? words : 0);
  for (let i = 0; i < view.length; i++) if (view[i] !== 0n) return false;
  for (let i = view.length * 8; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * @example
 * ```ts
 * await uploadVolume(conn, vol, '/tmp/disk.raw', { sparse: true });
 * ```
 */
export async function uploadVolume(conn: Connection, vol: RemoteNonnullStorageVol, path: string, opts: TransferOptions = {}): Promise<bigint> {
  const file = await (await fsPromises()).open(path, 'r');
  try {
    const size = BigInt((await file.stat()).size);
    const { stream } = await conn.openStream(remoteProcedures.storageVolUpload, {
      vol,
      offset: opts.offset ?? 0n,
      length: opts.length ?? size,
      flags: opts.sparse ? VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM : 0,
    });
    // Read a few MiB at a time; each 256 KiB piece is a packet, or a hole when it is all zero.
    const buf = new Uint8Array(FILE_BATCH);
    let done = 0n;
    try {
      for (;;) {
        const { bytesRead } = await file.read(buf, 0, buf.length, Number(done));
        if (!bytesRead) break;
        for (let at = 0; at < bytesRead; at += STREAM_CHUNK) {
          const piece = buf.subarray(at, Math.min(at + STREAM_CHUNK, bytesRead));
          // write() copies the bytes before it returns, so the buffer can be read into again.
          if (opts.sparse && allZero(piece)) await stream.writeHole(BigInt(piece.length));
          else await stream.write(piece);
          done += BigInt(piece.length);
          opts.onProgress?.(done);
        }
      }
      await stream.finish();
    } catch (e) {
      await stream.abort();
      throw e;
    }
    return done;
  } finally {
    await file.close();
  }
}

/**
 * Saves a screenshot of `screen` of a running domain; resolves with its MIME type.
 *
 * @example
 * ```ts
 * const mime = await screenshotToFile(conn, dom, '/tmp/screen.ppm');
 * ```
 */
export async function screenshotToFile(conn: Connection, dom: RemoteNonnullDomain, path: string, screen = 0): Promise<string | null> {
  const file = await (await fsPromises()).open(path, 'w');
  try {
    const { stream, reply } = await conn.openStream(remoteProcedures.domainScreenshot, { dom, screen, flags: 0 });
    for await (const chunk of stream.chunks()) await file.write(chunk);
    return (reply as { mime: string | null }).mime;
  } finally {
    await file.close();
  }
}

/** Node's file API, loaded when a file is read or written: this module also runs in a browser, where these three functions are the only ones it cannot offer. */
const fsPromises = () => loadLater<typeof import('node:fs/promises')>('node:fs/promises');
