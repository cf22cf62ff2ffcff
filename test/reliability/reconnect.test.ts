/**
 * `reconnect`: the daemon dies and another takes its place; calls in flight fail, new calls
 * wait and then succeed, event subscriptions are registered again. Also SIGSTOP/SIGCONT
 * within the keepalive window, and a proxy that silently stops forwarding.
 */
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { ConnectionError, connect, VIR_DOMAIN_EVENT_DEFINED } from '../../src/index.js';
import { freePort } from '../../scripts/ports.js';
import { type ThrowawayDaemon, startThrowawayLibvirtd } from '../../scripts/throwaway-libvirtd.js';

const domainXml = (name: string) => `<domain type='test'><name>${name}</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`;

describe('reconnect', () => {
  it('fails in-flight calls, waits new ones, re-registers events', async () => {
    const port = await freePort();
    let daemon: ThrowawayDaemon = await startThrowawayLibvirtd({ name: 'reconnect-a', listenTcp: { port } });
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
      daemon = await startThrowawayLibvirtd({ name: 'reconnect-b', listenTcp: { port } });
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
});

describe('a daemon that pauses or a network that drops', () => {
  it('survives SIGSTOP and SIGCONT within the keepalive window', async () => {
    const daemon = await startThrowawayLibvirtd({ name: 'stopcont' });
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
    const daemon = await startThrowawayLibvirtd({ name: 'blackhole' });
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
});
