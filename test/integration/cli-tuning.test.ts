/**
 * The tuning family of commands (src/cli/tuning.ts, src/cli/display.ts) against virsh 9.0 on
 * the same daemon: what each prints, its refusals and its parse errors, compared byte for
 * byte with exit status; and what each changed: ours runs on one domain and virsh on its
 * twin, then both are read back with virsh. The test driver answers most of the tuning; the
 * QEMU session daemon, with tiny TCG guests, answers the IOThreads, pinning, the display and
 * console commands, and refuses what needs cgroups as virsh shows.
 */
import { tinyGuestXml } from '../harness/guests.js';
import { type Connection, connect } from '../../src/index.js';
import { type CliRun, ours, theirs } from '../helpers/cli.js';
import { type ThrowawayDaemon, sharedDaemon, virsh } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;
let qconn: Connection;

/** Test-driver twins (running; ours acts on the first, virsh on the second) and one left off. */
const T_MINE = 'tun-ours';
const T_THEIRS = 'tun-theirs';
const T_OFF = 'tun-off';
const MAC = '52:54:00:74:75:01';
/** QEMU twins, running. */
const Q_MINE = 'tun-q-ours';
const Q_THEIRS = 'tun-q-theirs';
/** QEMU twins, defined only, with a vCPU that can be plugged. */
const QOFF_MINE = 'tun-qoff-ours';
const QOFF_THEIRS = 'tun-qoff-theirs';
/** A QEMU guest whose VNC server listens on a UNIX socket, with a password. */
const Q_SOCKET = 'tun-q-socket';

function testDomainXml(name: string, running: boolean): string {
  return `<domain type='test'><name>${name}</name><memory unit='MiB'>64</memory><vcpu current='1'>2</vcpu><os><type arch='x86_64'>hvm</type></os>
  <devices>${running ? `<interface type='network'><mac address='${MAC}'/><source network='default'/><target dev='${name}-tap'/></interface>` : ''}</devices></domain>`;
}

function pluggableGuestXml(name: string): string {
  return tinyGuestXml(name, { noGraphics: true }).replace(
    '<vcpu>1</vcpu>',
    "<vcpu current='1'>2</vcpu>\n  <vcpus><vcpu id='0' enabled='yes' hotpluggable='no'/><vcpu id='1' enabled='no' hotpluggable='yes'/></vcpus>",
  );
}

/** Ours and virsh on the same object (a read, or a refusal that changes nothing). */
async function both(uri: string, args: string[]): Promise<[CliRun, CliRun]> {
  return [await ours(uri, args), await theirs(daemon, uri, args)];
}

/** `{}` in args is the domain: ours runs on `mine`, virsh on `twin`; their names read NAME. */
async function twins(uri: string, mine: string, twin: string, args: string[]): Promise<[CliRun, CliRun]> {
  const on = (name: string) => args.map((a) => a.replaceAll('{}', name));
  const named = (r: CliRun, name: string) => ({ ...r, out: r.out.replaceAll(name, 'NAME'), err: r.err.replaceAll(name, 'NAME') });
  return [named(await ours(uri, on(mine)), mine), named(await theirs(daemon, uri, on(twin)), twin)];
}

/** What virsh reads back of a domain, with its name and UUID out of the way. */
async function readBack(uri: string, name: string, args: string[]): Promise<string> {
  const text = await virsh(daemon, uri, ...args.map((a) => a.replaceAll('{}', name)));
  return text
    .replaceAll(name, 'NAME')
    .replace(/<uuid>.*<\/uuid>/, '<uuid/>')
    .replace(/^(<domain type='\w+') id='\d+'>/, '$1>');
}

/** The tuning parts of a running QEMU guest's XML (the rest differs between twins: ports, ptys). */
const tuningOf = (xml: string) => [...xml.matchAll(/<(vcpu|iothreads)\b.*|<(iothreadids|cputune|vcpus)>[\s\S]*?<\/\2>/g)].map((m) => m[0]).join('\n');

beforeAll(async () => {
  daemon = await sharedDaemon();
  // The test driver keeps what we define while a connection stays open.
  keeper = await connect(daemon.testUri);
  for (const name of [T_MINE, T_THEIRS, T_OFF]) {
    const dom = await keeper.domainDefineXML(testDomainXml(name, name !== T_OFF));
    if (name !== T_OFF) await keeper.domainCreate(dom);
  }
  qconn = await connect(daemon.qemuUri);
  for (const name of [Q_MINE, Q_THEIRS]) await qconn.domainCreate(await qconn.domainDefineXML(tinyGuestXml(name)));
  for (const name of [QOFF_MINE, QOFF_THEIRS]) await qconn.domainDefineXML(pluggableGuestXml(name));
  const socketGuest = tinyGuestXml(Q_SOCKET, { noGraphics: true, extraDevices: `<graphics type='vnc' socket='${daemon.dir}/${Q_SOCKET}.sock' passwd='s3cret'/>` });
  await qconn.domainCreate(await qconn.domainDefineXML(socketGuest));
}, 180_000);

afterAll(async () => {
  for (const name of [Q_MINE, Q_THEIRS, QOFF_MINE, QOFF_THEIRS, Q_SOCKET]) {
    const dom = await qconn?.domainLookupByName(name).catch(() => undefined);
    if (!dom) continue;
    await qconn.domainDestroy(dom).catch(() => undefined);
    await qconn.domainUndefineFlags(dom, 0).catch(() => undefined);
  }
  await qconn?.close();
  await keeper?.close();
});

describe('on the test driver, ours prints what virsh prints', () => {
  it.each([
    // vCPUs: running, and off (from the definition's pinning).
    [['vcpuinfo', 'test']],
    [['vcpuinfo', 'test', '--pretty']],
    [['vcpuinfo', '--domain', 'test']],
    [['vcpuinfo', '1']],
    [['vcpuinfo', T_OFF]],
    [['vcpuinfo', T_OFF, '--pretty']],
    [['vcpuinfo', 'no-such-domain']],
    [['vcpupin', 'test']],
    [['vcpupin', 'test', '1']],
    [['vcpupin', 'test', '--vcpu', '0', '--config']],
    [['vcpupin', T_OFF]],
    [['vcpupin', T_OFF, '--live']],
    [['vcpupin', T_OFF, '5']],
    [['vcpupin', 'test', '99']],
    [['vcpupin', 'test', 'x']],
    [['vcpupin', 'test', '--', '-1']],
    [['vcpupin', 'test', '--live', '--config']],
    [['vcpupin', 'test', '--current', '--live']],
    [['vcpupin', 'test', '--cpulist', '0']],
    [['vcpupin', 'test', '0', '2000']],
    [['vcpupin', 'test', '0', 'x']],
    [['vcpupin', 'test', '0', '0,^0']],
    [['vcpupin', 'test', '0', '0-9']],
    [['vcpupin', 'test', '0', '1-0']],
    [['vcpupin', 'test', '0', '']],
    [['emulatorpin', 'test']],
    [['emulatorpin', T_OFF]],
    [['emulatorpin', T_OFF, '--live']],
    [['emulatorpin', 'test', '--current', '--config']],
    [['guestvcpus', 'test']],
    [['guestvcpus', 'test', '--enable']],
    [['guestvcpus', 'test', '0']],
    [['guestvcpus', 'test', '0', '--enable', '--disable']],
    [['setvcpu', 'test', '0', '--enable']],
    [['setvcpu', 'test', '0']],
    [['setvcpu', 'test']],
    // IOThreads.
    [['iothreadinfo', 'test']],
    [['iothreadinfo', 'test', '--live', '--current']],
    [['iothreadadd', 'test']],
    [['iothreadadd', 'test', '0']],
    [['iothreaddel', 'test', 'x']],
    [['iothreadpin', 'test', '1']],
    [['iothreadset', 'test', '1']],
    [['iothreadset', 'test', '1', '--poll-max-ns', '-5']],
    // Memory, NUMA, block I/O, scheduler.
    [['memtune', 'test']],
    [['memtune', 'test', '--config']],
    [['memtune', 'test', '--hard-limit', '10x']],
    [['memtune', 'test', '--hard-limit', 'x']],
    [['memtune', 'test', '--min-guarantee', '1']],
    [['numatune', 'test']],
    [['numatune', 'test', '--mode', 'bogus']],
    [['numatune', 'test', '--nodeset', '']],
    [['schedinfo', 'test']],
    [['schedinfo', 'test', '--config']],
    [['schedinfo', 'test', '--live', '--config']],
    [['schedinfo', 'test', '--set', 'foo=1']],
    [['schedinfo', 'test', 'weight']],
    [['schedinfo', 'test', '--set', 'weight=abc']],
    [['schedinfo', 'test', '--cap', '5']],
    [['blkiotune', 'test']],
    [['blkiotune', 'test', '--weight', '0']],
    [['blkiotune', 'test', '--weight', 'x']],
    // Interface bandwidth.
    [['domiftune', 'test', 'testnet0']],
    [['domiftune', 'test', 'aa:bb:cc:dd:ee:ff', '--config']],
    [['domiftune', 'test', 'vnet9']],
    [['domiftune', 'test']],
    [['domiftune', 'test', 'testnet0', '--inbound', '1,2,3,4,5']],
    [['domiftune', 'test', 'testnet0', '--inbound', 'x']],
    [['domiftune', 'test', 'testnet0', '--inbound', '0,5']],
    [['domiftune', 'test', 'testnet0', '--inbound', '5,-1']],
    [['domiftune', 'test', 'testnet0', '--inbound', '99999999999']],
    [['domiftune', 'test', 'testnet0', '--outbound', '1,2,3,4']],
    [['domiftune', 'test', 'testnet0', '--outbound', '0,1']],
    // Perf events.
    [['perf', 'test']],
    [['perf', 'test', '--enable', 'bogus']],
    [['perf', 'test', '--enable', 'cmt', '--disable', 'cmt']],
    // Control, display and console.
    [['domcontrol', 'test']],
    [['domcontrol', T_OFF]],
    [['domdisplay', 'test']],
    [['domdisplay', T_OFF]],
    [['domdisplay', 'test', '--all', '--type', 'vnc']],
    [['vncdisplay', 'test']],
    [['vncdisplay', T_OFF]],
    [['ttyconsole', 'test']],
    // CPU statistics.
    [['cpu-stats', 'test']],
    [['cpu-stats', 'test', '--total']],
    [['cpu-stats', 'test', '--start', '1']],
    [['cpu-stats', 'test', '1', '1']],
    [['cpu-stats', 'test', '--count', '10']],
    [['cpu-stats', 'test', '--count', '0']],
    [['cpu-stats', 'test', '--start', '5']],
    [['cpu-stats', 'test', '--start', '-1']],
    [['cpu-stats', 'test', '--start', 'x']],
    [['cpu-stats', T_OFF]],
    // virsh's parse errors: nothing runs.
    [['vcpuinfo']],
    [['vcpuinfo', 'test', 'extra']],
  ])('%j', async (args) => {
    const [mine, ref] = await both(daemon.testUri, args);
    expect(mine).toEqual(ref);
  });

  it('changes what virsh changes, read back with virsh', async () => {
    const steps: [string[], string[][]][] = [
      [['memtune', '{}', '--hard-limit', '1G', '--soft-limit', '512M'], [['memtune', '{}'], ['memtune', '{}', '--config']]],
      [['memtune', '{}', '2000', '3000'], [['memtune', '{}']]],
      [['memtune', '{}', '--swap-hard-limit', '-1', '--hard-limit', '10KB', '--config'], [['memtune', '{}', '--config'], ['dumpxml', '--inactive', '{}']]],
      [['numatune', '{}', '--mode', 'interleave', '--nodeset', '0'], [['numatune', '{}']]],
      // A running domain keeps its mode; the definition takes one (with a node set), by position too.
      [['numatune', '{}', 'preferred'], []],
      [['numatune', '{}', 'preferred', '0', '--config'], [['numatune', '{}', '--config'], ['dumpxml', '{}']]],
      [['numatune', '{}', '--mode', '0x0', '--config'], [['numatune', '{}', '--config'], ['dumpxml', '--inactive', '{}']]],
      [['blkiotune', '{}', '--weight', '500'], [['blkiotune', '{}']]],
      [['blkiotune', '{}', '300', '/dev/sda,100'], [['blkiotune', '{}'], ['dumpxml', '{}']]],
      [['schedinfo', '{}', '--set', 'weight=100'], [['schedinfo', '{}']]],
      [['schedinfo', '{}', '--weight', '300'], [['schedinfo', '{}']]],
      // Two values for one parameter: the daemon refuses them.
      [['schedinfo', '{}', 'weight=200', '--weight', '300'], []],
      [['vcpupin', '{}', '0', '0-3'], [['vcpupin', '{}'], ['vcpuinfo', '{}']]],
      [['vcpupin', '{}', '--vcpu', '0', '--cpulist', 'r', '--current'], [['vcpupin', '{}', '0'], ['vcpuinfo', '{}', '--pretty']]],
      // The test driver takes no flags for the newer call.
      [['vcpupin', '{}', '0', '1', '--live'], []],
      [['vcpupin', '{}', '0', '1', '--config'], []],
      [['emulatorpin', '{}', '0-1'], [['emulatorpin', '{}']]],
      [['emulatorpin', '{}', '2', '--config'], [['emulatorpin', '{}', '--config'], ['dumpxml', '--inactive', '{}']]],
      [['perf', '{}', '--enable', 'cmt,,mbmt'], [['perf', '{}']]],
      [['perf', '{}', '--disable', 'cmt'], [['perf', '{}'], ['dumpxml', '{}']]],
      [['domiftune', '{}', MAC, '--inbound', '100,200,300', '--outbound', '10,20'], [['domiftune', '{}', MAC], ['dumpxml', '{}']]],
      [['domiftune', '{}', MAC, '--inbound', '0,0,0,7'], [['domiftune', '{}', MAC]]],
      [['iothreadadd', '{}', '4'], [['iothreadinfo', '{}']]],
      [['iothreadpin', '{}', '4', '1'], [['iothreadinfo', '{}']]],
      [['iothreadset', '{}', '4', '--poll-grow', '3'], [['iothreadinfo', '{}']]],
      [['iothreaddel', '{}', '--id', '4'], [['iothreadinfo', '{}'], ['dumpxml', '{}']]],
    ];
    for (const [step, reads] of steps) {
      const [mine, ref] = await twins(daemon.testUri, T_MINE, T_THEIRS, step);
      expect([step, mine]).toEqual([step, ref]);
      expect([step, ref.code]).toEqual([step, reads.length ? 0 : 1]);
      for (const read of reads) expect([step, read, await readBack(daemon.testUri, T_MINE, read)]).toEqual([step, read, await readBack(daemon.testUri, T_THEIRS, read)]);
    }
    // The changes took: the domain's XML holds them.
    const xml = await readBack(daemon.testUri, T_MINE, ['dumpxml', '{}']);
    for (const part of ["<inbound floor='7'/>", "<emulatorpin cpuset='0-1'/>", '<weight>300</weight>', "<event name='mbmt' enabled='yes'/>"]) expect(xml).toContain(part);
  });
});

describe('on the QEMU session daemon, ours prints what virsh prints', () => {
  it.each([
    [['vcpupin', Q_MINE]],
    [['vcpupin', Q_MINE, '0', '--config']],
    [['vcpupin', Q_MINE, '1']],
    [['emulatorpin', Q_MINE]],
    [['emulatorpin', Q_MINE, '--config']],
    [['guestvcpus', Q_MINE]],
    [['setvcpu', Q_MINE, '0', '--enable']],
    [['iothreadinfo', Q_MINE]],
    [['iothreadinfo', Q_MINE, '--config']],
    [['iothreadadd', Q_MINE, 'x']],
    [['iothreaddel', Q_MINE, '9']],
    [['iothreadpin', Q_MINE, '9', '5']],
    [['iothreadpin', Q_MINE, '9', '']],
    [['iothreadset', Q_MINE, '9', '--poll-grow', '1']],
    // What needs cgroups the session daemon refuses.
    [['memtune', Q_MINE]],
    [['memtune', Q_MINE, '--hard-limit', '1G']],
    [['schedinfo', Q_MINE]],
    [['schedinfo', Q_MINE, '--set', 'cpu_shares=5']],
    [['blkiotune', Q_MINE]],
    [['blkiotune', Q_MINE, '--weight', '200']],
    [['numatune', Q_MINE]],
    [['numatune', Q_MINE, '--nodeset', '0']],
    [['cpu-stats', Q_MINE]],
    [['cpu-stats', Q_MINE, '--total']],
    [['cpu-stats', Q_MINE, '--start', '1']],
    [['perf', Q_MINE]],
    [['perf', Q_MINE, '--enable', 'cmt']],
    [['domiftune', Q_MINE, 'x']],
    // Control, display and console.
    [['domcontrol', Q_MINE]],
    [['domdisplay', Q_MINE]],
    [['domdisplay', Q_MINE, '--all']],
    [['domdisplay', Q_MINE, '--include-password']],
    [['domdisplay', Q_MINE, '--type', 'vnc']],
    [['domdisplay', Q_MINE, 'spice']],
    [['domdisplay', QOFF_MINE]],
    [['vncdisplay', Q_MINE]],
    [['vncdisplay', QOFF_MINE]],
    [['ttyconsole', Q_MINE]],
    [['domdisplay', Q_SOCKET]],
    [['domdisplay', Q_SOCKET, '--include-password']],
    [['domdisplay', Q_SOCKET, '--all', '--include-password']],
    [['vncdisplay', Q_SOCKET]],
    [['ttyconsole', Q_SOCKET]],
    [['vcpuinfo', QOFF_MINE]],
    [['vcpupin', QOFF_MINE]],
  ])('%j', async (args) => {
    const [mine, ref] = await both(daemon.qemuUri, args);
    expect(mine).toEqual(ref);
  });

  it('prints the vCPUs of a running guest (paused, so their CPU time holds still)', async () => {
    const dom = await qconn.domainLookupByName(Q_MINE);
    await qconn.domainSuspend(dom);
    try {
      for (const args of [['vcpuinfo', Q_MINE], ['vcpuinfo', Q_MINE, '--pretty']]) {
        const [mine, ref] = await both(daemon.qemuUri, args);
        expect([args, mine]).toEqual([args, ref]);
      }
    } finally {
      await qconn.domainResume(dom);
    }
  });

  it('changes a running guest as virsh changes its twin, read back with virsh', async () => {
    const steps: [string[], string[][]][] = [
      [['iothreadadd', '{}', '2'], [['iothreadinfo', '{}']]],
      [['iothreadpin', '{}', '2', '0'], [['iothreadinfo', '{}']]],
      [['iothreadset', '{}', '2', '--poll-max-ns', '100', '--thread-pool-min', '1', '--thread-pool-max', '2'], [['domstats', '--iothread', '{}']]],
      [['iothreadset', '{}', '2', '--thread-pool-min', '-1'], []],
      [['iothreadset', '{}', '2'], []],
      [['iothreadadd', '{}', '3', '--live'], [['iothreadinfo', '{}']]],
      [['iothreaddel', '{}', '3'], [['iothreadinfo', '{}']]],
      [['vcpupin', '{}', '0', '0', '--live'], [['vcpupin', '{}']]],
      [['emulatorpin', '{}', '0'], [['emulatorpin', '{}']]],
      [['emulatorpin', '{}', 'r', '--live'], [['emulatorpin', '{}']]],
    ];
    for (const [step, reads] of steps) {
      const [mine, ref] = await twins(daemon.qemuUri, Q_MINE, Q_THEIRS, step);
      expect([step, mine]).toEqual([step, ref]);
      expect([step, ref.code]).toEqual([step, reads.length ? 0 : 1]);
      for (const read of reads) expect([step, read, await readBack(daemon.qemuUri, Q_MINE, read)]).toEqual([step, read, await readBack(daemon.qemuUri, Q_THEIRS, read)]);
    }
    const live = async (name: string) => tuningOf(await virsh(daemon, daemon.qemuUri, 'dumpxml', name));
    expect(await live(Q_MINE)).toBe(await live(Q_THEIRS));
    expect(await live(Q_MINE)).toContain('<iothread id=');
  });

  it("changes a guest's definition as virsh changes its twin's, read back with virsh", async () => {
    const steps: [string[], string[][]][] = [
      [['setvcpu', '{}', '1', '--enable', '--config'], [['vcpuinfo', '{}'], ['vcpucount', '{}']]],
      [['setvcpu', '{}', '1', '--enable', '--config'], [['vcpucount', '{}']]],
      [['setvcpu', '{}', '--vcpulist', '1', '--disable'], [['vcpuinfo', '{}', '--pretty']]],
      [['vcpupin', '{}', '0', '1', '--config'], [['vcpupin', '{}'], ['vcpuinfo', '{}']]],
      [['emulatorpin', '{}', '1'], []],
      [['emulatorpin', '{}', '1', '--config'], [['emulatorpin', '{}']]],
      [['iothreadadd', '{}', '5', '--config'], [['iothreadinfo', '{}']]],
      [['iothreadpin', '{}', '5', '0', '--config'], [['iothreadinfo', '{}']]],
      [['iothreadset', '{}', '5', '--poll-grow', '2', '--config'], []],
      [['iothreadadd', '{}', '6'], [['iothreadinfo', '{}']]],
      [['iothreaddel', '{}', '6', '--config'], [['iothreadinfo', '{}']]],
      [['numatune', '{}', '--nodeset', '0', '--config'], [['numatune', '{}', '--config']]],
      [['perf', '{}', '--enable', 'cmt', '--config'], [['perf', '{}', '--config']]],
    ];
    for (const [step, reads] of steps) {
      const [mine, ref] = await twins(daemon.qemuUri, QOFF_MINE, QOFF_THEIRS, step);
      expect([step, mine]).toEqual([step, ref]);
      expect([step, ref.code]).toEqual([step, reads.length ? 0 : 1]);
      for (const read of reads) expect([step, read, await readBack(daemon.qemuUri, QOFF_MINE, read)]).toEqual([step, read, await readBack(daemon.qemuUri, QOFF_THEIRS, read)]);
    }
    const definition = (name: string) => readBack(daemon.qemuUri, name, ['dumpxml', '--inactive', '{}']);
    expect(await definition(QOFF_MINE)).toBe(await definition(QOFF_THEIRS));
    expect(await definition(QOFF_MINE)).toContain("<iothreadpin iothread='5' cpuset='0'/>");
  });
});

describe('--json', () => {
  it('gives the tuning values as JSON', async () => {
    const json = async (uri: string, args: string[]) => {
      const r = await ours(uri, ['--json', ...args]);
      expect([args, r.code, r.err]).toEqual([args, 0, '']);
      return JSON.parse(r.out);
    };
    expect(await json(daemon.testUri, ['vcpuinfo', 'test'])).toEqual([expect.objectContaining({ vcpu: 0, state: 'running', affinity: '0-7' }), expect.objectContaining({ vcpu: 1 })]);
    expect(await json(daemon.testUri, ['vcpupin', 'test'])).toEqual([{ vcpu: 0, affinity: '0-7' }, { vcpu: 1, affinity: '0-7' }]);
    expect(await json(daemon.testUri, ['memtune', 'test'])).toHaveProperty('hard_limit');
    expect(await json(daemon.testUri, ['schedinfo', 'test'])).toEqual({ scheduler: 'fair', params: { weight: 50 } });
    expect(await json(daemon.testUri, ['cpu-stats', 'test'])).toMatchObject({ cpus: [{ cpu: 0 }, { cpu: 1 }], total: expect.objectContaining({ cpu_time: expect.any(Number) }) });
    expect(await json(daemon.testUri, ['domcontrol', 'test'])).toEqual({ state: 'ok', details: null, stateTime: 0 });
    expect((await json(daemon.qemuUri, ['domdisplay', Q_MINE])).uri).toMatch(/^vnc:\/\/127\.0\.0\.1:\d+$/);
    expect((await json(daemon.qemuUri, ['ttyconsole', Q_MINE])).tty).toMatch(/^\/dev\/pts\/\d+$/);
  });
});
