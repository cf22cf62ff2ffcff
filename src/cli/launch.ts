#!/usr/bin/env node
/**
 * The package's `libvirt-rpc` bin (built as dist/cli.cjs). It runs the command's one-file
 * build (dist/command.cjs, made from bin.ts with everything it uses) through V8's code cache,
 * so that a command compiles almost nothing when it starts: what the last run compiled is
 * read back instead. Itself CommonJS, so that no ES module loader starts either.
 *
 * Node 22 has a compile cache of its own for ES modules; Node 20, our floor, has only
 * vm.Script's `cachedData`, which needs one classic script, hence the CommonJS build.
 *
 * The cache lives in `$XDG_CACHE_HOME/libvirt-rpc` (or `~/.cache/libvirt-rpc`), one file per
 * Node version and build. It is code this user will run, so it is used only from a directory
 * and file this user owns and no one else can write to; V8 itself refuses a cache made for
 * other source or another V8, and then a new one is written. `NODE_DISABLE_COMPILE_CACHE=1`
 * turns it off, as it does Node's own.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

const bundle = join(__dirname, 'command.cjs');
const cacheFile = codeCacheFile();
const cached = cacheFile ? readPrivate(cacheFile) : undefined;
// CommonJS's wrapper, and the bundle's own URL for what it reads as import.meta.url. The
// bundle is ASCII (esbuild escapes the rest), so latin1 reads it as it is, and faster.
const script = new Script(`(function (exports, require, module, __filename, __dirname, __bundleUrl) {${readFileSync(bundle, 'latin1')}\n})`, {
  filename: bundle,
  ...(cached ? { cachedData: cached } : {}),
});
if (cacheFile && (!cached || script.cachedDataRejected)) process.once('exit', () => save(cacheFile));
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, dirname(bundle), pathToFileURL(bundle).href);

/** Where this build's cache is kept, or undefined when there is no private place for it. */
function codeCacheFile(): string | undefined {
  const env = process.env;
  if (env.NODE_DISABLE_COMPILE_CACHE || typeof process.getuid !== 'function') return undefined;
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : env.HOME ? join(env.HOME, '.cache') : undefined;
  if (!base) return undefined;
  const dir = join(base, 'libvirt-rpc');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!isPrivate(dir)) return undefined;
    const { size, mtimeMs } = statSync(bundle);
    return join(dir, `command-${process.version}-${process.arch}-${size}-${Math.trunc(mtimeMs)}.v8`);
  } catch {
    return undefined;
  }
}

/** Owned by this user and writable by no one else. */
function isPrivate(path: string): boolean {
  const st = statSync(path);
  return st.uid === process.getuid!() && (st.mode & 0o022) === 0;
}

function readPrivate(file: string): Buffer | undefined {
  try {
    return isPrivate(file) ? readFileSync(file) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes what this run compiled (atomically), and drops this Node's caches of other builds. */
function save(file: string): void {
  try {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    renameSync(tmp, file);
    const dir = dirname(file);
    const ours = `command-${process.version}-${process.arch}-`;
    for (const name of readdirSync(dir)) {
      if (name.startsWith(ours) && name.endsWith('.v8') && join(dir, name) !== file) rmSync(join(dir, name), { force: true });
    }
  } catch {
    // A cache that cannot be written costs the next start its compile time, nothing more.
  }
}
