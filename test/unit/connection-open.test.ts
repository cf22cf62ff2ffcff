/**
 * The opening sequence against a scripted peer: what is sent, in which round trip, and what
 * happens when the daemon wants authentication.
 */
import { Connection, DRV_FEATURE } from '../../src/api/connection.js';
import { FakeDaemon } from '../../src/testing/fake-daemon.js';
import { ConnectionError, NotSupportedError } from '../../src/errors.js';
import { FrameSplitter } from '../../src/rpc/frame.js';
import { readHeader, writeHeader } from '../../src/rpc/header.js';
import type { Dialer, TransportEvents } from '../../src/transport/types.js';
import { REMOTE_PROGRAM } from '../../protocol/remote.js';
import { remoteProcedures as P } from '../../protocol/remote-procedures.js';
import { VirNetMessageErrorCodec } from '../../protocol/virnet.js';
import { XdrWriter, type Codec } from '../../src/xdr/index.js';

interface Scripted {
  /** Procedure names in the order sent, one inner array per write. */
  batches: string[][];
  dialer: Dialer;
}

/**
 * A peer that demands the given auth methods (0 none, 1 SASL, 2 polkit), refuses everything
 * but auth until then as libvirtd does, and records what arrives in each write.
 */
function scriptedPeer(auth: number[]): Scripted {
  const byNumber = new Map(Object.values(P).map((p) => [p.number, p]));
  let authenticated = auth.includes(0);
  const batches: string[][] = [];
  const dialer: Dialer = async (events: TransportEvents) => {
    const splitter = new FrameSplitter();
    const reply = (serial: number, proc: number, codec: Codec<unknown> | null, value: unknown, status = 0) => {
      const w = new XdrWriter();
      w.pos = 28;
      if (codec) codec.encode(w, value);
      const bytes = w.finish().slice();
      writeHeader(new DataView(bytes.buffer), 0, bytes.length, { prog: REMOTE_PROGRAM, vers: 1, proc, type: 1, serial, status });
      queueMicrotask(() => events.data(bytes));
    };
    return {
      description: 'scripted',
      close: () => queueMicrotask(() => events.closed()),
      write(bytes) {
        const batch: string[] = [];
        splitter.push(bytes, (f) => {
          const h = readHeader(new DataView(f.buffer, f.byteOffset), 0);
          const proc = byNumber.get(h.proc)!;
          batch.push(proc.method);
          const needsAuth = !['authList', 'authPolkit', 'authSaslInit'].includes(proc.method);
          if (needsAuth && !authenticated) {
            return reply(h.serial, h.proc, VirNetMessageErrorCodec, {
              code: 45, domain: 7, message: 'authentication required', level: 2, dom: null, str1: null, str2: null, str3: null, int1: 0, int2: 0, net: null,
            }, 1);
          }
          switch (proc.method) {
            case 'authList':
              return reply(h.serial, h.proc, P.authList.ret, { types: auth });
            case 'authPolkit':
              authenticated = true;
              return reply(h.serial, h.proc, P.authPolkit.ret, { complete: 1 });
            case 'authSaslInit':
              return reply(h.serial, h.proc, P.authSaslInit.ret, { mechlist: 'DIGEST-MD5,GSSAPI' });
            case 'connectSupportsFeature':
              return reply(h.serial, h.proc, P.connectSupportsFeature.ret, { supported: 1 });
            default:
              return reply(h.serial, h.proc, null, undefined);
          }
        });
        batches.push(batch);
        return true;
      },
    };
  };
  return { batches, dialer };
}

describe('opening a connection', () => {
  it('needs one round trip when the daemon wants no auth, and asks about features only when needed', async () => {
    const peer = scriptedPeer([0]);
    const conn = await Connection.open(peer.dialer, 'test:///default', 'test:///default', { keepalive: { intervalMs: 60_000 } });
    expect(peer.batches).toEqual([['authList', 'connectSupportsFeature', 'connectOpen']]);
    expect(conn.features).toEqual({ keepalive: true, remoteEventCallback: false, remoteCloseCallback: false, networkUpdateHasCorrectOrder: false, typedParamString: false });
    expect(await conn.probeFeatures()).toEqual({ keepalive: true, remoteEventCallback: true, remoteCloseCallback: true, networkUpdateHasCorrectOrder: true, typedParamString: true });
    expect(peer.batches[1]).toEqual(['connectSupportsFeature', 'connectSupportsFeature', 'connectSupportsFeature', 'connectSupportsFeature']);
    // Asked once per session.
    await conn.probeFeatures();
    expect(peer.batches).toHaveLength(2);
    await conn.close();
    expect(peer.batches.at(-1)).toEqual(['connectClose']);
  });

  it.each([
    [1, { command: 4, section: 10 }],
    [0, { command: 10, section: 4 }],
  ])('networkUpdate: a daemon answering %i for the argument-order feature gets %o, as libvirt sends it', async (supported, expected) => {
    const updates: unknown[] = [];
    const daemon = new FakeDaemon()
      .handle('connectSupportsFeature', ({ feature }) => ({ supported: feature === DRV_FEATURE.NETWORK_UPDATE_HAS_CORRECT_ORDER ? supported : 1 }))
      .handle('networkUpdate', ({ command, section }) => void updates.push({ command, section }));
    const conn = await Connection.open(daemon.dialer(), 'test:///default', 'test:///default', { keepalive: false });
    const net = { name: 'default', uuid: new Uint8Array(16) };
    // VIR_NETWORK_UPDATE_COMMAND_ADD_FIRST (4), VIR_NETWORK_SECTION_DNS_HOST (10).
    await conn.networkUpdate(net, 4, 10, -1, '<host/>', 0);
    await conn.networkUpdate(net, 4, 10, -1, '<host/>', 0);
    expect(updates).toEqual([expected, expected]);
    expect(daemon.calls.filter((c) => c === 'connectSupportsFeature')).toHaveLength(1);
    expect(conn.features.networkUpdateHasCorrectOrder).toBe(supported === 1);
    await conn.close();
  });

  it('repeats the open after polkit auth when the daemon refused the early calls', async () => {
    const peer = scriptedPeer([2]);
    const conn = await Connection.open(peer.dialer, 'qemu:///system', 'qemu:///system', { keepalive: false });
    expect(peer.batches.slice(0, 3)).toEqual([['authList', 'connectOpen'], ['authPolkit'], ['connectOpen']]);
    expect(conn.isOpen).toBe(true);
    await conn.close();
  });

  it('sends no SASL step over an unprotected channel, and says to use TLS', async () => {
    const peer = scriptedPeer([1]);
    const err = await Connection.open(peer.dialer, 'qemu+tcp://h/system', null, { secureChannel: false }).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(/use TLS/);
    expect(peer.batches.flat()).not.toContain('authSaslInit');
  });

  it('names the mechanisms when none is in common', async () => {
    const peer = scriptedPeer([1]);
    await expect(Connection.open(peer.dialer, 'qemu:///system', null, {})).rejects.toThrow(/DIGEST-MD5, GSSAPI/);
  });

  it('refuses an auth= method it does not know', async () => {
    const peer = scriptedPeer([2]);
    await expect(Connection.open(peer.dialer, 'qemu:///system', null, { auth: 'kerberos' })).rejects.toBeInstanceOf(NotSupportedError);
  });

  it('asks for string typed parameters only when a call needs them', async () => {
    const peer = scriptedPeer([0]);
    const conn = await Connection.open(peer.dialer, 'test:///default', 'test:///default', { keepalive: false });
    const before = peer.batches.flat().length;
    await conn.domainGetMemoryParameters({ name: 'x', uuid: new Uint8Array(16), id: 1 }, 0, 0).catch(() => undefined);
    expect(peer.batches.flat().slice(before)).toEqual(['connectSupportsFeature', 'domainGetMemoryParameters']);
    expect(conn.features.typedParamString).toBe(true);
    await conn.close();
  });
});
