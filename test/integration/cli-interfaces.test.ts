/**
 * The host interface commands that change things, against virsh on the test driver: ours on
 * one interface, virsh on its twin, the same words printed and the same state read back with
 * virsh; the change transaction step by step; and the refusals (the test driver cannot give
 * the persistent definition iface-bridge and iface-unbridge rewrite, the QEMU daemon's udev
 * backend defines nothing), usage errors and `--help` as virsh has them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Connection, connect } from '../../src/index.js';
import { type CliRun, ours, theirs } from '../helpers/cli.js';
import { type ThrowawayDaemon, sharedDaemon } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;

/** Our interface and virsh's twin: names and MAC addresses. */
const MINE = { name: 'cli-ours0', mac: '52:54:00:aa:00:01' };
const TWIN = { name: 'cli-virsh0', mac: '52:54:00:aa:00:02' };
const fileOf = (who: typeof MINE) => join(daemon.dir, `${who.name}.xml`);

beforeAll(async () => {
  daemon = await sharedDaemon();
  // The test driver keeps what we define while a connection stays open.
  keeper = await connect(daemon.testUri);
  for (const who of [MINE, TWIN]) {
    writeFileSync(
      fileOf(who),
      `<interface type='ethernet' name='${who.name}'>\n  <start mode='onboot'/>\n  <mac address='${who.mac}'/>\n  <protocol family='ipv4'>\n    <ip address='192.168.100.5' prefix='24'/>\n  </protocol>\n</interface>\n`,
    );
  }
  writeFileSync(join(daemon.dir, 'not-an-interface.xml'), '<domain><name>x</name></domain>');
});

afterAll(() => keeper?.close());

/** What either side printed, with its own interface's name and MAC put to one word each. */
const neutral = (r: CliRun, who: typeof MINE): CliRun => {
  const swap = (s: string) => s.split(who.name).join('NAME').split(who.mac).join('MAC').split(fileOf(who)).join('FILE');
  return { out: swap(r.out), err: swap(r.err), code: r.code };
};
/** The words with `{name}`, `{mac}` and `{file}` standing for one side's interface. */
const wordsFor = (args: string[], who: typeof MINE) => args.map((a) => a.replace('{name}', who.name).replace('{mac}', who.mac).replace('{file}', fileOf(who)));
const virshOut = (args: string[]) => theirs(daemon, daemon.testUri, args);

/** Ours on our interface, virsh on its twin; then the twins read back with virsh. */
async function twins(args: string[]): Promise<void> {
  const mine = neutral(await ours(daemon.testUri, wordsFor(args, MINE)), MINE);
  const virshs = neutral(await virshOut(wordsFor(args, TWIN)), TWIN);
  expect([args, mine]).toEqual([args, virshs]);
  for (const readBack of [['iface-dumpxml', '{name}'], ['iface-mac', '{name}'], ['iface-name', '{mac}']]) {
    const a = neutral(await virshOut(wordsFor(readBack, MINE)), MINE);
    const b = neutral(await virshOut(wordsFor(readBack, TWIN)), TWIN);
    expect([args, readBack, a]).toEqual([args, readBack, b]);
  }
  const list = (await virshOut(['iface-list', '--all'])).out;
  const state = (who: typeof MINE) => new RegExp(`^ ${who.name}\\s+(\\S+)`, 'm').exec(list)?.[1] ?? 'absent';
  expect([args, state(MINE)]).toEqual([args, state(TWIN)]);
}

describe('interfaces defined, started, destroyed and undefined as virsh does', () => {
  it.each<[string[]]>([
    [['iface-define', '{file}']],
    [['iface-define', '--validate', '--file', '{file}']],
    [['iface-start', '{name}']],
    [['iface-start', '{name}']],
    // virsh 9.0 destroys the interface and still exits 1.
    [['iface-destroy', '{name}']],
    [['iface-destroy', '{name}']],
    [['iface-start', '{mac}']],
    [['iface-destroy', '--interface', '{mac}']],
    [['iface-undefine', '{name}']],
    [['iface-undefine', '{name}']],
    [['iface-define', '{file}']],
    [['iface-start', '--interface', '{name}']],
    [['iface-undefine', '{mac}']],
  ])('%j', async (args) => twins(args));
});

describe('the change transaction, step by step as virsh takes it', () => {
  const step = async (args: string[]) => [await ours(daemon.testUri, args), await virshOut(args)] as const;

  it('iface-begin, iface-commit and iface-rollback: the same words at each step', async () => {
    // Nothing running: commit and rollback fail alike.
    for (const args of [['iface-commit'], ['iface-rollback']]) {
      const [mine, virshs] = await step(args);
      expect(mine).toEqual(virshs);
    }
    // Ours begins; a second begin fails for either; virsh rolls back, and begins as ours did.
    const begun = await ours(daemon.testUri, ['iface-begin']);
    const again = await ours(daemon.testUri, ['iface-begin']);
    expect(again).toEqual(await virshOut(['iface-begin']));
    expect(again.code).toBe(1);
    await virshOut(['iface-rollback']);
    expect(begun).toEqual(await virshOut(['iface-begin']));
    // Ours commits virsh's; virsh commits ours.
    const committed = await ours(daemon.testUri, ['iface-commit']);
    await ours(daemon.testUri, ['iface-begin']);
    expect(committed).toEqual(await virshOut(['iface-commit']));
    // Ours rolls back what virsh began; virsh rolls back ours.
    await virshOut(['iface-begin']);
    const rolled = await ours(daemon.testUri, ['iface-rollback']);
    await ours(daemon.testUri, ['iface-begin']);
    expect(rolled).toEqual(await virshOut(['iface-rollback']));
    expect(rolled.out).toBe('Network config change transaction rolled back\n\n');
  });

  it('a rollback undoes a definition made inside the transaction, whoever defined it', async () => {
    await ours(daemon.testUri, ['iface-begin']);
    await ours(daemon.testUri, ['iface-define', fileOf(MINE)]);
    await virshOut(['iface-define', fileOf(TWIN)]);
    expect((await virshOut(['iface-list', '--all'])).out).toContain(MINE.name);
    expect(await ours(daemon.testUri, ['iface-rollback'])).toEqual({ out: 'Network config change transaction rolled back\n\n', err: '', code: 0 });
    const list = (await virshOut(['iface-list', '--all'])).out;
    expect(list).not.toContain(MINE.name);
    expect(list).not.toContain(TWIN.name);
  });
});

describe('refusals and usage errors print what virsh prints', () => {
  it.each<['test' | 'qemu', string[]]>([
    ['test', ['iface-bridge', 'eth1', 'br-cli']],
    ['test', ['iface-bridge', 'eth1', 'br-cli', '--no-stp', '--delay', '3', '--no-start']],
    ['test', ['iface-bridge', 'eth1', 'br-cli', '5']],
    ['test', ['iface-bridge', 'eth1', 'br-cli', '--delay', 'x']],
    ['test', ['iface-bridge', 'eth1', 'br-cli', '--delay', '-1']],
    ['test', ['iface-bridge', 'eth1', 'eth1']],
    ['test', ['iface-bridge', 'nope', 'br-cli']],
    ['test', ['iface-bridge', 'aa:bb:cc:dd:ee:ff', 'br-cli']],
    ['test', ['iface-bridge', 'eth1', '']],
    ['test', ['iface-unbridge', 'eth1']],
    ['test', ['iface-unbridge', 'eth1', '--no-start']],
    ['test', ['iface-unbridge', 'nope']],
    ['test', ['iface-unbridge', 'aa:bb:cc:dd:ee:ff']],
    ['test', ['iface-start', 'nope']],
    ['test', ['iface-start', 'aa:bb:cc:dd:ee:99']],
    ['test', ['iface-destroy', 'nope']],
    ['test', ['iface-undefine', '']],
    ['test', ['iface-define', join('/nonexistent', 'iface.xml')]],
    ['test', ['iface-define', '/']],
    ['test', ['iface-define', '{bad}']],
    ['test', ['iface-start']],
    ['test', ['iface-start', 'a', 'b']],
    ['test', ['iface-bridge']],
    ['test', ['iface-bridge', 'eth1']],
    ['test', ['iface-unbridge']],
    ['test', ['iface-define']],
    ['test', ['iface-begin', 'extra']],
    ['test', ['iface-start', '--force', 'eth1']],
    ['test', ['iface-bridge', 'eth1', 'br-cli', '--no-stp=1']],
    ['qemu', ['iface-begin']],
    ['qemu', ['iface-define', '{bad}']],
    ...['iface-define', 'iface-undefine', 'iface-start', 'iface-destroy', 'iface-begin', 'iface-commit', 'iface-rollback', 'iface-bridge', 'iface-unbridge'].map(
      (c): ['test', string[]] => ['test', [c, '--help']],
    ),
  ])('%s: %j', async (where, args) => {
    const uri = where === 'test' ? daemon.testUri : daemon.qemuUri;
    const words = args.map((a) => (a === '{bad}' ? join(daemon.dir, 'not-an-interface.xml') : a));
    expect(await ours(uri, words)).toEqual(await theirs(daemon, uri, words));
  });
});

describe('--json', () => {
  it('names what was done', async () => {
    expect(JSON.parse((await ours(daemon.testUri, ['--json', 'iface-define', fileOf(MINE)])).out)).toEqual({ name: MINE.name, file: fileOf(MINE) });
    expect(JSON.parse((await ours(daemon.testUri, ['--json', 'iface-start', MINE.name])).out)).toEqual({ name: MINE.name, started: true });
    expect(JSON.parse((await ours(daemon.testUri, ['--json', 'iface-undefine', MINE.name])).out)).toEqual({ name: MINE.name, undefined: true });
  });
});
