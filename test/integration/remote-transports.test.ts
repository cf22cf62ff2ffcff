/**
 * TCP, TLS and ext against real listening daemons on loopback: the read-only sweep runs over
 * each (compared with python3-libvirt over the same URI), and TLS refuses what it must.
 */
import { existsSync, mkdtempSync, mkdirSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, ConnectionError, connect } from '../../src/index.js';
import { pkiFiles } from '../../src/locate/pki.js';
import { tlsDialer } from '../../src/transport/tls.js';
import { type TestPki, makeTestPki } from '../harness/certificates.js';
import { type DaemonGeneration, type ThrowawayDaemon, startThrowawayLibvirtd } from '../harness/daemon.js';
import { forEachGeneration } from '../helpers/libvirtd.js';
import { freePort } from '../harness/ports.js';
import { CASES, cReference, ours } from '../helpers/sweep-cases.js';

/** A pkipath= directory in libvirt's layout, usable by both clients. */
function pkiDir(pki: TestPki, name: string, client: { cert: string; key: string } | null, ca = pki.ca.cert): string {
  const dir = join(pki.dir, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(ca, join(dir, 'cacert.pem'));
  if (client) {
    copyFileSync(client.cert, join(dir, 'clientcert.pem'));
    copyFileSync(client.key, join(dir, 'clientkey.pem'));
  }
  return dir;
}

function sweepOver(label: string, setup: () => Promise<{ daemon: ThrowawayDaemon; uri: string }>) {
  describe(`read-only sweep over ${label}, against python3-libvirt`, () => {
    let conn: Connection;
    let theirs: unknown[];
    beforeAll(async () => {
      const { daemon, uri } = await setup();
      conn = await connect(uri);
      theirs = await cReference(daemon, uri);
    });
    afterAll(() => conn?.close());
    it.each(CASES.map((c, i) => [c.name, i] as const))('%s', async (_n, i) => {
      expect(await ours(conn, i)).toEqual(theirs[i]);
    });
  });
}

let pki: TestPki;
type Listening = { daemon: ThrowawayDaemon; port: number };
const tcp = new Map<DaemonGeneration, Promise<Listening>>();
const tls = new Map<DaemonGeneration, Promise<Listening>>();

/** The file's daemon of a generation that listens on TCP, started on first use. */
function tcpDaemon(generation: DaemonGeneration): Promise<Listening> {
  let d = tcp.get(generation);
  if (!d) {
    d = freePort().then(async (port) => ({ daemon: await startThrowawayLibvirtd({ generation, name: 'tcp', listenTcp: { port } }), port }));
    tcp.set(generation, d);
  }
  return d;
}

/** The file's daemon of a generation that listens on TLS, started on first use. */
function tlsDaemon(generation: DaemonGeneration): Promise<Listening> {
  let d = tls.get(generation);
  if (!d) {
    d = freePort().then(async (port) => {
      const daemon = await startThrowawayLibvirtd({
        generation,
        name: 'tls',
        listenTls: { port, caCert: pki.ca.cert, serverCert: pki.server.cert, serverKey: pki.server.key },
      });
      return { daemon, port };
    });
    tls.set(generation, d);
  }
  return d;
}

beforeAll(() => {
  pki = makeTestPki(mkdtempSync(join(tmpdir(), 'libvirt-rpc-pki-')));
});

afterAll(async () => {
  for (const d of [...tcp.values(), ...tls.values()]) await (await d.catch(() => undefined))?.daemon.stop();
  rmSync(pki.dir, { recursive: true, force: true });
});

forEachGeneration((generation) => {
  sweepOver('tcp', async () => {
    const { daemon, port } = await tcpDaemon(generation);
    return { daemon, uri: `test+tcp://127.0.0.1:${port}/default` };
  });

  sweepOver('tls', async () => {
    const { daemon, port } = await tlsDaemon(generation);
    return { daemon, uri: `test+tls://127.0.0.1:${port}/default?pkipath=${pkiDir(pki, 'good', pki.client)}` };
  });

  describe('TLS verification', () => {
    const expectRefused = async (uri: string, message: RegExp) => {
      const err = await connect(uri, { timeoutMs: 10_000 }).then(
        async (c) => (await c.close(), null),
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err!.message).toMatch(message);
    };

    it('accepts localhost as a name too, and runs calls after the handshake', async () => {
      const { port } = await tlsDaemon(generation);
      const conn = await connect(`test+tls://localhost:${port}/default?pkipath=${pkiDir(pki, 'good', pki.client)}`);
      expect(await conn.connectGetType()).toBe('TEST');
      expect((await conn.connectListAllDomains(1, 0)).domains.map((d) => d.name)).toEqual(['test']);
      await conn.close();
    });

    it('takes PEM contents from options instead of files', async () => {
      const { port } = await tlsDaemon(generation);
      const conn = await connect(`test+tls://127.0.0.1:${port}/default?pkipath=${join(pki.dir, 'empty')}`, {
        tls: { ca: readFileSync(pki.ca.cert, 'utf8'), cert: readFileSync(pki.client.cert, 'utf8'), key: readFileSync(pki.client.key, 'utf8') },
      });
      expect(await conn.connectGetType()).toBe('TEST');
      await conn.close();
    });

    it('a long-lived signal given to the dialer, aborted once connected, leaves the connection up', async () => {
      const { port } = await tlsDaemon(generation);
      const lifetime = new AbortController();
      const dial = tlsDialer('127.0.0.1', port, {}, pkiFiles({ isRoot: false, pkipath: pkiDir(pki, 'good', pki.client), exists: existsSync }));
      const conn = await Connection.open((events) => dial(events, lifetime.signal), 'test+tls:///default', 'test:///default');
      lifetime.abort();
      expect(await conn.connectGetType()).toBe('TEST');
      expect(conn.isOpen).toBe(true);
      await conn.close();
    });

    it('refuses a server whose certificate another CA signed', async () => {
      const { port } = await tlsDaemon(generation);
      await expectRefused(`test+tls://127.0.0.1:${port}/default?pkipath=${pkiDir(pki, 'other-ca', pki.client, pki.otherCa.cert)}`, /certificate/i);
    });

    it('connects to that server with no_verify=1, which skips only the server check', async () => {
      const { port } = await tlsDaemon(generation);
      const conn = await connect(`test+tls://127.0.0.1:${port}/default?no_verify=1&pkipath=${pkiDir(pki, 'other-ca', pki.client, pki.otherCa.cert)}`);
      expect(await conn.connectGetType()).toBe('TEST');
      await conn.close();
    });

    it('says clearly when the server rejects our client certificate, or we have none', async () => {
      const { port } = await tlsDaemon(generation);
      await expectRefused(`test+tls://127.0.0.1:${port}/default?pkipath=${pkiDir(pki, 'no-client', null)}`, /rejected our client certificate/);
      await expectRefused(
        `test+tls://127.0.0.1:${port}/default?pkipath=${pkiDir(pki, 'stranger', pki.strangerClient)}`,
        /rejected our client certificate|TLS with .* failed/,
      );
    });

    it('refuses a server certificate issued for another name', async () => {
      const port = await freePort();
      const daemon = await startThrowawayLibvirtd({
        generation,
        name: 'tls-name',
        listenTls: { port, caCert: pki.ca.cert, serverCert: pki.wrongNameServer.cert, serverKey: pki.wrongNameServer.key },
      });
      try {
        await expectRefused(`test+tls://127.0.0.1:${port}/default?pkipath=${pkiDir(pki, 'good', pki.client)}`, /IP: 127\.0\.0\.1 is not in the cert's list|altnames/i);
      } finally {
        await daemon.stop();
      }
    });

    it('refuses an expired server certificate', async () => {
      // libvirtd will not even start with an expired certificate, so a plain TLS server shows it.
      const server = createTlsServer({ cert: readFileSync(pki.expiredServer.cert), key: readFileSync(pki.expiredServer.key) }, (s) => s.end());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const { port } = server.address() as { port: number };
      try {
        await expectRefused(`test+tls://127.0.0.1:${port}/default?pkipath=${pkiDir(pki, 'good', pki.client)}`, /expired/i);
      } finally {
        server.close();
      }
    });
  });

  describe('ext transport', () => {
    it('speaks through a command’s stdin and stdout', async () => {
      const { daemon } = await tcpDaemon(generation);
      // netcat bridges stdio to the daemon's unix socket, as an ssh command does remotely.
      const command = `nc -U ${daemon.socket}`;
      const conn = await connect(`test+ext:///default?command=${encodeURIComponent(command)}`);
      expect(await conn.connectGetType()).toBe('TEST');
      expect(await conn.connectGetHostname()).toBeTruthy();
      await conn.close();
    });

    it('reports a command that does not exist', async () => {
      await expect(connect('test+ext:///default?command=/nonexistent/tunnel')).rejects.toThrow(/nonexistent\/tunnel/);
    });
  });
});
