/**
 * Every script in examples/, and the README's first example, run as a user runs them (tsx,
 * `libvirt-rpc` resolved by the repository's tsconfig paths, the URI as the argument or from
 * LIBVIRT_DEFAULT_URI / LIBVIRT_ADMIN_DEFAULT_URI) against a throwaway libvirtd of each
 * generation; what they print is checked against what virsh and virt-admin read from the same
 * daemon. An example without a case here fails the suite, and so does a daemon that does not
 * start.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tinyGuestXml } from '../harness/guests.js';
import { REPO } from '../harness/repo.js';
import { type Connection, connect } from '../../src/index.js';
import { type AdminRelay, daemonIdentity, startAdminRelay } from '../helpers/admin-relay.js';
import { type ThrowawayDaemon, clientEnv, forEachGeneration, sharedDaemon, virsh } from '../helpers/libvirtd.js';

const CASES = ['admin.ts', 'define-and-start.ts', 'errors-and-timeouts.ts', 'list-domains.ts', 'typed-params.ts'];

/**
 * Runs a script with tsx as `npx tsx FILE ARGS...` would, from the repository (whose tsconfig
 * maps `libvirt-rpc` to the sources); rejects with its exit code and stderr when it fails. The
 * default URIs of the environment are cleared unless given, so only what the case says counts.
 */
function runScript(daemon: ThrowawayDaemon, file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const childEnv: NodeJS.ProcessEnv = { ...clientEnv(daemon), LIBVIRT_DEFAULT_URI: '', LIBVIRT_ADMIN_DEFAULT_URI: '', ...env };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', file, ...args], { cwd: REPO, env: childEnv, maxBuffer: 16 << 20, timeout: 100_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed (${err.code ?? err.signal}):\n${stderr}\n${stdout}`));
      else resolve(stdout);
    });
  });
}

describe('examples/', () => {
  it('has a case here for every file', () => {
    // examples/web is a page, bundled and driven in a browser by test/integration/browser.test.ts.
    expect(readdirSync(join(REPO, 'examples')).filter((f) => f !== 'web').sort()).toEqual(CASES);
  });

  it.each(CASES)('%s imports the package by name, as users write it, and says how to run it', (name) => {
    const text = readFileSync(join(REPO, 'examples', name), 'utf8');
    const specifiers = [...text.matchAll(/\bfrom\s+'([^']+)'/g)].map((m) => m[1]);
    expect(specifiers.length).toBeGreaterThan(0);
    for (const s of specifiers) expect(s).toMatch(/^(libvirt-rpc(\/[a-z]+)?|node:.+)$/);
    expect(text).toMatch(new RegExp(`^// [\\s\\S]*\`npx tsx examples/${name.replace('.', '\\.')}[^\`]*\``));
  });
});

forEachGeneration((generation) => describe('examples against a throwaway libvirtd', () => {
  let daemon: ThrowawayDaemon;
  /** Connections kept open to the end: the test driver keeps its state only while one is open. */
  const keepers: Connection[] = [];
  const keep = async (uri: string) => {
    const conn = await connect(uri);
    keepers.push(conn);
    return conn;
  };
  const example = (name: string, args: string[], env?: NodeJS.ProcessEnv) => runScript(daemon, join('examples', name), args, env);

  beforeAll(async () => {
    daemon = await sharedDaemon(generation);
  });
  afterAll(() => Promise.all(keepers.map((c) => c.close())));

  describe('list-domains.ts', () => {
    /** virsh list --all as "id<TAB>name<TAB>state" rows, with virsh's "shut off" as our "shutoff". */
    const virshRows = async () =>
      (await virsh(daemon, daemon.testUri, 'list', '--all'))
        .split('\n')
        .slice(2)
        .map((l) => l.trim().split(/\s{2,}/))
        .filter((r) => r.length === 3)
        .map(([id, name, state]) => `${id}\t${name}\t${state!.replace(/ /g, '')}`)
        .sort();
    const lines = (out: string) => out.trim().split('\n').sort();

    beforeAll(async () => {
      // Besides the test driver's running 'test': one domain shut off and one paused.
      const conn = await keep(daemon.testUri);
      await conn.domainDefineXML(`<domain type='test'><name>example-off</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>`);
      const paused = await conn.domainDefineXML(`<domain type='test'><name>example-paused</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>`);
      await conn.domainCreate(paused);
      await conn.domainSuspend(await conn.domainLookupByName('example-paused'));
    });

    it('lists every domain with its id and state, as virsh does (URI as the argument)', async () => {
      const rows = await virshRows();
      expect(rows).toEqual(expect.arrayContaining([expect.stringMatching(/^\d+\ttest\trunning$/), '-\texample-off\tshutoff', expect.stringMatching(/^\d+\texample-paused\tpaused$/)]));
      expect(lines(await example('list-domains.ts', [daemon.testUri]))).toEqual(rows);
    });

    it('takes the URI from LIBVIRT_DEFAULT_URI without an argument, as virsh does', async () => {
      expect(lines(await example('list-domains.ts', [], { LIBVIRT_DEFAULT_URI: daemon.testUri }))).toEqual(await virshRows());
    });
  });

  it('typed-params.ts: reads the memory tunables, changes one, and the daemon has the change', async () => {
    const conn = await keep(daemon.testUri);
    const dom = await conn.domainLookupByName('test');
    const before = (await conn.domainGetMemoryParameters(dom, 16, 0)).params;
    expect(before.hard_limit).toBe(9007199254740991n); // unlimited
    const out = await example('typed-params.ts', [daemon.testUri, 'test']);
    expect(out).toMatch(/^before .*hard_limit: 9007199254740991n[\s\S]*\nafter .*hard_limit: 1048576n/s);
    // Read back by the library and by virsh: only hard_limit changed.
    const after = (await conn.domainGetMemoryParameters(dom, 16, 0)).params;
    expect({ ...after }).toEqual({ ...before, hard_limit: 1048576n });
    expect(await virsh(daemon, daemon.testUri, 'memtune', 'test')).toMatch(/hard_limit\s*:\s*1048576\b/);
  });

  it('errors-and-timeouts.ts: names the error code, then reads the capabilities in time', async () => {
    const out = await example('errors-and-timeouts.ts', [daemon.testUri]);
    const arch = /<host>[\s\S]*?<arch>(.*?)<\/arch>/.exec(await virsh(daemon, daemon.testUri, 'capabilities'))?.[1];
    expect(arch).toBeTruthy();
    expect(out.split('\n')).toEqual([expect.stringMatching(/^VIR_ERR_NO_DOMAIN: Domain not found/), `host arch: ${arch}`, '']);
  });

  it('define-and-start.ts: boots a QEMU guest, prints its info, and leaves nothing behind', async () => {
    expect(await virsh(daemon, daemon.qemuUri, 'list', '--all', '--name')).not.toContain('example-guest');
    const out = await example('define-and-start.ts', [daemon.qemuUri]);
    expect(out).toMatch(/^example-guest \{/);
    expect(out).toMatch(/state: 1,/); // VIR_DOMAIN_RUNNING
    expect(out).toMatch(/maxMem: 32768n,/);
    expect(out).toMatch(/nrVirtCpu: 1,/);
    expect(await virsh(daemon, daemon.qemuUri, 'list', '--all', '--name')).not.toContain('example-guest');
  }, 120_000);

  describe('admin.ts (through a relay that runs as the daemon user)', () => {
    let relay: AdminRelay;
    beforeAll(async () => {
      relay = await startAdminRelay(daemon);
    });
    afterAll(() => relay?.stop());

    /** virt-admin as the daemon's user, on the daemon's own admin socket. */
    const virtAdmin = (...args: string[]) =>
      new Promise<string>((resolve, reject) => {
        execFile('virt-admin', ['-c', 'libvirtd:///session', ...args], { ...daemonIdentity(daemon), env: clientEnv(daemon), cwd: daemon.dir }, (err, stdout, stderr) => {
          if (err) reject(new Error(`virt-admin ${args.join(' ')} failed: ${stderr || err.message}`));
          else resolve(stdout);
        });
      });

    it('lists the servers virt-admin lists, with their worker limits (URI from LIBVIRT_ADMIN_DEFAULT_URI)', async () => {
      const out = await example('admin.ts', [], { LIBVIRT_ADMIN_DEFAULT_URI: 'libvirtd:///session', XDG_RUNTIME_DIR: relay.runtimeDir });
      const servers = (await virtAdmin('srv-list'))
        .split('\n')
        .slice(2)
        .map((l) => l.trim().split(/\s+/)[1])
        .filter((s): s is string => !!s);
      expect(servers.sort()).toEqual(['admin', 'libvirtd']);
      const printed = out.trim().split('\n');
      expect(printed.map((l) => l.split(':')[0]).sort()).toEqual(servers);
      for (const srv of servers) {
        const info = await virtAdmin('srv-threadpool-info', srv);
        const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(\\d+)`, 'm').exec(info)?.[1];
        expect(printed).toContainEqual(expect.stringMatching(new RegExp(`^${srv}: \\d+ clients, ${field('minWorkers')}-${field('maxWorkers')} workers \\(\\d+ running, \\d+ free\\)$`)));
      }
    });
  });

  it("the README's first example lists the domains of a QEMU daemon with their states", async () => {
    const conn = await keep(daemon.qemuUri);
    await conn.domainDefineXML(tinyGuestXml('readme-guest'));
    try {
      const out = await runScript(daemon, 'test/.generated/readme-quick-start.ts', [daemon.qemuUri]);
      expect(out).toContain('readme-guest shutoff\n');
    } finally {
      await conn.domainUndefine(await conn.domainLookupByName('readme-guest'));
    }
  });
}));
