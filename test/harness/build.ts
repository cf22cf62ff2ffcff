/**
 * Builds dist/ with tsup and records what it was built from: a hash of every build input, and
 * the size and time of every file tsup wrote. The tests that run the built package (the bin,
 * Node, Bun and Deno) check that record, so they never test a build of other sources, and
 * jest's globalSetup builds only when the record does not match. `npm run build` is
 * scripts/build-dist.ts over this module.
 *
 * The record lives in node_modules/.cache, not in dist/: a plain `tsup` run rewrites dist/ and
 * so changes the recorded times, which makes the record stale rather than wrong.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { processAlive } from './processes.js';
import { CACHE, REPO } from './repo.js';

export const DIST = join(REPO, 'dist');
const RECORD = join(CACHE, 'dist-build.json');
const LOCK = join(CACHE, 'dist-build.lock');

/** What tsup reads: the sources it bundles, its config, and the toolchain's versions. */
const INPUT_DIRS = ['src', 'protocol', 'handles', 'xml'];
const INPUT_FILES = ['tsup.config.ts', 'tsconfig.json', 'package.json', 'package-lock.json'];

interface BuildRecord {
  inputs: string;
  outputs: Record<string, { size: number; mtimeMs: number }>;
}

export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort();
}

/** One sha256 over the names and contents of every build input. */
export function inputsHash(): string {
  const hash = createHash('sha256');
  const files = [...INPUT_DIRS.flatMap((d) => filesUnder(join(REPO, d))), ...INPUT_FILES.map((f) => join(REPO, f)).filter(existsSync)];
  for (const file of files) {
    const data = readFileSync(file);
    hash.update(`${relative(REPO, file)}\0${data.length}\0`).update(data);
  }
  return hash.digest('hex');
}

function outputs(): BuildRecord['outputs'] {
  return Object.fromEntries(
    filesUnder(DIST).map((f) => {
      const st = statSync(f);
      return [relative(DIST, f), { size: st.size, mtimeMs: st.mtimeMs }];
    }),
  );
}

function readRecord(): BuildRecord | undefined {
  try {
    return JSON.parse(readFileSync(RECORD, 'utf8')) as BuildRecord;
  } catch {
    return undefined;
  }
}

/**
 * Why dist/ is not a build of the sources, or undefined when it is. The sources are the
 * current files, or those whose hash is `inputs` (what a test run's globalSetup saw).
 */
export function distStaleness(inputs?: string): string | undefined {
  if (!existsSync(join(DIST, 'index.js'))) return 'dist/ has not been built';
  const record = readRecord();
  if (!record) return 'dist/ was not built by `npm run build` (no build record)';
  if (inputs === undefined && record.inputs !== inputsHash()) return 'the sources changed since dist/ was built';
  if (inputs !== undefined && record.inputs !== inputs) return 'dist/ was built again, from other sources, since this test run began';
  if (JSON.stringify(outputs()) !== JSON.stringify(record.outputs)) return 'dist/ changed since it was built (another tsup run?)';
  return undefined;
}

/** The inputs' hash of the build dist/ holds (after `build()`), for caches made from dist/. */
export function buildRecordInputs(): string {
  const record = readRecord();
  if (!record) throw new Error('dist/ has no build record: build() first');
  return record.inputs;
}

/** What jest's globalSetup passes to the tests: the inputs' hash of the build it checked. */
export const DIST_INPUTS_ENV = 'LIBVIRT_RPC_DIST_INPUTS';

/**
 * Throws unless dist/ is a build of the sources this test run started with (or, when jest's
 * globalSetup did not check the build, of the current sources); for the tests that run it.
 */
export function assertDistCurrent(): void {
  const why = distStaleness(process.env[DIST_INPUTS_ENV] || undefined);
  if (why) throw new Error(`${why}: \`npm test\` builds it before the tests (jest's globalSetup), or run \`npm run build\``);
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);


/**
 * Runs `fn` holding a lock directory, taken over when the process named in it is gone: two
 * test runs in one checkout must not build into dist/ (or pack it) at once.
 */
export function withLock<T>(lock: string, fn: () => T): T {
  mkdirSync(CACHE, { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      // just made, pid not written yet
    }
    if (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another process holds ${lock} (pid ${holder}) for 15 minutes`);
    sleep(200);
  }
  writeFileSync(join(lock, 'pid'), String(process.pid));
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * The command: dist/command.cjs, the command in one classic script with everything it uses
 * but the optional ssh2, minified (V8 reads all of it at each start); and dist/cli.cjs, the
 * package's bin (src/cli/launch.ts), which runs it through V8's code cache. The licences of
 * the packages bundled into the command go beside it, in dist/command.cjs.LICENSES.txt.
 */
function bundleCommand(quiet?: boolean): void {
  const esbuild = join(REPO, 'node_modules', '.bin', 'esbuild');
  const meta = join(CACHE, 'command-bundle-meta.json');
  const common = ['--bundle', '--platform=node', '--format=cjs', '--target=node20', '--log-level=warning'];
  const runs = [
    [
      'src/cli/bin.ts',
      ...common,
      '--minify',
      '--external:ssh2',
      // ssh2 is required at run time by a name in a variable (src/transport/ssh.ts).
      '--define:__commandRequire=require',
      '--log-override:unsupported-require-call=silent',
      '--legal-comments=none',
      `--metafile=${meta}`,
      // main.ts finds the package's version from its own file: launch.ts passes its URL.
      '--define:import.meta.url=__bundleUrl',
      '--outfile=dist/command.cjs',
    ],
    ['src/cli/launch.ts', ...common, '--outfile=dist/cli.cjs'],
  ];
  for (const args of runs) {
    const r = spawnSync(esbuild, args, { cwd: REPO, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`esbuild failed to bundle ${args[0]}: ${r.stderr ?? ''}`);
  }
  // Not a program of its own: the launcher wraps it in a function, where "use strict" must
  // come first.
  const command = join(DIST, 'command.cjs');
  writeFileSync(command, readFileSync(command, 'utf8').replace(/^#!.*\n/, ''));
  chmodSync(command, 0o644);
  chmodSync(join(DIST, 'cli.cjs'), 0o755);
  const { inputs } = JSON.parse(readFileSync(meta, 'utf8')) as { inputs: Record<string, unknown> };
  const packages = [...new Set(Object.keys(inputs).flatMap((f) => /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1] ?? []))].sort();
  const notices = packages.map((name) => {
    const dir = join(REPO, 'node_modules', name);
    const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string; license?: string };
    const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    return `${name} ${version} (${license ?? 'see its package'})\n\n${file ? readFileSync(join(dir, file), 'utf8').trim() : ''}\n`;
  });
  writeFileSync(join(DIST, 'command.cjs.LICENSES.txt'), `Packages bundled into command.cjs, with their licences.\n\n${notices.join('\n----\n\n')}`);
}

/** The package's entries, as tsup.config.ts names them. */
const ENTRY_NAMES = ['index', 'client', 'protocol', 'testing', 'xml', 'browser'];

/**
 * Each entry's other face, next to what tsup wrote (ESM code, CommonJS declarations):
 * `X.cjs` requires the ESM module (Node's require of ESM, 20.19 and later), so CommonJS and
 * ESM users share one copy of the code and of every class (no dual-package hazard), and
 * `X.d.ts` re-exports the declarations, which ESM may import from CommonJS. The code and the
 * declarations are each in the package once.
 */
function writeCommonJsFaces(): void {
  for (const name of ENTRY_NAMES) {
    writeFileSync(join(DIST, `${name}.cjs`), `'use strict';\n// The ESM build, through require(esm).\nmodule.exports = require('./${name}.js');\n`);
    writeFileSync(join(DIST, `${name}.d.ts`), `export * from './${name}.cjs';\n`);
  }
}

/** Runs tsup and records the build. `quiet` shows tsup's output only when it fails. */
export function build(opts: { ifStale?: boolean; quiet?: boolean } = {}): void {
  withLock(LOCK, () => {
    const why = opts.ifStale ? distStaleness() : 'asked to';
    if (!why) return;
    const inputs = inputsHash();
    rmSync(RECORD, { force: true });
    const t0 = Date.now();
    if (opts.quiet) process.stderr.write(`building dist/ (${why}) ... `);
    const tsup = join(REPO, 'node_modules', '.bin', 'tsup');
    const r = spawnSync(tsup, [], { cwd: REPO, stdio: opts.quiet ? 'pipe' : 'inherit', encoding: 'utf8' });
    if (r.status !== 0) {
      if (opts.quiet) process.stderr.write(`failed\n${r.stdout ?? ''}${r.stderr ?? ''}\n`);
      throw new Error(`tsup failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
    }
    writeCommonJsFaces();
    bundleCommand(opts.quiet);
    // A source edited while tsup ran leaves the old hash recorded: the next run builds again.
    const record: BuildRecord = { inputs, outputs: outputs() };
    writeFileSync(RECORD, JSON.stringify(record));
    if (opts.quiet) process.stderr.write(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  });
}
