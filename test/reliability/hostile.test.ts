/**
 * A hostile or broken daemon, played by the fake daemon: every misbehaviour ends in a clear
 * error or is ignored and counted, and every call settles.
 */
import { Connection } from '../../src/api/connection.js';
import { ConnectionError, ProtocolError, TimeoutError } from '../../src/errors.js';
import { MessageStatus, MessageType } from '../../src/rpc/header.js';
import { FakeDaemon, frame } from '../../src/testing/fake-daemon.js';
import { REMOTE_PROGRAM } from '../../protocol/remote.js';
import { remoteProcedures as P } from '../../protocol/remote-procedures.js';

async function open(daemon = new FakeDaemon()) {
  const conn = await Connection.open(daemon.dialer(), 'test:///default', 'test:///default', { keepalive: false });
  return { daemon, conn };
}

const hostname = (conn: Connection) => conn.connectGetHostname();
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('a hostile daemon', () => {
  it('a length over 32 MiB closes the connection and settles every call', async () => {
    const { daemon, conn } = await open();
    daemon.handle('connectGetHostname', (_a, ctx) => ctx.silent());
    const calls = [hostname(conn), hostname(conn)];
    await tick();
    daemon.sendRaw(new Uint8Array([0x02, 0x00, 0x00, 0x05]));
    for (const c of calls) await expect(c).rejects.toThrow(/protocol error from the peer: frame length 33554437 is over/);
    expect(await conn.closed).toBeInstanceOf(ConnectionError);
  });

  it('a length under the header size does the same', async () => {
    const { daemon, conn } = await open();
    daemon.handle('connectGetHostname', (_a, ctx) => ctx.silent());
    const call = hostname(conn);
    await tick();
    daemon.sendRaw(new Uint8Array([0, 0, 0, 12]));
    await expect(call).rejects.toBeInstanceOf(ConnectionError);
  });

  it('a reply naming another program fails that call only', async () => {
    const { daemon, conn } = await open();
    daemon.handle('connectGetHostname', (_a, ctx) => {
      ctx.silent();
      daemon.sendRaw(frame({ prog: 0x1234, vers: 1, proc: P.connectGetHostname.number, type: MessageType.REPLY, serial: ctx.header.serial, status: 0 }, P.connectGetHostname.ret, { hostname: 'x' }));
    });
    await expect(hostname(conn)).rejects.toBeInstanceOf(ProtocolError);
    daemon.handle('connectGetHostname', () => ({ hostname: 'still fine' }));
    expect(await hostname(conn)).toBe('still fine');
  });

  it('a reply with another protocol version fails that call only', async () => {
    const { daemon, conn } = await open();
    daemon.handle('connectGetHostname', (_a, ctx) => {
      ctx.silent();
      daemon.sendRaw(frame({ prog: REMOTE_PROGRAM, vers: 2, proc: P.connectGetHostname.number, type: MessageType.REPLY, serial: ctx.header.serial, status: 0 }, P.connectGetHostname.ret, { hostname: 'x' }));
    });
    await expect(hostname(conn)).rejects.toThrow(/version 2/);
  });

  it('ignores and counts replies for unknown serials and duplicate replies', async () => {
    const { daemon, conn } = await open();
    daemon.handle('connectGetHostname', (_a, ctx) => {
      const reply = frame({ prog: REMOTE_PROGRAM, vers: 1, proc: P.connectGetHostname.number, type: MessageType.REPLY, serial: ctx.header.serial, status: 0 }, P.connectGetHostname.ret, { hostname: 'h' });
      ctx.silent();
      daemon.sendRaw(reply);
      daemon.sendRaw(reply); // a duplicate
      daemon.send({ proc: P.connectGetHostname.number, type: MessageType.REPLY, serial: 999_999 }, P.connectGetHostname.ret, { hostname: 'stray' });
    });
    expect(await hostname(conn)).toBe('h');
    await tick();
    expect(conn.stats.droppedReplies).toBe(2);
    expect(await hostname(conn)).toBe('h');
  });

  it('ignores stream data for no stream, and events for unknown callbacks', async () => {
    const { daemon, conn } = await open();
    daemon.handle('connectGetHostname', () => ({ hostname: 'h' }));
    daemon.send({ proc: P.storageVolDownload.number, type: MessageType.STREAM, serial: 77, status: MessageStatus.CONTINUE });
    daemon.event(P.domainEventCallbackLifecycle, { callbackID: 42, msg: { dom: { name: 'd', uuid: new Uint8Array(16), id: 1 }, event: 0, detail: 0 } });
    await tick();
    expect(conn.stats.droppedMessages).toBeGreaterThanOrEqual(1);
    expect(await hostname(conn)).toBe('h');
  });

  it('a partial frame that never completes ends in the call timeout, not a hang', async () => {
    const { daemon, conn } = await open();
    daemon.handle('connectGetHostname', (_a, ctx) => {
      ctx.silent();
      daemon.sendRaw(new Uint8Array([0, 0, 0, 64, 0x20, 0x00])); // 64 bytes promised, 6 sent
    });
    await expect(conn.connectGetHostname({ timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('a reset mid-frame settles every call with ConnectionError', async () => {
    const { daemon, conn } = await open();
    daemon.handle('connectGetHostname', (_a, ctx) => ctx.silent());
    const calls = Array.from({ length: 50 }, () => hostname(conn));
    await tick();
    daemon.sendRaw(new Uint8Array([0, 0, 0, 64, 0x20]));
    daemon.reset();
    const results = await Promise.allSettled(calls);
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof ConnectionError)).toBe(true);
  });

  it('a reply that does not decode fails its call with ProtocolError', async () => {
    const { daemon, conn } = await open();
    daemon.handle('connectGetHostname', (_a, ctx) => {
      ctx.silent();
      daemon.sendRaw(frame({ prog: REMOTE_PROGRAM, vers: 1, proc: P.connectGetHostname.number, type: MessageType.REPLY, serial: ctx.header.serial, status: 0 }, null, undefined));
    });
    await expect(hostname(conn)).rejects.toThrow(/does not decode/);
  });
});
