/**
 * `top` against two running QEMU/TCG guests on the session daemon: `--once` as a table and as
 * JSON with the values virsh reads (names, ids, memory, the host's CPUs), fleet mode over the
 * QEMU and test drivers of two daemons and a host that is down, and the live view in a real terminal (tmux on
 * a private socket): it draws both guests, sorts on a key, and q leaves the terminal as it was.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startThrowawayLibvirtd } from '../harness/daemon.js';
import { tinyGuestXml } from '../harness/guests.js';
import { REPO } from '../harness/repo.js';
import { type Connection, connect } from '../../src/index.js';
import { compactBytes } from '../../src/cli/top.js';
import { ours } from '../helpers/cli.js';
import { type ThrowawayDaemon, sharedDaemon, virsh } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
let qconn: Connection;

const SHORT = 'top-alpha';
/** Longer than a 120-column terminal leaves for the NAME column. */
const LONG = 'top-zulu-with-a-name-far-too-long-for-a-terminal-one-hundred-and-twenty-columns-wide';
const GUESTS = [LONG, SHORT];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A figure virsh prints as `name value` (dommemstat) or `name=value` (domstats). */
const figure = (text: string, name: string) => {
  const m = new RegExp(`^\\s*${escape(name)}[ =](\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} in:\n${text}`);
  return Number(m[1]);
};

beforeAll(async () => {
  daemon = await sharedDaemon();
  qconn = await connect(daemon.qemuUri);
  for (const name of GUESTS) await qconn.domainCreate(await qconn.domainDefineXML(tinyGuestXml(name, { noGraphics: true })));
}, 180_000);

afterAll(async () => {
  for (const name of GUESTS) {
    const dom = await qconn.domainLookupByName(name).catch(() => undefined);
    if (!dom) continue;
    await qconn.domainDestroy(dom).catch(() => undefined);
    await qconn.domainUndefine(dom).catch(() => undefined);
  }
  await qconn?.close();
});

describe("libvirt-rpc 'top'", () => {
  it("--once prints one plain table of both guests, with virsh's memory and ids", async () => {
    const r = await ours(daemon.qemuUri, ['top', '--once']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).not.toContain('\x1b');
    const hostname = (await virsh(daemon, daemon.qemuUri, 'hostname')).trim();
    const cpus = figure((await virsh(daemon, daemon.qemuUri, 'nodeinfo')).replace(/^CPU\(s\): +/m, 'cpus '), 'cpus');
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^libvirt-rpc top \\d\\d:\\d\\d:\\d\\d - host ${escape(hostname)}, ${cpus} CPUs? - every 1s - sorted by cpu$`));
    expect(lines[1]).toBe('2 domains: 2 running, 0 paused, 0 shut off, 0 other');
    expect(lines).toContain('ID NAME' + ' '.repeat(LONG.length - 4) + ' STATE   %CPU VCPU   MEM RD/s WR/s RX/s TX/s');
    for (const name of GUESTS) {
      const id = (await virsh(daemon, daemon.qemuUri, 'domid', name)).trim();
      const actual = figure(await virsh(daemon, daemon.qemuUri, 'dommemstat', name), 'actual');
      const row = lines.find((l) => l.includes(` ${name} `));
      const cells = row?.trim().split(/\s+/);
      expect(cells).toEqual([id, name, 'running', expect.stringMatching(/^\d+\.\d$/), '1', compactBytes(actual * 1024), '0B', '0B', '0B', '0B']);
      expect(Number(cells![3])).toBeGreaterThanOrEqual(0);
    }
    expect(r.out.endsWith('\n\n')).toBe(true);
  });

  it("--once --json prints one object: the host, the time, and each guest's figures as virsh reads them", async () => {
    const r = await ours(daemon.qemuUri, ['--json', 'top', '--once', '--sort', 'name', '--interval', '0.5']);
    expect(r).toMatchObject({ code: 0, err: '' });
    const json = JSON.parse(r.out);
    const hostname = (await virsh(daemon, daemon.qemuUri, 'hostname')).trim();
    expect(json).toMatchObject({ host: hostname, uri: daemon.qemuUri, intervalSeconds: 0.5, sort: 'name', hosts: [{ host: hostname, uri: daemon.qemuUri, cpus: expect.any(Number), error: null }] });
    expect(Date.now() - Date.parse(json.time)).toBeLessThan(120_000);
    expect(json.domains.map((d: { name: string }) => d.name)).toEqual([SHORT, LONG]);
    for (const d of json.domains) {
      const stats = await virsh(daemon, daemon.qemuUri, 'domstats', d.name, '--balloon', '--vcpu');
      expect(d).toEqual({
        host: hostname,
        uri: daemon.qemuUri,
        name: d.name,
        uuid: (await virsh(daemon, daemon.qemuUri, 'domuuid', d.name)).trim(),
        id: Number((await virsh(daemon, daemon.qemuUri, 'domid', d.name)).trim()),
        state: 'running',
        vcpus: figure(stats, 'vcpu.current'),
        cpuPercent: expect.any(Number),
        vcpuPercent: expect.any(Number),
        memoryKiB: figure(await virsh(daemon, daemon.qemuUri, 'dommemstat', d.name), 'actual'),
        rssKiB: expect.any(Number),
        // No disk and no interface: nothing moves, and it is a rate of zero, not a missing one.
        blockReadBytesPerSecond: 0,
        blockWriteBytesPerSecond: 0,
        netRxBytesPerSecond: 0,
        netTxBytesPerSecond: 0,
      });
      expect(d.memoryKiB).toBe(figure(stats, 'balloon.current'));
      expect(d.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(d.cpuPercent).toBeLessThanOrEqual(100);
      expect(d.vcpuPercent).toBeGreaterThanOrEqual(d.cpuPercent);
      expect(d.rssKiB).toBeGreaterThan(0);
    }
  });

  it('in fleet mode shows every host in one view (two daemons, two drivers), and reports a host that is down', async () => {
    const other = await startThrowawayLibvirtd({ name: 'top-b' });
    try {
      await fleetView(other);
    } finally {
      await other.stop();
    }
  }, 180_000);

  async function fleetView(other: ThrowawayDaemon): Promise<void> {
    const down = `qemu+unix:///session?socket=${join(daemon.dir, 'no-daemon-here')}`;
    const r = await ours(daemon.qemuUri, ['-c', daemon.testUri, '-c', other.testUri, '-c', down, '--json', 'top', '--once']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^error: ${escape(down)}: .+\\n$`));
    const json = JSON.parse(r.out);
    // The two drivers are on one machine, so one name: each host is told by its URI.
    expect(json).toMatchObject({ host: null, uri: null });
    expect(json.hosts.map((h: { host: string; error: string | null }) => [h.host, !!h.error])).toEqual([
      [daemon.qemuUri, false],
      [daemon.testUri, false],
      [other.testUri, false],
      [down, true],
    ]);
    const hostWord = (host: string) => (host === daemon.testUri ? 'test' : host === other.testUri ? 'other' : 'qemu');
    expect(json.domains.map((d: { host: string; name: string }) => `${hostWord(d.host)}:${d.name}`).sort()).toEqual(['other:test', 'qemu:' + SHORT, 'qemu:' + LONG, 'test:test']);

    const hostsFile = join(daemon.dir, 'top-hosts');
    writeFileSync(hostsFile, `${daemon.qemuUri}\n${daemon.testUri}\n`);
    const table = await ours(daemon.qemuUri, ['--hosts', hostsFile, 'top', '--once']);
    expect(table).toMatchObject({ code: 0, err: '' });
    expect(table.out).toMatch(/^libvirt-rpc top \S+ - 2 hosts \(2 answering\)/);
    expect(table.out).toMatch(/\nHOST +ID NAME +STATE/);
    expect(table.out).toMatch(new RegExp(`\\n${escape(daemon.testUri)} +1 test +running`));
  }

  it('refuses options it cannot use, as virsh refuses a malformed number', async () => {
    expect(await ours(daemon.qemuUri, ['top', '--once', '--sort', 'size'])).toEqual({ out: '\n', err: "error: invalid sort key 'size': one of cpu, mem, rd, wr, rx, tx, name\n", code: 1 });
    expect(await ours(daemon.qemuUri, ['top', '--interval', 'soon'])).toMatchObject({ err: "error: invalid interval 'soon': give a positive number of seconds\n", code: 1 });
    expect(await ours(daemon.qemuUri, ['top', '--iterations', 'x'])).toMatchObject({ err: "error: Numeric value 'x' for <iterations> option is malformed or out of range\n", code: 1 });
  });

  it('draws a live view in a real terminal: both guests, sorted on n, and q leaves the terminal as it was', async () => {
    // A tmux server of our own (its socket in the daemon's dir, no config), never the user's.
    const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C.UTF-8' };
    delete env.TMUX;
    delete env.NODE_OPTIONS;
    const tmux = (...args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile('tmux', ['-u', '-f', '/dev/null', '-S', join(daemon.dir, 'tmux.sock'), ...args], { env }, (e, out, err) => (e ? reject(new Error(`tmux ${args[0]}: ${err || e.message}`)) : resolve(out))),
      );
    const screen = () => tmux('capture-pane', '-p', '-t', 'top');
    const waitFor = async (what: string, ok: (text: string) => boolean) => {
      const deadline = Date.now() + 120_000;
      for (let text = await screen(); ; text = await screen()) {
        if (ok(text)) return text;
        if (Date.now() > deadline) throw new Error(`the terminal never showed ${what}; it shows:\n${text}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    // The command as a user types it; after it, a shell says how it ended and what the
    // terminal's modes are, and keeps the pane open to be looked at.
    const command = ['npx', 'tsx', 'src/cli/bin.ts', '-c', daemon.qemuUri, 'top', '--interval', '1'];
    const after = '"$@"; echo "top exited with status $?"; stty -a; exec cat';
    await tmux('new-session', '-d', '-s', 'top', '-x', '120', '-y', '30', '-c', REPO, 'sh', '-c', after, 'sh', ...command);
    try {
      const first = await waitFor('both guests with their rates', (t) => t.includes(SHORT) && t.includes(LONG.slice(0, 40)) && /\n +\d+ top-alpha +running +\d+\.\d/.test(t));
      expect(first).toMatch(/^libvirt-rpc top \d\d:\d\d:\d\d - host .+ - every 1s - sorted by cpu\n/);
      expect(first).toContain('q quit  c/m/r/w/x/t/n sort by cpu/mem/read/write/rx/tx/name  +/- interval');
      expect(await tmux('display-message', '-p', '-t', 'top', '#{alternate_on}')).toBe('1\n');
      // The long name is cut to fit the 120 columns, with an ellipsis.
      expect(first).not.toContain(LONG);
      expect(first).toMatch(new RegExp(`\\n +\\d+ ${LONG.slice(0, 30)}[a-z-]*… running`));
      for (const line of first.split('\n')) expect(line.length).toBeLessThanOrEqual(120);

      await tmux('send-keys', '-t', 'top', 'n');
      const byName = await waitFor('the rows sorted by name', (t) => t.includes('sorted by name'));
      expect(byName.indexOf(` ${SHORT} `)).toBeLessThan(byName.indexOf(LONG.slice(0, 30)));
      await tmux('send-keys', '-t', 'top', '+');
      await waitFor('the longer interval', (t) => t.includes('every 2s - sorted by name'));

      await tmux('send-keys', '-t', 'top', 'q');
      const left = await waitFor('the end of the command', (t) => t.includes('top exited with status'));
      expect(left).toContain('top exited with status 0');
      // Back on the normal screen, with none of the view on it, the cursor shown, and the
      // line discipline cooked again (canonical input, echo).
      expect(await tmux('display-message', '-p', '-t', 'top', '#{alternate_on} #{cursor_flag}')).toBe('0 1\n');
      expect(left).not.toContain('libvirt-rpc top');
      const modes = left.split(/\s+/);
      expect(modes).toEqual(expect.arrayContaining(['icanon', 'echo', 'isig']));
      expect(modes).not.toEqual(expect.arrayContaining(['-icanon']));
    } finally {
      await tmux('kill-server').catch(() => undefined);
    }
  }, 300_000);
});
