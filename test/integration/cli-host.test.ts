/**
 * The host and hypervisor commands against virsh on the same daemon: domain capabilities, CPU
 * comparison and baselines (from capabilities, domain capabilities and bare CPU files), node
 * memory, CPU map, pages, KSM tuning, SEV, suspend, the migration compression cache, and
 * virsh's echo. Where a driver refuses, both must fail alike; usage errors and `--help` are
 * compared too, as virsh reads the words.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Connection, connect } from '../../src/index.js';
import { type CliRun, ours, theirs } from '../helpers/cli.js';
import { type ThrowawayDaemon, sharedDaemon, virsh } from '../helpers/libvirtd.js';
import { tinyGuestXml } from '../harness/guests.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;
let qemu: Connection;
const files: Record<string, string> = {};
const GUEST = 'cli-host-guest';

beforeAll(async () => {
  daemon = await sharedDaemon();
  keeper = await connect(daemon.testUri);
  qemu = await connect(daemon.qemuUri);
  const write = (name: string, text: string) => {
    files[name] = join(daemon.dir, name);
    writeFileSync(files[name]!, text);
  };
  write('caps.xml', await virsh(daemon, daemon.qemuUri, 'capabilities'));
  write('domcaps.xml', await virsh(daemon, daemon.qemuUri, 'domcapabilities'));
  write('qemu64.xml', '<cpu><model>qemu64</model></cpu>');
  write('skylake.xml', "<?xml version='1.0'?>\n<cpu mode='custom'><model>Skylake-Server</model></cpu>\n");
  write('several.xml', "<domain type='qemu'><name>x</name><cpu mode='host-model'/></domain>\n<!-- and a bare one -->\n<cpu><model>qemu64</model></cpu>\n");
  write('nocpu.xml', '<domain><name>x</name></domain>');
  files['missing.xml'] = join(daemon.dir, 'missing.xml');
  const dom = await qemu.domainDefineXML(tinyGuestXml(GUEST, { noGraphics: true }));
  await qemu.domainCreate(dom);
});

afterAll(async () => {
  const dom = await qemu?.domainLookupByName(GUEST).catch(() => undefined);
  if (dom) {
    await qemu.domainDestroy(dom).catch(() => undefined);
    await qemu.domainUndefine(dom).catch(() => undefined);
  }
  await qemu?.close();
  await keeper?.close();
});

const uriOf = (where: 'test' | 'qemu') => (where === 'test' ? daemon.testUri : daemon.qemuUri);
/** `{name}` in an argument stands for the file of that name in the daemon's directory. */
const expand = (args: string[]) => args.map((a) => a.replace(/^\{(.+)\}$/, (_, n: string) => files[n]!));
const both = async (where: 'test' | 'qemu', args: string[]): Promise<[CliRun, CliRun]> => {
  const words = expand(args);
  return [await ours(uriOf(where), words), await theirs(daemon, uriOf(where), words)];
};

describe('host commands print what virsh prints', () => {
  it.each<['test' | 'qemu', string[]]>([
    ['qemu', ['domcapabilities']],
    ['qemu', ['domcapabilities', '--virttype', 'qemu', '--arch', 'x86_64', '--machine', 'q35']],
    ['qemu', ['domcapabilities', 'qemu', '/usr/bin/qemu-system-x86_64']],
    ['qemu', ['domcapabilities', '--emulatorbin', '/usr/bin/qemu-system-x86_64']],
    ['qemu', ['domcapabilities', '--virttype', 'kvm']],
    ['qemu', ['domcapabilities', '--arch', 'aarch64']],
    ['qemu', ['domcapabilities', '--emulatorbin', '/nonexistent/qemu']],
    ['qemu', ['domcapabilities', '--virttype', '']],
    ['test', ['domcapabilities']],
    ['qemu', ['cpu-baseline', '{caps.xml}']],
    ['qemu', ['cpu-baseline', '--migratable', '{caps.xml}']],
    ['qemu', ['cpu-baseline', '--features', '--file', '{caps.xml}']],
    ['qemu', ['cpu-baseline', '{domcaps.xml}']],
    ['qemu', ['cpu-baseline', '{qemu64.xml}']],
    ['qemu', ['cpu-baseline', '{several.xml}']],
    ['qemu', ['cpu-baseline', '{nocpu.xml}']],
    ['qemu', ['cpu-baseline', '{missing.xml}']],
    ['test', ['cpu-baseline', '{caps.xml}']],
    ['qemu', ['cpu-compare', '{caps.xml}']],
    ['qemu', ['cpu-compare', '{domcaps.xml}']],
    ['qemu', ['cpu-compare', '{qemu64.xml}']],
    ['qemu', ['cpu-compare', '--validate', '{qemu64.xml}']],
    ['qemu', ['cpu-compare', '{skylake.xml}']],
    ['qemu', ['cpu-compare', '--error', '{skylake.xml}']],
    ['qemu', ['cpu-compare', '{nocpu.xml}']],
    ['qemu', ['cpu-compare', '{missing.xml}']],
    ['qemu', ['cpu-compare', '']],
    ['test', ['cpu-compare', '{caps.xml}']],
    ['qemu', ['hypervisor-cpu-compare', '{domcaps.xml}']],
    ['qemu', ['hypervisor-cpu-compare', '{qemu64.xml}']],
    ['qemu', ['hypervisor-cpu-compare', '{qemu64.xml}', 'qemu', '/usr/bin/qemu-system-x86_64', 'x86_64', 'pc']],
    ['qemu', ['hypervisor-cpu-compare', '{skylake.xml}']],
    ['qemu', ['hypervisor-cpu-compare', '--error', '{skylake.xml}']],
    ['qemu', ['hypervisor-cpu-compare', '{qemu64.xml}', '--virttype', 'kvm']],
    ['test', ['hypervisor-cpu-compare', '{qemu64.xml}']],
    ['qemu', ['hypervisor-cpu-baseline', '{qemu64.xml}']],
    ['qemu', ['hypervisor-cpu-baseline', '--model', 'qemu64']],
    ['qemu', ['hypervisor-cpu-baseline', '--features', '--model', 'Skylake-Server']],
    ['qemu', ['hypervisor-cpu-baseline', '{domcaps.xml}', '--virttype', 'qemu', '--arch', 'x86_64', '--machine', 'pc']],
    ['qemu', ['hypervisor-cpu-baseline', '--migratable', '{caps.xml}']],
    ['qemu', ['hypervisor-cpu-baseline']],
    ['qemu', ['hypervisor-cpu-baseline', '{qemu64.xml}', '--model', 'qemu64']],
    ['qemu', ['hypervisor-cpu-baseline', '--model', '']],
    ['test', ['hypervisor-cpu-baseline', '{qemu64.xml}']],
    ['qemu', ['nodememstats', '--cell', '1']],
    ['test', ['nodememstats']],
    ['test', ['nodememstats', '--cell', 'x']],
    ['test', ['nodememstats', '--cell', '99999999999']],
    ['test', ['nodecpumap']],
    ['test', ['nodecpumap', '--pretty']],
    ['qemu', ['nodecpumap']],
    ['qemu', ['nodecpumap', '--pretty']],
    ['qemu', ['freepages', '--cellno', '0', '--pagesize', '2M']],
    ['qemu', ['freepages', '--cellno', '0', '--pagesize', '1G']],
    ['qemu', ['freepages', '0', '3']],
    ['test', ['freepages', '--all']],
    ['test', ['freepages', '--cellno', '0', '--pagesize', '4']],
    ['test', ['freepages']],
    ['test', ['freepages', '--pagesize', '4']],
    ['test', ['freepages', '--cellno', '0']],
    ['test', ['freepages', '--cellno', '-2', '--pagesize', '4']],
    ['test', ['freepages', '--cellno', '0', '--all']],
    ['test', ['freepages', '--cellno', 'x', '--pagesize', '4']],
    ['test', ['freepages', '--cellno', '0', '--pagesize', '4X']],
    ['test', ['freepages', '--cellno', '0', '--pagesize', '-4']],
    ['test', ['freepages', '--cellno', '0', '--pagesize', '5000000000']],
    ['test', ['freepages', '--cellno', '0', '--pagesize', '4194304K']],
    ['test', ['freepages', '--cellno', '0', '--pagesize', '4MB']],
    ['test', ['nodesuspend', 'mem', '60']],
    ['test', ['nodesuspend', 'disk', '0']],
    ['test', ['nodesuspend', '--target', 'hybrid', '--duration', '120']],
    ['test', ['nodesuspend', 'foo', '60']],
    ['test', ['nodesuspend', 'mem', '-1']],
    ['test', ['nodesuspend', 'mem', 'x']],
    ['test', ['nodesuspend', '', '60']],
    ['qemu', ['node-memory-tune']],
    ['test', ['node-memory-tune']],
    ['test', ['node-memory-tune', '--shm-pages-to-scan', '100']],
    ['test', ['node-memory-tune', '--shm-sleep-millisecs', '20', '--shm-merge-across-nodes', '1']],
    ['test', ['node-memory-tune', '--shm-pages-to-scan', '-1']],
    ['test', ['node-memory-tune', '--shm-sleep-millisecs', 'x']],
    ['test', ['allocpages', '4', '10']],
    ['test', ['allocpages', '2M', '10', '--all']],
    ['test', ['allocpages', '4', '1', '--add', '--cellno', '0']],
    ['test', ['allocpages', '4X', '1']],
    ['test', ['allocpages', '4', '-1']],
    ['test', ['allocpages', '4', '1', '--cellno', '0', '--all']],
    ['test', ['allocpages', '5000000000', '1']],
    ['qemu', ['allocpages', '4', '10']],
    ['qemu', ['nodesevinfo']],
    ['test', ['nodesevinfo']],
    ['qemu', ['migrate-compcache', GUEST]],
    ['qemu', ['migrate-compcache', '--domain', GUEST]],
    ['qemu', ['migrate-compcache', GUEST, '--size', '1000']],
    ['qemu', ['migrate-compcache', GUEST, '--size', 'x']],
    ['qemu', ['migrate-compcache', GUEST, '--size', '-1']],
    ['qemu', ['migrate-compcache', 'nope', '--size', 'x']],
    ['test', ['migrate-compcache', 'test']],
    ['test', ['migrate-compcache', 'test', '--size', '1048576']],
  ])('%s: %j', async (where, args) => {
    const [mine, virshs] = await both(where, args);
    expect(mine).toEqual(virshs);
  });

  it('nodememstats and freepages on the QEMU daemon: the same lines, free memory aside (it moves between the two runs)', async () => {
    const still = (r: CliRun) => ({ ...r, out: r.out.replace(/^(free|buffers|cached) *: *\d+ KiB$/gm, '$1: N KiB').replace(/^4KiB: \d+$/gm, '4KiB: N') });
    for (const args of [['nodememstats'], ['nodememstats', '--cell', '0'], ['nodememstats', '0'], ['freepages', '--all'], ['freepages', '--cellno', '0', '--pagesize', '4']]) {
      const [mine, virshs] = await both('qemu', args);
      expect([args, still(mine)]).toEqual([args, still(virshs)]);
      expect(mine.out.match(/^total.*$/m)?.[0]).toBe(virshs.out.match(/^total.*$/m)?.[0]);
    }
  });

  it('node-memory-tune sets what it read back as virsh does (the value it already had), and both fail alike without the right to', async () => {
    const current = /shm_pages_to_scan\s+(\d+)/.exec((await ours(daemon.qemuUri, ['node-memory-tune'])).out)![1]!;
    const [mine, virshs] = await both('qemu', ['node-memory-tune', '--shm-pages-to-scan', current]);
    expect(mine).toEqual(virshs);
  });

  it('migrate-compcache sets the cache as virsh does, and each reads back what the other set', async () => {
    for (const size of ['1048576', '2097152', '67108864']) {
      const mine = await ours(daemon.qemuUri, ['migrate-compcache', GUEST, '--size', size]);
      expect(mine).toEqual(await theirs(daemon, daemon.qemuUri, ['migrate-compcache', GUEST]));
      const virshs = await theirs(daemon, daemon.qemuUri, ['migrate-compcache', GUEST, '--size', size]);
      expect(virshs).toEqual(await ours(daemon.qemuUri, ['migrate-compcache', GUEST]));
      expect(mine).toEqual(virshs);
    }
    expect((await ours(daemon.qemuUri, ['migrate-compcache', GUEST])).out).toBe('Compression cache: 64.000 MiB\n');
  });
});

describe('the words are read as virsh reads them', () => {
  it.each<['test' | 'qemu', string[]]>([
    ['test', ['nodecpumap', '--foo']],
    ['test', ['nodecpumap', '--pretty=yes']],
    ['test', ['nodecpumap', '--pretty', '--pretty']],
    ['test', ['nodecpumap', 'extra']],
    ['test', ['nodememstats', '--cell']],
    ['test', ['nodememstats', '0', '1']],
    ['test', ['nodememstats', '--cell=0']],
    ['test', ['nodememstats', '--', '0']],
    ['test', ['nodesuspend']],
    ['test', ['nodesuspend', 'mem']],
    ['test', ['allocpages']],
    ['test', ['allocpages', '4', '10', '0', 'extra']],
    ['test', ['cpu-baseline']],
    ['test', ['cpu-compare', '--file']],
    ['test', ['hypervisor-cpu-compare']],
    ['qemu', ['migrate-compcache']],
    ['qemu', ['migrate-compcache', GUEST, '4096']],
    ['test', ['nodesevinfo', 'x']],
    ...['domcapabilities', 'cpu-baseline', 'cpu-compare', 'hypervisor-cpu-baseline', 'hypervisor-cpu-compare', 'nodememstats', 'nodecpumap', 'nodesuspend', 'node-memory-tune', 'allocpages', 'freepages', 'nodesevinfo', 'migrate-compcache', 'echo'].map(
      (c): ['test', string[]] => ['test', [c, '--help']],
    ),
  ])('%s: %j', async (where, args) => {
    const [mine, virshs] = await both(where, args);
    expect(mine).toEqual(virshs);
  });
});

/** Words for echo: quoting, escapes, splitting, aliases, and the usage errors virsh makes of them. */
const ECHO_CASES: string[][] = [
  [],
  ['hello', 'world'],
  ['a b', 'c'],
  [''],
  ['', ''],
  ['-x'],
  ['-', 'a'],
  ['---x'],
  ['--=a'],
  ['--'],
  ['--', '--xml', 'a'],
  ['--', '--', 'a'],
  ['a', '--', 'b'],
  ['a', '--xml', '<b>'],
  ['--shell', 'a b', "c'd", '', 'plain', 'a=b', 'x,y', 'é', '%', ':'],
  ['--shell', 'a\nb', 'a;b', '~', '#x', 'a*', 'x$y', '\\', 'tab\there', '"q"', '(x)', '[x]', '{x}', '!', '|', '&', '^', '`', '?', '<', '>'],
  ['--shell'],
  ['--xml', '<a&b>"q"', "it's", '&amp;'],
  ['--xml', 'a\x01b\x1ac\td\ne\x0bf\x1fg'],
  ['--xml', ''],
  ['--split', 'a,b,,c', 'd'],
  ['--split', ',,,', 'a,', ',a', ''],
  ['--split', ',', ',,', 'a,,b,,', 'a,,,b'],
  ['--split'],
  ['--err', 'oops'],
  ['--err', 'a', 'b'],
  ['--err', ''],
  ['--err'],
  ['--err', '--shell', 'a b'],
  ['--err', '--xml', '<x>'],
  ['--str', 'x', 'y'],
  ['--string=x', 'y'],
  ['--str=', 'a'],
  ['--str', 'a', '--str', 'b'],
  ['--hi'],
  ['--hi', 'x'],
  ['--hi=x'],
  ['--str'],
  ['--string'],
  ['--shell=1', 'a'],
  ['--xml='],
  ['--shell', '--xml', 'a'],
  ['--split', '--shell', 'a'],
  ['--xml', '--split', 'a'],
  ['--shell', '--shell', 'a'],
  ['--err', '--err', 'a'],
  ['--foo', 'a'],
  ['--STR', 'a'],
  ['--s', 'a'],
  ['--help'],
  ['--help', '--foo'],
  ['--help=1'],
  ['a', '--help'],
];

describe("virsh's echo", () => {
  it.each(ECHO_CASES.map((words): [string[]] => [words]))('echo %j', async (args) => {
    const words = ['echo', ...args];
    expect(await ours(daemon.testUri, words)).toEqual(await theirs(daemon, daemon.testUri, words));
  });

  it('needs no connection: it answers with no daemon behind the URI', async () => {
    expect(await ours('test+unix:///default?socket=/nonexistent/sock', ['echo', '--shell', 'a b'])).toEqual({ out: "'a b'\n", err: '', code: 0 });
  });
});

describe('--json', () => {
  it('gives the same facts as the text, in stable fields', async () => {
    const cpumap = JSON.parse((await ours(daemon.testUri, ['--json', 'nodecpumap'])).out);
    expect(cpumap).toEqual({ cpusPresent: 8, cpusOnline: 3, onlineCpus: [0, 2, 4] });
    const compared = await ours(daemon.qemuUri, ['--json', 'cpu-compare', files['caps.xml']!]);
    expect(JSON.parse(compared.out)).toEqual({ file: files['caps.xml'], result: 'identical' });
    const stats = JSON.parse((await ours(daemon.qemuUri, ['nodememstats', '--json'])).out);
    expect(Object.keys(stats)).toEqual(['total', 'free', 'buffers', 'cached']);
    const tune = JSON.parse((await ours(daemon.qemuUri, ['--json', 'node-memory-tune'])).out);
    expect(tune).toHaveProperty('shm_pages_to_scan');
    expect(JSON.parse((await ours(daemon.qemuUri, ['--json', 'migrate-compcache', GUEST])).out)).toEqual({ cacheSize: 67108864 });
    expect(JSON.parse((await ours(daemon.testUri, ['--json', 'echo', '--xml', '<a>'])).out)).toEqual({ text: '&lt;a&gt;', stream: 'stdout' });
    const pages = JSON.parse((await ours(daemon.qemuUri, ['--json', 'freepages', '--cellno', '0', '--pagesize', '2M'])).out);
    expect(pages).toMatchObject({ cell: 0, sizeKiB: 2048 });
  });
});
