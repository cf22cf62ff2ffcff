/**
 * `libvirt-rpc bridge`: the WebSocket bridge (src/bridge) as a command, beyond virsh. It runs
 * until SIGINT or SIGTERM, says where it listens on stderr, and prints the audit as one JSON
 * line per entry on stdout.
 */
import { readFileSync } from 'node:fs';
import type { Registry } from './registry.js';
import { integerValue } from './virsh-options.js';

export interface BridgeCliOptions {
  listen: string;
  connect?: string;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  tokenFile?: string;
  allowOrigin?: string[];
  readOnly?: boolean;
  allow?: string;
  plain?: boolean;
  maxConnections?: string;
  maxMessageBytes?: string;
}

/** `HOST:PORT`, `[V6]:PORT`, or `:PORT` (all addresses), as the bridge listens. */
export function listenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--listen takes HOST:PORT (got '${text}')`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function register({ program, io, fail }: Registry): void {
  program
    .command('bridge')
    .description('relay WebSockets to a daemon, guarded (libvirt-rpc only)')
    .requiredOption('--listen <host:port>', 'where to listen (plain WebSocket only on loopback, with --plain)')
    .option('--connect <uri>', 'the daemon every client is relayed to (default: -c, else LIBVIRT_DEFAULT_URI)')
    .option('--tls-cert <file>', "the server's certificate (PEM)")
    .option('--tls-key <file>', "the server's key (PEM)")
    .option('--client-ca <file>', 'accept client certificates signed by this CA as authentication')
    .option('--token-file <file>', 'bearer tokens, one per line')
    .option('--allow-origin <origin>', 'an Origin browsers may connect from (more than once)', (o: string, all: string[] = []) => [...all, o])
    .option('--read-only', 'refuse every call that changes state (by the protocol\u2019s ACL annotations)')
    .option('--allow <procedures>', 'only these procedures, comma separated (connectListAllDomains,...)')
    .option('--plain', 'no TLS (loopback only)')
    .option('--max-connections <n>', 'WebSockets open at once (default 100)')
    .option('--max-message-bytes <n>', 'largest message a client may send (default 4194304)')
    .action(async (o: BridgeCliOptions) => {
      let bridge: Awaited<ReturnType<typeof import('../bridge/server.js').startBridge>>;
      try {
        const { host, port } = listenAddress(o.listen);
        if (!o.plain && !(o.tlsCert && o.tlsKey)) throw new Error('the bridge needs --tls-cert and --tls-key, or --plain on a loopback address');
        if (o.plain && (o.tlsCert || o.tlsKey)) throw new Error('--plain and --tls-cert/--tls-key exclude each other');
        const g = program.opts<{ connect?: string[] }>();
        const connect = o.connect ?? g.connect?.at(-1) ?? io.env.LIBVIRT_DEFAULT_URI;
        if (!connect) throw new Error('the bridge needs the daemon to relay to: --connect URI');
        const tokens = o.tokenFile
          ? readFileSync(o.tokenFile, 'utf8')
              .split('\n')
              .map((t) => t.trim())
              .filter(Boolean)
          : undefined;
        if (o.tokenFile && !tokens?.length) throw new Error(`no tokens in ${o.tokenFile}`);
        const maxConnections = o.maxConnections === undefined ? undefined : Number(integerValue('max-connections', o.maxConnections, 1n, 100_000n));
        const maxMessageBytes = o.maxMessageBytes === undefined ? undefined : Number(integerValue('max-message-bytes', o.maxMessageBytes, 1024n, 33_554_432n));
        const { startBridge } = await import('../bridge/server.js');
        bridge = await startBridge({
          host,
          port,
          connect,
          env: io.env,
          ...(o.tlsCert && o.tlsKey ? { tls: { cert: readFileSync(o.tlsCert, 'utf8'), key: readFileSync(o.tlsKey, 'utf8'), ...(o.clientCa ? { clientCa: readFileSync(o.clientCa, 'utf8') } : {}) } } : {}),
          ...(tokens ? { tokens } : {}),
          ...(o.allowOrigin ? { allowOrigins: o.allowOrigin } : {}),
          ...(o.readOnly ? { readOnly: true } : {}),
          ...(o.allow ? { allow: o.allow.split(',').map((p) => p.trim()).filter(Boolean) } : {}),
          ...(maxConnections ? { maxConnections } : {}),
          ...(maxMessageBytes ? { maxMessageBytes } : {}),
          audit: (e) => io.stdout(JSON.stringify(e) + '\n'),
        });
      } catch (e) {
        fail((e as Error).message);
        return;
      }
      io.stderr(`bridge: listening on ${o.tlsCert ? 'wss' : 'ws'}://${o.listen.replace(/:\d+$/, '')}:${bridge.port}/\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void bridge.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
