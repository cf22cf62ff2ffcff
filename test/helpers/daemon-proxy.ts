/**
 * A TCP front for a daemon's unix socket that a test can break on purpose: cut every
 * connection, refuse new ones (the daemon looks down), or hold them (accepted, nothing
 * forwarded) until released, which leaves a client's handshake in flight for as long as the
 * test wants.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';

export type ProxyMode = 'forward' | 'refuse' | 'hold';

export interface DaemonProxy {
  port: number;
  mode: ProxyMode;
  /** Resolves when a held connection has sent its first bytes (a handshake is in flight). */
  nextHeld(): Promise<Socket>;
  /** Forwards held connections (and what they sent) and goes back to forwarding. */
  release(): void;
  /** Destroys every connection, as a daemon that died would. */
  cutAll(): void;
  close(): Promise<void>;
}

export async function daemonProxy(socketPath: string): Promise<DaemonProxy> {
  const live = new Set<Socket>();
  const held: { client: Socket; buffered: Buffer[] }[] = [];
  let heldWaiters: ((s: Socket) => void)[] = [];
  const pipe = (client: Socket, buffered: Buffer[]) => {
    const upstream = netConnect({ path: socketPath });
    live.add(upstream);
    for (const b of buffered) upstream.write(b);
    client.on('data', (b) => upstream.write(b));
    upstream.on('data', (b) => client.write(b));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.on('error', () => client.destroy());
  };
  const proxy: DaemonProxy = {
    port: 0,
    mode: 'forward',
    nextHeld: () => new Promise((r) => heldWaiters.push(r)),
    release: () => {
      proxy.mode = 'forward';
      for (const { client, buffered } of held.splice(0)) {
        client.removeAllListeners('data');
        pipe(client, buffered);
      }
    },
    cutAll: () => {
      for (const s of live) s.destroy();
      live.clear();
    },
    close: () => {
      proxy.cutAll();
      return new Promise((r) => server.close(() => r()));
    },
  };
  const server: Server = createServer((client) => {
    live.add(client);
    client.on('error', () => undefined);
    client.on('close', () => live.delete(client));
    if (proxy.mode === 'refuse') return void client.destroy();
    if (proxy.mode === 'forward') return pipe(client, []);
    const entry = { client, buffered: [] as Buffer[] };
    held.push(entry);
    client.on('data', (b) => {
      entry.buffered.push(b);
      if (entry.buffered.length === 1) for (const w of heldWaiters.splice(0)) w(client);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxy.port = (server.address() as { port: number }).port;
  heldWaiters = [];
  return proxy;
}
