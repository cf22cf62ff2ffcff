/**
 * The package as a user gets it: dist/ built, `npm pack`ed, and the tarball installed into a
 * fresh app together with ssh2 (the optional peer) and @types/node (the other peer), each at
 * the version our devDependencies have installed, so npm's cache can serve them. For the tests
 * that check the package and run it on Node, Bun and Deno by its name. Made once per content
 * of the package (the build's inputs, examples/, README, LICENSE) and of the app, and kept
 * under node_modules/.cache; a lock keeps parallel jest workers from making it twice.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST_INPUTS_ENV, assertDistCurrent, build, buildRecordInputs, distStaleness, filesUnder, withLock } from './build.js';
import { CACHE, REPO } from './repo.js';

/** What `npm pack --json` says of the tarball. */
export interface PackInfo {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

export interface PackedApp {
  /** The app's directory: `node_modules/libvirt-rpc` is the installed tarball. */
  dir: string;
  /** The tarball itself. */
  tarball: string;
  pack: PackInfo;
}

/** The files `npm pack` takes besides dist/, which the build record does not cover. */
const PACKED_SOURCES = ['examples', 'README.md', 'LICENSE'];

/** The peers an app installs beside libvirt-rpc: ssh2 (optional, for ssh URIs) and Node's types. */
const APP_DEPENDENCIES = ['ssh2', '@types/node'];

/** The packages installed beside the tarball, as `name@version`. */
function appDependencies(): string[] {
  return APP_DEPENDENCIES.map((name) => `${name}@${installedVersion(name)}`);
}

/** A hash of what the app is made of: the build's inputs, the other packed files, the app's dependencies. */
function packageKey(inputs: string): string {
  const hash = createHash('sha256').update(inputs).update(`\0${appDependencies().join('\0')}\0`);
  for (const name of PACKED_SOURCES) {
    const path = join(REPO, name);
    for (const file of !existsSync(path) ? [] : statSync(path).isDirectory() ? filesUnder(path) : [path]) {
      hash.update(`${file.slice(REPO.length)}\0`).update(readFileSync(file));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

function npm(args: string[], cwd: string): string {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}):\n${r.stderr}`);
  return r.stdout;
}

/** The version of a devDependency as installed here, so the app's install can be served from npm's cache. */
const installedVersion = (name: string) => (JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Builds, packs and installs the package unless that was done for its current content. In a
 * jest run (whose globalSetup built dist/ and passed its inputs' hash on) it does not build
 * again, even when sources were edited since the run began: it packs the build the run tests.
 */
export function packedApp(): PackedApp {
  if (process.env[DIST_INPUTS_ENV]) assertDistCurrent();
  else build({ ifStale: true, quiet: true });
  const root = join(CACHE, 'packed');
  return withLock(join(CACHE, 'packed.lock'), () => {
    const inputs = buildRecordInputs();
    const dir = join(root, packageKey(inputs));
    const done = join(dir, 'pack.json');
    if (!existsSync(done)) {
      rmSync(root, { recursive: true, force: true }); // older contents: nothing uses them now
      const app = join(dir, 'app');
      mkdirSync(app, { recursive: true });
      const pack = (JSON.parse(npm(['pack', '--json', '--pack-destination', dir], REPO)) as PackInfo[])[0]!;
      // A build into dist/ while npm read it (another test run, `npm run build`) would leave a
      // tarball of neither build.
      const why = distStaleness(inputs);
      if (why) throw new Error(`dist/ changed while it was packed (${why}); run again`);
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'packed-app', private: true, type: 'module' }, null, 2));
      // Scripts off: ssh2's optional native helper (cpu-features) would build with node-gyp,
      // and ssh2 works without it.
      npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', join(dir, pack.filename), ...appDependencies()], app);
      writeFileSync(done, JSON.stringify(pack));
    }
    const pack = JSON.parse(readFileSync(done, 'utf8')) as PackInfo;
    return { dir: join(dir, 'app'), tarball: join(dir, pack.filename), pack };
  });
}
