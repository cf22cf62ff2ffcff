/**
 * The web page (examples/web) in Debian's Chromium, driven headless by playwright-core,
 * against the bridge and a real libvirtd with the echo guest: the page lists the guest,
 * starts it with its console attached, the console shows the guest's banner and echoes what
 * is typed, and destroys it; a page from an Origin the bridge does not allow cannot connect.
 * And the library itself in the browser: the read-only sweep through the bridge, compared
 * with python3-libvirt on the daemon's socket, as on Node. Screenshots go to
 * node_modules/.cache/libvirt-rpc/artifacts/.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type Browser, type Page, chromium } from 'playwright-core';
import { connect } from '../../src/index.js';
import { type Bridge, startBridge } from '../../src/bridge/server.js';
import { assertDistCurrent } from '../harness/build.js';
import { echoDisk, writeEchoImage } from '../harness/echo-guest.js';
import { tinyGuestXml } from '../harness/guests.js';
import { findExecutable } from '../harness/packages.js';
import { CACHE, REPO } from '../harness/repo.js';
import type { ThrowawayDaemon } from '../harness/daemon.js';
import { sharedDaemon } from '../helpers/libvirtd.js';
import { CASES, cReference } from '../helpers/sweep-cases.js';

const TOKEN = 'page-token-0123456789';
const ARTIFACTS = join(CACHE, 'artifacts');
let daemon: ThrowawayDaemon;
let bridge: Bridge;
/** A bridge to the daemon's test driver, for the sweep (not read-only: the sweep's domain capabilities need connect:write). */
let testBridge: Bridge;
let site: Server;
let browser: Browser;
let pagePort: number;

/** The page's files, bundled for the browser as a user would (from the built package). */
async function bundlePage(): Promise<string> {
  assertDistCurrent();
  const dir = mkdtempSync(join(tmpdir(), 'web-page-'));
  await build({ entryPoints: [join(REPO, 'examples/web/app.ts')], bundle: true, platform: 'browser', format: 'esm', outfile: join(dir, 'app.js'), logLevel: 'warning' });
  copyFileSync(join(REPO, 'examples/web/index.html'), join(dir, 'index.html'));
  copyFileSync(join(REPO, 'node_modules/@xterm/xterm/css/xterm.css'), join(dir, 'xterm.css'));
  // The sweep, with python3-libvirt's side (a child process) left out of the browser's copy.
  await build({
    entryPoints: [join(REPO, 'test/helpers/browser-sweep.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    outfile: join(dir, 'sweep.js'),
    logLevel: 'warning',
    define: { 'process.env.SWEEP_DEBUG': 'undefined' },
    plugins: [
      {
        name: 'no-python',
        setup(b) {
          b.onResolve({ filter: /\/libvirtd\.js$/ }, () => ({ path: 'libvirtd', namespace: 'stub' }));
          b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export const pythonLibvirt = () => { throw new Error("not in a browser"); };', loader: 'js' }));
        },
      },
    ],
  });
  writeFileSync(join(dir, 'sweep.html'), '<!doctype html><title>sweep</title><script type="module" src="sweep.js"></script>\n');
  return dir;
}

beforeAll(async () => {
  const chromiumPath = findExecutable('chromium');
  if (!chromiumPath) throw new Error("Debian's chromium is not installed (.ci/run installs it)");
  daemon = await sharedDaemon();
  const image = join(daemon.dir, 'web-echo.img');
  writeEchoImage(image, daemon.user);
  const conn = await connect(daemon.qemuUri);
  await conn.domainDefineXML(tinyGuestXml('web-echo', { extraDevices: echoDisk(daemon.pathInDaemon(image)), noGraphics: true }));
  await conn.close();

  const dir = await bundlePage();
  site = createServer((req, res) => {
    const name = (req.url ?? '/').split(/[?#]/)[0]!.replace(/^\/+/, '') || 'index.html';
    const type = name.endsWith('.js') ? 'text/javascript' : name.endsWith('.css') ? 'text/css' : 'text/html';
    let body: Buffer;
    try {
      body = readFileSync(join(dir, name.replace(/[^\w.-]/g, '')));
    } catch {
      return void res.writeHead(404).end();
    }
    res.writeHead(200, { 'content-type': type }).end(body);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  pagePort = (site.address() as AddressInfo).port;
  bridge = await startBridge({ host: '127.0.0.1', port: 0, connect: daemon.qemuUri, env: daemon.env, tokens: [TOKEN], allowOrigins: [`http://127.0.0.1:${pagePort}`] });
  testBridge = await startBridge({ host: '127.0.0.1', port: 0, connect: daemon.testUri, env: daemon.env, tokens: [TOKEN], allowOrigins: [`http://127.0.0.1:${pagePort}`] });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await testBridge?.close();
  await new Promise((r) => (site ? site.close(r) : r(undefined)));
});

const pageUrl = (host = '127.0.0.1') => `http://${host}:${pagePort}/index.html#bridge=ws://127.0.0.1:${bridge.port}/&token=${TOKEN}&uri=qemu:///session`;
const row = (page: Page) => page.locator('tr[data-name="web-echo"]');

describe('the page in Chromium', () => {
  it('lists the guest, starts it with its console, echoes what is typed, and destroys it', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(pageUrl());
      await page.locator('#status', { hasText: 'connected' }).waitFor({ timeout: 30_000 });
      await row(page).locator('[data-field="state"]', { hasText: 'shut off' }).waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'web-listed.png') });

      await row(page).locator('button[data-action="start"]').click();
      await row(page).locator('[data-field="state"]', { hasText: 'running' }).waitFor({ timeout: 60_000 });
      const consoleText = () => page.locator('#console .xterm-rows').innerText();
      await page.waitForFunction(() => document.querySelector('#console .xterm-rows')?.textContent?.includes('libvirt-rpc console ready'), undefined, { timeout: 60_000 });
      // QEMU takes input only a while after start: type until the guest answers.
      await page.locator('#console').click();
      for (const end = Date.now() + 60_000; !(await consoleText()).includes('ZQ') && Date.now() < end; ) {
        await page.keyboard.type('zq');
        await page.waitForTimeout(250);
      }
      await page.keyboard.type('hello from chromium');
      await page.waitForFunction(() => document.querySelector('#console .xterm-rows')?.textContent?.includes('HELLO FROM CHROMIUM'), undefined, { timeout: 30_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'web-console.png') });

      await row(page).locator('button[data-action="destroy"]').click();
      await row(page).locator('[data-field="state"]', { hasText: 'shut off' }).waitFor({ timeout: 60_000 });
    } finally {
      await page.close();
    }
  }, 240_000);

  it('cannot connect from an Origin the bridge does not allow', async () => {
    const page = await browser.newPage();
    try {
      // localhost is another Origin than 127.0.0.1, the one allowed.
      await page.goto(pageUrl('localhost'));
      await page.locator('#status', { hasText: 'cannot connect' }).waitFor({ timeout: 30_000 });
    } finally {
      await page.close();
    }
  }, 60_000);
});

describe('the library in Chromium', () => {
  it('answers the read-only sweep through the bridge as python3-libvirt does on the socket', async () => {
    const theirs = await cReference(daemon, daemon.testUri);
    const page = await browser.newPage();
    try {
      await page.goto(`http://127.0.0.1:${pagePort}/sweep.html`);
      await page.waitForFunction(() => typeof (globalThis as { runSweep?: unknown }).runSweep === 'function', undefined, { timeout: 30_000 });
      const mine = await page.evaluate(
        ([url, token]) => (globalThis as unknown as { runSweep: (u: string, t: string) => Promise<unknown[]> }).runSweep(url, token),
        [`ws://127.0.0.1:${testBridge.port}/`, TOKEN] as const,
      );
      expect(mine).toHaveLength(CASES.length);
      for (let i = 0; i < CASES.length; i++) expect({ case: CASES[i]!.name, value: mine[i] }).toEqual({ case: CASES[i]!.name, value: theirs[i] });
    } finally {
      await page.close();
    }
  }, 120_000);
});
