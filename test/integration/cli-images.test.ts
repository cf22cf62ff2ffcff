/**
 * Saved state, core dumps and a domain's whole life against virsh on the same daemon:
 * save-image-define/dumpxml, managedsave-define/dumpxml, dump, create, domrename and
 * domxml-to/from-native. What changes state runs ours on one domain (or file) and virsh on
 * its twin, compared with the names put back, then both are read back with virsh; what only
 * reads runs both on the same object. Refusals (a driver without the call, a flag it does not
 * take) must match too.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VIR_DOMAIN_RUNNING } from '../../protocol/constants.js';
import { type Connection, connect } from '../../src/index.js';
import { testDriverDomainXml, tinyGuestXml } from '../harness/guests.js';
import { type CliRun, ours, theirs } from '../helpers/cli.js';
import { type ThrowawayDaemon, sharedDaemon, virsh } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;
let qemu: Connection;

/** Twins: ours works on the first, virsh on the second (names of the same length). */
const TEST_TWINS = ['im-ours', 'im-them'] as const;
const RENAME_TWINS = ['rn-ours', 'rn-them'] as const;
const CREATE_TWINS = ['cr-ours', 'cr-them'] as const;
const QEMU_TWINS = ['iq-ours', 'iq-them'] as const;
const QEMU_CREATE_TWINS = ['cq-ours', 'cq-them'] as const;

beforeAll(async () => {
  daemon = await sharedDaemon();
  // The test driver keeps what we define while a connection stays open.
  keeper = await connect(daemon.testUri);
  for (const name of TEST_TWINS) await keeper.domainCreate(await keeper.domainDefineXML(testDriverDomainXml(name)));
  for (const name of RENAME_TWINS) await keeper.domainDefineXML(testDriverDomainXml(name));
  qemu = await connect(daemon.qemuUri);
  for (const name of QEMU_TWINS) await qemu.domainCreate(await qemu.domainDefineXML(tinyGuestXml(name, { noGraphics: true })));
}, 120_000);

afterAll(async () => {
  for (const name of [...QEMU_TWINS, ...QEMU_CREATE_TWINS]) {
    const dom = await qemu?.domainLookupByName(name).catch(() => undefined);
    if (dom) await qemu.domainDestroy(dom).catch(() => undefined);
  }
  await qemu?.close();
  await keeper?.close();
});

const file = (name: string) => join(daemon.dir, name);

/** A scratch file in the daemon's directory. */
function scratch(name: string, text: string): string {
  writeFileSync(file(name), text);
  return file(name);
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** A run with the twin's name put back to NAME, and its UUID (each twin has its own) to UUID. */
const named = (r: CliRun, name: string): CliRun => {
  const put = (s: string) => s.replaceAll(name, 'NAME').replace(UUID, 'UUID');
  return { out: put(r.out), err: put(r.err), code: r.code };
};

/**
 * One step on both twins: `{}` in an argument stands for the twin, `{file}` for a file made
 * for it by `files` (each twin its own). Returns both runs, names put back.
 */
async function onTwins(uri: string, twins: readonly [string, string], step: string[], files: (twin: string) => Record<string, string> = () => ({})): Promise<[CliRun, CliRun]> {
  const args = (twin: string) => {
    const made = files(twin);
    return step.map((a) => (/^\{\w+\}$/.test(a) && made[a.slice(1, -1)] ? made[a.slice(1, -1)]! : a.replaceAll('{}', twin)));
  };
  const mine = await ours(uri, args(twins[0]));
  const theirsRun = await theirs(daemon, uri, args(twins[1]));
  return [named(mine, twins[0]), named(theirsRun, twins[1])];
}

/** What virsh reads back from each twin, names put back. */
async function readBack(uri: string, twins: readonly [string, string], ...args: string[]): Promise<[string, string]> {
  const read = async (twin: string) => named(await theirs(daemon, uri, args.map((a) => a.replaceAll('{}', twin))), twin);
  const [a, b] = await Promise.all(twins.map(read));
  return [JSON.stringify(a), JSON.stringify(b)];
}

/** Runs the steps on the twins, comparing what each printed and then what `back` reads. */
async function stepsOnTwins(uri: string, twins: readonly [string, string], steps: string[][], back: string[], files?: (twin: string) => Record<string, string>, after?: () => Promise<void>): Promise<void> {
  for (const step of steps) {
    const [mine, theirsRun] = await onTwins(uri, twins, step, files);
    expect([step, mine]).toEqual([step, theirsRun]);
    await after?.();
    const [a, b] = await readBack(uri, twins, ...back);
    expect([step, a]).toEqual([step, b]);
  }
}

/** Runs `args` (`{}` for `ref`) with ours and virsh on the same object. */
async function same(uri: string, args: string[], ref = ''): Promise<void> {
  const real = args.map((a) => a.replaceAll('{}', ref));
  expect([real, await ours(uri, real)]).toEqual([real, await theirs(daemon, uri, real)]);
}

/** Waits, polling, until a QEMU guest runs again (a dump pauses it for a while). */
async function running(name: string): Promise<void> {
  const dom = await qemu.domainLookupByName(name);
  const deadline = Date.now() + 60_000;
  while ((await qemu.domainGetState(dom, 0)).state !== VIR_DOMAIN_RUNNING) {
    if (Date.now() > deadline) throw new Error(`${name} does not run again`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('on the test driver', () => {
  it('save-image-dumpxml reads a saved state file as virsh, and save-image-define rewrites the twins alike', async () => {
    for (const twin of TEST_TWINS) await virsh(daemon, daemon.testUri, 'save', twin, file(`${twin}.save`));
    const saved = file(`${TEST_TWINS[0]}.save`);
    for (const args of [
      ['save-image-dumpxml', saved],
      ['save-image-dumpxml', '--file', saved, '--security-info'],
      ['save-image-dumpxml', file('no-such.save')],
      ['save-image-dumpxml', ''],
      ['save-image-dumpxml'],
      ['save-image-dumpxml', saved, 'extra'],
    ]) {
      await same(daemon.testUri, args);
    }
    const files = (twin: string) => ({ save: file(`${twin}.save`), xml: file(`${twin}-image.xml`), missing: file(`${twin}-missing.save`), missingXml: file(`${twin}-missing.xml`) });
    for (const twin of TEST_TWINS) {
      writeFileSync(files(twin).xml, (await virsh(daemon, daemon.testUri, 'save-image-dumpxml', files(twin).save)).replace(/<on_crash>\w+<\/on_crash>/, '<on_crash>restart</on_crash>'));
    }
    await stepsOnTwins(
      daemon.testUri,
      TEST_TWINS,
      [
        ['save-image-define', '{save}', '{xml}'],
        ['save-image-define', '--file', '{save}', '--xml', '{xml}', '--paused'],
        ['save-image-define', '{save}', '{xml}', '--running', '--paused'],
        ['save-image-define', '{missing}', '{xml}'],
        ['save-image-define', '{save}', '{missingXml}'],
        ['save-image-define', '{save}'],
      ],
      ['save-image-dumpxml', file('{}.save')],
      files,
    );
    expect(await virsh(daemon, daemon.testUri, 'save-image-dumpxml', file(`${TEST_TWINS[0]}.save`))).toContain('<on_crash>restart</on_crash>');
    for (const twin of TEST_TWINS) await virsh(daemon, daemon.testUri, 'restore', file(`${twin}.save`));
    const [a, b] = await readBack(daemon.testUri, TEST_TWINS, 'domstate', '{}');
    expect(a).toBe(b);
    for (const twin of TEST_TWINS) await virsh(daemon, daemon.testUri, 'resume', twin).catch(() => undefined);
  });

  it('managedsave-define and managedsave-dumpxml are refused by the test driver as virsh is refused', async () => {
    const xml = scratch('managed.xml', testDriverDomainXml(TEST_TWINS[0]));
    for (const args of [
      ['managedsave-dumpxml', '{}'],
      ['managedsave-dumpxml', '{}', '--security-info'],
      ['managedsave-define', '{}', xml],
      ['managedsave-define', '{}', xml, '--running', '--paused'],
      ['managedsave-define', '{}', file('no-such.xml')],
      ['managedsave-define', 'no-such-domain', xml],
      ['managedsave-define', '{}'],
    ]) {
      await same(daemon.testUri, args, TEST_TWINS[0]);
    }
  });

  it('dump writes the core of the twins alike, and refuses what the driver refuses alike', async () => {
    const files = (twin: string) => ({ core: file(`${twin}.core`) });
    await stepsOnTwins(
      daemon.testUri,
      TEST_TWINS,
      [
        ['dump', '{}', '{core}'],
        ['dump', '{}', '--file', '{core}', '--bypass-cache', '--live'],
        ['dump', '{}', '{core}', '--format', 'elf'],
        ['dump', '{}', '{core}', '--memory-only', '--format', 'bogus'],
        ['dump', '{}', '{core}', '--memory-only', '--format', 'elf'],
        ['dump', '{}', '{core}', 'kdump-lzo'],
        ['dump', '{}', '{core}', '--reset'],
        ['dump', '{}', ''],
        ['dump', '{}'],
        ['dump', 'no-such-domain', '{core}'],
        ['dump', '{}', '{core}', '--crash'],
      ],
      ['domstate', '{}'],
      files,
    );
    for (const twin of TEST_TWINS) expect(statSync(files(twin).core).size).toBeGreaterThan(0);
    for (const twin of TEST_TWINS) await virsh(daemon, daemon.testUri, 'start', twin);
  });

  it('create starts the twins alike from their files, and refuses alike', async () => {
    const files = (twin: string) => ({
      xml: scratch(`${twin}.xml`, testDriverDomainXml(twin)),
      bad: scratch(`${twin}-bad.xml`, `<domain type='test'><name>${twin}</name><bogus/></domain>`),
      missing: file(`${twin}-missing.xml`),
    });
    await stepsOnTwins(
      daemon.testUri,
      CREATE_TWINS,
      [
        ['create', '{xml}', '--validate'],
        ['create', '{xml}'],
        ['create', '{xml}', '--paused'],
        ['create', '{xml}', '--autodestroy'],
        ['create', '{xml}', '--reset-nvram'],
        ['create', '{xml}', '--pass-fds', '3,x'],
        ['create', '{xml}', 'x'],
        ['create', '{bad}', '--validate'],
        ['create', '{missing}'],
        ['create', ''],
        ['create'],
      ],
      ['domstate', '{}'],
      files,
    );
    for (const twin of CREATE_TWINS) await virsh(daemon, daemon.testUri, 'destroy', twin);
    // Passing descriptors needs SCM_RIGHTS, which a JavaScript runtime cannot send: refused
    // before anything reaches the daemon (virsh, which can, hands them over).
    const xml = files(CREATE_TWINS[0]).xml;
    expect(await ours(daemon.testUri, ['create', xml, '--pass-fds', '3,4'])).toEqual({
      out: '\n',
      err: `error: Failed to create domain from ${xml}\nerror: --pass-fds is not supported: passing file descriptors to the daemon needs SCM_RIGHTS, which JavaScript runtimes cannot send over a socket\n`,
      code: 1,
    });
    expect(await virsh(daemon, daemon.testUri, 'list', '--all', '--name')).not.toContain(`${CREATE_TWINS[0]}\n`);
  });

  it('domrename renames the twins alike, and refuses alike', async () => {
    await stepsOnTwins(
      daemon.testUri,
      RENAME_TWINS,
      [
        ['domrename', '{}', '{}2'],
        ['domrename', '{}', 'other'],
        ['domrename', '{}2', '{}2'],
        ['domrename', '{}2', 'test'],
        ['domrename', '--domain', '{}2', '--new-name', ''],
        ['domrename', '{}2'],
      ],
      ['domstate', '{}2'],
    );
    for (const args of [['domrename', 'test', 'test2']]) await same(daemon.testUri, args);
  });

  it('domxml-to-native and domxml-from-native are refused by the test driver as virsh is refused', async () => {
    const xml = scratch('native.xml', testDriverDomainXml('native'));
    const argv = scratch('native.argv', '-M pc -m 64 -hda /var/tmp/disk.img');
    for (const args of [
      ['domxml-to-native', 'qemu-argv', xml],
      ['domxml-to-native', 'qemu-argv', '--domain', 'test'],
      ['domxml-from-native', 'qemu-argv', argv],
      ['domxml-from-native', 'qemu-argv'],
    ]) {
      await same(daemon.testUri, args);
    }
  });
});

describe('on the QEMU session daemon', () => {
  it('dump --memory-only, with --verbose and --format, and a live full dump, alike on the twins', async () => {
    const files = (twin: string) => ({ core: file(`${twin}.core`) });
    const steps = [
      ['dump', '{}', '{core}', '--memory-only', '--verbose'],
      ['dump', '{}', '{core}', '--memory-only', '--format', 'kdump-zlib'],
      ['dump', '{}', '{core}', '--live'],
      ['dump', '{}', '{core}', '--crash', '--reset'],
    ];
    for (const step of steps) {
      const [mine, theirsRun] = await onTwins(daemon.qemuUri, QEMU_TWINS, step, files);
      // The progress virsh saw on its way depends on the clock; the final [100 %] does not.
      const progressless = (r: CliRun) => ({ ...r, err: r.err.replace(/\rDump: \[ {0,2}\d{1,2} %\]/g, '') });
      expect([step, progressless(mine)]).toEqual([step, progressless(theirsRun)]);
      for (const twin of QEMU_TWINS) await running(twin);
      for (const twin of QEMU_TWINS) expect(statSync(files(twin).core).size).toBeGreaterThan(0);
    }
  }, 240_000);

  it('save-image-dumpxml and save-image-define on saved QEMU guests, as virsh', async () => {
    for (const twin of QEMU_TWINS) await virsh(daemon, daemon.qemuUri, 'save', twin, file(`${twin}.save`));
    const saved = file(`${QEMU_TWINS[0]}.save`);
    for (const args of [['save-image-dumpxml', saved], ['save-image-dumpxml', saved, '--security-info'], ['save-image-dumpxml', file('no-such.save')]]) await same(daemon.qemuUri, args);
    const files = (twin: string) => ({ save: file(`${twin}.save`), xml: file(`${twin}-image.xml`) });
    for (const twin of QEMU_TWINS) {
      writeFileSync(files(twin).xml, (await virsh(daemon, daemon.qemuUri, 'save-image-dumpxml', files(twin).save)).replace(/<on_crash>\w+<\/on_crash>/, '<on_crash>restart</on_crash>'));
    }
    await stepsOnTwins(
      daemon.qemuUri,
      QEMU_TWINS,
      [
        ['save-image-define', '{save}', '{xml}', '--paused'],
        ['save-image-define', '{save}', '{xml}', '--running', '--paused'],
      ],
      ['save-image-dumpxml', file('{}.save')],
      files,
    );
    expect(await virsh(daemon, daemon.qemuUri, 'save-image-dumpxml', saved)).toContain('<on_crash>restart</on_crash>');
    for (const twin of QEMU_TWINS) await virsh(daemon, daemon.qemuUri, 'restore', file(`${twin}.save`));
    const [a, b] = await readBack(daemon.qemuUri, QEMU_TWINS, 'domstate', '{}');
    expect([a, b]).toEqual([JSON.stringify({ out: 'paused\n\n', err: '', code: 0 }), a]);
    for (const twin of QEMU_TWINS) await virsh(daemon, daemon.qemuUri, 'resume', twin);
  }, 240_000);

  it('managedsave-dumpxml and managedsave-define on the managed save images of the twins, as virsh', async () => {
    for (const twin of QEMU_TWINS) await virsh(daemon, daemon.qemuUri, 'managedsave', twin);
    for (const args of [['managedsave-dumpxml', '{}'], ['managedsave-dumpxml', '--domain', '{}', '--security-info']]) await same(daemon.qemuUri, args, QEMU_TWINS[0]);
    const files = (twin: string) => ({ xml: file(`${twin}-managed.xml`), missing: file(`${twin}-missing.xml`) });
    for (const twin of QEMU_TWINS) {
      writeFileSync(files(twin).xml, (await virsh(daemon, daemon.qemuUri, 'managedsave-dumpxml', twin)).replace(/<on_crash>\w+<\/on_crash>/, '<on_crash>preserve</on_crash>'));
    }
    await stepsOnTwins(
      daemon.qemuUri,
      QEMU_TWINS,
      [
        ['managedsave-define', '{}', '{xml}', '--paused'],
        ['managedsave-define', '{}', '{xml}', '--running', '--paused'],
        ['managedsave-define', '{}', '{missing}'],
        ['managedsave-define', '{}', '--xml', '{xml}', '--running'],
      ],
      ['managedsave-dumpxml', '{}'],
      files,
    );
    expect(await virsh(daemon, daemon.qemuUri, 'managedsave-dumpxml', QEMU_TWINS[0])).toContain('<on_crash>preserve</on_crash>');
    for (const twin of QEMU_TWINS) await virsh(daemon, daemon.qemuUri, 'start', twin);
    const [a, b] = await readBack(daemon.qemuUri, QEMU_TWINS, 'domstate', '{}');
    expect([a, b]).toEqual([JSON.stringify({ out: 'running\n\n', err: '', code: 0 }), a]);
    // Without an image both are refused alike.
    for (const args of [['managedsave-dumpxml', '{}'], ['managedsave-define', '{}', files(QEMU_TWINS[0]).xml]]) await same(daemon.qemuUri, args, QEMU_TWINS[0]);
  }, 240_000);

  it('create starts QEMU guests paused, destroyed with the connection, or validated, alike on the twins', async () => {
    const files = (twin: string) => ({ xml: scratch(`${twin}.xml`, tinyGuestXml(twin, { noGraphics: true })) });
    const destroy = async () => {
      for (const twin of QEMU_CREATE_TWINS) await virsh(daemon, daemon.qemuUri, 'destroy', twin).catch(() => undefined);
    };
    for (const step of [
      ['create', '{xml}', '--paused'],
      ['create', '{xml}', '--autodestroy'],
      ['create', '{xml}', '--validate', '--paused'],
    ]) {
      const [mine, theirsRun] = await onTwins(daemon.qemuUri, QEMU_CREATE_TWINS, step, files);
      expect([step, mine]).toEqual([step, theirsRun]);
      const [a, b] = await readBack(daemon.qemuUri, QEMU_CREATE_TWINS, 'domstate', '{}');
      expect([step, a]).toEqual([step, b]);
      await destroy();
    }
  }, 240_000);

  it('domxml-to-native prints the QEMU command line virsh prints, and domxml-from-native is refused alike', async () => {
    const xml = scratch('native-qemu.xml', tinyGuestXml('native').replace('<name>native</name>', '<name>native</name><uuid>6a1b7d25-2c1a-4f43-9f1e-6d4b1c1a2b3c</uuid>'));
    const argv = scratch('native-qemu.argv', '-M pc -m 64 -hda /var/tmp/disk.img');
    for (const args of [
      ['domxml-to-native', 'qemu-argv', xml],
      ['domxml-to-native', '--format', 'qemu-argv', '--xml', xml],
      ['domxml-to-native', 'qemu-argv', '--domain', QEMU_TWINS[0]],
      ['domxml-to-native', 'bogus', xml],
      ['domxml-to-native', 'qemu-argv'],
      ['domxml-to-native', 'qemu-argv', xml, '--domain', QEMU_TWINS[0]],
      ['domxml-to-native', 'qemu-argv', '--domain', 'no-such-domain'],
      ['domxml-to-native', 'qemu-argv', file('no-such.xml')],
      ['domxml-from-native', 'qemu-argv', argv],
      ['domxml-from-native', 'qemu-argv', file('no-such.argv')],
    ]) {
      await same(daemon.qemuUri, args);
    }
  }, 120_000);
});
