/**
 * The `libvirt-rpc` command against virsh on the same daemon and state: the same output for
 * list, dominfo, domstate, nodeinfo, net-list, pool-list and vol-list; JSON that parses;
 * virsh's error convention; the wire trace on stderr.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { assertDistCurrent } from '../harness/build.js';
import { echoDisk, writeEchoImage } from '../harness/echo-guest.js';
import { tinyGuestXml } from '../harness/guests.js';
import { freePort } from '../harness/ports.js';
import { REPO } from '../harness/repo.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Connection, connect } from '../../src/index.js';
import { runCli } from '../../src/cli/main.js';
import { type ThrowawayDaemon, clientEnv, sharedDaemon, virsh } from '../helpers/libvirtd.js';
import { theirs } from '../helpers/cli.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;

const virshVersion = () => new Promise<string>((resolve, reject) => execFile('virsh', ['--version'], (e, out) => (e ? reject(e) : resolve(out))));

async function ours(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const code = await runCli(['-c', daemon.testUri, ...args], { stdout: (s) => (out += s), stderr: (s) => (err += s), env: {} });
  return { out, err, code };
}

beforeAll(async () => {
  daemon = await sharedDaemon();
  // The test driver keeps what we define while a connection stays open.
  keeper = await connect(daemon.testUri);
  for (const name of ['zeta', 'alpha']) {
    await keeper.domainDefineXML(`<domain type='test'><name>${name}</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`);
  }
  const pool = await keeper.storagePoolLookupByName('default-pool');
  await keeper.storageVolCreateXML(pool, `<volume><name>disk-b</name><capacity>1048576</capacity></volume>`, 0);
  await keeper.storageVolCreateXML(pool, `<volume><name>disk-a</name><capacity>2097152</capacity></volume>`, 0);
});

afterAll(() => keeper?.close());

describe('libvirt-rpc prints what virsh prints', () => {
  it.each([
    [['list']],
    [['list', '--all']],
    [['list', '--inactive']],
    [['list', '--all', '--name']],
    [['list', '--all', '--uuid']],
    [['domstate', 'test']],
    [['domstate', 'alpha']],
    [['nodeinfo']],
    [['net-list', '--all']],
    [['pool-list', '--all']],
    [['vol-list', 'default-pool']],
    [['dominfo', 'alpha']],
    [['hostname']],
    [['domblklist', 'test']],
    [['domblklist', 'test', '--details']],
    [['domblklist', 'alpha', '--inactive']],
    [['domiflist', 'test']],
    [['domifaddr', 'test']],
    [['vcpucount', 'test']],
    [['vcpucount', 'alpha']],
    [['maxvcpus']],
    [['freecell']],
    [['freecell', '--all']],
    [['freecell', '--cellno', '1']],
    [['sysinfo']],
    [['domblkinfo', 'test', 'vda']],
    [['dommemstat', 'test']],
    [['domhostname', 'test']],
    [['domid', 'test']],
    [['domid', 'alpha']],
    [['domuuid', 'test']],
    [['domname', '1']],
    [['net-uuid', 'default']],
    [['cpu-models', 'x86_64']],
    [['nodecpustats']],
  ])('%j', async (args) => {
    const theirs = await virsh(daemon, daemon.testUri, ...args);
    const mine = await ours(...args);
    expect(mine.code).toBe(0);
    // The test driver gives the wall clock as a domain's CPU time, so two reads a moment
    // apart differ in the last digit: compare that line's form, and the rest byte for byte.
    const cpuTime = /^(CPU time:\s+)\d+\.\ds$/m;
    if (args[0] === 'dominfo') expect(mine.out).toMatch(cpuTime);
    const steady = (out: string) => out.replace(cpuTime, '$1(clock)');
    expect(steady(mine.out)).toBe(steady(theirs));
  });

  it.each([
    [['net-info', 'default']],
    [['pool-info', 'default-pool']],
    [['vol-info', 'disk-a', '--pool', 'default-pool']],
    [['domstats', 'test']],
    [['net-dumpxml', 'default']],
    [['dumpxml', 'test']],
    [['capabilities']],
    [['vol-path', 'disk-a', '--pool', 'default-pool']],
    [['vol-key', 'disk-a', '--pool', 'default-pool']],
    [['vol-name', '/default-pool/disk-a']],
    [['vol-pool', '/default-pool/disk-a']],
    [['vol-dumpxml', 'disk-a', '--pool', 'default-pool']],
    [['pool-dumpxml', 'default-pool']],
    [['pool-uuid', 'default-pool']],
    [['iface-list', '--all']],
    [['iface-dumpxml', 'eth1']],
    [['iface-name', 'aa:bb:cc:dd:ee:ff']],
    [['iface-mac', 'eth1']],
    [['nodedev-dumpxml', 'computer']],
  ])('%j', async (args) => {
    expect((await ours(...args)).out).toBe(await virsh(daemon, daemon.testUri, ...args));
  });

  it('changes state and says so as virsh does', async () => {
    // Each pair runs ours, then virsh undoes or repeats it: both must print the same.
    const pairs: [string[], string[]][] = [
      [['net-destroy', 'default'], ['net-start', 'default']],
      [['autostart', 'test'], ['autostart', 'test', '--disable']],
      [['vol-create-as', 'default-pool', 'cli-vol', '10M'], ['vol-delete', 'cli-vol', '--pool', 'default-pool']],
      [['net-autostart', 'default'], ['net-autostart', 'default', '--disable']],
      [['pool-autostart', 'default-pool'], ['pool-autostart', 'default-pool', '--disable']],
      [['pool-refresh', 'default-pool'], ['pool-refresh', 'default-pool']],
      [['pool-destroy', 'default-pool'], ['pool-start', 'default-pool']],
    ];
    for (const [a, b] of pairs) {
      const mineA = (await ours(...a)).out;
      const theirsB = await virsh(daemon, daemon.testUri, ...b);
      const theirsA = await virsh(daemon, daemon.testUri, ...a);
      const mineB = (await ours(...b)).out;
      expect(mineA).toBe(theirsA);
      expect(mineB).toBe(theirsB);
    }
    // Tuning read back with virsh.
    expect(await ours('setmaxmem', 'alpha', '131072', '--config')).toMatchObject({ code: 0, out: '\n' });
    expect(await ours('setmem', 'alpha', '96M', '--config')).toMatchObject({ code: 0, out: '\n' });
    expect(await virsh(daemon, daemon.testUri, 'dominfo', 'alpha')).toMatch(/Max memory:\s+131072 KiB\nUsed memory:\s+98304 KiB/);
    expect(await ours('setvcpus', 'alpha', '2', '--config', '--maximum')).toMatchObject({ code: 0, out: '\n' });
    expect(await ours('setvcpus', 'alpha', '2', '--config')).toMatchObject({ code: 0, out: '\n' });
    expect(await virsh(daemon, daemon.testUri, 'vcpucount', 'alpha')).toBe('maximum      config         2\ncurrent      config         2\n\n');
    // Each of domid, domuuid and domname looks a domain up only by the names it does not print.
    for (const args of [['domname', 'test'], ['domuuid', 'test'], ['domid', '1']]) {
      const theirs = await virsh(daemon, daemon.testUri, ...args).then(() => 0, () => 1);
      expect([(await ours(...args)).code, args]).toEqual([theirs, args]);
    }
    const defaultUuid = (await virsh(daemon, daemon.testUri, 'net-uuid', 'default')).trim();
    expect((await ours('net-name', defaultUuid)).out).toBe(await virsh(daemon, daemon.testUri, 'net-name', defaultUuid));
    const created = (await ours('snapshot-create-as', 'test', 'cli-snap')).out;
    expect(created).toBe('Domain snapshot cli-snap created\n');
    expect((await ours('snapshot-list', 'test')).out).toBe(await virsh(daemon, daemon.testUri, 'snapshot-list', 'test'));
    expect((await ours('snapshot-revert', 'test', 'cli-snap')).out).toBe('Domain snapshot cli-snap reverted\n\n');
    expect((await ours('snapshot-delete', 'test', 'cli-snap')).out).toBe('Domain snapshot cli-snap deleted\n\n');
  });

  it('defines, builds, clones and undefines networks, pools and volumes as virsh, and reads snapshots as virsh', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-defs-'));
    const netXml = join(dir, 'net.xml');
    writeFileSync(netXml, "<network><name>cli-net</name><bridge name='virbr9'/><ip address='10.9.0.1' netmask='255.255.255.0'/></network>");
    const pairs: [string[], string[]][] = [
      [['net-define', netXml], ['net-undefine', 'cli-net']],
      [['pool-define-as', 'cli-pool', 'dir', '--target', '/cli-pool'], ['pool-undefine', 'cli-pool']],
      [['vol-clone', 'disk-a', 'cli-clone', '--pool', 'default-pool'], ['vol-delete', 'cli-clone', '--pool', 'default-pool']],
    ];
    for (const [a, b] of pairs) {
      const mineA = await ours(...a);
      const theirsB = await virsh(daemon, daemon.testUri, ...b);
      const theirsA = await virsh(daemon, daemon.testUri, ...a);
      const mineB = await ours(...b);
      expect([mineA.out, mineB.out]).toEqual([theirsA, theirsB]);
    }
    expect(await ours('pool-define-as', 'cli-pool', 'dir', '--target', '/cli-pool', '--print-xml')).toMatchObject({ code: 0, out: await virsh(daemon, daemon.testUri, 'pool-define-as', 'cli-pool', 'dir', '--target', '/cli-pool', '--print-xml') });
    await virsh(daemon, daemon.testUri, 'pool-define-as', 'cli-pool', 'dir', '--target', '/cli-pool');
    expect((await ours('pool-build', 'cli-pool')).out).toBe('Pool cli-pool built\n\n');
    const uuid = (await virsh(daemon, daemon.testUri, 'pool-uuid', 'cli-pool')).trim();
    expect((await ours('pool-name', uuid)).out).toBe(await virsh(daemon, daemon.testUri, 'pool-name', uuid));
    await virsh(daemon, daemon.testUri, 'pool-undefine', 'cli-pool');

    await virsh(daemon, daemon.testUri, 'snapshot-create-as', 'test', 'cli-info');
    for (const args of [['snapshot-current', 'test', '--name'], ['snapshot-current', 'test'], ['snapshot-info', 'test', 'cli-info'], ['snapshot-dumpxml', 'test', 'cli-info']]) {
      expect([args, (await ours(...args)).out]).toEqual([args, await virsh(daemon, daemon.testUri, ...args)]);
    }
    await virsh(daemon, daemon.testUri, 'snapshot-delete', 'test', 'cli-info');
    rmSync(dir, { recursive: true, force: true });
  });

  it('saves, restores and manages saved state as virsh, and undefines with its options', async () => {
    const a = join(daemon.dir, 'cli-a.save');
    const b = join(daemon.dir, 'cli-b.save');
    const mineSave = await ours('save', 'test', a);
    const theirsRestore = await virsh(daemon, daemon.testUri, 'restore', a);
    const theirsSave = await virsh(daemon, daemon.testUri, 'save', 'test', b);
    const mineRestore = await ours('restore', b);
    expect(mineSave.out).toBe(theirsSave.replace(b, a));
    expect(mineRestore.out).toBe(theirsRestore.replace(a, b));
    const mineManaged = await ours('managedsave', 'test');
    await virsh(daemon, daemon.testUri, 'start', 'test');
    expect(mineManaged.out).toBe(await virsh(daemon, daemon.testUri, 'managedsave', 'test'));
    expect((await ours('managedsave-remove', 'test')).out).toBe("Removed managedsave image for domain 'test'\n");
    expect((await ours('managedsave-remove', 'test')).out).toBe(await virsh(daemon, daemon.testUri, 'managedsave-remove', 'test'));
    expect((await ours('start', 'test')).code).toBe(0);

    for (const name of ['cli-undef-a', 'cli-undef-b']) await keeper.domainDefineXML(`<domain type='test'><name>${name}</name><memory>65536</memory><os><type>hvm</type></os></domain>`);
    const flags = ['--managed-save', '--snapshots-metadata', '--checkpoints-metadata'];
    expect((await ours('undefine', 'cli-undef-a', ...flags)).out).toBe((await virsh(daemon, daemon.testUri, 'undefine', 'cli-undef-b', ...flags)).replace('cli-undef-b', 'cli-undef-a'));
  });

  it('reads the guest clock as virsh, and interface and block counters in its form', async () => {
    expect((await ours('domtime', 'test')).out).toBe(await virsh(daemon, daemon.testUri, 'domtime', 'test'));
    // The test driver counts with the clock: the names and their order must agree, the figures move.
    const form = (out: string) => out.replace(/ \d+$/gm, ' N');
    for (const args of [['domifstat', 'test', 'testnet0'], ['domblkstat', 'test', 'vda']]) {
      const mine = await ours(...args);
      expect(mine.code).toBe(0);
      expect(form(mine.out)).toBe(form(await virsh(daemon, daemon.testUri, ...args)));
    }
  });

  it('uri as virsh; version: the lines of virsh\'s that are not about its own library', async () => {
    expect(await ours('uri')).toEqual(await theirs(daemon, daemon.testUri, ['uri']));
    const mine = await ours('version');
    const virshLines = (await virsh(daemon, daemon.testUri, 'version')).split('\n');
    expect(mine.out).toBe(virshLines.filter((l) => !/library/.test(l)).join('\n'));
  });

  it('event: waits for one, or times out, as virsh', async () => {
    // The trace tells when the daemon has registered the wait: the event is caused only then.
    let trace = '';
    let out = '';
    const waiting = runCli(['-c', daemon.testUri, '--debug', 'event', '--event', 'lifecycle', '--domain', 'zeta', '--timeout', '60'], { stdout: (t) => (out += t), stderr: (t) => (trace += t), env: {} });
    const registered = /<- REMOTE REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY serial=\d+ REPLY OK/;
    for (const end = Date.now() + 30_000; !registered.test(trace) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    expect(trace).toMatch(registered);
    await keeper.domainCreate(await keeper.domainLookupByName('zeta'));
    const r = { code: await waiting, out };
    expect(r.out).toBe("event 'lifecycle' for domain 'zeta': Started Booted\nevents received: 1\n\n");
    await keeper.domainDestroy(await keeper.domainLookupByName('zeta'));
    // virsh exits 1 when the wait times out, after printing its report; so do we.
    const timedOut = await ours('event', '--all', '--timeout', '1');
    expect(timedOut.code).toBe(1);
    expect(timedOut.out).toBe('event loop timed out\nevents received: 0\n\n');
  });

  it('dominfo of a running domain (its CPU time moves with the clock)', async () => {
    const drop = (s: string) => s.replace(/^CPU time:.*\n/m, '');
    expect(drop((await ours('dominfo', 'test')).out)).toBe(drop(await virsh(daemon, daemon.testUri, 'dominfo', 'test')));
  });
});

describe('libvirt-rpc on the QEMU session daemon', () => {
  const q = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(['-c', daemon.qemuUri, ...args], { stdout: (s) => (out += s), stderr: (s) => (err += s), env: {} });
    return { out, err, code };
  };

  it('qemu-agent-command to a guest without an agent: what virsh says, exit 1', async () => {
    const qconn = await connect(daemon.qemuUri);
    const dom = await qconn.domainDefineXML(tinyGuestXml('cli-noagent', { noGraphics: true }));
    await qconn.domainCreate(dom);
    try {
      const args = ['qemu-agent-command', 'cli-noagent', '{"execute":"guest-info"}'];
      expect(await q(...args)).toEqual(await theirs(daemon, daemon.qemuUri, args));
    } finally {
      await qconn.domainDestroy(dom);
      await qconn.domainUndefine(dom);
      await qconn.close();
    }
  });

  it('lists secrets as virsh', async () => {
    expect((await q('secret-list')).out).toBe(await virsh(daemon, daemon.qemuUri, 'secret-list'));
  });

  it('attaches and detaches devices as virsh: the same words, and the same definitions after', async () => {
    const qconn = await connect(daemon.qemuUri);
    const [mine, theirs] = ['cli-dev-ours', 'cli-dev-virsh'];
    for (const name of [mine, theirs]) await qconn.domainDefineXML(tinyGuestXml(name, { noGraphics: true }));
    const file = join(daemon.dir, 'cli-dev.xml');
    writeFileSync(file, "<disk type='file' device='disk'><source file='/var/tmp/extra.img'/><target dev='vdb' bus='virtio'/></disk>");
    const linkDown = join(daemon.dir, 'cli-link-down.xml');
    writeFileSync(linkDown, "<interface type='bridge'><mac address='52:54:00:12:34:56'/><source bridge='br-cli'/><model type='virtio'/><link state='down'/></interface>");
    const steps: string[][] = [
      ['attach-disk', '{}', '/var/tmp/data.img', 'vdc', '--config', '--targetbus', 'virtio', '--driver', 'qemu', '--subdriver', 'raw', '--mode', 'readonly'],
      ['attach-device', '{}', file, '--config'],
      ['attach-interface', '{}', 'bridge', 'br-cli', '--config', '--model', 'virtio', '--mac', '52:54:00:12:34:56'],
      ['update-device', '{}', linkDown, '--config'],
      ['detach-device', '{}', file, '--config'],
      ['detach-device', '{}', file, '--config'],
      ['detach-interface', '{}', 'bridge', '--config'],
      ['detach-disk', '{}', 'vdz', '--config'],
    ];
    const definition = async (name: string) => (await virsh(daemon, daemon.qemuUri, 'dumpxml', '--inactive', name)).replace(new RegExp(name, 'g'), 'NAME').replace(/<uuid>.*<\/uuid>/, '');
    for (const step of steps) {
      const m = await q(...step.map((a) => (a === '{}' ? mine : a)));
      const t = await new Promise<{ out: string; err: string; code: number }>((resolve) =>
        execFile('virsh', ['-c', daemon.qemuUri, ...step.map((a) => (a === '{}' ? theirs : a))], { env: clientEnv(daemon) }, (e, out, err) => resolve({ out, err, code: typeof e?.code === 'number' ? e.code : 0 })),
      );
      expect([step, m]).toEqual([step, t]);
      expect(await definition(mine)).toBe(await definition(theirs));
    }
    for (const name of [mine, theirs]) await qconn.domainUndefine(await qconn.domainLookupByName(name));
    await qconn.close();
  });

  it('uploads and downloads a volume, sparse or not', async () => {
    const dir = join(daemon.dir, 'cli-pool');
    mkdirSync(dir);
    execFileSync('chown', [daemon.user, dir]);
    const qconn = await connect(daemon.qemuUri);
    await qconn.storagePoolCreateXML(`<pool type='dir'><name>cli</name><target><path>${dir}</path></target></pool>`, 0);
    expect((await q('vol-create-as', 'cli', 'v.raw', '4M', '--format', 'raw')).out).toBe('Vol v.raw created\n\n');
    const src = join(daemon.dir, 'upload.bin');
    const data = Buffer.alloc(4 * 1024 * 1024);
    data.write('hello volume', 1024 * 1024);
    writeFileSync(src, data);
    expect((await q('vol-upload', 'v.raw', src, '--pool', 'cli', '--sparse')).code).toBe(0);
    const back = join(daemon.dir, 'download.bin');
    expect((await q('vol-download', 'v.raw', back, '--pool', 'cli', '--sparse')).code).toBe(0);
    expect(readFileSync(back).equals(data)).toBe(true);

    // A progress bar only on a terminal.
    const drawn = new PassThrough();
    let bar = '';
    drawn.on('data', (b) => (bar += b.toString()));
    Object.assign(drawn, { isTTY: true, columns: 80 });
    const tty = await runCli(['-c', daemon.qemuUri, 'vol-download', 'v.raw', back, '--pool', 'cli'], {
      stdout: () => {},
      stderr: () => {},
      env: {},
      isTTY: true,
      progressStream: drawn,
    });
    expect(tty).toBe(0);
    expect(bar).toMatch(/100% \| 4\/4 MiB/);
    let noTtyErr = '';
    await runCli(['-c', daemon.qemuUri, 'vol-download', 'v.raw', back, '--pool', 'cli'], { stdout: () => {}, stderr: (s) => (noTtyErr += s), env: {}, isTTY: false });
    expect(noTtyErr).toBe('');
    await qconn.close();
  });

  it('takes a screenshot of a running guest, and speaks to its console through a pipe', async () => {
    const image = join(daemon.dir, 'cli-echo.img');
    writeEchoImage(image, daemon.user);
    const qconn = await connect(daemon.qemuUri);
    const dom = await qconn.domainDefineXML(tinyGuestXml('cli-echo', { extraDevices: echoDisk(image) }));
    try {
      await qconn.domainCreate(dom);
      const shot = join(daemon.dir, 'cli-shot.ppm');
      const r = await q('screenshot', 'cli-echo', shot);
      expect(r.out).toMatch(/^Screenshot saved to .*cli-shot\.ppm, with type of image\//);
      expect(readFileSync(shot).subarray(0, 2).toString('latin1')).toMatch(/P6|\x89P/);

      const bin = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/bin.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', bin, '-c', daemon.qemuUri, 'console', 'cli-echo'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let screen = '';
      child.stdout.on('data', (b) => (screen += b.toString('latin1')));
      const exited = new Promise<number | null>((res) => child.on('exit', res));
      const wait = async (text: string) => {
        const end = Date.now() + 15_000;
        while (!screen.includes(text) && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
      };
      // The guest takes input once it has booted: probe until it echoes, then speak.
      for (const end = Date.now() + 30_000; !screen.includes('ZQ') && Date.now() < end; ) {
        child.stdin.write('zq');
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(screen).toContain('ZQ');
      child.stdin.write('console via cli\r');
      await wait('CONSOLE VIA CLI');
      expect(screen).toContain('CONSOLE VIA CLI');
      child.stdin.write(Buffer.from([0x1d]));
      expect(await exited).toBe(0);
      await qconn.domainDestroy(await qconn.domainLookupByName('cli-echo'));
    } finally {
      await qconn.domainUndefine(dom);
      await qconn.close();
    }
  });

  it('sends QMP to a running guest, pretty-printed on request', async () => {
    const qconn = await connect(daemon.qemuUri);
    const dom = await qconn.domainDefineXML(tinyGuestXml('cli-guest'));
    try {
      await qconn.domainCreate(dom);
      const r = await q('qemu-monitor-command', 'cli-guest', '{"execute":"query-status"}', '--pretty');
      expect(JSON.parse(r.out).return.status).toBe('running');
      expect(r.out).toContain('\n  "return": {');
      await qconn.domainDestroy(await qconn.domainLookupByName('cli-guest'));
    } finally {
      await qconn.domainUndefine(dom);
      await qconn.close();
    }
  });
});

describe('libvirt-rpc', () => {
  it('prints JSON with stable names and 64-bit values as numbers or strings', async () => {
    const list = JSON.parse((await ours('--json', 'list', '--all')).out);
    expect(list.map((d: { name: string }) => d.name)).toEqual(['test', 'alpha', 'zeta']);
    expect(list[0]).toMatchObject({ id: expect.any(Number), state: 'running', uuid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const info = JSON.parse((await ours('--json', 'dominfo', 'test')).out);
    expect(info).toMatchObject({ name: 'test', maxMemory: 8388608, persistent: true });
    expect(typeof info.cpuTime === 'number' || typeof info.cpuTime === 'string').toBe(true);
    expect(JSON.parse((await ours('--json', 'nodeinfo')).out)).toMatchObject({ cpus: 16, memory: 3145728 });
    expect(JSON.parse((await ours('--json', 'vol-list', 'default-pool')).out).map((v: { name: string }) => v.name)).toEqual(['disk-a', 'disk-b']);
  });

  it('defines, reboots, shuts down and undefines, confirming as virsh', async () => {
    const file = join(daemon.dir, 'cli-def.xml');
    writeFileSync(file, `<domain type='test'><name>cli-def</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`);
    expect((await ours('define', file)).out).toBe(`Domain 'cli-def' defined from ${file}\n\n`);
    await ours('start', 'cli-def');
    expect((await ours('reboot', 'cli-def')).out).toBe("Domain 'cli-def' is being rebooted\n\n");
    expect((await ours('shutdown', 'cli-def')).out).toBe("Domain 'cli-def' is being shutdown\n\n");
    expect((await ours('undefine', 'cli-def')).out).toBe("Domain 'cli-def' has been undefined\n\n");
  });

  it('starts, suspends, resumes and destroys as virsh, confirming each', async () => {
    expect((await ours('start', 'alpha')).out).toBe("Domain 'alpha' started\n\n");
    expect((await ours('suspend', 'alpha')).out).toBe("Domain 'alpha' suspended\n\n");
    expect((await ours('domstate', 'alpha')).out).toBe('paused\n\n');
    expect((await ours('resume', 'alpha')).out).toBe("Domain 'alpha' resumed\n\n");
    expect((await ours('destroy', 'alpha')).out).toBe("Domain 'alpha' destroyed\n\n");
  });

  it.each([['dominfo'], ['domstate'], ['dumpxml'], ['start'], ['destroy']])('%s of a domain that does not exist: what virsh prints on stderr, exit 1', async (command) => {
    const theirs = await new Promise<{ err: string; code: number }>((resolve) => {
      execFile('virsh', ['-c', daemon.testUri, command, 'no-such-domain'], { env: clientEnv(daemon) }, (e, _out, err) =>
        resolve({ err, code: typeof e?.code === 'number' ? e.code : 0 }),
      );
    });
    const mine = await ours(command, 'no-such-domain');
    expect({ err: mine.err, code: mine.code }).toEqual(theirs);
    expect(mine.code).toBe(1);
  });

  it.each([['--version'], ['-v']])('%s prints the package version alone, as virsh prints its own', async (flag) => {
    let out = '';
    const code = await runCli([flag], { stdout: (s) => (out += s), stderr: () => {}, env: {} });
    expect({ code, out }).toEqual({ code: 0, out: `${JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version}\n` });
    // virsh's own form of the answer: the version and a newline, nothing else.
    expect(await virshVersion()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('prints error: and exits 1 like virsh', async () => {
    const r = await ours('dominfo', 'no-such-domain');
    expect(r.code).toBe(1);
    expect(r.err).toBe("error: failed to get domain 'no-such-domain'\n");
    const bad = await runCli(['-c', 'qemu+bogus:///x', 'list'], { stdout: () => {}, stderr: () => {}, env: {} });
    expect(bad).toBe(1);
  });

  it('a daemon that is not there: names the socket and exits 1, as virsh does', async () => {
    const sock = join(daemon.dir, 'no-such-daemon.sock');
    const uri = `test+unix:///default?socket=${sock}`;
    let err = '';
    const code = await runCli(['-c', uri, 'list'], { stdout: () => {}, stderr: (s) => (err += s), env: {} });
    expect({ code, err }).toEqual({ code: 1, err: `error: cannot connect to the libvirt socket ${sock}: connect ENOENT ${sock}\n` });
    const theirs = await new Promise<{ code: number; err: string }>((resolve) =>
      execFile('virsh', ['-c', uri, 'list'], { env: clientEnv(daemon) }, (e, _out, stderr) => resolve({ code: (e as { code?: number } | null)?.code ?? 0, err: stderr })),
    );
    expect(theirs.code).toBe(1);
    expect(theirs.err).toContain(`'${sock}': No such file or directory`);
  });

  it('an ssh server nobody answers on: the refused connection, not a login problem', async () => {
    const port = await freePort();
    let err = '';
    const code = await runCli(['-c', `test+ssh://127.0.0.1:${port}/default?sshauth=password`, 'list'], { stdout: () => {}, stderr: (s) => (err += s), env: {} });
    expect({ code, err }).toEqual({ code: 1, err: `error: cannot connect to ssh server 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n` });
  });

  it('runs as the built bin (npm test builds dist/ first)', async () => {
    assertDistCurrent();
    // The file package.json's bin names, as npm would link it.
    const bin = join(REPO, JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).bin['libvirt-rpc']);
    const out = execFileSync(process.execPath, [bin, '-c', daemon.testUri, 'list', '--all']).toString();
    expect(out).toBe(await virsh(daemon, daemon.testUri, 'list', '--all'));
    // The bin finds the package's version from dist/ as the sources do from src/cli/.
    expect(execFileSync(process.execPath, [bin, '--version']).toString()).toBe(`${JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version}\n`);
  });

  it('--debug traces frames on stderr, and only headers', async () => {
    const r = await ours('--debug', 'hostname');
    expect(r.err).toMatch(/-> REMOTE REMOTE_PROC_CONNECT_GET_HOSTNAME serial=\d+ CALL OK \d+B/);
    expect(r.err).toMatch(/<- REMOTE REMOTE_PROC_CONNECT_GET_HOSTNAME serial=\d+ REPLY OK/);
  });
});
