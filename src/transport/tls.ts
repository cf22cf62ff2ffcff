/**
 * The TLS carrier (for `qemu+tls://host[:16514]/...`, and the default for URIs with a host).
 * The server's certificate and name are verified unless told not to (`no_verify=1`). After the handshake libvirtd sends
 * one byte: 1 when it accepts our client certificate; otherwise it closes, which becomes a
 * clear error instead of a hang or a bare "connection closed".
 */
import { existsSync, readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { ConnectionError } from '../errors.js';
import { transportFromDuplex, whenReady } from './node-stream.js';
import type { Dialer } from './types.js';
import { loadLater } from './load-later.js';

/** PEM contents (or paths to them) that override libvirt's file locations. */
export interface TlsOptions {
  ca?: string | Uint8Array;
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
  crl?: string | Uint8Array;
  /** Skip verification of the server's certificate and name (`no_verify=1`). */
  noVerify?: boolean;
  /** Directory holding cacert.pem, clientcert.pem, clientkey.pem, cacrl.pem (`pkipath=`). */
  pkipath?: string;
}

/** A PEM option: contents as given, or the file a path names. */
function pem(v: string | Uint8Array | undefined, what: string): string | Buffer | undefined {
  if (v === undefined || typeof v === 'string' && v.includes('-----BEGIN')) return v as string | undefined;
  if (v instanceof Uint8Array) return Buffer.from(v);
  try {
    return readFileSync(v);
  } catch (e) {
    throw new ConnectionError(`cannot read the ${what} ${v}: ${(e as Error).message}`, { cause: e });
  }
}

/** The x509 files to fall back on (libvirt's locations, as src/locate/pki.ts works them out). */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
  crl: string;
}

/** Reads the credentials libvirt's rules point at; a missing CA is an error, a missing client pair is not. */
function loadCredentials(files: TlsFiles, opts: TlsOptions) {
  const read = (path: string) => (existsSync(path) ? readFileSync(path) : undefined);
  const ca = pem(opts.ca, 'CA certificate') ?? read(files.ca);
  if (!ca && !opts.noVerify) {
    throw new ConnectionError(`no CA certificate to verify the server with: put it at ${files.ca}, pass tls.ca, or use no_verify=1`);
  }
  const cert = pem(opts.cert, 'client certificate') ?? read(files.cert);
  const key = pem(opts.key, 'client key') ?? read(files.key);
  if (!!cert !== !!key) {
    throw new ConnectionError(`a client certificate needs its key and the other way round (looked for ${files.cert} and ${files.key})`);
  }
  const crl = pem(opts.crl, 'CRL') ?? read(files.crl);
  return { ca, cert, key, crl };
}

/** A dialer for TLS to `host:port`: `opts` over the PEM files `files` names. */
export function tlsDialer(host: string, port: number, opts: TlsOptions, files: TlsFiles): Dialer {
  return async (events, signal) => {
    const { ca, cert, key, crl } = loadCredentials(files, opts);
    // Loaded on first use: a process that never dials TLS starts without Node's TLS stack.
    const { connect: tlsConnect } = await loadLater<typeof import('node:tls')>('node:tls');
    let socket: TLSSocket;
    try {
      socket = tlsConnect({
        host,
        port,
        servername: /^[\d.]+$|:/.test(host) ? undefined : host,
        ...(ca ? { ca } : {}),
        ...(cert ? { cert, key } : {}),
        ...(crl ? { crl } : {}),
        rejectUnauthorized: !opts.noVerify,
      });
    } catch (e) {
      throw new ConnectionError(`cannot set up TLS to ${host}:${port}: ${(e as Error).message}`, { cause: e });
    }
    const peer = `${host}:${port}`;
    const fail = (e: Error) => new ConnectionError(`TLS with ${peer} failed: ${e.message}`, { cause: e });
    await whenReady(socket, 'secureConnect', signal, fail, () => socket.destroy());
    await verdict(socket, peer, signal);
    const transport = transportFromDuplex(socket, events, `tls:${host}:${port}`);
    socket.resume();
    // libvirtd over TLS reads one frame per record: the core writes them one at a time.
    return { ...transport, oneFramePerWrite: true };
  };
}

/** Reads libvirtd's one-byte answer to our certificate. */
async function verdict(socket: TLSSocket, peer: string, signal: AbortSignal | undefined): Promise<void> {
  const rejected = (why: string) =>
    new ConnectionError(
      `the server ${peer} rejected our client certificate (${why}); check that it is signed by a CA the server trusts and that its DN is allowed`,
    );
  const failed = (e: Error, closed: boolean) =>
    closed ? rejected('it closed the connection after the handshake') : new ConnectionError(`TLS with ${peer} failed after the handshake: ${e.message}`, { cause: e });
  // Paused in the same turn as the byte arrives (listeners run in order), before the stream
  // could emit the data behind it to nobody.
  const pause = () => socket.pause();
  socket.once('data', pause);
  let chunk: Buffer;
  try {
    chunk = await whenReady<Buffer>(socket, 'data', signal, failed, () => socket.destroy(), 'close');
  } finally {
    socket.off('data', pause);
  }
  if (chunk[0] !== 1) {
    socket.destroy();
    throw rejected(`it answered ${chunk[0]} instead of 1`);
  }
  // Anything after the verdict byte is protocol data: hand it back to the stream.
  if (chunk.length > 1) socket.unshift(chunk.subarray(1));
}
