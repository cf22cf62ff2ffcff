/**
 * The bridge against a real libvirtd, from Node's WebSocket client: who gets in (token as a
 * header or as a browser's subprotocol, Origin), the read-only and allow-list policies and
 * their libvirt errors, the audit lines, a message over the limit closing only its own
 * client, the connection limit, and a hundred WebSockets at once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, ConnectionError, LibvirtError, VIR_DOMAIN_XML_SECURE, VIR_ERR_OPERATION_DENIED, connect } from '../../src/index.js';
import { type AuditEntry, type Bridge, type BridgeOptions, startBridge } from '../../src/bridge/server.js';
import { websocketDialer } from '../../src/transport/websocket.js';
import type { ThrowawayDaemon } from '../harness/daemon.js';
import { type TestPki, makeTestPki } from '../harness/certificates.js';
import { REPO } from '../harness/repo.js';
import { sharedDaemon } from '../helpers/libvirtd.js';
import { ours } from '../helpers/cli.js';

const TOKEN = 'a-test-token-of-some-length';
let daemon: ThrowawayDaemon;
const bridges: Bridge[] = [];

beforeAll(async () => {
  daemon = await sharedDaemon();
});
afterAll(async () => {
  await Promise.all(bridges.map((b) => b.close()));
});

async function bridge(opts: Partial<BridgeOptions> = {}): Promise<{ bridge: Bridge; audit: AuditEntry[]; url: string }> {
  const audit: AuditEntry[] = [];
  const b = await startBridge({ host: '127.0.0.1', port: 0, connect: daemon.testUri, env: daemon.env, tokens: [TOKEN], audit: (e) => audit.push(e), ...opts });
  bridges.push(b);
  return { bridge: b, audit, url: `ws://127.0.0.1:${b.port}/` };
}

const open = (url: string, ws: Parameters<typeof websocketDialer>[1] = { headers: { authorization: `Bearer ${TOKEN}` } }) =>
  Connection.open(websocketDialer(url, ws), url, 'test:///default', { timeoutMs: 15_000 });

describe('who gets in', () => {
  it('a token as a bearer header or as the subprotocol a browser sends; nobody without one, or with a wrong one', async () => {
    const { url, audit } = await bridge();
    const byHeader = await open(url);
    const direct = await connect(daemon.testUri);
    expect(await byHeader.connectGetHostname()).toBe(await direct.connectGetHostname());
    await direct.close();
    await byHeader.close();
    const byProtocol = await open(url, { protocols: [`libvirt-rpc.bearer.${TOKEN}`] });
    expect((await byProtocol.connectListAllDomains(1, 0)).domains.map((d) => d.name)).toEqual(['test']);
    await byProtocol.close();
    await expect(open(url, {})).rejects.toThrow(ConnectionError);
    await expect(open(url, { headers: { authorization: 'Bearer wrong' } })).rejects.toThrow(ConnectionError);
    expect(audit.filter((e) => e.event === 'refused-connection').map((e) => e.detail)).toEqual(['no credentials', 'a wrong token']);
  });

  it('a browser only from an allowed Origin', async () => {
    const { url } = await bridge({ allowOrigins: ['https://admin.example'] });
    await expect(open(url, { headers: { authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' } })).rejects.toThrow(ConnectionError);
    const ok = await open(url, { headers: { authorization: `Bearer ${TOKEN}`, origin: 'https://admin.example' } });
    await ok.close();
  });

  it('refuses to start without authentication, or plain on a non-loopback address', async () => {
    await expect(startBridge({ host: '127.0.0.1', port: 0, connect: daemon.testUri })).rejects.toThrow('needs a way to authenticate');
    await expect(startBridge({ host: '0.0.0.0', port: 0, connect: daemon.testUri, tokens: [TOKEN] })).rejects.toThrow('only on loopback');
  });
});

describe('over TLS', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki(mkdtempSync(join(tmpdir(), 'bridge-pki-')));
  });
  const read = (f: string) => readFileSync(f, 'utf8');

  it('a token over wss://, checked against the CA it is given', async () => {
    const { bridge: b } = await bridge({ tls: { cert: read(pki.server.cert), key: read(pki.server.key) } });
    const url = `wss://127.0.0.1:${b.port}/`;
    const conn = await open(url, { headers: { authorization: `Bearer ${TOKEN}` }, tls: { ca: read(pki.ca.cert) } });
    expect(await conn.connectGetLibVersion()).toBeGreaterThan(0n);
    await conn.close();
    await expect(open(url, { headers: { authorization: `Bearer ${TOKEN}` }, tls: { ca: read(pki.otherCa.cert) } })).rejects.toThrow(ConnectionError);
  });

  it('a client certificate from the CA it trusts, instead of a token; none, or a stranger, is refused', async () => {
    const { bridge: b, audit } = await bridge({ tokens: [], tls: { cert: read(pki.server.cert), key: read(pki.server.key), clientCa: read(pki.ca.cert) } });
    const url = `wss://127.0.0.1:${b.port}/`;
    const ca = read(pki.ca.cert);
    const conn = await open(url, { tls: { ca, cert: read(pki.client.cert), key: read(pki.client.key) } });
    expect(await conn.connectGetLibVersion()).toBeGreaterThan(0n);
    await conn.close();
    await expect(open(url, { tls: { ca } })).rejects.toThrow(ConnectionError);
    await expect(open(url, { tls: { ca, cert: read(pki.strangerClient.cert), key: read(pki.strangerClient.key) } })).rejects.toThrow(ConnectionError);
    expect(audit).toContainEqual(expect.objectContaining({ event: 'call', procedure: 'connectGetLibVersion', who: expect.stringMatching(/^cert:/) }));
  });
});

describe('the policy', () => {
  it('read-only: lists and reads pass, a destroy and a secure dump are refused with a libvirt error, and the connection goes on', async () => {
    const { url, audit } = await bridge({ readOnly: true });
    const conn = await open(url);
    try {
      const [dom] = (await conn.connectListAllDomains(1, 0)).domains;
      expect(await conn.domainGetXMLDesc(dom!, 0)).toContain('<name>test</name>');
      const denied = await conn.domainDestroy(dom!).catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(LibvirtError);
      expect((denied as LibvirtError).code).toBe(VIR_ERR_OPERATION_DENIED);
      expect((denied as LibvirtError).message).toContain('domainDestroy is refused by this read-only bridge');
      await expect(conn.domainGetXMLDesc(dom!, VIR_DOMAIN_XML_SECURE)).rejects.toThrow('domainGetXMLDesc is refused');
      expect((await conn.domainGetInfo(dom!)).state).toBe(1);
      expect(audit).toContainEqual(expect.objectContaining({ event: 'call', procedure: 'domainDestroy', object: 'test', result: 'denied' }));
      expect(audit).toContainEqual(expect.objectContaining({ event: 'call', procedure: 'connectListAllDomains', result: 'ok' }));
      // Never payloads: no entry carries the XML.
      expect(JSON.stringify(audit)).not.toContain('<domain');
    } finally {
      await conn.close();
    }
  });

  it('an allow-list: only the procedures named, besides opening and closing', async () => {
    const { url } = await bridge({ allow: ['connectGetLibVersion'] });
    const conn = await open(url);
    try {
      expect(await conn.connectGetLibVersion()).toBeGreaterThan(0n);
      await expect(conn.connectGetHostname()).rejects.toThrow("connectGetHostname is not in this bridge's allow-list");
    } finally {
      await conn.close();
    }
  });

  it('a daemon error comes back as it is, and is audited as an error', async () => {
    const { url, audit } = await bridge();
    const conn = await open(url);
    await expect(conn.domainLookupByName('no-such-domain')).rejects.toThrow(LibvirtError);
    await conn.close();
    expect(audit).toContainEqual(expect.objectContaining({ procedure: 'domainLookupByName', object: 'no-such-domain', result: 'error' }));
  });
});

describe('limits', () => {
  it('a message over the limit closes only its own client', async () => {
    const { url } = await bridge({ maxMessageBytes: 64 * 1024 });
    const big = await open(url);
    const other = await open(url);
    const xml = `<domain type='test'><name>big</name><description>${'x'.repeat(100_000)}</description><memory>1024</memory><os><type>hvm</type></os></domain>`;
    await expect(big.domainDefineXML(xml)).rejects.toThrow(ConnectionError);
    expect(await other.connectGetLibVersion()).toBeGreaterThan(0n);
    await other.close();
  });

  it('holds a hundred WebSockets at once, and refuses the one past its limit', async () => {
    const { url, bridge: b } = await bridge({ maxConnections: 100 });
    const conns = await Promise.all(Array.from({ length: 100 }, () => open(url)));
    try {
      expect(b.connections).toBe(100);
      const lists = await Promise.all(conns.map((c) => c.connectListAllDomains(1, 0)));
      expect(lists.every((l) => l.domains.length === 1)).toBe(true);
      await expect(open(url)).rejects.toThrow(ConnectionError);
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  }, 120_000);

  it('a daemon it cannot reach closes the WebSocket', async () => {
    const { url } = await bridge({ connect: `test+unix:///default?socket=${daemon.dir}/no-such-socket` });
    await expect(open(url)).rejects.toThrow(/1011|closed/);
  });
});

describe('libvirt-rpc bridge', () => {
  it('relays until SIGTERM, printing where it listens and one audit line per call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-cli-'));
    writeFileSync(join(dir, 'tokens'), `${TOKEN}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/bin.ts'), 'bridge', '--listen', '127.0.0.1:0', '--plain', '--connect', daemon.testUri, '--token-file', join(dir, 'tokens'), '--read-only'], {
      cwd: REPO,
      env: { ...process.env, ...daemon.env, NODE_OPTIONS: '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (b: Buffer) => {
        err += b;
        const m = /listening on (ws:\/\/127\.0\.0\.1:\d+\/)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`the bridge exited (${code}): ${err}`)));
    });
    const conn = await open(url);
    await conn.connectListAllDomains(1, 0);
    await conn.close();
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
    expect(lines).toContainEqual(expect.objectContaining({ event: 'call', procedure: 'connectListAllDomains', result: 'ok', who: expect.stringMatching(/^token:[0-9a-f]{8}@/) }));
  }, 60_000);

  it('refuses what it cannot run safely, as its errors say', async () => {
    expect(await ours(daemon.testUri, ['bridge', '--listen', 'nope'])).toMatchObject({ code: 1, err: "error: --listen takes HOST:PORT (got 'nope')\n" });
    expect(await ours(daemon.testUri, ['bridge', '--listen', '127.0.0.1:0'])).toMatchObject({ code: 1, err: 'error: the bridge needs --tls-cert and --tls-key, or --plain on a loopback address\n' });
    expect(await ours(daemon.testUri, ['bridge', '--listen', '0.0.0.0:0', '--plain', '--token-file', '/dev/null'])).toMatchObject({ code: 1, err: 'error: no tokens in /dev/null\n' });
  });
});
