/**
 * The ssh transport against OpenSSH's sshd on a loopback port: the sweep through netcat,
 * calls through virt-ssh-helper, and host key and login checks.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection, ConnectionError, connect, parseLibvirtUri } from '../../src/index.js';
import { sshTarget } from '../../src/locate/ssh-target.js';
import { sshDialer } from '../../src/transport/ssh.js';
import { type TestSshd, startTestSshd } from '../harness/sshd.js';
import { type ThrowawayDaemon, pythonLibvirt, sharedDaemon } from '../helpers/libvirtd.js';
import { freePort } from '../harness/ports.js';
import { CASES, cReference, ours } from '../helpers/sweep-cases.js';

let daemon: ThrowawayDaemon;
let sshd: TestSshd;
let knownHosts: string;

function knownHostsFile(name: string, lines: string[]): string {
  const file = join(sshd.dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const base = (path: string, params: Record<string, string>) =>
  `${path.startsWith('/session') ? 'qemu' : 'test'}+ssh://${sshd.user}@127.0.0.1:${sshd.port}${path}?${new URLSearchParams(params).toString()}`;

beforeAll(async () => {
  daemon = await sharedDaemon();
  sshd = await startTestSshd({ port: await freePort(), user: daemon.user, env: { XDG_RUNTIME_DIR: daemon.env.XDG_RUNTIME_DIR! } });
  // A hashed entry, as ssh writes with HashKnownHosts.
  const salt = randomBytes(20);
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(`[127.0.0.1]:${sshd.port}`).digest('base64')}`;
  knownHosts = knownHostsFile('known_hosts', [`${hashed} ${sshd.hostKey}`]);
});

afterAll(async () => {
  await sshd?.stop();
});

describe('read-only sweep over ssh through netcat, against python3-libvirt', () => {
  let conn: Connection;
  let theirs: unknown[];
  beforeAll(async () => {
    conn = await connect(base('/default', { keyfile: sshd.clientKey, known_hosts: knownHosts, proxy: 'netcat', socket: daemon.socket }));
    theirs = await cReference(daemon, daemon.testUri);
  });
  afterAll(() => conn?.close());
  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', async (_n, i) => {
    expect(await ours(conn, i)).toEqual(theirs[i]);
  });
});

describe('ssh through virt-ssh-helper, against python3-libvirt on the same session daemon', () => {
  // The helper opens the URI it is given on the far side: the session daemon for /session.
  // (With name=, libvirt hands the helper that name instead: name=test:///default would send
  // it to the system daemon, so the test-driver sweep above goes through netcat.)
  const DETERMINISTIC = `json.dumps([conn.getType(), conn.getHostname(), conn.getLibVersion(),
    sorted(d.name() for d in conn.listAllDomains(0)), conn.getCapabilities()])`;
  it('answers as the C client does', async () => {
    const conn = await connect(base('/session', { keyfile: sshd.clientKey, known_hosts: knownHosts }));
    const ours = [
      await conn.connectGetType(),
      await conn.connectGetHostname(),
      Number(await conn.connectGetLibVersion()),
      (await conn.connectListAllDomains(1, 0)).domains.map((d) => d.name).sort(),
      await conn.connectGetCapabilities(),
    ];
    await conn.close();
    expect(ours).toEqual(await pythonLibvirt(daemon, daemon.qemuUri, `print(${DETERMINISTIC})`));
  });

  it('hands the helper name= when there is one, as libvirt does', async () => {
    const conn = await connect(base('/session', { keyfile: sshd.clientKey, known_hosts: knownHosts, name: 'qemu:///session' }));
    expect(await conn.connectGetURI()).toBe('qemu:///session');
    await conn.close();
    const err = await connect(base('/session', { keyfile: sshd.clientKey, known_hosts: knownHosts, name: 'test:///default' }), { timeoutMs: 10_000 }).then(
      async (c) => (await c.close(), null),
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/virt-ssh-helper|libvirt-sock|remote command/);
  });
});

describe('ssh', () => {
  it('reaches the session daemon through virt-ssh-helper', async () => {
    const conn = await connect(base('/session', { keyfile: sshd.clientKey, known_hosts: knownHosts, proxy: 'native' }));
    expect(await conn.connectGetType()).toBe('QEMU');
    expect(await conn.connectGetURI()).toBe('qemu:///session');
    expect(Array.isArray((await conn.connectListAllDomains(1, 0)).domains)).toBe(true);
    await conn.close();
  });

  it('a long-lived signal given to the dialer, aborted once connected, leaves the connection up', async () => {
    const lifetime = new AbortController();
    const uri = parseLibvirtUri(base('/session', { keyfile: sshd.clientKey, known_hosts: knownHosts, proxy: 'native' }));
    const dial = sshDialer(sshTarget(uri, {}, false), {});
    const conn = await Connection.open((events) => dial(events, lifetime.signal), uri.original, uri.nameForServer);
    lifetime.abort();
    expect(await conn.connectGetType()).toBe('QEMU');
    expect(conn.isOpen).toBe(true);
    await conn.close();
  });

  it('picks virt-ssh-helper by itself with proxy=auto', async () => {
    const conn = await connect(base('/session', { keyfile: sshd.clientKey, known_hosts: knownHosts }));
    expect(await conn.connectGetType()).toBe('QEMU');
    await conn.close();
  });

  it('refuses an unknown host key by default and accepts it with known_hosts_verify=auto', async () => {
    const empty = knownHostsFile('empty_known_hosts', []);
    const err = await connect(base('/session', { keyfile: sshd.clientKey, known_hosts: empty })).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(/not in .*known_hosts_verify=auto/);
    const conn = await connect(base('/session', { keyfile: sshd.clientKey, known_hosts: empty, known_hosts_verify: 'auto' }));
    expect(await conn.connectGetType()).toBe('QEMU');
    await conn.close();
  });

  it('always refuses a changed host key, even with no_verify=1', async () => {
    const other = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    const changed = knownHostsFile('changed_known_hosts', [`[127.0.0.1]:${sshd.port} ${other}`]);
    for (const extra of [{}, { no_verify: "1" }, { known_hosts_verify: "auto" }] as Record<string, string>[]) {
      const err = await connect(base('/session', { keyfile: sshd.clientKey, known_hosts: changed, ...extra })).catch((e) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err.message).toMatch(/does not match/);
    }
  });

  it('runs over an ssh2 Client the caller already connected', async () => {
    const { Client } = await import('ssh2');
    const client = new Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve()).once('error', reject);
      client.connect({ host: '127.0.0.1', port: sshd.port, username: sshd.user, privateKey: readFileSync(sshd.clientKey), hostVerifier: () => true });
    });
    try {
      const conn = await connect(base('/session', { proxy: 'native' }), { ssh: { client } });
      expect(await conn.connectGetType()).toBe('QEMU');
      await conn.close();
    } finally {
      client.end();
    }
  });

  it('reports a key the server does not accept as a login failure', async () => {
    const err = await connect(base('/session', { keyfile: join(sshd.dir, 'host_key'), known_hosts: knownHosts })).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(/login .* was refused/);
  });
});
