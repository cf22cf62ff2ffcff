/**
 * The built library on Node, Bun and Deno (from the npm packages `bun` and `deno`) against a
 * real daemon: connect over the unix socket, calls, an event, close. CI builds before testing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ThrowawayDaemon, sharedDaemon } from '../helpers/libvirtd.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');
const LIB = join(REPO, 'dist/index.js');
const SMOKE = join(REPO, 'test/runtimes/smoke.mjs');
const BIN = join(REPO, 'node_modules/.bin');

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: REPO, timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} failed: ${stderr || err.message}`)) : resolve(stdout.trim().split('\n').pop()!),
    );
  });
}

const built = existsSync(LIB);
if (!built && process.env.CI) throw new Error('dist/index.js is missing: CI builds before it tests');

(built ? describe : describe.skip)('one smoke, three runtimes (skipped without a build: run npm run build)', () => {
  let daemon: ThrowawayDaemon;
  beforeAll(async () => {
    daemon = await sharedDaemon();
  });

  const expected = { type: 'TEST', domains: ['test'], events: ['rt', 'rt'] };
  it('Node', async () => {
    expect(JSON.parse(await run(process.execPath, [SMOKE, LIB, daemon.testUri]))).toEqual(expected);
  });
  it('Bun', async () => {
    expect(JSON.parse(await run(join(BIN, 'bun'), [SMOKE, LIB, daemon.testUri]))).toEqual(expected);
  });
  it('Deno (with read, write, net, env and sys permissions)', async () => {
    const deno = ['run', '--no-prompt', '--allow-read', '--allow-write', '--allow-net', '--allow-env', '--allow-sys', SMOKE, LIB, daemon.testUri];
    expect(JSON.parse(await run(join(BIN, 'deno'), deno))).toEqual(expected);
  });
});
