/**
 * Connection setup as one job: one deadline and one signal from the dial to the open, a
 * broken peer reported as what it is, and every failure to reach a daemon a ConnectionError
 * with the operating system's code.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '../../src/api/connection.js';
import { connect } from '../../src/api/connect.js';
import { AbortError, ConnectionError, ProtocolError } from '../../src/errors.js';
import { MessageType } from '../../src/rpc/header.js';
import { FakeDaemon, frame } from '../../src/testing/fake-daemon.js';
import { REMOTE_AUTH_SASL, REMOTE_PROGRAM } from '../../protocol/remote.js';
import { remoteProcedures as P } from '../../protocol/remote-procedures.js';
import type { Dialer } from '../../src/transport/types.js';
import { freePort } from '../harness/ports.js';

const open = (dialer: Dialer, opts: Parameters<typeof Connection.open>[3] = {}) => Connection.open(dialer, 'test:///default', 'test:///default', { keepalive: false, ...opts });

/** A dialer that reports when it is closed, around the fake daemon's. */
function watched(daemon: FakeDaemon): { dialer: Dialer; closed: Promise<void> } {
  let markClosed!: () => void;
  const closed = new Promise<void>((r) => (markClosed = r));
  const inner = daemon.dialer();
  const dialer: Dialer = async (events, signal) => {
    const t = await inner({ ...events, closed: (e) => (markClosed(), events.closed(e)) }, signal);
    return { ...t, close: () => (markClosed(), t.close()) };
  };
  return { dialer, closed };
}

describe('one signal for the whole setup', () => {
  it('aborting during authentication rejects with AbortError and tears the transport down', async () => {
    const daemon = new FakeDaemon();
    let saslInitArrived!: () => void;
    const arrived = new Promise<void>((r) => (saslInitArrived = r));
    daemon.handle('authList', () => ({ types: [REMOTE_AUTH_SASL] }));
    daemon.handle('authSaslInit', (_a, ctx) => {
      ctx.silent();
      saslInitArrived();
    });
    const { dialer, closed } = watched(daemon);
    const ctl = new AbortController();
    const opening = open(dialer, { signal: ctl.signal, timeoutMs: 600_000 });
    await arrived;
    ctl.abort();
    const err = await opening.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    await closed;
  });

  it('a signal that fires after the open does nothing to the connection', async () => {
    const daemon = new FakeDaemon().handle('connectGetHostname', () => ({ hostname: 'still here' }));
    const ctl = new AbortController();
    const conn = await open(daemon.dialer(), { signal: ctl.signal });
    ctl.abort();
    expect(await conn.connectGetHostname()).toBe('still here');
    expect(conn.isOpen).toBe(true);
    await conn.close();
  });
});

describe('one deadline for the whole setup', () => {
  afterEach(() => jest.useRealTimers());

  it('the dial and the handshake share timeoutMs rather than getting it each', async () => {
    jest.useFakeTimers();
    const daemon = new FakeDaemon();
    daemon.handle('connectOpen', (_a, ctx) => ctx.silent());
    const inner = daemon.dialer();
    // The dial takes 600 of the 1,000 ms; the daemon never answers the open.
    const slowDial: Dialer = (events, signal) => new Promise((resolve) => setTimeout(() => resolve(inner(events, signal)), 600));
    let outcome: unknown;
    const opening = open(slowDial, { timeoutMs: 1000 }).then(
      () => (outcome = 'opened'),
      (e: unknown) => (outcome = e),
    );
    await jest.advanceTimersByTimeAsync(1001);
    expect(outcome).toBeInstanceOf(ConnectionError);
    expect((outcome as Error).message).toMatch(/took longer than 1000 ms/);
    await opening;
  });
});

describe('a peer that breaks the protocol during the open', () => {
  const answers: Record<string, (serial: number) => Uint8Array> = {
    'a CALL instead of a reply': (serial) => frame({ prog: REMOTE_PROGRAM, vers: 1, proc: P.connectOpen.number, type: MessageType.CALL, serial, status: 0 }, null, undefined),
    'a message type no daemon sends': (serial) => frame({ prog: REMOTE_PROGRAM, vers: 1, proc: P.connectOpen.number, type: 9, serial, status: 0 }, null, undefined),
    'a reply with bytes left over': (serial) => {
      const f = frame({ prog: REMOTE_PROGRAM, vers: 1, proc: P.connectOpen.number, type: MessageType.REPLY, serial, status: 0 }, null, undefined);
      const longer = new Uint8Array(f.length + 4);
      longer.set(f);
      new DataView(longer.buffer).setUint32(0, longer.length);
      return longer;
    },
  };
  for (const [what, answer] of Object.entries(answers)) {
    it(`${what}: the open fails at once with ProtocolError`, async () => {
      const daemon = new FakeDaemon();
      daemon.handle('connectOpen', (_a, ctx) => {
        ctx.silent();
        daemon.sendRaw(answer(ctx.header.serial));
      });
      // A generous deadline: reaching it instead of the ProtocolError would fail the test.
      const err = await open(daemon.dialer(), { timeoutMs: 600_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProtocolError);
    });
  }

  it('a server that is not libvirtd (it greets first) fails the open with ProtocolError', async () => {
    const server = createServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = server.address() as { port: number };
      const err = await connect(`test+tcp://127.0.0.1:${port}/default`, { keepalive: false, timeoutMs: 600_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as Error).message).toMatch(/frame length/);
    } finally {
      server.close();
    }
  });
});

describe('every failure to reach a daemon is a ConnectionError with the OS code', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvr-dial-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const expectRefused = async (uri: string, code: string, extra: Parameters<typeof connect>[1] = {}) => {
    const err = await connect(uri, { keepalive: false, ...extra }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe(code);
    expect((err as Error).cause).toBeDefined();
  };

  it('unix: a socket that does not exist', () => expectRefused(`test+unix:///default?socket=${join(dir, 'nope.sock')}`, 'ENOENT'));
  it('tcp: nobody listening', async () => expectRefused(`test+tcp://127.0.0.1:${await freePort()}/default`, 'ECONNREFUSED'));
  it('tls: nobody listening', async () =>
    expectRefused(`test+tls://127.0.0.1:${await freePort()}/default?no_verify=1`, 'ECONNREFUSED', { tls: { noVerify: true } }));
  it('ssh: nobody listening', async () =>
    expectRefused(`test+ssh://user@127.0.0.1:${await freePort()}/default?known_hosts_verify=ignore`, 'ECONNREFUSED', { ssh: { password: 'unused' } }));
  it('ssh: nobody listening and no way to log in: the refusal is what is reported', async () => {
    const port = await freePort();
    await expectRefused(`test+ssh://user@127.0.0.1:${port}/default?known_hosts_verify=ignore&sshauth=password`, 'ECONNREFUSED');
    const err = (await connect(`test+ssh://user@127.0.0.1:${port}/default?known_hosts_verify=ignore&sshauth=password`, { keepalive: false }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(new RegExp(`^cannot connect to ssh server 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
  });
  it('ssh: a server that answers but no way to log in: that is what is reported', async () => {
    const server = createServer((sock) => sock.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = server.address() as { port: number };
      const err = await connect(`test+ssh://user@127.0.0.1:${port}/default?known_hosts_verify=ignore&sshauth=password`, { keepalive: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toMatch(/^ssh to 127\.0\.0\.1: no way to log in/);
    } finally {
      server.close();
    }
  });
  it('ext: a command that does not exist', () => expectRefused(`test+ext:///default?command=${join(dir, 'no-such-command')}`, 'ENOENT'));
});

describe('aborting in the middle of a carrier handshake', () => {
  it('TLS: a server that never answers the handshake, aborted, rejects with AbortError', async () => {
    const sockets: Socket[] = [];
    let accepted!: () => void;
    const reached = new Promise<void>((r) => (accepted = r));
    const server: Server = createServer((s) => (sockets.push(s), accepted()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    try {
      const ctl = new AbortController();
      const dialing = connect(`test+tls://127.0.0.1:${port}/default`, { keepalive: false, tls: { noVerify: true }, signal: ctl.signal, timeoutMs: 600_000 });
      await reached;
      ctl.abort();
      expect(await dialing.catch((e: unknown) => e)).toBeInstanceOf(AbortError);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
