/**
 * The package on Node, Bun and Deno (from the npm packages `bun` and `deno`), imported by its
 * name from the packed tarball installed in a fresh app (test/harness/packed-app.ts), against a
 * real daemon listening on a unix socket, TCP, TLS and (through sshd) ssh: on each, a call
 * sweep compared with python3-libvirt, lifecycle events, and a volume sent up and back down
 * through a data stream. `npm test` builds dist/ before the tests (jest's globalSetup).
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertDistCurrent } from '../harness/build.js';
import { type TestPki, makeTestPki } from '../harness/certificates.js';
import { type ThrowawayDaemon, startThrowawayLibvirtd } from '../harness/daemon.js';
import { packedApp } from '../harness/packed-app.js';
import { freePort } from '../harness/ports.js';
import { REPO } from '../harness/repo.js';
import { type TestSshd, startTestSshd } from '../harness/sshd.js';
import { pythonLibvirt } from '../helpers/libvirtd.js';

const BIN = join(REPO, 'node_modules/.bin');

interface Target {
  label: string;
  testUri: string;
  qemuUri: string;
}

let daemon: ThrowawayDaemon;
let sshd: TestSshd;
let pki: TestPki;
let targets: Target[];
let expectedSweep: unknown;
/** The smoke's copy inside the installed app, where `libvirt-rpc` resolves as in a user's project. */
let smokeScript: string;
let smokeDir: string;

/** A pkipath= directory in libvirt's layout. */
function pkiDir(): string {
  const dir = join(pki.dir, 'client');
  mkdirSync(dir, { recursive: true });
  copyFileSync(pki.ca.cert, join(dir, 'cacert.pem'));
  copyFileSync(pki.client.cert, join(dir, 'clientcert.pem'));
  copyFileSync(pki.client.key, join(dir, 'clientkey.pem'));
  return dir;
}

/** A directory the daemon's user may fill, for one run's storage pool. */
function poolDir(name: string): string {
  const dir = join(daemon.dir, 'pools', name);
  mkdirSync(dir, { recursive: true });
  execFileSync('chown', [daemon.user, dir]);
  return dir;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: smokeDir, timeout: 90_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} failed: ${stderr || err.message}`)) : resolve(stdout.trim().split('\n').pop()!),
    );
  });
}

/** Runs the smoke on one runtime and checks every transport's answers. */
async function smoke(runtime: string, command: string, runtimeArgs: string[]): Promise<void> {
  const plan = { prefix: runtime, targets: targets.map((t) => ({ ...t, poolDir: poolDir(`${runtime}-${t.label}`) })) };
  const out = JSON.parse(await run(command, [...runtimeArgs, smokeScript, 'libvirt-rpc', JSON.stringify(plan)]));
  expect(Object.keys(out)).toEqual(targets.map((t) => t.label));
  for (const t of targets) {
    expect({ [t.label]: out[t.label] }).toEqual({
      [t.label]: {
        sweep: expectedSweep,
        // VIR_DOMAIN_EVENT_DEFINED, then VIR_DOMAIN_EVENT_UNDEFINED.
        events: [0, 1],
        stream: { bytes: 3 * 1024 * 1024 + 12345, sameHash: true },
      },
    });
  }
}

describe('one smoke, three runtimes, four transports', () => {
  beforeAll(async () => {
    assertDistCurrent();
    smokeDir = mkdtempSync(join(packedApp().dir, 'smoke-'));
    smokeScript = join(smokeDir, 'smoke.mjs');
    copyFileSync(join(REPO, 'test/runtimes/smoke.mjs'), smokeScript);
    pki = makeTestPki(mkdtempSync(join(tmpdir(), 'libvirt-rpc-pki-')));
    const [tcpPort, tlsPort, sshPort] = [await freePort(), await freePort(), await freePort()];
    daemon = await startThrowawayLibvirtd({
      name: 'runtimes',
      listenTcp: { port: tcpPort },
      listenTls: { port: tlsPort, caCert: pki.ca.cert, serverCert: pki.server.cert, serverKey: pki.server.key },
    });
    sshd = await startTestSshd({ port: sshPort, user: daemon.user, env: { XDG_RUNTIME_DIR: daemon.env.XDG_RUNTIME_DIR! } });
    const tls = `pkipath=${pkiDir()}`;
    const ssh = `${sshd.user}@127.0.0.1:${sshd.port}`;
    const key = `keyfile=${sshd.clientKey}&no_verify=1`;
    targets = [
      { label: 'unix', testUri: daemon.testUri, qemuUri: daemon.qemuUri },
      { label: 'tcp', testUri: `test+tcp://127.0.0.1:${tcpPort}/default`, qemuUri: `qemu+tcp://127.0.0.1:${tcpPort}/session` },
      { label: 'tls', testUri: `test+tls://127.0.0.1:${tlsPort}/default?${tls}`, qemuUri: `qemu+tls://127.0.0.1:${tlsPort}/session?${tls}` },
      // The test driver through netcat on the daemon's socket, the session through virt-ssh-helper.
      { label: 'ssh', testUri: `test+ssh://${ssh}/default?${key}&socket=${daemon.socket}`, qemuUri: `qemu+ssh://${ssh}/session?${key}` },
    ];
    expectedSweep = await pythonLibvirt(
      daemon,
      daemon.testUri,
      `import hashlib
dom = conn.lookupByName('test')
info = dom.info()
node = conn.getInfo()
names = lambda xs: sorted(x.name() for x in xs)
print(json.dumps({
  'type': conn.getType(), 'version': str(conn.getVersion()), 'hostname': conn.getHostname(),
  'domains': names(conn.listAllDomains(0)), 'domainInfo': [info[0], str(info[1]), info[3]],
  'node': [node[0], node[2], node[3]], 'networks': names(conn.listAllNetworks(0)),
  'pools': names(conn.listAllStoragePools(0)),
  'capabilities': hashlib.sha256(conn.getCapabilities().encode()).hexdigest()}))`,
    );
  }, 600_000);

  afterAll(async () => {
    await sshd?.stop();
    await daemon?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
    if (smokeDir) rmSync(smokeDir, { recursive: true, force: true });
  });

  it('Node', async () => {
    await smoke('node', process.execPath, []);
  }, 120_000);

  it('Bun', async () => {
    await smoke('bun', join(BIN, 'bun'), []);
  }, 120_000);

  it('Deno, granted only the files, socket and host it uses (as the README shows)', async () => {
    const permissions = [
      `--allow-read=${REPO},${daemon.socket},${pki.dir},${sshd.dir}`,
      `--allow-write=${daemon.socket}`,
      `--allow-net=127.0.0.1,unix:${daemon.socket}`,
    ];
    await smoke('deno', join(BIN, 'deno'), ['run', '--no-prompt', ...permissions]);
  }, 120_000);
});
