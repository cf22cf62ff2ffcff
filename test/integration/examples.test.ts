/**
 * Every script in examples/, and the README's first example, run as a user runs them (tsx,
 * the URI as the argument) against a throwaway libvirtd; what they print is checked against
 * what the daemon holds. An example without a case here fails the suite.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../scripts/build-dist.js';
import { tinyGuestXml } from '../../scripts/throwaway-libvirtd.js';
import { type Connection, connect } from '../../src/index.js';
import { type AdminRelay, startAdminRelay } from '../helpers/admin-relay.js';
import { type ThrowawayDaemon, clientEnv, sharedDaemon, virsh } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
const afterAllClose: Connection[] = [];
afterAll(() => Promise.all(afterAllClose.map((c) => c.close())));

/** Runs a script with tsx as `npx tsx FILE ARGS...` would; rejects with its stderr when it fails. */
function runScript(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', file, ...args], { cwd: REPO, env: { ...clientEnv(daemon), ...env }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} failed (${err.code ?? err.signal}):\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const example = (name: string, args: string[], env?: NodeJS.ProcessEnv) => runScript(join('examples', name), args, env);

beforeAll(async () => {
  daemon = await sharedDaemon();
});

describe('examples/', () => {
  const cases = ['admin.ts', 'define-and-start.ts', 'errors-and-timeouts.ts', 'list-domains.ts', 'typed-params.ts'];

  it('has a case here for every file', () => {
    expect(readdirSync(join(REPO, 'examples')).sort()).toEqual(cases);
  });

  it('list-domains.ts: every domain with its id and state, as virsh lists them', async () => {
    const out = await example('list-domains.ts', [daemon.testUri]);
    // virsh list --all: " Id   Name   State" rows; ours: "id<TAB>name<TAB>state".
    const rows = (await virsh(daemon, daemon.testUri, 'list', '--all'))
      .split('\n')
      .slice(2)
      .map((l) => l.trim().split(/\s{2,}/))
      .filter((r) => r.length === 3)
      .map(([id, name, state]) => `${id}\t${name}\t${state}`);
    expect(rows.length).toBeGreaterThan(0);
    expect(out.trim().split('\n').sort()).toEqual(rows.sort());
  });

  it('typed-params.ts: reads the memory tunables, changes one and reads it back', async () => {
    // The test driver keeps a change only while some connection to it stays open.
    const keeper = await connect(daemon.testUri);
    afterAllClose.push(keeper);
    const out = await example('typed-params.ts', [daemon.testUri, 'test']);
    expect(out).toMatch(/^before .*hard_limit: 9007199254740991n/s);
    expect(out).toMatch(/after .*hard_limit: 1048576n/s);
    expect(await virsh(daemon, daemon.testUri, 'memtune', 'test')).toMatch(/hard_limit\s*:\s*1048576\b/);
  });

  it('errors-and-timeouts.ts: names the error code, then gets the capabilities in time', async () => {
    const out = await example('errors-and-timeouts.ts', [daemon.testUri]);
    expect(out).toMatch(/^VIR_ERR_NO_DOMAIN: Domain not found/);
    expect(out).toContain('<capabilities>');
    expect(out).not.toContain('did not answer');
  });

  it('define-and-start.ts: boots a QEMU guest, prints its info, and leaves nothing behind', async () => {
    const out = await example('define-and-start.ts', [daemon.qemuUri]);
    expect(out).toMatch(/state: 1,/); // VIR_DOMAIN_RUNNING
    expect(out).toMatch(/nrVirtCpu: 1/);
    expect(await virsh(daemon, daemon.qemuUri, 'list', '--all', '--name')).not.toContain('example-guest');
  });

  describe('admin.ts (through a relay that runs as the daemon user)', () => {
    let relay: AdminRelay;
    beforeAll(async () => {
      relay = await startAdminRelay(daemon);
    });
    afterAll(() => relay?.stop());

    it('lists the servers with their clients and thread pools', async () => {
      const out = await example('admin.ts', ['libvirtd:///session'], { XDG_RUNTIME_DIR: relay.runtimeDir });
      expect(out).toMatch(/^libvirtd: \d+ clients /m);
      expect(out).toMatch(/minWorkers/);
    });
  });
});

describe("the README's first example", () => {
  it('lists the domains of a QEMU daemon with their states', async () => {
    const keeper = await connect(daemon.qemuUri);
    afterAllClose.push(keeper);
    await keeper.domainDefineXML(tinyGuestXml('readme-guest'));
    const out = await runScript('test/.generated/readme-quick-start.ts', [daemon.qemuUri]);
    expect(out).toContain('readme-guest 5\n'); // VIR_DOMAIN_SHUTOFF
  });
});
