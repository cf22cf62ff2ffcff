/**
 * The block device commands against virsh on the QEMU session daemon, with real guests whose
 * disks are qcow2 chains made with qemu-img: blockcopy, blockpull, blockcommit and blockjob
 * run by ours on one guest and by virsh on its twin, compared by what each printed (the last
 * progress line, since how many come is a matter of timing) and by the state after (the
 * domain XML, qemu-img's view of the images); Ctrl-C during a --wait aborts the job as in
 * virsh; blockresize, change-media, domblkerror, domblkthreshold, blkdeviotune likewise; and
 * save / managedsave with --verbose.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type Connection, connect } from '../../src/index.js';
import { type CliRun, ours, theirs } from '../helpers/cli.js';
import { type ThrowawayDaemon, clientEnv, sharedDaemon } from '../helpers/libvirtd.js';
import { testDriverDomainXml, tinyGuestXml } from '../harness/guests.js';
import { REPO } from '../harness/repo.js';

let daemon: ThrowawayDaemon;
let qemu: Connection;
let keeper: Connection;

/** A file under the daemon's dir, as the daemon sees it. */
const file = (name: string) => daemon.pathInDaemon(join(daemon.dir, name));

function qemuImg(...args: string[]): string {
  return execFileSync('qemu-img', args, { encoding: 'utf8' });
}

/** base ← mid ← top, empty qcow2 images of 32 MiB the daemon's user may write. */
function chain(name: string): { base: string; mid: string; top: string } {
  const [base, mid, top] = ['base', 'mid', 'top'].map((layer) => join(daemon.dir, `${name}-${layer}.qcow2`)) as [string, string, string];
  qemuImg('create', '-q', '-f', 'qcow2', base, '32M');
  qemuImg('create', '-q', '-f', 'qcow2', '-b', daemon.pathInDaemon(base), '-F', 'qcow2', mid);
  qemuImg('create', '-q', '-f', 'qcow2', '-b', daemon.pathInDaemon(mid), '-F', 'qcow2', top);
  for (const f of [base, mid, top]) chmodSync(f, 0o666);
  return { base: daemon.pathInDaemon(base), mid: daemon.pathInDaemon(mid), top: daemon.pathInDaemon(top) };
}

const diskXml = (path: string) => `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${path}'/><target dev='vda' bus='virtio'/></disk>`;
const CDROM = "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='hdc' bus='ide'/><readonly/></disk>";

/** A running transient guest booted from `disk` (block copies of a transient guest need no --transient-job). */
async function guest(name: string, disk: string): Promise<void> {
  await qemu.domainCreateXML(tinyGuestXml(name, { noGraphics: true, extraDevices: diskXml(disk) + CDROM }), 0);
}

/** Two guests alike but for their names, each with its own chain: `a` for ours, `b` for virsh. */
async function twins(name: string): Promise<{ a: string; b: string; chains: { a: ReturnType<typeof chain>; b: ReturnType<typeof chain> } }> {
  const a = `${name}-a`;
  const b = `${name}-b`;
  const chains = { a: chain(a), b: chain(b) };
  await guest(a, chains.a.top);
  await guest(b, chains.b.top);
  return { a, b, chains };
}

const mine = (args: string[], io = {}) => ours(daemon.qemuUri, args, io);
const virsh = (args: string[]) => theirs(daemon, daemon.qemuUri, args);

/** A run with its progress lines cut to the last one: how many come first is timing. */
function lastProgress(run: CliRun): CliRun {
  const lines = run.err.match(/^(\r[A-Za-z ]+: \[[ \d]{3} %\])+/)?.[0] ?? '';
  return { ...run, err: lines.slice(lines.lastIndexOf('\r')) + run.err.slice(lines.length) };
}

/** One twin's name and files written as the other's, to compare what they print. */
const asTwin = (text: string, from: string, to: string) => text.split(from).join(to);

/** A guest's live XML with what differs between twins taken out: names, UUIDs, ids, ttys. */
async function liveXml(name: string, twin: string): Promise<string> {
  const xml = (await virsh(['dumpxml', name])).out;
  return asTwin(xml, name, twin)
    .replace(/<uuid>.*<\/uuid>/, '')
    .replace(/ id='\d+'/, '')
    .replace(/\/dev\/pts\/\d+/g, '/dev/pts/N');
}

/** What qemu-img says of an image that should not differ between twins. */
function imageInfo(path: string, name: string, twin: string): unknown {
  const info = JSON.parse(qemuImg('info', '-U', '--output=json', path)) as Record<string, unknown>;
  const named = (v: unknown) => (typeof v === 'string' ? asTwin(v, name, twin) : v);
  return { format: info.format, virtualSize: info['virtual-size'], backing: named(info['backing-filename']), backingFormat: info['backing-filename-format'] };
}

/** Waits until the job on the guest's disk has copied all there is (block copy and active commit stay then until ended). */
async function untilSynced(name: string): Promise<void> {
  const dom = await qemu.domainLookupByName(name);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const info = await qemu.domainGetBlockJobInfo(dom, 'vda', 0);
    if (info.found && info.end > 0n && info.cur === info.end) return;
    if (Date.now() > deadline) throw new Error(`the job on ${name} did not reach 100 %: ${JSON.stringify(info, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  daemon = await sharedDaemon();
  qemu = await connect(daemon.qemuUri);
  keeper = await connect(daemon.testUri);
}, 120_000);

afterAll(async () => {
  await qemu?.close();
  await keeper?.close();
});

describe('block device commands print what virsh prints', () => {
  let name: string;
  let xmlFile: string;

  beforeAll(async () => {
    name = 'bj-plain';
    await guest(name, chain(name).top);
    xmlFile = join(daemon.dir, 'bj-dest.xml');
    writeFileSync(xmlFile, `<disk type='file'><source file='${file('bj-from-xml.qcow2')}'/><driver type='qcow2'/></disk>\n`);
  });

  // Refusals and reports that change nothing, byte for byte on stdout, stderr and exit status.
  it.each([
    ['blockjob', 'GUEST', 'vda'],
    ['blockjob', 'GUEST', 'vda', '--info'],
    ['blockjob', 'GUEST', 'vda', '--raw'],
    ['blockjob', 'GUEST', 'vda', '--abort'],
    ['blockjob', 'GUEST', 'vda', '--pivot'],
    ['blockjob', 'GUEST', 'vda', '--bandwidth', '10'],
    ['blockjob', 'GUEST', 'vdz', '--info'],
    ['blockjob', 'GUEST', 'vda', '--raw', '--abort'],
    ['blockjob', 'GUEST', 'vda', '--info', '--bandwidth', '3'],
    ['blockjob', 'GUEST', 'vda', '--bytes', '--async'],
    ['blockjob', 'nosuch', 'vda'],
    ['blockcopy', 'GUEST', 'vda', '--dest', 'DIR/x.qcow2', '--print-xml'],
    ['blockcopy', 'GUEST', 'vda', '--dest', "DIR/a'b<&.qcow2", '--format', 'qcow2', '--print-xml'],
    ['blockcopy', 'GUEST', 'vda', '--dest', '/dev/sdx', '--blockdev', '--print-xml'],
    ['blockcopy', 'GUEST', 'vda', '--xml', 'XML', '--print-xml'],
    ['blockcopy', 'GUEST', 'vda', '--dest', 'x', '--bandwidth', '5', '--granularity', '65536', '--buf-size', '1048576', '--print-xml'],
    ['blockcopy', 'GUEST', 'vda', '--dest', 'x', '--bandwidth', '-1', '--print-xml'],
    ['blockcopy', 'GUEST', 'vda', '--dest', 'x', '--bandwidth', '1G', '--print-xml'],
    ['blockcopy', 'GUEST', 'vda', '--dest', 'x', '--bandwidth', '1.5', '--print-xml'],
    ['blockcopy', 'GUEST', 'vda', '--dest', 'x', '--bandwidth', '16EiB', '--print-xml'],
    ['blockcopy', 'GUEST', 'vda', '--dest', 'x', '--bandwidth', 'abc'],
    ['blockcopy', 'GUEST', 'vda', '--dest', 'x', '--buf-size', '1M'],
    ['blockcopy', 'GUEST', 'vda', '--dest', 'x', '--granularity', '4294967296'],
    ['blockcopy', 'GUEST', 'vda', '--dest', 'x', '--timeout', '0'],
    ['blockcopy', 'GUEST', 'vda', '--dest', 'x', '--timeout', '2147484'],
    ['blockcopy', 'GUEST', 'vda', '--verbose', '--dest', 'x'],
    ['blockcopy', 'GUEST', 'vda', '--async', '--dest', 'x'],
    ['blockcopy', 'GUEST', 'vda'],
    ['blockcopy', 'GUEST', 'vda', '--dest', 'x', '--xml', 'XML'],
    ['blockcopy', 'GUEST', 'vda', '--dest', 'x', '--pivot', '--finish'],
    ['blockcopy', 'GUEST', 'vda', '--xml', '/nonexistent.xml'],
    ['blockcopy', 'GUEST', 'vdz', '--dest', 'DIR/vdz.qcow2'],
    ['blockcopy', 'nosuch', 'vda', '--dest', 'x', '--print-xml'],
    ['blockpull', 'GUEST', 'vda', '--verbose'],
    ['blockpull', 'GUEST', 'vda', '--async'],
    ['blockpull', 'GUEST', 'vda', '--timeout', '0'],
    ['blockpull', 'GUEST', 'vda', '--bandwidth', 'x'],
    ['blockpull', 'GUEST', 'vdz'],
    ['blockcommit', 'GUEST', 'vda', '--pivot', '--keep-overlay'],
    ['blockcommit', 'GUEST', 'vda', '--verbose'],
    ['blockcommit', 'GUEST', 'vda', '--async'],
    ['blockcommit', 'GUEST', 'vdz'],
    ['blockcommit', 'GUEST', 'vda', '--base', 'DIR/unrelated.qcow2'],
    ['blockresize', 'GUEST', 'vda', 'abc'],
    ['blockresize', 'GUEST', 'vda', '1xB'],
    ['blockresize', 'GUEST', 'vda', '18014398509481984'],
    ['blockresize', 'GUEST', 'vdz', '1M'],
    ['blockresize', 'nosuch', 'vda', 'xx'],
    ['domblkerror', 'GUEST'],
    ['domblkerror', 'nosuch'],
    ['domblkthreshold', 'GUEST', 'vda', 'abc'],
    ['domblkthreshold', 'GUEST', 'vda', '16E'],
    ['domblkthreshold', 'GUEST', 'vdz', '10'],
    ['domblkthreshold', 'nosuch', 'vda', '10'],
    ['blkdeviotune', 'GUEST', 'vda'],
    ['blkdeviotune', 'GUEST', 'vda', '--live'],
    ['blkdeviotune', 'GUEST', 'vda', '--config'],
    ['blkdeviotune', 'GUEST', 'vdz'],
    ['blkdeviotune', 'GUEST', 'vda', '--current', '--live'],
    ['blkdeviotune', 'GUEST', 'vda', '--total-iops-sec', 'abc'],
    ['blkdeviotune', 'GUEST', 'vda', '--total-bytes-sec', '1xB'],
    ['blkdeviotune', 'GUEST', 'vda', '--read-bytes-sec', '-1'],
    ['change-media', 'GUEST', 'hdc', '--eject'],
    ['change-media', 'GUEST', 'hdc', 'DIR/a.iso', '--insert', '--print-xml'],
    ['change-media', 'GUEST', 'hdc', '--source', 'DIR/a.iso', '--block', '--print-xml'],
    ['change-media', 'GUEST', 'hdc', '--insert'],
    ['change-media', 'GUEST', 'hdc', '--eject', '--insert'],
    ['change-media', 'GUEST', 'hdc', '--eject', '--block'],
    ['change-media', 'GUEST', 'hdc', '--current', '--config'],
    ['change-media', 'GUEST', 'vda', '--eject'],
    ['change-media', 'GUEST', 'vdq', 'DIR/a.iso'],
    ['change-media', 'nosuch', 'hdc', '--eject'],
  ].map((row) => [row]))('%j', async (args) => {
    const argv = args.map((a) => (a === 'GUEST' ? name : a === 'XML' ? xmlFile : a.replace(/^DIR\//, `${daemon.pathInDaemon(daemon.dir)}/`)));
    expect(await mine(argv)).toEqual(await virsh(argv));
  });

  it('draws a bar on a terminal and keeps virsh lines off stderr', async () => {
    const { a, chains } = await twins('bj-bar');
    // cli-progress draws only on a terminal.
    const bar = Object.assign(new PassThrough(), { isTTY: true });
    let drawn = '';
    bar.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
    const run = await mine(['blockpull', a, 'vda', '--base', chains.a.base, '--wait', '--verbose'], { isTTY: true, progressStream: bar });
    expect(run).toEqual({ out: '\nPull complete\n', err: '', code: 0 });
    expect(drawn).toMatch(/Block Pull .*100%/);
  });
});

describe('block jobs on twin guests end as virsh leaves them', () => {
  it('blockpull --wait --verbose pulls the chain into the top image', async () => {
    const { a, b, chains } = await twins('bj-pull');
    const m = await mine(['blockpull', a, 'vda', '--base', chains.a.base, '--wait', '--verbose']);
    const t = await virsh(['blockpull', b, 'vda', '--base', chains.b.base, '--wait', '--verbose']);
    expect(lastProgress(m)).toEqual(lastProgress(t));
    expect(m).toMatchObject({ out: '\nPull complete\n', code: 0 });
    expect(await liveXml(a, 'TWIN')).toBe(await liveXml(b, 'TWIN'));
    expect(imageInfo(chains.a.top, a, 'TWIN')).toEqual(imageInfo(chains.b.top, b, 'TWIN'));
    // And the whole chain without waiting.
    const again = await twins('bj-pull2');
    expect(await mine(['blockpull', again.a, 'vda'])).toEqual(await virsh(['blockpull', again.b, 'vda']));
  });

  it('blockcommit commits a middle layer, then an active one through its synchronized phase', async () => {
    const { a, b, chains } = await twins('bj-commit');
    const m = await mine(['blockcommit', a, 'vda', '--top', chains.a.mid, '--wait', '--verbose']);
    const t = await virsh(['blockcommit', b, 'vda', '--top', chains.b.mid, '--wait', '--verbose']);
    expect(lastProgress(m)).toEqual(lastProgress(t));
    expect(m).toMatchObject({ out: '\nCommit complete\n', code: 0 });
    expect(await liveXml(a, 'TWIN')).toBe(await liveXml(b, 'TWIN'));
    expect(imageInfo(chains.a.top, a, 'TWIN')).toEqual(imageInfo(chains.b.top, b, 'TWIN'));

    const ma = await mine(['blockcommit', a, 'vda', '--active', '--wait', '--verbose']);
    const ta = await virsh(['blockcommit', b, 'vda', '--active', '--wait', '--verbose']);
    expect(lastProgress(ma)).toEqual(lastProgress(ta));
    expect(ma).toMatchObject({ out: '\nNow in synchronized phase\n', code: 0 });
    // In its synchronized phase the job stays at 100 %: the report is steady.
    for (const args of [['--info'], ['--raw'], ['--info', '--bytes']]) {
      expect(await mine(['blockjob', a, 'vda', ...args])).toEqual(await virsh(['blockjob', b, 'vda', ...args]));
    }
    expect(await mine(['blockjob', a, 'vda', '--pivot'])).toEqual(await virsh(['blockjob', b, 'vda', '--pivot']));
    expect(await liveXml(a, 'TWIN')).toBe(await liveXml(b, 'TWIN'));
  });

  it('blockcommit --pivot and --keep-overlay, and without waiting', async () => {
    const { a, b } = await twins('bj-commit2');
    expect(lastProgress(await mine(['blockcommit', a, 'vda', '--active', '--keep-overlay', '--verbose']))).toEqual(
      lastProgress(await virsh(['blockcommit', b, 'vda', '--active', '--keep-overlay', '--verbose'])),
    );
    expect(await liveXml(a, 'TWIN')).toBe(await liveXml(b, 'TWIN'));
    expect(await mine(['blockcommit', a, 'vda', '--pivot'])).toEqual(await virsh(['blockcommit', b, 'vda', '--pivot']));
    expect(await liveXml(a, 'TWIN')).toBe(await liveXml(b, 'TWIN'));
    const started = await twins('bj-commit3');
    expect(await mine(['blockcommit', started.a, 'vda', '--top', started.chains.a.mid])).toEqual(await virsh(['blockcommit', started.b, 'vda', '--top', started.chains.b.mid]));
  });

  it('blockcopy pivots to the copy, finishes it, or leaves it mirroring for blockjob', async () => {
    const { a, b } = await twins('bj-copy');
    const dest = (n: string, ext: string) => file(`${n}-copy.${ext}`);
    const m = await mine(['blockcopy', a, 'vda', '--dest', dest(a, 'qcow2'), '--verbose', '--pivot']);
    const t = await virsh(['blockcopy', b, 'vda', '--dest', dest(b, 'qcow2'), '--verbose', '--pivot']);
    expect(lastProgress(m)).toEqual(lastProgress(t));
    expect(m).toMatchObject({ out: '\nSuccessfully pivoted\n', code: 0 });
    expect(await liveXml(a, 'TWIN')).toBe(await liveXml(b, 'TWIN'));
    expect(imageInfo(dest(a, 'qcow2'), a, 'TWIN')).toEqual(imageInfo(dest(b, 'qcow2'), b, 'TWIN'));

    // The older call with a raw copy; the newer one with the job's parameters.
    expect(await mine(['blockcopy', a, 'vda', '--dest', dest(a, 'raw'), '--format', 'raw', '--finish'])).toEqual(await virsh(['blockcopy', b, 'vda', '--dest', dest(b, 'raw'), '--format', 'raw', '--finish']));
    expect(imageInfo(dest(a, 'raw'), a, 'TWIN')).toEqual(imageInfo(dest(b, 'raw'), b, 'TWIN'));
    expect(await liveXml(a, 'TWIN')).toBe(await liveXml(b, 'TWIN'));
    const started = ['--granularity', '65536', '--buf-size', '1048576', '--transient-job'];
    expect(await mine(['blockcopy', a, 'vda', '--dest', dest(a, 'new'), '--format', 'qcow2', ...started])).toEqual(await virsh(['blockcopy', b, 'vda', '--dest', dest(b, 'new'), '--format', 'qcow2', ...started]));
    await untilSynced(a);
    await untilSynced(b);
    for (const args of [['--raw'], ['--bandwidth', '10'], ['--info'], ['--bytes', '--bandwidth', '1048576'], ['--info', '--bytes'], ['--raw']]) {
      expect(await mine(['blockjob', a, 'vda', ...args])).toEqual(await virsh(['blockjob', b, 'vda', ...args]));
    }
    expect(await mine(['blockjob', a, 'vda', '--abort'])).toEqual(await virsh(['blockjob', b, 'vda', '--abort']));
    expect(await liveXml(a, 'TWIN')).toBe(await liveXml(b, 'TWIN'));
    expect(imageInfo(dest(a, 'new'), a, 'TWIN')).toEqual(imageInfo(dest(b, 'new'), b, 'TWIN'));
  });

  it('blockcopy --wait stops at the mirroring phase, where blockjob --async ends it', async () => {
    const { a, b } = await twins('bj-wait');
    const m = await mine(['blockcopy', a, 'vda', '--dest', file(`${a}-copy.qcow2`), '--wait']);
    const t = await virsh(['blockcopy', b, 'vda', '--dest', file(`${b}-copy.qcow2`), '--wait']);
    expect(m).toEqual(t);
    expect(m.out).toBe('\nNow in mirroring phase\n');
    expect(await mine(['blockjob', a, 'vda', '--async'])).toEqual(await virsh(['blockjob', b, 'vda', '--async']));
  });
});

describe('Ctrl-C during a wait aborts the job on the daemon, as in virsh', () => {
  /** A guest with 8 MiB of data a copy throttled to 64 KiB/s takes two minutes over: it is mid-copy when the signal comes. */
  async function busyGuest(name: string): Promise<void> {
    const raw = join(daemon.dir, `${name}.raw`);
    const disk = join(daemon.dir, `${name}.qcow2`);
    writeFileSync(raw, randomBytes(8 << 20));
    qemuImg('convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, disk);
    chmodSync(disk, 0o666);
    await guest(name, daemon.pathInDaemon(disk));
  }

  /** Runs a command line, sends SIGINT once its progress shows on stderr, and gives what it printed and its status. */
  function interrupted(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let signalled = false;
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (!signalled && /Block Copy: \[/.test(err)) {
          signalled = true;
          child.kill('SIGINT');
        }
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ out, err, code: code ?? -1 }));
    });
  }

  it('blockcopy --wait --verbose: "Copy aborted", exit 1, no job left', async () => {
    await busyGuest('bj-int-a');
    await busyGuest('bj-int-b');
    const copy = (name: string) => ['blockcopy', name, 'vda', '--dest', file(`${name}-copy.qcow2`), '--wait', '--verbose', '--bytes', '--bandwidth', '65536', '--buf-size', '65536', '--granularity', '65536'];
    const m = await interrupted(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/bin.ts'), '-c', daemon.qemuUri, ...copy('bj-int-a')], { ...process.env });
    const t = await interrupted('virsh', ['-c', daemon.qemuUri, ...copy('bj-int-b')], clientEnv(daemon));
    expect({ out: m.out, code: m.code }).toEqual({ out: t.out, code: t.code });
    expect(m).toMatchObject({ out: '\nCopy aborted\n', code: 1 });
    expect(m.err).toMatch(/^(\rBlock Copy: \[[ \d]{3} %\])+$/);
    expect(await mine(['blockjob', 'bj-int-a', 'vda', '--info'])).toEqual(await virsh(['blockjob', 'bj-int-b', 'vda', '--info']));
    expect((await mine(['blockjob', 'bj-int-a', 'vda'])).out).toBe('No current block job for vda\n');
  });

  it('blockcopy --timeout: the same abort once the time is up', async () => {
    const copy = (name: string) => ['blockcopy', name, 'vda', '--dest', file(`${name}-timed.qcow2`), '--timeout', '1', '--verbose', '--async', '--bytes', '--bandwidth', '65536', '--buf-size', '65536', '--granularity', '65536'];
    const m = await mine(copy('bj-int-a'));
    const t = await virsh(copy('bj-int-b'));
    // How far the copy got in that second is timing: the figures may differ, not the form.
    expect({ out: m.out, code: m.code }).toEqual({ out: t.out, code: t.code });
    expect(m).toMatchObject({ out: '\nCopy aborted\n', code: 1 });
    expect(m.err).toMatch(/^(\rBlock Copy: \[[ \d]{3} %\])+$/);
  });
});

describe('block device settings on twin guests', () => {
  it('blockresize, domblkthreshold and blkdeviotune change the guests alike', async () => {
    const { a, b } = await twins('bj-tune');
    for (const size of ['48M', '50000', '51201b']) {
      expect(await mine(['blockresize', a, 'vda', size])).toEqual(await virsh(['blockresize', b, 'vda', size]));
      expect(await mine(['domblkinfo', a, 'vda'])).toEqual(await virsh(['domblkinfo', b, 'vda']));
    }
    expect(await mine(['domblkthreshold', a, 'vda', '1M'])).toEqual(await virsh(['domblkthreshold', b, 'vda', '1M']));
    expect((await virsh(['domstats', a, '--block'])).out).toContain('block.0.threshold=1048576');
    const settings = ['--total-bytes-sec', '1M', '--read-iops-sec', '100', '--write_iops_sec', '50', '--group-name', 'grp', '--total-bytes-sec-max', '2MiB', '--total-bytes-sec-max-length', '5'];
    expect(await mine(['blkdeviotune', a, 'vda', ...settings])).toEqual(await virsh(['blkdeviotune', b, 'vda', ...settings]));
    expect(await mine(['blkdeviotune', a, 'vda'])).toEqual(await virsh(['blkdeviotune', b, 'vda']));
    expect((await virsh(['blkdeviotune', a, 'vda'])).out).toContain('group_name     : grp\n');
    expect(await mine(['domblkerror', a])).toEqual(await virsh(['domblkerror', b]));
  });

  it('change-media inserts, updates and ejects media as virsh', async () => {
    const { a, b } = await twins('bj-media');
    const iso = (n: string) => {
      const path = join(daemon.dir, `${n}.iso`);
      writeFileSync(path, 'media\n');
      chmodSync(path, 0o644);
      return daemon.pathInDaemon(path);
    };
    const [one, two] = [iso('bj-one'), iso('bj-two')];
    const steps: string[][] = [
      ['hdc', one, '--insert', '--print-xml'],
      ['hdc', '--source', one, '--insert'],
      ['hdc', one, '--insert'],
      ['hdc', two, '--update', '--print-xml'],
      ['hdc', two],
      ['hdc', '--eject', '--print-xml'],
      [two, '--eject'],
      ['hdc', '--update'],
      ['hdc', one, '--block', '--print-xml'],
      ['hdc', one, '--live', '--force'],
    ];
    for (const step of steps) {
      const m = await mine(['change-media', a, ...step]);
      const t = await virsh(['change-media', b, ...step]);
      expect([step, { ...m, out: asTwin(m.out, a, 'TWIN') }]).toEqual([step, { ...t, out: asTwin(t.out, b, 'TWIN') }]);
      expect(await liveXml(a, 'TWIN')).toBe(await liveXml(b, 'TWIN'));
    }
  });
});

describe('save and managedsave --verbose', () => {
  it('save --verbose on QEMU twins: the 100 % line, the same message, the guests saved alike', async () => {
    const { a, b } = await twins('bj-save');
    const state = (n: string) => join(daemon.dir, `${n}.save`);
    const m = await mine(['save', a, state(a), '--verbose']);
    const t = await virsh(['save', b, state(b), '--verbose']);
    expect(lastProgress({ ...m, out: asTwin(m.out, a, 'TWIN') })).toEqual(lastProgress({ ...t, out: asTwin(t.out, b, 'TWIN') }));
    expect(m.err.endsWith('\rSave: [100 %]')).toBe(true);
    expect(await mine(['save', a, state(a), '--verbose'])).toEqual({ ...(await virsh(['save', a, state(a), '--verbose'])) });
    expect(asTwin((await mine(['restore', state(a)])).out, a, 'TWIN')).toBe(asTwin((await virsh(['restore', state(b)])).out, b, 'TWIN'));
    expect(await liveXml(a, 'TWIN')).toBe(await liveXml(b, 'TWIN'));
    expect(await mine(['save', a, state(a), '--xml', '/nonexistent.xml'])).toEqual(await virsh(['save', a, state(a), '--xml', '/nonexistent.xml']));
    expect(await mine(['managedsave', a, '--verbose'])).toEqual(await virsh(['managedsave', a, '--verbose']));
  });

  it('managedsave --verbose on the test driver', async () => {
    for (const n of ['bj-ms-a', 'bj-ms-b']) await keeper.domainCreate(await keeper.domainDefineXML(testDriverDomainXml(n)));
    const m = await ours(daemon.testUri, ['managedsave', 'bj-ms-a', '--verbose']);
    const t = await theirs(daemon, daemon.testUri, ['managedsave', 'bj-ms-b', '--verbose']);
    expect({ ...m, out: asTwin(m.out, 'bj-ms-a', 'TWIN') }).toEqual({ ...t, out: asTwin(t.out, 'bj-ms-b', 'TWIN') });
    expect(m.err).toBe('\rManagedsave: [100 %]');
    expect(await ours(daemon.testUri, ['dominfo', 'bj-ms-a'])).toMatchObject({ out: expect.stringMatching(/Managed save:\s+yes/) });
  });
});
