/**
 * The throwaway libvirtd harness itself: the daemon is private and unprivileged, the C
 * clients reach it, qemu:///session boots a guest, several run side by side, and nothing is
 * left behind: not by stop(), not by a failed start, not by a process that dies.
 * Nothing here skips: a machine without libvirt gets it installed (as root on Debian) or
 * fails with the packages to install.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ThrowawayDaemon, startThrowawayLibvirtd } from '../harness/daemon.js';
import { checkQemuSession, tinyGuestXml } from '../harness/guests.js';
import { ensureLibvirtPackages } from '../harness/packages.js';
import { freePort } from '../harness/ports.js';
import { processAlive } from '../harness/processes.js';
import { REPO } from '../harness/repo.js';
import { DAEMON_USER } from '../harness/users.js';
import { pythonLibvirt, sharedDaemon, virsh } from '../helpers/libvirtd.js';

const timings: Record<string, number> = {};
const since = (t0: number) => Math.round(performance.now() - t0);
const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Defines (and optionally starts) a tiny guest through virsh; returns its QEMU pid if started. */
async function guest(d: ThrowawayDaemon, name: string, start: boolean): Promise<number | undefined> {
  const xml = join(d.dir, `${name}.xml`);
  writeFileSync(xml, tinyGuestXml(name));
  await virsh(d, d.qemuUri, 'define', xml);
  if (!start) return undefined;
  await virsh(d, d.qemuUri, 'start', name);
  return Number(readFileSync(join(d.env.XDG_RUNTIME_DIR!, 'libvirt', 'qemu', 'run', `${name}.pid`), 'utf8'));
}

afterAll(() => {
  console.info(`harness timings (ms): ${JSON.stringify(timings)}`);
});

describe('a throwaway libvirtd', () => {
  let daemon: ThrowawayDaemon;
  beforeAll(async () => {
    await ensureLibvirtPackages();
    const t0 = performance.now();
    daemon = await sharedDaemon();
    timings.daemonStart = since(t0);
  });

  it('runs unprivileged, in its own private dirs', () => {
    expect(processAlive(daemon.pid)).toBe(true);
    expect(uidOf(daemon.pid)).toBe(daemon.uid);
    if (process.getuid?.() === 0) {
      expect(daemon.user).toBe(DAEMON_USER);
      expect(daemon.uid).not.toBe(0);
    }
    for (const p of [daemon.socket, daemon.adminSocket, daemon.env.XDG_RUNTIME_DIR!, daemon.env.XDG_CONFIG_HOME!, daemon.env.HOME!]) {
      expect(p.startsWith(daemon.dir + '/')).toBe(true);
      expect(existsSync(p)).toBe(true);
    }
    expect(statSync(daemon.socket).isSocket()).toBe(true);
    expect(statSync(daemon.env.XDG_RUNTIME_DIR!).mode & 0o777).toBe(0o700);
    expect(daemon.testUri).toBe(`test+unix:///default?socket=${daemon.socket}`);
    expect(daemon.qemuUri).toBe(`qemu+unix:///session?socket=${daemon.socket}`);
  });

  it("answers virsh with the test driver's `test` domain", async () => {
    const out = await virsh(daemon, daemon.testUri, 'list', '--all');
    expect(out).toMatch(/^\s*1\s+test\s+running\s*$/m);
  });

  it('answers python3-libvirt', async () => {
    const names = await pythonLibvirt(daemon, daemon.testUri, 'print(json.dumps(sorted(d.name() for d in conn.listAllDomains())))');
    expect(names).toEqual(['test']);
    const type = await pythonLibvirt(daemon, daemon.qemuUri, 'print(json.dumps(conn.getType()))');
    expect(type).toBe('QEMU');
  });

  it('boots, sees running and destroys a tiny QEMU/TCG guest on qemu:///session', async () => {
    const t0 = performance.now();
    const check = await checkQemuSession(daemon, 'harness-tiny');
    Object.assign(timings, { guestCheckTotal: since(t0), guestDefine: check.defineMs, guestStart: check.startMs, guestDestroy: check.destroyMs });
    expect(await virsh(daemon, daemon.qemuUri, 'list', '--all', '--name')).not.toContain('harness-tiny');
  });
});

describe('stop()', () => {
  it('kills a guest left running, removes the dir and the daemon is gone; twice is fine', async () => {
    const d = await startThrowawayLibvirtd({ name: 'h-stop' });
    const qemuPid = (await guest(d, 'left-running', true))!;
    expect(processAlive(qemuPid)).toBe(true);
    const t0 = performance.now();
    await d.stop();
    timings.stopWithGuest = since(t0);
    expect(existsSync(d.dir)).toBe(false);
    expect(processAlive(d.pid)).toBe(false);
    expect(processAlive(qemuPid)).toBe(false);
    await d.stop();
  });

  it('cleans up after a daemon killed with SIGKILL', async () => {
    const d = await startThrowawayLibvirtd({ name: 'h-killed' });
    d.kill('SIGKILL');
    await d.stop();
    expect(existsSync(d.dir)).toBe(false);
    expect(processAlive(d.pid)).toBe(false);
  });
});

describe('several daemons', () => {
  it('run side by side, isolated, each on its own socket and TCP port', async () => {
    const ports = [await freePort(), await freePort()];
    const t0 = performance.now();
    const [a, b] = await Promise.all(ports.map((port, i) => startThrowawayLibvirtd({ name: `h-side${i}`, listenTcp: { port } })));
    timings.twoDaemonsStart = since(t0);
    try {
      expect(new Set([a!.dir, b!.dir, a!.socket, b!.socket]).size).toBe(4);
      expect(a!.pid).not.toBe(b!.pid);
      for (const port of ports) expect(await virsh(a!, `test+tcp://127.0.0.1:${port}/default`, 'list', '--all')).toMatch(/\btest\s+running/);
      // Guests booted at once on both: each daemon hands out VNC ports from its own range.
      await Promise.all([guest(a!, 'only-in-a', true), guest(b!, 'only-in-b', true)]);
      expect(await virsh(a!, a!.qemuUri, 'list', '--all', '--name')).toContain('only-in-a');
      expect(await virsh(b!, b!.qemuUri, 'list', '--all', '--name')).not.toContain('only-in-a');
      await a!.stop();
      expect(await virsh(b!, b!.qemuUri, 'domstate', 'only-in-b')).toContain('running');
    } finally {
      await Promise.all([a!.stop(), b!.stop()]);
    }
  });
});

describe('failures and dying processes', () => {
  const prefixCount = (word: string) => readdirSync(tmpdir()).filter((f) => f.startsWith(`libvirt-rpc-${word}-`)).length;

  it('a daemon that cannot start says why (with its log) and leaves no dir', async () => {
    const before = prefixCount('h-badconf');
    const err = await startThrowawayLibvirtd({ name: 'h-badconf', extraConfig: 'this is not = valid' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/libvirtd did not start[\s\S]*libvirtd\.conf/);
    expect(prefixCount('h-badconf')).toBe(before);
  });

  /** A child process that starts a daemon, prints {pid, dir}, and then exits or waits. */
  async function orphanOwner(mode: 'exit' | 'wait'): Promise<{ child: ChildProcess; pid: number; dir: string }> {
    const scratch = mkdtempSync(join(tmpdir(), 'harness-child-'));
    const script = join(scratch, 'owner.mts');
    const harness = pathToFileURL(join(REPO, 'test', 'harness', 'daemon.ts')).href;
    writeFileSync(
      script,
      `import { startThrowawayLibvirtd } from ${JSON.stringify(harness)};\n` +
        `const d = await startThrowawayLibvirtd({ name: 'h-orphan' });\n` +
        `console.log(JSON.stringify({ pid: d.pid, dir: d.dir }));\n` +
        (mode === 'exit' ? 'process.exit(0);\n' : 'setInterval(() => {}, 1000);\n'),
    );
    // node --import tsx rather than the tsx bin, which relays signals to a child of its own.
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('exit', () => rmSync(scratch, { recursive: true, force: true }));
    return { child, ...(JSON.parse(await firstLine(child)) as { pid: number; dir: string }) };
  }

  it("a process that exits without stop() takes its daemon with it ('exit' hook)", async () => {
    const { child, pid, dir } = await orphanOwner('exit');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r)); // the hook runs before the exit
    expect(await eventually(() => !processAlive(pid))).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });

  it('a process interrupted by SIGINT takes its daemon with it, and still dies of SIGINT', async () => {
    const { child, pid, dir } = await orphanOwner('wait');
    expect(processAlive(pid)).toBe(true);
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, sig) => r(sig)));
    child.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    expect(await eventually(() => !processAlive(pid))).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('scripts/libvirtd.ts', () => {
  it('prints the daemon as JSON, serves it, and stops it on SIGTERM', async () => {
    const port = await freePort();
    const cli = spawn(join(REPO, 'node_modules', '.bin', 'tsx'), [join(REPO, 'scripts', 'libvirtd.ts'), 'start', '--tcp', String(port), '--name', 'h-cli'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const info = JSON.parse(await untilJsonObject(cli)) as Record<string, unknown> & { pid: number; dir: string; env: Record<string, string> };
    expect(info).toMatchObject({ testUri: expect.stringContaining('test+unix:///default?socket='), tcpTestUri: `test+tcp://127.0.0.1:${port}/default` });
    expect(await virsh({ env: info.env } as ThrowawayDaemon, info.tcpTestUri as string, 'list', '--all')).toMatch(/\btest\s+running/);
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    cli.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(processAlive(info.pid)).toBe(false);
    expect(existsSync(info.dir)).toBe(false);
    expect(existsSync(dirname(info.dir))).toBe(true);
  });
});

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing: ${buf}`)));
  });
}

/** The CLI pretty-prints one JSON object; it is complete at the first line that is `}`. */
function untilJsonObject(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (/^\}$/m.test(out)) resolve(out.slice(0, out.search(/^\}$/m) + 1));
    });
    child.once('exit', (code) => reject(new Error(`CLI exited (${code}): ${out}\n${err}`)));
  });
}

describe('the libvirt 11.3 daemon in the chroot', () => {
  /** The pid of a guest's QEMU, from the daemon's private /run/libvirt/qemu (a system daemon's). */
  const qemuPidOf = (d: ThrowawayDaemon, name: string) => Number(readFileSync(join(d.dir, 'state', 'run-libvirt', 'qemu', `${name}.pid`), 'utf8'));

  it('runs several side by side, each with its own drivers and guests, on sockets the host reaches; stop() leaves nothing', async () => {
    const ports = [await freePort(), await freePort()];
    const t0 = performance.now();
    const [a, b] = await Promise.all(ports.map((port, i) => startThrowawayLibvirtd({ generation: '11.3', name: `h11-${i}`, listenTcp: { port } })));
    timings.two11DaemonsStart = since(t0);
    try {
      expect(a!.version).toBe('11.3.0');
      expect(a!.generation).toBe('11.3');
      expect(new Set([a!.dir, b!.dir, a!.socket, b!.socket]).size).toBe(4);
      // The host's 9.0 C client on the 11.3 daemon, over the unix socket and TCP.
      expect(await virsh(a!, a!.testUri, 'version', '--daemon')).toMatch(/Running against daemon: 11\.3\.0/);
      for (const port of ports) expect(await virsh(a!, `test+tcp://127.0.0.1:${port}/default`, 'list', '--all')).toMatch(/\btest\s+running/);
      // A guest on each: the system-mode QEMU drivers do not see each other's guests.
      await Promise.all([guest11(a!, 'only-in-a'), guest11(b!, 'only-in-b')]);
      expect(await virsh(a!, a!.qemuUri, 'list', '--all', '--name')).toContain('only-in-a');
      expect(await virsh(b!, b!.qemuUri, 'list', '--all', '--name')).not.toContain('only-in-a');
      const qemuA = qemuPidOf(a!, 'only-in-a');
      expect(processAlive(qemuA)).toBe(true);
      await a!.stop();
      // The guest left running is gone with its daemon, and so is the daemon's dir.
      expect(processAlive(qemuA)).toBe(false);
      expect(processAlive(a!.pid)).toBe(false);
      expect(existsSync(a!.dir)).toBe(false);
      expect(await virsh(b!, b!.qemuUri, 'domstate', 'only-in-b')).toContain('running');
    } finally {
      await Promise.all([a!.stop(), b!.stop()]);
    }
    expect(existsSync(b!.dir)).toBe(false);
  });

  async function guest11(d: ThrowawayDaemon, name: string): Promise<void> {
    const xml = join(d.dir, `${name}.xml`);
    writeFileSync(xml, tinyGuestXml(name));
    await virsh(d, d.qemuUri, 'define', xml);
    await virsh(d, d.qemuUri, 'start', name);
  }
});
