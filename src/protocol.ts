/**
 * `libvirt-rpc/protocol`: the wire layer, for code that speaks the protocol itself: every
 * type of libvirt's .x files with its XDR encoder and decoder, the procedure constants and
 * tables, the program descriptions, and the XDR runtime they run on.
 *
 * @example
 * ```ts
 * import { XdrReader, XdrWriter, decodeRemoteNonnullDomain, encodeRemoteNonnullDomain } from 'libvirt-rpc/protocol';
 * const w = new XdrWriter();
 * encodeRemoteNonnullDomain(w, { name: 'guest', uuid: new Uint8Array(16), id: -1 });
 * const dom = decodeRemoteNonnullDomain(new XdrReader(w.finish()));
 * ```
 */
export * from '../protocol/index.js';
export * from './xdr/index.js';
