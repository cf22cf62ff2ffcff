/**
 * The bridge: a WebSocket server that relays each client's libvirt stream to a daemon
 * connection of its own, as a door to a root-equivalent service must: every WebSocket
 * authenticated (a bearer token, or a TLS client certificate), browsers only from the allowed
 * Origins, limits on connections, message size and rate, each CALL checked against the policy
 * (policy.ts) and refused with a libvirt error, and one audit line per call (who, procedure,
 * object, result; never payloads).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { type WebSocket, WebSocketServer } from 'ws';
import { VIR_NET_CALL, VIR_NET_ERROR, VIR_NET_REPLY } from '../../protocol/virnet.js';
import { resolveOpen } from '../api/open-options.js';
import { FrameSplitter, HeaderScanner } from '../rpc/frame.js';
import { type MessageHeader, readHeader } from '../rpc/header.js';
import type { Transport } from '../transport/types.js';
import { type PolicyOptions, callReader, refusalFrame } from './policy.js';

export interface BridgeOptions extends PolicyOptions {
  /** Where to listen; plain WebSocket (no `tls`) only on a loopback address. */
  host: string;
  port: number;
  /** The daemon every client is relayed to (one connection each); read-only bridges use its read-only socket. */
  connect: string;
  /** TLS: the server's certificate and key (PEM), and a CA whose client certificates are accepted as authentication. */
  tls?: { cert: string; key: string; clientCa?: string };
  /** Bearer tokens accepted (`Authorization: Bearer T`, or the subprotocol `libvirt-rpc.bearer.T` browsers can send). */
  tokens?: readonly string[];
  /** Origins browsers may connect from (`https://admin.example`); a request with another Origin is refused. */
  allowOrigins?: readonly string[];
  /** WebSockets open at once (default 100). */
  maxConnections?: number;
  /** Largest WebSocket message a client may send (default 4 MiB: libvirt's own message limit is 32 MiB, calls are small). */
  maxMessageBytes?: number;
  /** Messages a client may send per second, on average over a second (default 2000). */
  maxMessagesPerSecond?: number;
  /** Receives one line per call, and per refused or closed connection (default: none). */
  audit?: (entry: AuditEntry) => void;
  /** Environment for the daemon URI's socket paths (default: the process's). */
  env?: Record<string, string | undefined>;
}

export interface AuditEntry {
  time: string;
  /** Who: the token's first 8 hex digits of its SHA-256, or the certificate's subject CN, and the peer address. */
  who: string;
  event: 'call' | 'refused-connection' | 'closed';
  procedure?: string;
  object?: string;
  result?: 'ok' | 'error' | 'denied';
  detail?: string;
}

export interface Bridge {
  /** The port listened on (useful with `port: 0`). */
  port: number;
  /** WebSockets open now. */
  readonly connections: number;
  /** Stops listening and closes every WebSocket and its daemon connection. */
  close(): Promise<void>;
}

const SUBPROTOCOL_PREFIX = 'libvirt-rpc.bearer.';
/** Bytes a WebSocket may hold unsent before the daemon's side is paused. */
const SEND_HIGH_WATER = 8 * 1024 * 1024;
const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/**
 * Starts a bridge.
 *
 * @example
 * ```ts
 * const bridge = await startBridge({ host: '0.0.0.0', port: 8443, connect: 'qemu:///system', tls: { cert, key }, tokens: [token], allowOrigins: ['https://admin.example'], readOnly: true, audit: (e) => console.log(JSON.stringify(e)) });
 * ```
 */
export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  if (!opts.tls && !isLoopback(opts.host)) throw new Error(`a bridge without TLS listens only on loopback, not on ${opts.host}`);
  if (!opts.tokens?.length && !opts.tls?.clientCa) throw new Error('a bridge needs a way to authenticate its clients: bearer tokens, or a CA for client certificates');
  const tokenDigests = (opts.tokens ?? []).map((t) => createHash('sha256').update(t).digest());
  const maxConnections = opts.maxConnections ?? 100;
  const audit = (e: Omit<AuditEntry, 'time'>) => opts.audit?.({ time: new Date().toISOString(), ...e });
  const readCall = callReader(opts, !!opts.audit);

  const server: Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, ...(opts.tls.clientCa ? { ca: opts.tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}) })
    : createHttpServer();
  server.on('request', (_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('this is a libvirt-rpc bridge: connect with a WebSocket\n'));
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxMessageBytes ?? 4 * 1024 * 1024,
    perMessageDeflate: false,
    // A browser that offered the token as a subprotocol needs it answered, or it drops the socket.
    handleProtocols: (protocols: Set<string>) => [...protocols].find((p) => p.startsWith(SUBPROTOCOL_PREFIX)) ?? false,
  });
  const open = new Set<WebSocket>();

  /** Who a request is, or why it is refused. */
  const authenticate = (req: IncomingMessage): { who: string; protocol?: string } | { refused: number; why: string } => {
    const peer = req.socket.remoteAddress ?? '?';
    const origin = req.headers.origin;
    if (origin !== undefined && !opts.allowOrigins?.includes(origin)) return { refused: 403, why: `Origin ${origin} is not allowed` };
    const cert = (req.socket as TLSSocket).authorized ? (req.socket as TLSSocket).getPeerCertificate?.() : undefined;
    if (cert?.subject) return { who: `cert:${cert.subject.CN ?? '?'}@${peer}` };
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const fromProtocol = offered.find((p) => p.startsWith(SUBPROTOCOL_PREFIX));
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? fromProtocol?.slice(SUBPROTOCOL_PREFIX.length);
    if (bearer === undefined) return { refused: 401, why: 'no credentials' };
    const digest = createHash('sha256').update(bearer).digest();
    if (!tokenDigests.some((d) => timingSafeEqual(d, digest))) return { refused: 401, why: 'a wrong token' };
    return { who: `token:${digest.toString('hex').slice(0, 8)}@${peer}`, ...(fromProtocol ? { protocol: fromProtocol } : {}) };
  };

  server.on('upgrade', (req, socket, head) => {
    const refuse = (code: number, why: string) => {
      audit({ who: req.socket.remoteAddress ?? '?', event: 'refused-connection', detail: why });
      socket.end(`HTTP/1.1 ${code} ${code === 503 ? 'Service Unavailable' : code === 403 ? 'Forbidden' : 'Unauthorized'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    if (open.size >= maxConnections) return refuse(503, `more than ${maxConnections} connections`);
    const auth = authenticate(req);
    if ('refused' in auth) return refuse(auth.refused, auth.why);
    wss.handleUpgrade(req, socket, head, (ws) => relay(ws, auth.who));
  });

  const relay = (ws: WebSocket, who: string) => {
    open.add(ws);
    const fromClient = new FrameSplitter();
    // Replies are relayed as they come; only their headers are read, for the audit.
    const fromDaemon = new HeaderScanner();
    /** CALLs in flight, by serial, for the audit line of their replies. */
    const calls = new Map<number, { procedure: string; object: string | undefined }>();
    let daemon: Transport | undefined;
    let queued: Uint8Array[] = [];
    let closed = false;
    let paused = false;
    const end = (detail: string) => {
      if (closed) return;
      closed = true;
      open.delete(ws);
      audit({ who, event: 'closed', detail });
      ws.close(1000);
      daemon?.close();
    };
    // A token bucket: a second's worth of messages, refilled as time passes.
    const rate = opts.maxMessagesPerSecond ?? 2000;
    let budget = rate;
    let refilled = Date.now();

    ws.on('message', (data: Buffer) => {
      const now = Date.now();
      budget = Math.min(rate, budget + ((now - refilled) * rate) / 1000);
      refilled = now;
      if (--budget < 0) {
        ws.close(1008, 'too many messages');
        return end('rate limit');
      }
      try {
        fromClient.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), onClientFrame);
      } catch (e) {
        ws.close(1002, 'not a libvirt stream');
        end(`protocol error: ${(e as Error).message}`);
      }
    });
    ws.on('close', () => end('client closed'));
    ws.on('error', (e) => end(`client error: ${e.message}`));

    const onClientFrame = (frame: Uint8Array, owned: boolean) => {
      const h = readHeader(new DataView(frame.buffer, frame.byteOffset, frame.byteLength), 0);
      if (h.type === VIR_NET_CALL) {
        const call = readCall(h, frame);
        if (call.refused) {
          audit({ who, event: 'call', procedure: call.procedure, ...(call.object ? { object: call.object } : {}), result: 'denied', detail: call.refused });
          ws.send(refusalFrame(h, call.refused));
          return;
        }
        if (opts.audit) calls.set(h.serial, { procedure: call.procedure, object: call.object });
      }
      // A frame the splitter does not hand over is a view of its buffer, reused after this call.
      const bytes = owned ? frame : frame.slice();
      if (daemon) daemon.write(bytes);
      else queued.push(bytes);
    };

    const onDaemonHeader = (h: MessageHeader) => {
      const call = h.type === VIR_NET_REPLY ? calls.get(h.serial) : undefined;
      if (call) {
        calls.delete(h.serial);
        audit({ who, event: 'call', procedure: call.procedure, ...(call.object ? { object: call.object } : {}), result: h.status === VIR_NET_ERROR ? 'error' : 'ok' });
      }
    };

    const { dialer } = resolveOpen(opts.connect, { readonly: !!opts.readOnly, ...(opts.env ? { env: opts.env } : {}) });
    dialer({
      data: (chunk) => {
        if (closed) return;
        // The carrier's read buffer is reused: what ws queues must be a copy.
        ws.send(chunk.slice());
        // A client that reads slower than the daemon sends (a download): stop reading the
        // daemon until the WebSocket has sent what it holds.
        if (ws.bufferedAmount > SEND_HIGH_WATER && daemon?.pause && !paused) {
          paused = true;
          daemon.pause();
          const poll = () => {
            if (closed) return;
            if (ws.bufferedAmount > SEND_HIGH_WATER / 2) return void setTimeout(poll, 10);
            paused = false;
            daemon?.resume?.();
          };
          setTimeout(poll, 10);
        }
        if (opts.audit) {
          try {
            fromDaemon.push(chunk, onDaemonHeader);
          } catch {
            end('daemon protocol error');
          }
        }
      },
      drain: () => undefined,
      closed: (error) => end(error ? `daemon connection lost: ${error.message}` : 'daemon closed'),
    }).then(
      (transport) => {
        if (closed) return transport.close();
        daemon = transport;
        for (const b of queued) transport.write(b);
        queued = [];
      },
      (e: Error) => {
        ws.close(1011, 'the daemon is not reachable');
        end(`cannot reach the daemon: ${e.message}`);
      },
    );
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    get connections() {
      return open.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of open) ws.terminate();
        open.clear();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
