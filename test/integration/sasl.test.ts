/**
 * SASL SCRAM-SHA-256 over TLS against libvirtd with a private sasldb; and the refusal to send
 * credentials over plain TCP.
 */
import { mkdtempSync, mkdirSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, LibvirtError, connect, type TraceEntry } from '../../src/index.js';
import { type TestPki, makeTestPki } from '../harness/certificates.js';
import { type ThrowawayDaemon, startThrowawayLibvirtd } from '../harness/daemon.js';
import { freePort } from '../harness/ports.js';

const USER = 'alice';
const PASSWORD = 'correct horse battery staple';

let pki: TestPki;
let pkipath: string;
let tls: { daemon: ThrowawayDaemon; port: number };

beforeAll(async () => {
  pki = makeTestPki(mkdtempSync(join(tmpdir(), 'libvirt-rpc-sasl-')));
  pkipath = join(pki.dir, 'client');
  mkdirSync(pkipath);
  copyFileSync(pki.ca.cert, join(pkipath, 'cacert.pem'));
  copyFileSync(pki.client.cert, join(pkipath, 'clientcert.pem'));
  copyFileSync(pki.client.key, join(pkipath, 'clientkey.pem'));
  const port = await freePort();
  const daemon = await startThrowawayLibvirtd({
    name: 'sasl',
    listenTls: { port, caCert: pki.ca.cert, serverCert: pki.server.cert, serverKey: pki.server.key, auth: 'sasl' },
    sasl: { users: { [USER]: PASSWORD } },
  });
  tls = { daemon, port };
});

afterAll(async () => {
  await tls?.daemon.stop();
  rmSync(pki.dir, { recursive: true, force: true });
});

const uri = (extra = '') => `test+tls://127.0.0.1:${tls.port}/default?pkipath=${pkipath}${extra}`;

describe('SASL SCRAM-SHA-256 over TLS', () => {
  it('logs in with the right password and makes calls', async () => {
    const trace: TraceEntry[] = [];
    const conn = await connect(uri(), { credentials: { username: USER, password: PASSWORD }, trace: (e) => trace.push(e) });
    expect(await conn.connectGetType()).toBe('TEST');
    expect((await conn.connectListAllDomains(1, 0)).domains.map((d) => d.name)).toEqual(['test']);
    await conn.close();
    expect(trace.map((e) => e.procedure)).toEqual(
      expect.arrayContaining(['REMOTE_PROC_AUTH_SASL_INIT', 'REMOTE_PROC_AUTH_SASL_START', 'REMOTE_PROC_AUTH_SASL_STEP']),
    );
    expect(JSON.stringify(trace)).not.toContain(PASSWORD);
  });

  it('refuses a wrong password with a LibvirtError', async () => {
    const err = await connect(uri(), { credentials: { username: USER, password: 'wrong' } }).catch((e) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err.codeName).toBe('VIR_ERR_AUTH_FAILED');
    expect(String(err.message)).not.toContain('wrong');
  });

  it('asks a callback, and reads libvirt auth files', async () => {
    const asked: string[] = [];
    const conn = await connect(uri('&auth=sasl.scram-sha-256'), {
      credentials: ({ mechanism }) => (asked.push(mechanism), { username: USER, password: PASSWORD }),
    });
    expect(asked).toEqual(['SCRAM-SHA-256']);
    await conn.close();
    const authfile = join(pki.dir, 'auth.conf');
    writeFileSync(authfile, `[credentials-t]\nauthname=${USER}\npassword=${PASSWORD}\n[auth-libvirt-127.0.0.1]\ncredentials=t\n`);
    const viaFile = await connect(uri(`&authfile=${authfile}`));
    expect(await viaFile.connectGetType()).toBe('TEST');
    await viaFile.close();
  });

  it('says what is missing when there are no credentials', async () => {
    await expect(connect(uri(), { env: { HOME: pki.dir } })).rejects.toThrow(/needs a user name and password/);
  });
});

describe('SASL over plain TCP', () => {
  it('is refused before any credential is sent, with a hint to use TLS', async () => {
    const port = await freePort();
    const daemon = await startThrowawayLibvirtd({ name: 'sasl-tcp', listenTcp: { port, auth: 'sasl' }, sasl: { users: { [USER]: PASSWORD } } });
    try {
      const trace: TraceEntry[] = [];
      const err = await connect(`test+tcp://127.0.0.1:${port}/default`, {
        credentials: { username: USER, password: PASSWORD },
        trace: (e) => trace.push(e),
      }).catch((e) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err.message).toMatch(/use TLS/);
      expect(trace.map((e) => e.procedure)).not.toContain('REMOTE_PROC_AUTH_SASL_START');
    } finally {
      await daemon.stop();
    }
  });
});
