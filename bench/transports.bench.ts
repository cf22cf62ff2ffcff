/**
 * Calls over tcp, tls and ssh next to libvirt's C client on the same URIs in the same run:
 * sequential and 8-way connectGetLibVersion against one daemon listening on loopback. The C
 * client's ssh transport runs the system ssh binary (with a throwaway home for known_hosts).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Connection, connect } from '../src/index.js';
import { makeTestPki } from '../test/harness/certificates.js';
import { startThrowawayLibvirtd } from '../test/harness/daemon.js';
import { startTestSshd } from '../test/harness/sshd.js';
import { benchGeneration } from './lib/daemon.js';
import { type CSample, buildCClient, runCClient } from './lib/c-client.js';
import { type Measurement, median } from './lib/stats.js';
import { freePort } from '../test/harness/ports.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SEQUENTIAL = 2000;
const CONCURRENT = 4000;

async function oursSample(conn: Connection, mode: 'libversion' | 'concurrent', count: number): Promise<CSample> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  if (mode === 'libversion') {
    for (let i = 0; i < count; i++) await conn.connectGetLibVersion();
  } else {
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < count / 8; i++) await conn.connectGetLibVersion();
      }),
    );
  }
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { count, wallNs, cpuNs: (cpu.user + cpu.system) * 1000 };
}

export async function run(): Promise<Measurement[]> {
  const bin = buildCClient();
  const work = mkdtempSync(join(tmpdir(), 'libvirt-rpc-bench-transports-'));
  const pki = makeTestPki(join(work, 'pki'));
  const pkipath = join(work, 'client-pki');
  mkdirSync(pkipath);
  copyFileSync(pki.ca.cert, join(pkipath, 'cacert.pem'));
  copyFileSync(pki.client.cert, join(pkipath, 'clientcert.pem'));
  copyFileSync(pki.client.key, join(pkipath, 'clientkey.pem'));
  const [tcpPort, tlsPort, sshPort] = [await freePort(), await freePort(), await freePort()];
  // The ssh leg reaches a session daemon as its unprivileged user: the host's daemon only.
  if (benchGeneration() !== '9.0') throw new Error('the transports benchmark (its ssh leg needs a session daemon) runs against libvirt 9.0 only');
  const daemon = await startThrowawayLibvirtd({
    name: 'bench-transports',
    listenTcp: { port: tcpPort },
    listenTls: { port: tlsPort, caCert: pki.ca.cert, serverCert: pki.server.cert, serverKey: pki.server.key },
  });
  const sshd = await startTestSshd({ port: sshPort, user: daemon.user });
  const cHome = join(work, 'c-home');
  mkdirSync(cHome);
  const ssh = `test+ssh://${daemon.user}@127.0.0.1:${sshPort}/default?keyfile=${sshd.clientKey}&socket=${daemon.socket}&proxy=netcat&no_verify=1`;
  const transports: [string, string, Record<string, string>?][] = [
    ['tcp', `test+tcp://127.0.0.1:${tcpPort}/default`],
    ['tls', `test+tls://127.0.0.1:${tlsPort}/default?pkipath=${pkipath}`],
    // no_verify=1 makes both clients accept the test sshd's key; ours keeps it in memory,
    // ssh writes it to the throwaway home.
    ['ssh', ssh, { HOME: cHome }],
  ];
  const results: Measurement[] = [];
  try {
    for (const [name, uri, env] of transports) {
      const conn = await connect(uri, { keepalive: false, env: { ...process.env, ...env } });
      for (const [mode, count, label] of [
        ['libversion', SEQUENTIAL, 'sequential'],
        ['concurrent', CONCURRENT, '8 concurrent'],
      ] as const) {
        await oursSample(conn, mode, count / 10);
        const ours: CSample[] = [];
        const theirs: CSample[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          ours.push(await oursSample(conn, mode, count));
          theirs.push(runCClient(bin, uri, mode, count, env));
        }
        const rate = (s: CSample[]) => median(s.map((x) => (x.count * 1e9) / x.wallNs));
        const cpu = (s: CSample[]) => Math.round(median(s.map((x) => x.cpuNs / x.count / 1000)) * 10) / 10;
        results.push({
          group: 'transports',
          name: `${label} connectGetLibVersion over ${name}`,
          unit: 'calls/s',
          ours: rate(ours),
          theirs: rate(theirs),
          theirsName: 'C client',
          extra: { oursCpuUsPerCall: cpu(ours), cCpuUsPerCall: cpu(theirs) },
        });
      }
      await conn.close();
    }
  } finally {
    await sshd.stop();
    await daemon.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return results;
}
