/**
 * The WebSocket carrier against a real libvirtd, through a plain relay on loopback (one
 * WebSocket, one daemon connection, bytes both ways): the read-only sweep over `test+ws://`
 * compared with python3-libvirt on the daemon's own socket, a data stream, events, and the
 * ways a WebSocket ends (refused, closed by the far side, a text message, a dead port).
 */
import { type AddressInfo, createConnection } from 'node:net';
import { WebSocketServer } from 'ws';
import { Connection, ConnectionError, connect } from '../../src/index.js';
import { websocketDialer } from '../../src/transport/websocket.js';
import type { ThrowawayDaemon } from '../harness/daemon.js';
import { freePort } from '../harness/ports.js';
import { sharedDaemon } from '../helpers/libvirtd.js';
import { CASES, cReference, ours } from '../helpers/sweep-cases.js';

let daemon: ThrowawayDaemon;
let relay: WebSocketServer;
let port: number;
const relayToDaemon = (ws: import('ws').WebSocket) => {
  const sock = createConnection({ path: daemon.socket });
  sock.on('data', (b) => ws.send(b));
  sock.on('close', () => ws.close());
  sock.on('error', () => ws.close(1011));
  ws.on('message', (b: Buffer) => sock.write(b));
  ws.on('close', () => sock.destroy());
};
/** What the relay does with each new WebSocket; by default, relay it to the daemon. */
let onSocket: (ws: import('ws').WebSocket, protocols: string | undefined) => void = relayToDaemon;

beforeAll(async () => {
  daemon = await sharedDaemon();
  relay = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => relay.once('listening', r));
  port = (relay.address() as AddressInfo).port;
  relay.on('connection', (ws, req) => onSocket(ws, req.headers['sec-websocket-protocol']));
});
beforeEach(() => {
  onSocket = relayToDaemon;
});
afterAll(async () => {
  await new Promise((r) => relay?.close(r));
});

describe('read-only sweep over test+ws://, against python3-libvirt on the socket', () => {
  let conn: Connection;
  let theirs: unknown[];
  beforeAll(async () => {
    conn = await connect(`test+ws://127.0.0.1:${port}/default`);
    theirs = await cReference(daemon, daemon.testUri);
  });
  afterAll(() => conn?.close());
  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', async (_n, i) => {
    expect(await ours(conn, i)).toEqual(theirs[i]);
  });
});

describe('the WebSocket carrier', () => {
  it('carries a data stream and events, and offers the subprotocols it is given', async () => {
    let offered: string | undefined;
    onSocket = (ws, protocols) => {
      offered = protocols;
      relayToDaemon(ws);
    };
    const conn = await Connection.open(websocketDialer(`ws://127.0.0.1:${port}/`, { protocols: ['libvirt-rpc.bearer.abc'] }), 'ws', 'test:///default');
    try {
      expect(offered).toBe('libvirt-rpc.bearer.abc');
      const dom = await conn.domains.lookupByName('test');
      let saw!: (e: unknown) => void;
      const seen = new Promise((resolve) => (saw = resolve));
      const stop = await conn.subscribe('domain:lifecycle', (e) => saw(e), { filter: dom.wire });
      await dom.suspend();
      await expect(seen).resolves.toMatchObject({ event: expect.any(Number) });
      await stop();
      await dom.resume();
      // A stream over the carrier: the test driver's screenshot.
      const { stream } = await conn.domainScreenshot(dom.wire, 0, 0);
      let bytes = 0;
      for await (const chunk of stream.chunks()) bytes += chunk.length;
      expect(bytes).toBeGreaterThan(0);
    } finally {
      await conn.close();
    }
  });

  it('fails a dial the far side refuses, and a dead port, as ConnectionError', async () => {
    onSocket = (ws) => ws.close(4001, 'no token');
    await expect(connect(`test+ws://127.0.0.1:${port}/default`)).rejects.toThrow(ConnectionError);
    const dead = await freePort();
    await expect(connect(`test+ws://127.0.0.1:${dead}/default`, { timeoutMs: 10_000 })).rejects.toThrow(/WebSocket ws:\/\/127\.0\.0\.1:\d+\//);
  });

  it('ends the connection when the far side closes it, or sends text', async () => {
    let server: import('ws').WebSocket | undefined;
    onSocket = (ws) => {
      server = ws;
      relayToDaemon(ws);
    };
    const conn = await connect(`test+ws://127.0.0.1:${port}/default`);
    server!.close(1011, 'going away');
    await expect(conn.closed).resolves.toMatchObject({ reason: 'error', message: expect.stringMatching(/closed with code 1011 \(going away\)/) });

    const conn2 = await connect(`test+ws://127.0.0.1:${port}/default`);
    server!.send('hello');
    await expect(conn2.closed).resolves.toMatchObject({ message: expect.stringMatching(/sent a text message/) });
    await expect(conn2.connectGetLibVersion()).rejects.toThrow(ConnectionError);
  });

  it('reconnects when the far side drops it, as on every carrier, and aborts a dial when asked', async () => {
    const servers: import('ws').WebSocket[] = [];
    let redialed!: () => void;
    const second = new Promise<void>((r) => (redialed = r));
    onSocket = (ws) => {
      servers.push(ws);
      relayToDaemon(ws);
      if (servers.length === 2) redialed();
    };
    const conn = await connect(`test+ws://127.0.0.1:${port}/default`, { reconnect: { initialDelayMs: 50 } });
    try {
      expect(await conn.connectGetLibVersion()).toBeGreaterThan(0n);
      servers[0]!.close(1011, 'restarting');
      // Once the client dials again, a new call waits for the new connection.
      await second;
      expect(await conn.connectGetLibVersion()).toBeGreaterThan(0n);
      expect(conn.reconnects).toBe(1);
      expect(servers).toHaveLength(2);
    } finally {
      await conn.close();
    }
    onSocket = () => undefined; // accepts, never answers
    const ctl = new AbortController();
    const dial = connect(`test+ws://127.0.0.1:${port}/default`, { signal: ctl.signal });
    ctl.abort();
    await expect(dial).rejects.toThrow(/abort/i);
  });

  it('needs the bridge host in the URI', async () => {
    await expect(connect('test+ws:///default')).rejects.toThrow("the ws transport needs the bridge's host");
  });
});
