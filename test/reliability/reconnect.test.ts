/**
 * `reconnect`: the daemon dies and another takes its place; calls in flight fail, new calls
 * wait and then succeed, event subscriptions are registered again. Also SIGSTOP/SIGCONT
 * within the keepalive window, and a proxy that silently stops forwarding.
 */
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { AbortError, type Connection, ConnectionError, TimeoutError, connect, VIR_DOMAIN_EVENT_DEFINED } from '../../src/index.js';
import { freePort } from '../harness/ports.js';
import { type DaemonProxy, daemonProxy } from '../helpers/daemon-proxy.js';
import { type ThrowawayDaemon, startThrowawayLibvirtd } from '../harness/daemon.js';
import { forEachGeneration } from '../helpers/libvirtd.js';

const domainXml = (name: string) => `<domain type='test'><name>${name}</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`;

forEachGeneration((generation) => describe('reconnect', () => {
  it('fails in-flight calls, waits new ones, re-registers events', async () => {
    const port = await freePort();
    let daemon: ThrowawayDaemon = await startThrowawayLibvirtd({ generation, name: 'reconnect-a', listenTcp: { port } });
    const uri = `test+tcp://127.0.0.1:${port}/default`;
    const conn = await connect(uri, { reconnect: { initialDelayMs: 50, maxDelayMs: 500 }, keepalive: false });
    try {
      const events: string[] = [];
      await conn.subscribe('domain:lifecycle', (e) => {
        if (e.event === VIR_DOMAIN_EVENT_DEFINED) events.push(e.dom.name);
      });
      daemon.kill('SIGSTOP');
      const inFlight = conn.connectGetCapabilities();
      await new Promise((r) => setTimeout(r, 50));
      daemon.kill('SIGKILL');
      await expect(inFlight).rejects.toBeInstanceOf(ConnectionError);
      await daemon.stop();
      daemon = await startThrowawayLibvirtd({ generation, name: 'reconnect-b', listenTcp: { port } });
      // A new call made while the connection is down waits for the new one.
      expect(await conn.connectGetType()).toBe('TEST');
      expect(conn.reconnects).toBe(1);
      // The subscription was registered on the new daemon.
      const other = await connect(uri, { keepalive: false });
      await other.domainDefineXML(domainXml('after-restart'));
      const end = Date.now() + 5000;
      while (!events.includes('after-restart') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(events).toContain('after-restart');
      await other.close();
    } finally {
      await conn.close();
      await daemon.stop();
    }
    expect(await conn.closed).toBeInstanceOf(ConnectionError);
  });
}));

forEachGeneration((generation) => describe('while a connection is being re-established', () => {
  let daemon: ThrowawayDaemon;
  let proxy: DaemonProxy;
  beforeAll(async () => {
    daemon = await startThrowawayLibvirtd({ generation, name: 'redial' });
  });
  afterAll(() => daemon?.stop());
  beforeEach(async () => {
    proxy = await daemonProxy(daemon.socket);
  });
  afterEach(() => proxy.close());

  const open = (opts: Parameters<typeof connect>[1] = {}) =>
    connect(`test+tcp://127.0.0.1:${proxy.port}/default`, { keepalive: false, reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, ...opts });
  /** Cuts the connection and resolves once `conn` has seen it go (calls made later wait). */
  const cut = async (conn: Connection) => {
    let seen!: () => void;
    const lost = new Promise<void>((r) => (seen = r));
    const stop = await conn.subscribe('connection:closed', () => seen());
    proxy.cutAll();
    await lost;
    await stop();
  };
  /** The daemon looks down: connections cut, new ones refused. */
  const outage = (conn: Connection) => {
    proxy.mode = 'refuse';
    return cut(conn);
  };

  it('a waiting call ends at its own timeoutMs, its signal, or the reconnect wait limit', async () => {
    const conn = await open({ reconnect: { initialDelayMs: 20, maxDelayMs: 200, waitMs: 300 } });
    try {
      await outage(conn);
      await expect(conn.connectGetType({ timeoutMs: 300 })).rejects.toBeInstanceOf(TimeoutError);
      await expect(conn.connectGetType({ signal: AbortSignal.timeout(300) })).rejects.toBeInstanceOf(AbortError);
      await expect(conn.connectGetType()).rejects.toThrow(/waited 300 ms for the lost connection/);
      // A call whose timeout outlasts the outage goes through once the daemon is back.
      const patient = conn.connectGetType({ timeoutMs: 600_000 });
      proxy.mode = 'forward';
      expect(await patient).toBe('TEST');
      expect(conn.reconnects).toBe(1);
    } finally {
      await conn.close();
    }
  });

  it('the setup signal governs setup only: a redial after it fired still connects', async () => {
    const setup = new AbortController();
    const conn = await open({ signal: setup.signal, reconnect: { initialDelayMs: 20, maxDelayMs: 200, maxAttempts: 50 } });
    try {
      setup.abort();
      await cut(conn);
      expect(await conn.connectGetType({ timeoutMs: 600_000 })).toBe('TEST');
      expect(conn.reconnects).toBe(1);
    } finally {
      await conn.close();
    }
  });

  it('close() during a redial handshake adopts nothing and settles the waiting call', async () => {
    const conn = await open();
    proxy.mode = 'hold';
    const held = proxy.nextHeld();
    proxy.cutAll();
    const heldSocket = await held; // the redial's first bytes are at the proxy, unanswered
    const waiting = conn.connectGetType({ timeoutMs: 600_000 });
    const heldClosed = new Promise((r) => heldSocket.once('close', r));
    const closing = conn.close();
    proxy.release(); // the daemon would now answer the handshake
    await closing;
    await expect(waiting).rejects.toBeInstanceOf(ConnectionError);
    expect(conn.isOpen).toBe(false);
    expect(conn.reconnects).toBe(0);
    await heldClosed; // the redial's socket went with close()
    expect((await conn.closed).reason).toBe('client');
  });

  it('close() during the backoff wait leaves nothing that keeps the process running', async () => {
    // A child process that loses its connection, closes during a ten-minute backoff, and must
    // then exit by itself: a timer or socket left behind would keep it alive.
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/close-while-reconnecting.ts', `test+tcp://127.0.0.1:${proxy.port}/default`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    await new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('connected') && resolve()));
    proxy.cutAll();
    const code = await new Promise((r) => child.once('exit', r));
    expect(out).toContain('closed');
    expect({ code, out }).toEqual({ code: 0, out: 'connected\nclosed\n' });
  });
}));

forEachGeneration((generation) => describe('a daemon that pauses or a network that drops', () => {
  it('survives SIGSTOP and SIGCONT within the keepalive window', async () => {
    const daemon = await startThrowawayLibvirtd({ generation, name: 'stopcont' });
    try {
      const conn = await connect(daemon.testUri, { keepalive: { intervalMs: 200, count: 5 } });
      daemon.kill('SIGSTOP');
      const call = conn.connectGetType();
      await new Promise((r) => setTimeout(r, 500));
      daemon.kill('SIGCONT');
      expect(await call).toBe('TEST');
      expect(conn.isOpen).toBe(true);
      await conn.close();
    } finally {
      await daemon.stop();
    }
  });

  it('a proxy that silently stops forwarding is found dead by keepalive', async () => {
    const daemon = await startThrowawayLibvirtd({ generation, name: 'blackhole' });
    let dropping = false;
    const sockets: Socket[] = [];
    const proxy = createServer((client) => {
      const upstream = netConnect({ path: daemon.socket });
      sockets.push(client, upstream);
      client.on('data', (b) => void (dropping || upstream.write(b)));
      upstream.on('data', (b) => void (dropping || client.write(b)));
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const { port } = proxy.address() as { port: number };
    try {
      const conn = await connect(`test+tcp://127.0.0.1:${port}/default`, { keepalive: { intervalMs: 200, count: 2 } });
      expect(await conn.connectGetType()).toBe('TEST');
      dropping = true;
      const started = Date.now();
      await expect(conn.connectGetHostname()).rejects.toThrow(/keepalive/);
      expect(Date.now() - started).toBeLessThanOrEqual(200 * 3 + 300);
    } finally {
      for (const s of sockets) s.destroy();
      proxy.close();
      await daemon.stop();
    }
  });
}));
