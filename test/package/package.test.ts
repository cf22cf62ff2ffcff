/**
 * The package as a user gets it (test/harness/packed-app.ts: packed, and the tarball installed in a
 * fresh app): what the tarball holds and weighs, every entry imported and required, strict
 * TypeScript under every module resolution, bundles and their sizes against the limits, and
 * publint and attw. Sizes are written to node_modules/.cache/libvirt-rpc/bundle-sizes.json for
 * bench/RESULTS.md.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type PackedApp, packedApp } from '../harness/packed-app.js';
import { CACHE, REPO } from '../harness/repo.js';

const ENTRIES = ['libvirt-rpc', 'libvirt-rpc/client', 'libvirt-rpc/protocol', 'libvirt-rpc/testing'];
const BIN = join(REPO, 'node_modules/.bin');
const MB = 1_000_000;

let app: PackedApp;
/** A directory of this run's own inside the app, so its files resolve the app's node_modules. */
let work: string;

function run(cmd: string, args: string[], cwd = work, env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, maxBuffer: 64 << 20, env: { ...process.env, NODE_OPTIONS: '', ...env } }, (err, out, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: stderr }),
    );
  });
}

async function ok(cmd: string, args: string[], cwd = work, env: Record<string, string> = {}): Promise<string> {
  const r = await run(cmd, args, cwd, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}):\n${r.out}\n${r.err}`);
  return r.out;
}

beforeAll(() => {
  app = packedApp();
  work = mkdtempSync(join(app.dir, 'check-'));
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  it('is at most 7.5 MB unpacked and holds only what users need', () => {
    // 6 MB until the command grew to 271 of virsh's commands (about 0.4 MB); 7 MB until the
    // command became one script that V8 caches (dist/command.cjs, 1.2 MB minified, holding
    // again the library code it uses), which starts it three times faster.
    expect(app.pack.unpackedSize).toBeLessThanOrEqual(7.5 * MB);
    const paths = app.pack.files.map((f) => f.path);
    // No source maps, no tests, no sources, and nothing of ../shared (libvirt's .x protocol files, its .rng schemas).
    const unwanted = /\.map$|(^|\/)tests?\/|\.(test|spec)\.|(^|\/)shared\/|\.x$|\.rng$|^(src|codegen|protocol|scripts|bench)\//;
    expect(paths.filter((p) => unwanted.test(p))).toEqual([]);
    for (const name of ['package.json', 'README.md', 'LICENSE', 'dist/cli.cjs', 'dist/command.cjs', 'dist/command.cjs.LICENSES.txt']) expect(paths).toContain(name);
    const examples = (readdirSync(join(REPO, 'examples'), { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
      .filter((e) => e.isFile())
      .map((e) => `${e.parentPath ?? (e as unknown as { path: string }).path}/${e.name}`.slice(REPO.length + 1));
    expect(examples.length).toBeGreaterThan(0);
    for (const e of examples) expect(paths).toContain(e);
    for (const entry of ['index', 'client', 'protocol', 'testing', 'xml', 'browser']) {
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) expect(paths).toContain(`dist/${entry}.${ext}`);
    }
  });

  it('is installed in the app with its own peers, at our devDependencies\' versions', () => {
    // The app lives under the repository's node_modules: what it lacks would resolve from there.
    const version = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    for (const name of ['ssh2', '@types/node']) expect(version(join(app.dir, 'node_modules', name))).toBe(version(join(REPO, 'node_modules', name)));
    expect(version(join(app.dir, 'node_modules/libvirt-rpc'))).toBe(version(REPO));
  });

  it('has the codecs once: one chunk encodes remote_domain_get_info_args', () => {
    const installed = join(app.dir, 'node_modules/libvirt-rpc/dist');
    const holders = readdirSync(installed).filter((f) => f.endsWith('.js') && readFileSync(join(installed, f), 'utf8').includes('function encodeRemoteDomainGetInfoArgs('));
    expect(holders).toHaveLength(1);
  });
});

describe('every entry loads', () => {
  it('with import and with require, sharing one copy of each class', async () => {
    writeFileSync(
      join(work, 'load.mjs'),
      `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const out = {};
for (const entry of ${JSON.stringify(ENTRIES)}) {
  const esm = await import(entry);
  const cjs = require(entry);
  out[entry] = { esm: Object.keys(esm).length, cjs: Object.keys(cjs).length };
}
const root = await import('libvirt-rpc');
out.sameClient = require('libvirt-rpc').Client === root.Client && require('libvirt-rpc/client').Client === root.Client;
out.sameError = require('libvirt-rpc').LibvirtError === root.LibvirtError;
out.codec = typeof (await import('libvirt-rpc/protocol')).RemoteDomainGetInfoArgsCodec.encode;
out.fake = typeof require('libvirt-rpc/testing').FakeDaemon;
console.log(JSON.stringify(out));`,
    );
    writeFileSync(join(work, 'load.cjs'), `const r = require('libvirt-rpc'); console.log(typeof r.connect, typeof require('libvirt-rpc/client').openClient);`);
    const out = JSON.parse(await ok(process.execPath, ['load.mjs']));
    for (const entry of ENTRIES) {
      expect(out[entry].esm).toBeGreaterThan(0);
      expect(out[entry].cjs).toBe(out[entry].esm);
    }
    expect(out).toMatchObject({ sameClient: true, sameError: true, codec: 'function', fake: 'function' });
    expect((await ok(process.execPath, ['load.cjs'])).trim()).toBe('function function');
  }, 120_000);

  it('the root exports the API, not the codecs', async () => {
    writeFileSync(join(work, 'names.mjs'), `const m = await import('libvirt-rpc'); console.log(JSON.stringify(Object.keys(m)));`);
    const names: string[] = JSON.parse(await ok(process.execPath, ['names.mjs']));
    for (const name of ['connect', 'Connection', 'Client', 'openClient', 'LibvirtError', 'VIR_DOMAIN_RUNNING', 'remoteProcedures', 'Fleet']) expect(names).toContain(name);
    expect(names.filter((n) => /^(encode|decode)Remote|Codec$|^Xdr(Writer|Reader)$/.test(n))).toEqual([]);
  }, 120_000);

  it('the bin runs from the installed package', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect((await ok(join(app.dir, 'node_modules/.bin/libvirt-rpc'), ['--version'])).trim()).toBe(pkg.version);
  }, 120_000);

  it("the bin's one-script build loads the carriers it dials only then: TLS, a tunnel command, ssh2", async () => {
    const bin = join(app.dir, 'node_modules/.bin/libvirt-rpc');
    // Nothing listens on port 1: each dial must get as far as the carrier's own refusal.
    const tls = await run(bin, ['-c', 'qemu+tls://127.0.0.1:1/system?no_verify=1&pkipath=/nonexistent', 'list']);
    expect(tls).toMatchObject({ code: 1, err: 'error: TLS with 127.0.0.1:1 failed: connect ECONNREFUSED 127.0.0.1:1\n' });
    const ext = await run(bin, ['-c', 'qemu+ext:///system?command=/bin/false', 'list']);
    expect(ext.code).toBe(1);
    expect(ext.err).toMatch(/^error: connection (lost|closed)/);
    const ssh = await run(bin, ['-c', 'qemu+ssh://nobody@127.0.0.1:1/system?no_verify=1', 'list']);
    expect(ssh).toMatchObject({ code: 1, err: 'error: cannot connect to ssh server 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n' });
  }, 120_000);

  describe("the command's code cache", () => {
    const bin = () => join(app.dir, 'node_modules/.bin/libvirt-rpc');
    const version = () => (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    const caches = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.v8')) : []);

    it('is written to a private directory of the user on the first run and read on the next', async () => {
      const home = mkdtempSync(join(work, 'home-'));
      const dir = join(home, '.cache', 'libvirt-rpc');
      expect((await ok(bin(), ['--version'], work, { HOME: home, XDG_CACHE_HOME: '' })).trim()).toBe(version());
      const [file] = caches(dir);
      expect(file).toMatch(/^command-v\d+\.\d+\.\d+-\w+-\d+-\d+\.v8$/);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, file!)).mode & 0o777).toBe(0o600);
      const written = statSync(join(dir, file!)).mtimeMs;
      expect((await ok(bin(), ['--version'], work, { HOME: home, XDG_CACHE_HOME: '' })).trim()).toBe(version());
      // Accepted: not written again.
      expect(statSync(join(dir, file!)).mtimeMs).toBe(written);
    }, 120_000);

    it('follows XDG_CACHE_HOME, and NODE_DISABLE_COMPILE_CACHE turns it off', async () => {
      const xdg = mkdtempSync(join(work, 'xdg-'));
      await ok(bin(), ['--version'], work, { XDG_CACHE_HOME: xdg });
      expect(caches(join(xdg, 'libvirt-rpc'))).toHaveLength(1);
      const off = mkdtempSync(join(work, 'off-'));
      await ok(bin(), ['--version'], work, { XDG_CACHE_HOME: off, NODE_DISABLE_COMPILE_CACHE: '1' });
      expect(caches(join(off, 'libvirt-rpc'))).toEqual([]);
    }, 120_000);

    it('is neither read nor written where others could write, and a damaged one is replaced', async () => {
      const shared = mkdtempSync(join(work, 'shared-'));
      mkdirSync(join(shared, 'libvirt-rpc'), { mode: 0o777 });
      chmodSync(join(shared, 'libvirt-rpc'), 0o777);
      expect((await ok(bin(), ['--version'], work, { XDG_CACHE_HOME: shared })).trim()).toBe(version());
      expect(caches(join(shared, 'libvirt-rpc'))).toEqual([]);

      const damaged = mkdtempSync(join(work, 'damaged-'));
      await ok(bin(), ['--version'], work, { XDG_CACHE_HOME: damaged });
      const file = join(damaged, 'libvirt-rpc', caches(join(damaged, 'libvirt-rpc'))[0]!);
      writeFileSync(file, Buffer.alloc(4096, 7), { mode: 0o600 });
      expect((await ok(bin(), ['--version'], work, { XDG_CACHE_HOME: damaged })).trim()).toBe(version());
      expect(statSync(file).size).not.toBe(4096);
    }, 120_000);
  });
});

describe('strict TypeScript with skipLibCheck off', () => {
  const source = `import { connect, LibvirtError, type RemoteNonnullDomain, type TypedParams } from 'libvirt-rpc';
import { openClient, connectGetLibVersion, Client } from 'libvirt-rpc/client';
import { XdrWriter, RemoteDomainGetInfoArgsCodec, remoteProcConnectGetLibVersion } from 'libvirt-rpc/protocol';
import { FakeDaemon } from 'libvirt-rpc/testing';

export async function main(dom: RemoteNonnullDomain, params: TypedParams): Promise<bigint> {
  const conn = await connect('qemu:///system');
  const info: { state: number } = await conn.domainGetInfo(dom);
  await conn.domainSetMemoryParameters(dom, params);
  const client: Client = await openClient('qemu:///system');
  const w = new XdrWriter();
  RemoteDomainGetInfoArgsCodec.encode(w, { dom });
  void new FakeDaemon(); void remoteProcConnectGetLibVersion.number; void info;
  try { return await connectGetLibVersion(client); } catch (e) { if (e instanceof LibvirtError) return 0n; throw e; }
}
`;
  const cases: [string, Record<string, string>, string][] = [
    ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }, 'ts'],
    ['node16', { module: 'node16', moduleResolution: 'node16' }, 'ts'],
    ['bundler, module esnext', { module: 'esnext', moduleResolution: 'bundler' }, 'ts'],
    ['bundler, module preserve', { module: 'preserve', moduleResolution: 'bundler' }, 'ts'],
    ['nodenext from CommonJS (.cts)', { module: 'nodenext', moduleResolution: 'nodenext' }, 'cts'],
  ];

  it.each(cases)('%s', async (label, options, ext) => {
    const dir = join(work, `tsc-${label.replace(/\W+/g, '-')}`);
    mkdirSync(dir, { recursive: true });
    // A .cts cannot await at top level or import with `type` modifiers only; the same calls in a function do.
    writeFileSync(join(dir, `main.${ext}`), source);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          ...options,
          target: 'es2022',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          types: ['node'],
          // The app's own Node types, not the repository's (whose node_modules holds the app).
          typeRoots: [join(app.dir, 'node_modules/@types')],
        },
        files: [`main.${ext}`],
      }),
    );
    const r = await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
    expect(r.out + r.err).toBe('');
    expect(r.code).toBe(0);
  }, 300_000);
});

describe('bundles (esbuild, --platform=node, minified, nothing external)', () => {
  const sizes: Record<string, { bytes: number; gzip: number }> = {};
  afterAll(() => {
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(join(CACHE, 'bundle-sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
  });

  async function bundle(name: string, script: string): Promise<{ bytes: number; gzip: number; code: string }> {
    writeFileSync(join(work, `${name}.mjs`), script);
    const out = join(work, `${name}.bundle.mjs`);
    const r = await run(join(BIN, 'esbuild'), [`${name}.mjs`, '--bundle', '--platform=node', '--minify', '--format=esm', `--outfile=${out}`, '--log-level=warning']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const code = readFileSync(out, 'utf8');
    sizes[name] = { bytes: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length };
    // ssh2 and its native parts stay out: the package loads ssh2 by a specifier bundlers do not follow.
    expect(code.match(/require\(["'][^"']*\.node["']\)|cpu-features|sshcrypto|ssh2\/lib/g) ?? []).toEqual([]);
    return { ...sizes[name]!, code };
  }

  it('libvirt-rpc/browser bundles for a browser with no module of Node\'s, Connection and the WebSocket carrier included', async () => {
    writeFileSync(
      join(work, 'page.mjs'),
      `import { openBridge, VIR_DOMAIN_RUNNING } from 'libvirt-rpc/browser';\nconst conn = await openBridge(location.origin.replace(/^http/, 'ws') + '/', 'qemu:///system');\nfor (const d of await conn.domains.listAll()) console.log(d.name, VIR_DOMAIN_RUNNING);\n`,
    );
    const out = join(work, 'page.bundle.js');
    const r = await run(join(BIN, 'esbuild'), ['page.mjs', '--bundle', '--platform=browser', '--minify', '--format=esm', `--outfile=${out}`, '--log-level=warning']);
    expect(r).toMatchObject({ code: 0, err: '' });
    const code = readFileSync(out, 'utf8');
    // No import of Node's modules, in any form (names in strings, for the runtimes that have them, are fine).
    expect(code.match(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["']node:[^"']*["']/g) ?? []).toEqual([]);
    expect(code).toContain('arraybuffer');
    sizes['browser-page'] = { bytes: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length };
  }, 120_000);

  it('LibvirtError alone is a few kilobytes', async () => {
    const b = await bundle('error-only', `import { LibvirtError } from 'libvirt-rpc';\nconsole.log(LibvirtError.name);\n`);
    expect(b.bytes).toBeLessThan(20_000);
  }, 120_000);

  it('openClient and connectGetLibVersion stay within 150 KB, without the other procedures', async () => {
    const b = await bundle(
      'lean-version',
      `import { openClient, connectGetLibVersion } from 'libvirt-rpc/client';\nconst c = await openClient(process.argv[2]);\nconsole.log(await connectGetLibVersion(c));\nawait c.close();\n`,
    );
    expect(b.bytes).toBeLessThanOrEqual(150_000);
    expect(b.code).not.toContain('remote_domain_snapshot_create_xml_args');
  }, 120_000);

  it('connect() with a method bundles, and runs', async () => {
    const b = await bundle(
      'root-version',
      `import { connect } from 'libvirt-rpc';
try {
  const c = await connect(process.argv[2]);
  console.log(await c.connectGetLibVersion());
  await c.close();
} catch (e) {
  console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message }));
}
`,
    );
    expect(b.code).toContain('remote_domain_snapshot_create_xml_args'); // Connection has every method
    // No daemon needed to show the bundle runs: a socket that is not there is a ConnectionError.
    const sock = join(work, 'none.sock');
    const out = JSON.parse(await ok(process.execPath, [join(work, 'root-version.bundle.mjs'), `test+unix:///default?socket=${sock}`]));
    expect(out).toEqual({ name: 'ConnectionError', code: 'ENOENT', message: `cannot connect to the libvirt socket ${sock}: connect ENOENT ${sock}` });
  }, 120_000);

  it('every function of libvirt-rpc/client, for the record', async () => {
    const b = await bundle(
      'every-procedure',
      `import * as client from 'libvirt-rpc/client';\nglobalThis.calls = Object.values(client);\nconsole.log(globalThis.calls.length);\n`,
    );
    expect(b.bytes).toBeGreaterThan(sizes['lean-version']?.bytes ?? 0);
  }, 120_000);
});

describe('package linters', () => {
  it('publint --strict finds nothing', async () => {
    const out = await ok(join(BIN, 'publint'), ['--strict', join(app.dir, 'node_modules/libvirt-rpc')]);
    expect(out).toMatch(/All good/);
  }, 120_000);

  it('attw finds no problem for any entry, node10 included', async () => {
    const r = await run(join(BIN, 'attw'), [app.tarball, '--format', 'json']);
    const report = JSON.parse(r.out) as { analysis: { problems: unknown[]; entrypoints: Record<string, unknown> } };
    expect(report.analysis.problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(['.', './browser', './client', './package.json', './protocol', './testing', './xml']);
    expect(r.code).toBe(0);
  }, 300_000);
});
