/**
 * The `libvirt-rpc` command against virsh on the same daemon and state: the same output for
 * list, dominfo, domstate, nodeinfo, net-list, pool-list and vol-list; JSON that parses;
 * virsh's error convention; the wire trace on stderr.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Connection, connect } from '../../src/index.js';
import { runCli } from '../../src/cli/main.js';
import { type ThrowawayDaemon, sharedDaemon, virsh } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;

async function ours(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const code = await runCli(['-c', daemon.testUri, ...args], { stdout: (s) => (out += s), stderr: (s) => (err += s), env: {} });
  return { out, err, code };
}

beforeAll(async () => {
  daemon = await sharedDaemon();
  // The test driver keeps what we define while a connection stays open.
  keeper = await connect(daemon.testUri);
  for (const name of ['zeta', 'alpha']) {
    await keeper.domainDefineXML(`<domain type='test'><name>${name}</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`);
  }
  const pool = await keeper.storagePoolLookupByName('default-pool');
  await keeper.storageVolCreateXML(pool, `<volume><name>disk-b</name><capacity>1048576</capacity></volume>`, 0);
  await keeper.storageVolCreateXML(pool, `<volume><name>disk-a</name><capacity>2097152</capacity></volume>`, 0);
});

afterAll(() => keeper?.close());

describe('libvirt-rpc prints what virsh prints', () => {
  it.each([
    [['list']],
    [['list', '--all']],
    [['list', '--inactive']],
    [['list', '--all', '--name']],
    [['list', '--all', '--uuid']],
    [['domstate', 'test']],
    [['domstate', 'alpha']],
    [['nodeinfo']],
    [['net-list', '--all']],
    [['pool-list', '--all']],
    [['vol-list', 'default-pool']],
    [['dominfo', 'alpha']],
    [['hostname']],
  ])('%j', async (args) => {
    const theirs = await virsh(daemon, daemon.testUri, ...args);
    const mine = await ours(...args);
    expect(mine.code).toBe(0);
    expect(mine.out).toBe(theirs);
  });

  it('dominfo of a running domain (its CPU time moves with the clock)', async () => {
    const drop = (s: string) => s.replace(/^CPU time:.*\n/m, '');
    expect(drop((await ours('dominfo', 'test')).out)).toBe(drop(await virsh(daemon, daemon.testUri, 'dominfo', 'test')));
  });
});

describe('libvirt-rpc', () => {
  it('prints JSON with stable names and 64-bit values as numbers or strings', async () => {
    const list = JSON.parse((await ours('--json', 'list', '--all')).out);
    expect(list.map((d: { name: string }) => d.name)).toEqual(['test', 'alpha', 'zeta']);
    expect(list[0]).toMatchObject({ id: 1, state: 'running', uuid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const info = JSON.parse((await ours('--json', 'dominfo', 'test')).out);
    expect(info).toMatchObject({ name: 'test', maxMemory: 8388608, persistent: true });
    expect(typeof info.cpuTime === 'number' || typeof info.cpuTime === 'string').toBe(true);
    expect(JSON.parse((await ours('--json', 'nodeinfo')).out)).toMatchObject({ cpus: 16, memory: 3145728 });
    expect(JSON.parse((await ours('--json', 'vol-list', 'default-pool')).out).map((v: { name: string }) => v.name)).toEqual(['disk-a', 'disk-b']);
  });

  it('starts, suspends, resumes and destroys as virsh, confirming each', async () => {
    expect((await ours('start', 'alpha')).out).toBe("Domain 'alpha' started\n\n");
    expect((await ours('suspend', 'alpha')).out).toBe("Domain 'alpha' suspended\n\n");
    expect((await ours('domstate', 'alpha')).out).toBe('paused\n\n');
    expect((await ours('resume', 'alpha')).out).toBe("Domain 'alpha' resumed\n\n");
    expect((await ours('destroy', 'alpha')).out).toBe("Domain 'alpha' destroyed\n\n");
  });

  it('prints error: and exits 1 like virsh', async () => {
    const r = await ours('dominfo', 'no-such-domain');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: .*Domain not found/m);
    const bad = await runCli(['-c', 'qemu+bogus:///x', 'list'], { stdout: () => {}, stderr: () => {}, env: {} });
    expect(bad).toBe(1);
  });

  it('runs as the built bin, which CI builds before the tests', async () => {
    const bin = join(dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');
    if (!existsSync(bin)) {
      if (process.env.CI) throw new Error('dist/cli.js is missing: CI builds before it tests');
      return;
    }
    const out = execFileSync(process.execPath, [bin, '-c', daemon.testUri, 'list', '--all']).toString();
    expect(out).toBe(await virsh(daemon, daemon.testUri, 'list', '--all'));
  });

  it('--debug traces frames on stderr, and only headers', async () => {
    const r = await ours('--debug', 'hostname');
    expect(r.err).toMatch(/-> REMOTE REMOTE_PROC_CONNECT_GET_HOSTNAME serial=\d+ CALL OK \d+B/);
    expect(r.err).toMatch(/<- REMOTE REMOTE_PROC_CONNECT_GET_HOSTNAME serial=\d+ REPLY OK/);
  });
});
