/**
 * A unix socket in front of a real daemon that answers "not supported" for the driver
 * features a test names, as an older daemon would, and forwards everything else. It lets the
 * client's other branch of each feature probe run against a real daemon: legacy event
 * registration, no close callback, no string parameters, and the network-update argument
 * order of daemons before the fix (for which it also swaps the two fields back before
 * forwarding, as such a daemon read them). It records the REMOTE procedures the client sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XdrReader, XdrWriter, decodeValue, encodeValue } from '../../src/xdr/index.js';
import { RemoteConnectSupportsFeatureArgsCodec, RemoteConnectSupportsFeatureRetCodec, RemoteNetworkUpdateArgsCodec } from '../../protocol/remote.js';
import { remoteProcedures as P, remoteProgram } from '../../protocol/remote-procedures.js';
import { VirNetMessageHeaderCodec, encodeVirNetMessageHeader } from '../../protocol/virnet.js';

export interface FeatureProxy {
  socket: string;
  /** REMOTE procedure names the client sent, in order (`connectDomainEventRegisterAny`, ...). */
  sent: string[];
  /** What networkUpdate carried on the wire, before any swap back. */
  networkUpdates: Array<{ command: number; section: number }>;
  close(): Promise<void>;
}

const NAMES = new Map((Object.entries(P) as Array<[string, { number: number }]>).map(([name, p]) => [p.number, name]));
const HEADER = 24;
const CALL = 0;
const REPLY = 1;

/** Splits a byte stream into libvirt frames (a 4-byte length that counts itself). */
function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4) {
      const len = pending.readUInt32BE(0);
      if (pending.length < len) break;
      onFrame(pending.subarray(0, len));
      pending = pending.subarray(len);
    }
  };
}

function frame(header: Uint8Array, body: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + header.length + body.length);
  out.writeUInt32BE(out.length, 0);
  out.set(header, 4);
  out.set(body, 4 + header.length);
  return out;
}

/**
 * @param hide the driver feature numbers (DRV_FEATURE) to answer 0 for
 * @param oldNetworkUpdateOrder swap networkUpdate's command and section back before forwarding
 *   (set it with NETWORK_UPDATE_HAS_CORRECT_ORDER hidden: together they are an old daemon)
 */
export async function featureProxy(daemonSocket: string, hide: number[], opts: { oldNetworkUpdateOrder?: boolean } = {}): Promise<FeatureProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'libvirt-rpc-features-'));
  const path = join(dir, 'sock');
  const live = new Set<Socket>();
  const proxy: FeatureProxy = {
    socket: path,
    sent: [],
    networkUpdates: [],
    close: () =>
      new Promise<void>((r) => {
        for (const s of live) s.destroy();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          r();
        });
      }),
  };
  const server: Server = createServer((client) => {
    const upstream = netConnect({ path: daemonSocket });
    live.add(client).add(upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.on('data', (b) => client.write(b));
    client.on('data', frames((f) => {
      const header = decodeValue(VirNetMessageHeaderCodec, new XdrReader(f, 4, 4 + HEADER));
      const body = f.subarray(4 + HEADER);
      if (header.prog !== remoteProgram.number || header.type !== CALL) return void upstream.write(f);
      proxy.sent.push(NAMES.get(header.proc) ?? String(header.proc));
      if (header.proc === P.connectSupportsFeature.number) {
        const { feature } = decodeValue(RemoteConnectSupportsFeatureArgsCodec, body);
        if (hide.includes(feature)) {
          const w = new XdrWriter(HEADER);
          encodeVirNetMessageHeader(w, { ...header, type: REPLY, status: 0 });
          return void client.write(frame(w.finish(), encodeValue(RemoteConnectSupportsFeatureRetCodec, { supported: 0 })));
        }
      }
      if (header.proc === P.networkUpdate.number) {
        const args = decodeValue(RemoteNetworkUpdateArgsCodec, body);
        proxy.networkUpdates.push({ command: args.command, section: args.section });
        if (opts.oldNetworkUpdateOrder) {
          const swapped = encodeValue(RemoteNetworkUpdateArgsCodec, { ...args, command: args.section, section: args.command });
          return void upstream.write(frame(f.subarray(4, 4 + HEADER), swapped));
        }
      }
      upstream.write(f);
    }));
  });
  await new Promise<void>((r) => server.listen(path, () => r()));
  return proxy;
}
