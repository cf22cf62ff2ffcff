/**
 * Checkpoints, backups and the snapshot commands against virsh on the same daemon: what
 * changes state runs ours on one domain and virsh on its twin (names of the same length, put
 * back to NAME before comparing), then both are read back with virsh; what only reads runs
 * both on the same domain and must match byte for byte, refusals included. The test driver
 * carries the checkpoint and snapshot trees; a QEMU guest with a qcow2 disk carries real
 * bitmaps and backups.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VIR_DOMAIN_JOB_NONE } from '../../protocol/constants.js';
import { type Connection, connect } from '../../src/index.js';
import { testDriverDomainXml, tinyGuestXml } from '../harness/guests.js';
import { type CliRun, ours, theirs } from '../helpers/cli.js';
import { type ThrowawayDaemon, sharedDaemon, virsh } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;
let qemu: Connection;

/** The twins: ours works on the first, virsh on the second. */
const CHECKPOINT_TWINS = ['ck-ours', 'ck-them'] as const;
const SNAPSHOT_TWINS = ['sn-ours', 'sn-them'] as const;
const QEMU_TWINS = ['qk-ours', 'qk-them'] as const;

beforeAll(async () => {
  daemon = await sharedDaemon();
  // The test driver keeps what we define while a connection stays open.
  keeper = await connect(daemon.testUri);
  for (const name of [...CHECKPOINT_TWINS, 'ck-json']) await keeper.domainCreate(await keeper.domainDefineXML(withDisk(name)));
  for (const name of SNAPSHOT_TWINS) await keeper.domainCreate(await keeper.domainDefineXML(testDriverDomainXml(name)));
  qemu = await connect(daemon.qemuUri);
  for (const name of QEMU_TWINS) {
    const image = join(daemon.dir, `${name}.qcow2`);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, '16M']);
    execFileSync('chown', [daemon.user, image]);
    const disk = `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${image}'/><target dev='vda' bus='virtio'/></disk>`;
    await qemu.domainCreate(await qemu.domainDefineXML(tinyGuestXml(name, { noGraphics: true, extraDevices: disk })));
  }
}, 120_000);

afterAll(async () => {
  for (const name of QEMU_TWINS) {
    const dom = await qemu?.domainLookupByName(name).catch(() => undefined);
    if (dom) await qemu.domainDestroy(dom).catch(() => undefined);
  }
  await qemu?.close();
  await keeper?.close();
});

/** A test-driver domain with a disk: the test driver checkpoints only domains that have one. */
const withDisk = (name: string) =>
  testDriverDomainXml(name).replace('</domain>', `<devices><disk type='file' device='disk'><source file='/guest/${name}.img'/><target dev='vda' bus='virtio'/></disk></devices></domain>`);

/** A scratch file in the daemon's directory, readable by the daemon's user. */
function scratch(name: string, text: string): string {
  const file = join(daemon.dir, name);
  writeFileSync(file, text);
  return file;
}

/** Creation times move with the clock: the same width, another text. */
const timeless = (s: string) =>
  s.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}/g, 'YYYY-MM-DD HH:MM:SS +ZZZZ').replace(/<creationTime>\d+<\/creationTime>/g, '<creationTime>T</creationTime>');

/** A run with the twin's name (and anything named after it) put back to NAME. */
const named = (r: CliRun, name: string): CliRun => {
  const put = (s: string) => timeless(s.replaceAll(name, 'NAME'));
  return { out: put(r.out), err: put(r.err), code: r.code };
};

/**
 * One step on both twins: `{}` stands for the twin, `{file}` for a file made for it by
 * `files` (each twin its own). Returns both runs, names put back.
 */
async function onTwins(uri: string, twins: readonly [string, string], step: string[], files: (twin: string) => Record<string, string> = () => ({})): Promise<[CliRun, CliRun]> {
  const args = (twin: string) => {
    const made = files(twin);
    return step.map((a) => (a === '{}' ? twin : a.startsWith('{') && made[a.slice(1, -1)] ? made[a.slice(1, -1)]! : a));
  };
  const mine = await ours(uri, args(twins[0]));
  const theirsRun = await theirs(daemon, uri, args(twins[1]));
  return [named(mine, twins[0]), named(theirsRun, twins[1])];
}

/** What virsh reads back from each twin, names put back. */
async function readBack(uri: string, twins: readonly [string, string], ...args: string[]): Promise<[string, string]> {
  const read = async (twin: string) => named(await theirs(daemon, uri, args.map((a) => (a === '{}' ? twin : a))), twin);
  const [a, b] = await Promise.all(twins.map(read));
  return [JSON.stringify(a), JSON.stringify(b)];
}

/** Waits, polling, until the domain's job (a backup) has ended. */
async function jobEnded(name: string): Promise<void> {
  const dom = await qemu.domainLookupByName(name);
  const deadline = Date.now() + 60_000;
  while ((await qemu.domainGetJobInfo(dom)).type !== VIR_DOMAIN_JOB_NONE) {
    if (Date.now() > deadline) throw new Error(`the job of ${name} did not end`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('checkpoints on the test driver', () => {
  it('checkpoint-create, checkpoint-create-as and checkpoint-delete change the twins alike', async () => {
    const c3 = (twin: string) => ({ c3: scratch(`${twin}-c3.xml`, '<domaincheckpoint><name>c3</name><description>from a file</description></domaincheckpoint>') });
    const steps: string[][] = [
      ['checkpoint-create-as', '{}', 'c1', 'the first'],
      ['checkpoint-create-as', '{}', '--name', 'c2', '--description', 'the <second> & "last"'],
      ['checkpoint-create', '{}', '{c3}'],
      ['checkpoint-create-as', '{}', '--name', 'C4'],
      ['checkpoint-create-as', '{}', 'c5', '--quiesce'],
      ['checkpoint-create-as', '{}', 'c1'],
      ['checkpoint-create', '{}', join(daemon.dir, 'no-such-checkpoint.xml')],
      ['checkpoint-create', '{}', '--redefine-validate'],
      ['checkpoint-create-as', '{}', 'c6', 'desc', 'vda,bad=1'],
      ['checkpoint-create-as', '{}', '--name', ''],
      ['checkpoint-delete', '{}', 'nope'],
      ['checkpoint-delete', '{}'],
    ];
    for (const step of steps) {
      const [mine, theirsRun] = await onTwins(daemon.testUri, CHECKPOINT_TWINS, step, c3);
      expect([step, mine]).toEqual([step, theirsRun]);
      const [a, b] = await readBack(daemon.testUri, CHECKPOINT_TWINS, 'checkpoint-list', '{}', '--parent');
      expect([step, a]).toEqual([step, b]);
    }
    expect(await virsh(daemon, daemon.testUri, 'checkpoint-list', CHECKPOINT_TWINS[0], '--name')).toMatch(/^c1\nc2\nc3\nC4\n/);
  });

  it('checkpoint-create --redefine puts back what checkpoint-delete --metadata dropped', async () => {
    const files = (twin: string) => ({ saved: join(daemon.dir, `${twin}-c2.xml`) });
    for (const twin of CHECKPOINT_TWINS) writeFileSync(files(twin).saved, await virsh(daemon, daemon.testUri, 'checkpoint-dumpxml', twin, 'c2'));
    for (const step of [
      ['checkpoint-delete', '{}', 'c2', '--metadata'],
      ['checkpoint-create', '{}', '{saved}', '--redefine'],
      ['checkpoint-create', '{}', '{saved}', '--redefine', '--redefine-validate'],
    ]) {
      const [mine, theirsRun] = await onTwins(daemon.testUri, CHECKPOINT_TWINS, step, files);
      expect([step, mine]).toEqual([step, theirsRun]);
      const [a, b] = await readBack(daemon.testUri, CHECKPOINT_TWINS, 'checkpoint-list', '{}', '--tree');
      expect([step, a]).toEqual([step, b]);
    }
  });

  it('a checkpoint without a name is named after the time it was taken', async () => {
    const mine = await ours(daemon.testUri, ['checkpoint-create', CHECKPOINT_TWINS[0]]);
    const theirsRun = await theirs(daemon, daemon.testUri, ['checkpoint-create', CHECKPOINT_TWINS[1]]);
    const clockless = (r: CliRun) => ({ ...r, out: r.out.replace(/\d{9,}/, 'T') });
    expect(clockless(mine)).toEqual(clockless(theirsRun));
    for (const [twin, run] of [
      [CHECKPOINT_TWINS[0], mine],
      [CHECKPOINT_TWINS[1], theirsRun],
    ] as const) {
      const name = /checkpoint (\S+) created/.exec(run.out)![1]!;
      expect((await virsh(daemon, daemon.testUri, 'checkpoint-list', twin, '--name')).split('\n')).toContain(name);
      await virsh(daemon, daemon.testUri, 'checkpoint-delete', twin, name);
    }
  });

  it.each([
    [['checkpoint-list', '{}']],
    [['checkpoint-list', '{}', '--parent']],
    [['checkpoint-list', '{}', '--name']],
    [['checkpoint-list', '{}', '--tree']],
    [['checkpoint-list', '{}', '--roots']],
    [['checkpoint-list', '{}', '--leaves']],
    [['checkpoint-list', '{}', '--no-leaves']],
    [['checkpoint-list', '{}', '--topological', '--name']],
    [['checkpoint-list', '{}', '--from', 'c1']],
    [['checkpoint-list', '{}', '--from', 'c1', '--descendants', '--name']],
    [['checkpoint-list', '{}', '--from', 'c2', '--tree']],
    [['checkpoint-list', '{}', '--from', 'c1', '--descendants', '--tree']],
    [['checkpoint-list', '--domain', '{}', 'c1', '--parent']],
    [['checkpoint-list', '{}', '--from', 'nope']],
    [['checkpoint-list', '{}', '--descendants']],
    [['checkpoint-list', '{}', '--tree', '--name']],
    [['checkpoint-list', '{}', '--tree', '--leaves']],
    [['checkpoint-list', '{}', '--roots', '--from', 'c1']],
    [['checkpoint-list', '{}', '--parent', '--tree']],
    [['checkpoint-list', 'no-such-domain']],
    [['checkpoint-list']],
    [['checkpoint-list', '{}', 'c1', 'extra']],
    [['checkpoint-info', '{}', 'c1']],
    [['checkpoint-info', '{}', '--checkpointname', 'c3']],
    [['checkpoint-info', '{}']],
    [['checkpoint-info', '{}', 'nope']],
    [['checkpoint-info', '{}', '']],
    [['checkpoint-parent', '{}', 'c3']],
    [['checkpoint-parent', '{}', 'c1']],
    [['checkpoint-parent', '{}', 'nope']],
    [['checkpoint-dumpxml', '{}', 'c2']],
    [['checkpoint-dumpxml', '{}', 'c2', '--no-domain']],
    [['checkpoint-dumpxml', '{}', 'c2', '--security-info']],
    [['checkpoint-dumpxml', '{}', 'c2', '--size']],
    [['checkpoint-dumpxml', '{}']],
    [['checkpoint-create-as', '{}', '--print-xml', 'p1', 'it\'s <xml> & "quoted"', 'vda,checkpoint=bitmap,bitmap=b1', "vd'b,checkpoint=no"]],
    [['checkpoint-create-as', '{}', '--print-xml', '--name', 'p2', 'a description', '--diskspec', 'vdb', 'vdc,,x', '--diskspec=vdd']],
    [['checkpoint-create-as', '{}', '--print-xml']],
    [['checkpoint-create-as', '{}', '--print-xml', 'p3', 'd', '']],
    [['checkpoint-create-as', 'no-such-domain', '--print-xml']],
  ])('%j prints what virsh prints on the same domain', async (step) => {
    const args = step.map((a) => (a === '{}' ? CHECKPOINT_TWINS[0] : a));
    expect(await ours(daemon.testUri, args)).toEqual(await theirs(daemon, daemon.testUri, args));
  });

  it('checkpoint-delete with --children and --children-only changes the twins alike', async () => {
    for (const step of [
      ['checkpoint-delete', '{}', 'c2', '--children-only'],
      ['checkpoint-delete', '{}', 'c1', '--children'],
      ['checkpoint-delete', '{}', 'c1'],
    ]) {
      const [mine, theirsRun] = await onTwins(daemon.testUri, CHECKPOINT_TWINS, step);
      expect([step, mine]).toEqual([step, theirsRun]);
      const [a, b] = await readBack(daemon.testUri, CHECKPOINT_TWINS, 'checkpoint-list', '{}', '--parent');
      expect([step, a]).toEqual([step, b]);
    }
  });

  it('--json gives the list, the tree, the info and the parent as data', async () => {
    // A domain of its own: a new checkpoint's parent is the domain's latest one.
    const twin = 'ck-json';
    await virsh(daemon, daemon.testUri, 'checkpoint-create-as', twin, 'j1');
    await virsh(daemon, daemon.testUri, 'checkpoint-create-as', twin, 'j2');
    const json = async (...args: string[]) => JSON.parse((await ours(daemon.testUri, ['--json', ...args])).out);
    expect(await json('checkpoint-list', twin, '--tree')).toEqual(expect.arrayContaining([{ name: 'j1', parent: null }, { name: 'j2', parent: 'j1' }]));
    expect(await json('checkpoint-list', twin)).toEqual(expect.arrayContaining([{ name: 'j2', creationTime: expect.any(Number), parent: 'j1' }]));
    expect(await json('checkpoint-info', twin, 'j1')).toEqual({ name: 'j1', domain: twin, parent: null, children: 1, descendants: 1 });
    expect(await json('checkpoint-parent', twin, 'j2')).toEqual({ parent: 'j1' });
    expect(await json('checkpoint-create-as', twin, 'j3')).toEqual({ name: 'j3' });
  });
});

describe('checkpoints and backups of a QEMU guest with a qcow2 disk', () => {
  it('checkpoint-create-as with disk specs makes the same bitmaps on the twins', async () => {
    for (const step of [
      ['checkpoint-create-as', '{}', 'q0', '--diskspec', 'vda,checkpoint=bitmap,bitmap=other'],
      ['checkpoint-create-as', '{}', 'q1', '--diskspec', 'vda,checkpoint=bitmap,bitmap=q1'],
      ['checkpoint-create-as', '{}', 'q2', 'second', 'vda'],
      ['checkpoint-create-as', '{}', 'q3', '--diskspec', 'vdz'],
      ['checkpoint-create-as', '{}', 'q4', '--quiesce'],
    ]) {
      const [mine, theirsRun] = await onTwins(daemon.qemuUri, QEMU_TWINS, step);
      expect([step, mine]).toEqual([step, theirsRun]);
      const [a, b] = await readBack(daemon.qemuUri, QEMU_TWINS, 'checkpoint-list', '{}', '--tree');
      expect([step, a]).toEqual([step, b]);
    }
    expect(await virsh(daemon, daemon.qemuUri, 'checkpoint-list', QEMU_TWINS[0], '--name')).toBe('q1\nq2\n\n');
    const [a, b] = await readBack(daemon.qemuUri, QEMU_TWINS, 'checkpoint-dumpxml', '{}', 'q2', '--no-domain');
    expect(a).toBe(b);
  }, 120_000);

  it.each([
    [['checkpoint-dumpxml', '{}', 'q1', '--no-domain', '--size']],
    [['checkpoint-dumpxml', '{}', 'q2', '--size']],
    [['checkpoint-info', '{}', 'q1']],
    [['checkpoint-list', '{}', '--parent']],
    [['backup-dumpxml', '{}']],
  ])('%j prints what virsh prints on the same guest', async (step) => {
    const args = step.map((a) => (a === '{}' ? QEMU_TWINS[0] : a));
    expect(await ours(daemon.qemuUri, args)).toEqual(await theirs(daemon, daemon.qemuUri, args));
  });

  it('backup-begin pushes a full and an incremental backup, and a new checkpoint, alike on the twins', async () => {
    const files = (twin: string) => {
      const target = (kind: string) => join(daemon.dir, `${twin}-${kind}.qcow2`);
      return {
        full: scratch(`${twin}-full.xml`, `<domainbackup mode='push'><disks><disk name='vda' type='file'><target file='${target('full')}'/><driver type='qcow2'/></disk></disks></domainbackup>`),
        incremental: scratch(
          `${twin}-inc.xml`,
          `<domainbackup mode='push'><incremental>q1</incremental><disks><disk name='vda' type='file'><target file='${target('inc')}'/><driver type='qcow2'/></disk></disks></domainbackup>`,
        ),
        checkpoint: scratch(`${twin}-bk.xml`, '<domaincheckpoint><name>bk1</name><description>taken with the backup</description></domaincheckpoint>'),
        missing: join(daemon.dir, `${twin}-missing.xml`),
      };
    };
    for (const step of [
      ['backup-begin', '{}', '{full}'],
      ['backup-begin', '{}', '--backupxml', '{incremental}', '{checkpoint}'],
      ['backup-begin', '{}', '{missing}'],
      ['backup-begin', '{}', '{full}', '--reuse-external'],
    ]) {
      const [mine, theirsRun] = await onTwins(daemon.qemuUri, QEMU_TWINS, step, files);
      expect([step, mine]).toEqual([step, theirsRun]);
      for (const twin of QEMU_TWINS) await jobEnded(twin);
      const [a, b] = await readBack(daemon.qemuUri, QEMU_TWINS, 'checkpoint-list', '{}', '--tree');
      expect([step, a]).toEqual([step, b]);
    }
    expect(await virsh(daemon, daemon.qemuUri, 'checkpoint-list', QEMU_TWINS[0], '--name')).toContain('bk1\n');
    // What each pushed is a qcow2 image of the guest's disk.
    for (const twin of QEMU_TWINS) {
      for (const kind of ['full', 'inc']) expect(JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', join(daemon.dir, `${twin}-${kind}.qcow2`)], { encoding: 'utf8' }))).toMatchObject({ format: 'qcow2', 'virtual-size': 16 << 20 });
    }
  }, 180_000);

  it('backup-dumpxml prints a running pull backup as virsh does, and the job ends with domjobabort', async () => {
    const twin = QEMU_TWINS[0];
    const pull = scratch(
      'pull.xml',
      `<domainbackup mode='pull'><server transport='unix' socket='${join(daemon.dir, 'nbd.sock')}'/><disks><disk name='vda' type='file'><scratch file='${join(daemon.dir, 'scratch.qcow2')}'/></disk></disks></domainbackup>`,
    );
    expect(await ours(daemon.qemuUri, ['backup-begin', twin, pull])).toEqual({ out: 'Backup started\n\n', err: '', code: 0 });
    try {
      const mine = await ours(daemon.qemuUri, ['backup-dumpxml', twin]);
      expect(mine.out).toContain("<domainbackup mode='pull'>");
      expect(mine).toEqual(await theirs(daemon, daemon.qemuUri, ['backup-dumpxml', twin]));
    } finally {
      await virsh(daemon, daemon.qemuUri, 'domjobabort', twin);
    }
    await jobEnded(twin);
    expect(await ours(daemon.qemuUri, ['backup-dumpxml', twin])).toEqual(await theirs(daemon, daemon.qemuUri, ['backup-dumpxml', twin]));
  }, 120_000);

  it('checkpoint-delete merges bitmaps alike on the twins', async () => {
    for (const step of [
      ['checkpoint-delete', '{}', 'q2'],
      ['checkpoint-delete', '{}', 'q1', '--children-only'],
      ['checkpoint-delete', '{}', 'q1', '--children'],
    ]) {
      const [mine, theirsRun] = await onTwins(daemon.qemuUri, QEMU_TWINS, step);
      expect([step, mine]).toEqual([step, theirsRun]);
      const [a, b] = await readBack(daemon.qemuUri, QEMU_TWINS, 'checkpoint-list', '{}', '--name');
      expect([step, a]).toEqual([step, b]);
    }
  }, 120_000);
});

describe('snapshots on the test driver', () => {
  it('snapshot-create from files and with its options changes the twins alike', async () => {
    const files = (twin: string) => ({
      s1: scratch(`${twin}-s1.xml`, '<domainsnapshot><name>s1</name><description>first</description></domainsnapshot>'),
      s2: scratch(`${twin}-s2.xml`, '<domainsnapshot><name>s2</name></domainsnapshot>'),
      S3: scratch(`${twin}-S3.xml`, '<domainsnapshot><name>S3</name></domainsnapshot>'),
      s4: scratch(`${twin}-s4.xml`, '<domainsnapshot><name>s4</name></domainsnapshot>'),
      bad: scratch(`${twin}-bad.xml`, '<domainsnapshot><name>bad</name><bogus/></domainsnapshot>'),
      missing: join(daemon.dir, `${twin}-missing.xml`),
    });
    const steps: string[][] = [
      ['snapshot-create', '{}', '{s1}'],
      ['snapshot-create', '{}', '--xmlfile', '{s2}', '--atomic'],
      ['snapshot-create', '{}', '{S3}', '--validate'],
      ['snapshot-create', '{}', '{bad}', '--validate'],
      ['snapshot-create', '{}', '{s4}', '--no-metadata'],
      ['snapshot-create', '{}', '{s4}', '--disk-only'],
      ['snapshot-create', '{}', '{s4}', '--live'],
      ['snapshot-create', '{}', '{s4}', '--quiesce'],
      ['snapshot-create', '{}', '{s4}', '--reuse-external'],
      ['snapshot-create', '{}', '{s1}'],
      ['snapshot-create', '{}', '{missing}'],
      ['snapshot-create', '{}', ''],
      ['snapshot-create', '{}', '{s4}', '--halt'],
    ];
    for (const step of steps) {
      const [mine, theirsRun] = await onTwins(daemon.testUri, SNAPSHOT_TWINS, step, files);
      expect([step, mine]).toEqual([step, theirsRun]);
      const [a, b] = await readBack(daemon.testUri, SNAPSHOT_TWINS, 'snapshot-list', '{}', '--parent');
      expect([step, a]).toEqual([step, b]);
      const [x, y] = await readBack(daemon.testUri, SNAPSHOT_TWINS, 'domstate', '{}');
      expect([step, x]).toEqual([step, y]);
    }
    expect(await virsh(daemon, daemon.testUri, 'snapshot-list', SNAPSHOT_TWINS[0], '--name')).toMatch(/^s1\ns2\nS3\n/);
    // --halt left both stopped (or, refused, both running).
    for (const twin of SNAPSHOT_TWINS) if ((await virsh(daemon, daemon.testUri, 'domstate', twin)).startsWith('shut off')) await virsh(daemon, daemon.testUri, 'start', twin);
  });

  it('snapshot-create --redefine --current makes a snapshot current again', async () => {
    const files = (twin: string) => ({ saved: join(daemon.dir, `${twin}-s2-saved.xml`) });
    for (const twin of SNAPSHOT_TWINS) writeFileSync(files(twin).saved, await virsh(daemon, daemon.testUri, 'snapshot-dumpxml', twin, 's2'));
    for (const step of [
      ['snapshot-create', '{}', '{saved}', '--redefine', '--current'],
      ['snapshot-create', '{}', '{saved}', '--current'],
    ]) {
      const [mine, theirsRun] = await onTwins(daemon.testUri, SNAPSHOT_TWINS, step, files);
      expect([step, mine]).toEqual([step, theirsRun]);
      const [a, b] = await readBack(daemon.testUri, SNAPSHOT_TWINS, 'snapshot-current', '{}', '--name');
      expect([step, a]).toEqual([step, b]);
    }
  });

  it('a snapshot without a file is named after the time it was taken', async () => {
    const mine = await ours(daemon.testUri, ['snapshot-create', SNAPSHOT_TWINS[0]]);
    const theirsRun = await theirs(daemon, daemon.testUri, ['snapshot-create', SNAPSHOT_TWINS[1]]);
    const clockless = (r: CliRun) => ({ ...r, out: r.out.replace(/\d{9,}/, 'T') });
    expect(clockless(mine)).toEqual(clockless(theirsRun));
    for (const [twin, run] of [
      [SNAPSHOT_TWINS[0], mine],
      [SNAPSHOT_TWINS[1], theirsRun],
    ] as const) {
      const name = /snapshot (\S+) created/.exec(run.out)![1]!;
      expect(await virsh(daemon, daemon.testUri, 'snapshot-current', twin, '--name')).toBe(`${name}\n`);
      await virsh(daemon, daemon.testUri, 'snapshot-delete', twin, name);
    }
    // Leave s2 current again for the listings below.
    for (const twin of SNAPSHOT_TWINS) await virsh(daemon, daemon.testUri, 'snapshot-current', twin, 's2');
  });

  it.each([
    [['snapshot-list', '{}']],
    [['snapshot-list', '{}', '--parent']],
    [['snapshot-list', '{}', '--name']],
    [['snapshot-list', '{}', '--tree']],
    [['snapshot-list', '{}', '--roots']],
    [['snapshot-list', '{}', '--leaves']],
    [['snapshot-list', '{}', '--no-leaves']],
    [['snapshot-list', '{}', '--metadata']],
    [['snapshot-list', '{}', '--no-metadata']],
    [['snapshot-list', '{}', '--inactive']],
    [['snapshot-list', '{}', '--active', '--name']],
    [['snapshot-list', '{}', '--disk-only']],
    [['snapshot-list', '{}', '--internal']],
    [['snapshot-list', '{}', '--external']],
    [['snapshot-list', '{}', '--topological', '--name']],
    [['snapshot-list', '{}', '--from', 's1']],
    [['snapshot-list', '{}', 's1', '--descendants']],
    [['snapshot-list', '{}', '--from', 's1', '--tree']],
    [['snapshot-list', '{}', '--from', 's1', '--descendants', '--tree']],
    [['snapshot-list', '{}', '--current']],
    [['snapshot-list', '{}', '--current', '--tree']],
    [['snapshot-list', '{}', '--current', '--descendants', '--parent']],
    [['snapshot-list', '{}', '--from', 's1', '--current']],
    [['snapshot-list', '{}', '--from', 'nope']],
    [['snapshot-list', '{}', '--descendants']],
    [['snapshot-list', '{}', '--tree', '--name']],
    [['snapshot-list', '{}', '--tree', '--inactive']],
    [['snapshot-list', '{}', '--roots', '--current']],
    [['snapshot-list', '{}', '--parent', '--roots']],
    [['snapshot-list', 'no-such-domain']],
    [['snapshot-list', 'test']],
    [['snapshot-parent', '{}', 's2']],
    [['snapshot-parent', '{}', '--snapshotname', 'S3']],
    [['snapshot-parent', '{}', '--current']],
    [['snapshot-parent', '{}', 's1']],
    [['snapshot-parent', '{}']],
    [['snapshot-parent', '{}', 's2', '--current']],
    [['snapshot-parent', '{}', 'nope']],
    [['snapshot-parent', 'test', '--current']],
  ])('%j prints what virsh prints on the same domain', async (step) => {
    const args = step.map((a) => (a === '{}' ? SNAPSHOT_TWINS[0] : a));
    expect(await ours(daemon.testUri, args)).toEqual(await theirs(daemon, daemon.testUri, args));
  });

  it('--json gives snapshot-list and snapshot-parent as data', async () => {
    const twin = SNAPSHOT_TWINS[0];
    const json = async (...args: string[]) => JSON.parse((await ours(daemon.testUri, ['--json', ...args])).out);
    expect(await json('snapshot-list', twin)).toEqual(expect.arrayContaining([{ name: 's2', creationTime: expect.any(Number), state: 'running', parent: 's1' }]));
    expect(await json('snapshot-list', twin, '--tree')).toEqual(expect.arrayContaining([{ name: 's1', parent: null }]));
    expect(await json('snapshot-parent', twin, 's2')).toEqual({ parent: 's1' });
  });
});
