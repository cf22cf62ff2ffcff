/**
 * The guest family of commands (src/cli/guest.ts) against virsh 9.0 on the same daemon: what
 * each prints, its refusals, and what each changed. Changes run ours on one guest and virsh
 * on a twin, then both are read back with virsh. The QEMU guests boot under TCG with no OS,
 * so their agent never connects: agent commands are compared there for their refusals, and
 * for their real output behind an agent stand-in, a socket in front of the daemon that answers
 * the agent procedures (guest info, file systems, SSH keys, power management, launch security)
 * as a daemon with a talking agent would and forwards everything else; it records what each
 * client asked, so what ours and virsh sent are compared too.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { testDriverDomainXml, tinyGuestXml } from '../harness/guests.js';
import { type Connection, connect } from '../../src/index.js';
import { XdrReader, XdrWriter, decodeValue, encodeValue } from '../../src/xdr/index.js';
import { remoteProcedures, remoteProgram } from '../../protocol/remote-procedures.js';
import { VirNetMessageHeaderCodec, encodeVirNetMessageHeader } from '../../protocol/virnet.js';
import type { RemoteTypedParam } from '../../protocol/remote.js';
import { type CliRun, ours, theirs } from '../helpers/cli.js';
import { type ThrowawayDaemon, sharedDaemon, virsh } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;
let qconn: Connection;
let scratch: string;

/** The QEMU twins: ours acts on the first, virsh on the second. */
const MINE = 'gst-ours';
const THEIRS = 'gst-theirs';
/** The test-driver twins. */
const T_MINE = 'tw-ours';
const T_THEIRS = 'tw-theirs';
const MAC = '52:54:00:6e:61:01';

/**
 * A tiny guest with what these commands act on: a user-mode NIC, a USB tablet with an alias
 * (USB unplugs without the guest's help), a guest agent channel (never connected: no OS),
 * and a virtio-mem device (with the memory hotplug and NUMA cell it needs).
 */
function guestXml(name: string): string {
  const devices = [
    `<interface type='user'><mac address='${MAC}'/><model type='e1000'/></interface>`,
    "<input type='tablet' bus='usb'><alias name='ua-tablet'/></input>",
    "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>",
    "<memory model='virtio-mem'><alias name='ua-vmem'/><target><size unit='MiB'>128</size><node>0</node><block unit='MiB'>2</block><requested unit='MiB'>0</requested></target></memory>",
  ].join('\n    ');
  return tinyGuestXml(name, { extraDevices: devices })
    .replace(/(<memory unit='MiB'>\d+<\/memory>)/, "<maxMemory slots='2' unit='MiB'>512</maxMemory>\n  $1")
    .replace('</os>', "</os>\n  <cpu><numa><cell id='0' cpus='0' memory='32' unit='MiB'/></numa></cpu>");
}

const q = (args: string[]) => [ours(daemon.qemuUri, args), theirs(daemon, daemon.qemuUri, args)] as const;

/** Ours and virsh on the same object (a read, or a refusal that changes nothing). */
async function both(uri: string, args: string[]): Promise<[CliRun, CliRun]> {
  return [await ours(uri, args), await theirs(daemon, uri, args)];
}

/** `{}` in args is the guest: ours runs on `mine`, virsh on `twin`; their names read NAME. */
async function twins(uri: string, mine: string, twin: string, args: string[]): Promise<[CliRun, CliRun]> {
  const named = (run: CliRun, name: string): CliRun => ({ ...run, out: run.out.replaceAll(name, 'NAME'), err: run.err.replaceAll(name, 'NAME') });
  const a = await ours(uri, args.map((x) => (x === '{}' ? mine : x)));
  const b = await theirs(daemon, uri, args.map((x) => (x === '{}' ? twin : x)));
  return [named(a, mine), named(b, twin)];
}

/** virsh's dumpxml of a guest with what differs between twins (name, UUID, id, ports, ptys, paths) evened out. */
async function definition(uri: string, name: string, ...flags: string[]): Promise<string> {
  return (await virsh(daemon, uri, 'dumpxml', ...flags, name))
    .replaceAll(name, 'NAME')
    .replace(/<uuid>[^<]*<\/uuid>/, '')
    .replace(/(<domain [^>]*) id='\d+'/, '$1')
    .replace(/port='\d+'/g, "port='N'")
    .replace(/\/dev\/pts\/\d+/g, '/dev/pts/N')
    .replace(/domain-\d+-/g, 'domain-N-');
}

/** Polls until `done` holds (for what the daemon finishes after answering), or gives up. */
async function eventually(done: () => Promise<boolean>, ms = 60000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('gave up waiting');
    await new Promise((r) => setImmediate(r));
  }
}

beforeAll(async () => {
  daemon = await sharedDaemon();
  scratch = mkdtempSync(join(daemon.dir, 'guest-'));
  // The test driver keeps what we define while a connection stays open.
  keeper = await connect(daemon.testUri);
  for (const name of [T_MINE, T_THEIRS]) await keeper.domainCreate(await keeper.domainDefineXML(testDriverDomainXml(name)));
  qconn = await connect(daemon.qemuUri);
  for (const name of [MINE, THEIRS]) await qconn.domainCreate(await qconn.domainDefineXML(guestXml(name)));
}, 180000);

afterAll(async () => {
  for (const name of [MINE, THEIRS]) {
    const dom = await qconn?.domainLookupByName(name).catch(() => undefined);
    if (dom) {
      await qconn.domainDestroy(dom).catch(() => undefined);
      await qconn.domainUndefine(dom).catch(() => undefined);
    }
  }
  await qconn?.close();
  await keeper?.close();
});

describe('reads and refusals: ours and virsh on the same guest', () => {
  const file = (name: string, text: string) => {
    const path = join(scratch, name);
    writeFileSync(path, text);
    return path;
  };

  it.each([
    // Link state, by MAC or target, live or defined; interfaces that are not there.
    ['domif-getlink', MINE, MAC],
    ['domif-getlink', MINE, MAC.toUpperCase(), '--config'],
    ['domif-getlink', MINE, '52:54:0:6e:61:1', '--persistent'],
    ['domif-getlink', MINE, '52:54:00:6e:61:99'],
    ['domif-getlink', MINE, 'vnet99'],
    ['domif-setlink', MINE, MAC, 'down', '--print-xml'],
    ['domif-setlink', MINE, MAC, 'up', '--print-xml', '--config'],
    ['domif-setlink', MINE, 'vnet99', 'up'],
    ['domif-setlink', MINE, MAC, 'sideways'],
    ['domif-setlink', 'no-such-guest', MAC, 'up'],
    // Metadata, description and title that are not set, and refused option mixes.
    ['metadata', MINE, 'http://example.org/none'],
    ['metadata', MINE, 'http://example.org/none', '--config'],
    ['metadata', MINE, 'http://example.org/x', '--set', '<a/>'],
    ['metadata', MINE, 'http://example.org/x', '--set', '<a/>', '--remove'],
    ['metadata', MINE, 'http://example.org/x', '--live', '--current'],
    ['metadata', MINE, 'http://example.org/x', '--key', 'x', '--set', 'not xml'],
    ['desc', MINE],
    ['desc', MINE, '--title', '--config'],
    ['desc', MINE, '--config', '--current'],
    ['desc', 'no-such-guest'],
    // The guest agent's commands: a channel, but no agent on it.
    ['domfsinfo', MINE],
    ['domfsfreeze', MINE],
    ['domfsfreeze', MINE, '/', '--mountpoint', '/boot'],
    ['domfsthaw', MINE, '/'],
    ['domfstrim', MINE, '--minimum', '4096', '--mountpoint', '/'],
    ['domfstrim', MINE, '--minimum', 'lots'],
    ['guestinfo', MINE],
    ['guestinfo', MINE, '--os', '--hostname', '--interface'],
    ['get-user-sshkeys', MINE, 'root'],
    ['set-user-sshkeys', MINE, 'root'],
    ['set-user-sshkeys', MINE, 'root', '--remove'],
    ['set-user-sshkeys', MINE, 'root', '--reset', '--remove', '--file', '/dev/null'],
    ['set-user-sshkeys', MINE, 'root', '--reset'],
    ['set-user-sshkeys', MINE, 'root', '--file', '/no/such/keys'],
    ['set-user-password', MINE, 'root', 'secret'],
    ['set-user-password', MINE, 'root', '$6$salt$hash', '--encrypted'],
    ['guest-agent-timeout', MINE, '--timeout', '-3'],
    ['guest-agent-timeout', MINE, '--timeout', 'soon'],
    ['dompmsuspend', MINE, 'mem'],
    ['dompmsuspend', MINE, 'hybrid', '--duration', '30'],
    ['dompmsuspend', MINE, 'nap'],
    ['dompmsuspend', MINE, 'disk', '--duration', '-1'],
    ['dompmwakeup', MINE],
    // Keys, signals, lifecycle actions, devices, dirty rate, launch security: refusals.
    ['send-key', MINE, 'KEY_NOSUCH'],
    ['send-key', MINE, '--codeset', 'morse', '1'],
    ['send-key', MINE, '--codeset', 'usb', 'KEY_A'],
    ['send-key', MINE, '65536'],
    ['send-key', MINE, '--holdtime', '-1', 'KEY_A'],
    ['send-key', MINE, ...Array.from({ length: 17 }, () => 'KEY_A')],
    ['send-process-signal', MINE, '1', 'SIGTERM'],
    ['send-process-signal', MINE, '1', 'sigfoo'],
    ['send-process-signal', MINE, 'one', 'kill'],
    ['set-lifecycle-action', MINE, 'shutdown', 'destroy'],
    ['set-lifecycle-action', MINE, 'crash', 'explode'],
    ['set-lifecycle-action', MINE, 'crash', 'preserve', '--config', '--current'],
    ['update-memory-device', MINE, '--print-xml'],
    ['update-memory-device', MINE, '--print-xml', '--config', '--requested-size', '64M'],
    ['update-memory-device', MINE, '--print-xml', '--alias', 'ua-vmem', '--requested-size', '4096'],
    ['update-memory-device', MINE, '--print-xml', '--node', '0', '--requested-size', '1500b'],
    ['update-memory-device', MINE, '--alias', 'ua-vmem', '--node', '0'],
    ['update-memory-device', MINE, '--alias', 'ua-none'],
    ['update-memory-device', MINE, '--node', '1'],
    ['update-memory-device', MINE, '--requested-size', '3M'],
    ['update-memory-device', MINE, '--requested-size', '1.5G'],
    ['update-memory-device', MINE, '--requested-size', '99E'],
    ['detach-device-alias', MINE, 'ua-none'],
    ['detach-device-alias', MINE, 'ua-tablet', '--live', '--current'],
    ['domdirtyrate-calc', MINE, '--mode', 'guesswork'],
    ['domdirtyrate-calc', MINE, '--seconds', '0'],
    ['domdirtyrate-calc', MINE, '--seconds', 'x'],
    ['domlaunchsecinfo', MINE],
    ['domsetlaunchsecstate', MINE],
    ['domsetlaunchsecstate', MINE, '--secret', '/dev/null'],
    ['domsetlaunchsecstate', MINE, '--secrethdr', '/no/such/header', '--secret', '/dev/null'],
    ['domsetlaunchsecstate', MINE, '--secrethdr', '/dev/null', '--secret', '/dev/null', '--set-address', 'high'],
    ['domsetlaunchsecstate', MINE, '--secrethdr', '/dev/null', '--secret', '/dev/null', '--set-address', '4096'],
    // Waiting for monitor events that never come, and refused waits.
    ['qemu-monitor-event', '--domain', MINE, '--event', 'NO_SUCH_EVENT', '--timeout', '1'],
    ['qemu-monitor-event', '--event', 'no_such.*', '--regex', '--no-case', '--loop', '--timeout', '1'],
    ['qemu-monitor-event', '--timeout', '0'],
    ['qemu-monitor-event', '--timeout', 'never'],
    ['qemu-monitor-event', '--domain', 'no-such-guest', '--timeout', '1'],
  ])('%s %s', async (...args) => {
    const [mine, virshs] = await both(daemon.qemuUri, args);
    expect(mine).toEqual(virshs);
  });

  it('set-user-sshkeys reads its key file as virsh does: a file with no keys, and one whose keys the agent would get', async () => {
    for (const args of [
      ['set-user-sshkeys', MINE, 'root', '--file', file('empty.keys', '')],
      ['set-user-sshkeys', MINE, 'root', '--file', file('two.keys', 'ssh-ed25519 AAAA one\nssh-ed25519 BBBB two\n')],
      ['set-user-sshkeys', MINE, 'root', '--file', scratch],
    ]) {
      const [mine, virshs] = await both(daemon.qemuUri, args);
      expect(mine).toEqual(virshs);
    }
  });

  it.each([
    // The test driver answers some of them itself: its fake file systems, its reset, its signals.
    ['domfsinfo', 'test'],
    ['guestinfo', 'test'],
    ['get-user-sshkeys', 'test', 'root'],
    ['set-user-sshkeys', 'test', 'root', '--reset'],
    ['guest-agent-timeout', 'test'],
    ['dompmsuspend', 'test', 'disk'],
    ['dompmwakeup', 'test'],
    ['domlaunchsecinfo', 'test'],
    ['domif-getlink', 'test', 'aa:bb:cc:dd:ee:ff'],
    ['domif-getlink', 'test', 'testnet0'],
    ['domif-setlink', 'test', 'aa:bb:cc:dd:ee:ff', 'down', '--print-xml'],
    ['detach-device-alias', 'test', 'net0'],
    ['domdirtyrate-calc', 'test'],
    ['update-memory-device', 'test'],
    ['qemu-monitor-event', '--timeout', '1'],
    ['desc', 'test', '--title'],
  ])('test driver: %s %s', async (...args) => {
    const [mine, virshs] = await both(daemon.testUri, args);
    expect(mine).toEqual(virshs);
  });

  it('prints JSON for what it reads', async () => {
    expect(JSON.parse((await ours(daemon.qemuUri, ['--json', 'domif-getlink', MINE, MAC])).out)).toEqual({ interface: MAC, state: 'up' });
    expect(JSON.parse((await ours(daemon.testUri, ['--json', 'domfsinfo', 'test'])).out)).toEqual([
      { mountpoint: '/', name: 'vda1', type: 'ext4', targets: ['vda'] },
      { mountpoint: '/boot', name: 'vda2', type: 'ext4', targets: ['vda'] },
    ]);
    expect(JSON.parse((await ours(daemon.qemuUri, ['--json', 'desc', MINE])).out)).toEqual({ description: null });
  });
});

describe('changes: ours on one guest, virsh on its twin, both read back with virsh', () => {
  it('domif-setlink: the live link and the defined one', async () => {
    for (const step of [
      ['domif-setlink', '{}', MAC, 'down'],
      ['domif-setlink', '{}', MAC.toUpperCase(), 'down', '--config'],
      ['domif-setlink', '{}', MAC, 'up', '--config'],
    ]) {
      const [mine, virshs] = await twins(daemon.qemuUri, MINE, THEIRS, step);
      expect(mine).toEqual(virshs);
    }
    for (const name of [MINE, THEIRS]) expect(await virsh(daemon, daemon.qemuUri, 'domif-getlink', name, MAC)).toBe(`${MAC} down\n`);
    expect(await definition(daemon.qemuUri, MINE)).toBe(await definition(daemon.qemuUri, THEIRS));
    expect(await definition(daemon.qemuUri, MINE, '--inactive')).toBe(await definition(daemon.qemuUri, THEIRS, '--inactive'));
  });

  it('metadata and desc: set, read, remove, live and defined', async () => {
    for (const step of [
      ['metadata', '{}', 'http://example.org/app', '--key', 'app', '--set', '<app version="2">blue &amp; green</app>'],
      ['metadata', '{}', 'http://example.org/app', '--key', 'app', '--set', '<app version="1"/>', '--config'],
      ['metadata', '{}', 'http://example.org/app'],
      ['metadata', '{}', 'http://example.org/app', '--config'],
      ['metadata', '{}', 'http://example.org/gone', '--key', 'g', '--set', '<g/>', '--live', '--config'],
      ['metadata', '{}', 'http://example.org/gone', '--remove', '--live', '--config'],
      ['metadata', '{}', 'http://example.org/gone', '--remove'],
      ['desc', '{}', 'a', 'live', 'description <&>'],
      ['desc', '{}', '--config', '--new-desc', 'defined  one', 'too'],
      ['desc', '{}', '--config'],
      ['desc', '{}', 'first', '--new-desc', 'second', 'third'],
      ['desc', '{}', '--title', 'A title'],
      ['desc', '{}', '--title', 'two\nlines'],
      ['desc', '{}'],
      ['desc', '{}', '--config'],
      ['desc', '{}', '--title'],
      ['desc', '{}', '--title', '--config'],
      ['desc', '{}', '--title', ''],
      ['desc', '{}', '--title'],
    ]) {
      const [mine, virshs] = await twins(daemon.qemuUri, MINE, THEIRS, step);
      expect(mine).toEqual(virshs);
    }
    for (const args of [['metadata', '{}', 'http://example.org/app'], ['metadata', '{}', 'http://example.org/app', '--config'], ['desc', '{}'], ['desc', '{}', '--config']]) {
      const read = async (name: string) => theirs(daemon, daemon.qemuUri, args.map((x) => (x === '{}' ? name : x)));
      expect(await read(MINE)).toEqual(await read(THEIRS));
    }
    expect(await definition(daemon.qemuUri, MINE)).toBe(await definition(daemon.qemuUri, THEIRS));
    expect(await definition(daemon.qemuUri, MINE, '--inactive')).toBe(await definition(daemon.qemuUri, THEIRS, '--inactive'));
  });

  it('set-lifecycle-action: live, defined and current', async () => {
    for (const step of [
      ['set-lifecycle-action', '{}', 'poweroff', 'restart'],
      ['set-lifecycle-action', '{}', 'reboot', 'destroy', '--config'],
      ['set-lifecycle-action', '{}', 'crash', 'coredump-destroy', '--live'],
      ['set-lifecycle-action', '{}', 'crash', 'preserve', '--config', '--live'],
      ['set-lifecycle-action', '{}', 'reboot', 'rename-restart'],
    ]) {
      const [mine, virshs] = await twins(daemon.qemuUri, MINE, THEIRS, step);
      expect(mine).toEqual(virshs);
    }
    expect(await definition(daemon.qemuUri, MINE)).toBe(await definition(daemon.qemuUri, THEIRS));
    expect(await definition(daemon.qemuUri, MINE, '--inactive')).toBe(await definition(daemon.qemuUri, THEIRS, '--inactive'));
  });

  it("update-memory-device: the virtio-mem device's requested size, live and defined", async () => {
    for (const step of [
      ['update-memory-device', '{}', '--requested-size', '64M'],
      ['update-memory-device', '{}', '--alias', 'ua-vmem', '--requested-size', '32768', '--config'],
      ['update-memory-device', '{}', '--node', '0', '--live', '--requested-size', '16MiB'],
      ['update-memory-device', '{}', '--print-xml'],
      ['update-memory-device', '{}', '--print-xml', '--config'],
    ]) {
      const [mine, virshs] = await twins(daemon.qemuUri, MINE, THEIRS, step);
      expect(mine).toEqual(virshs);
    }
    expect(await definition(daemon.qemuUri, MINE)).toBe(await definition(daemon.qemuUri, THEIRS));
    expect(await definition(daemon.qemuUri, MINE, '--inactive')).toBe(await definition(daemon.qemuUri, THEIRS, '--inactive'));
  });

  it('detach-device-alias: the USB tablet leaves the running guest, then its definition', async () => {
    const [mine, virshs] = await twins(daemon.qemuUri, MINE, THEIRS, ['detach-device-alias', '{}', 'ua-tablet']);
    expect(mine).toEqual(virshs);
    // The unplug completes when QEMU says the device is gone, after the call returned.
    await eventually(async () => !(await virsh(daemon, daemon.qemuUri, 'dumpxml', MINE)).includes('ua-tablet') && !(await virsh(daemon, daemon.qemuUri, 'dumpxml', THEIRS)).includes('ua-tablet'));
    const [mineConfig, virshConfig] = await twins(daemon.qemuUri, MINE, THEIRS, ['detach-device-alias', '{}', 'ua-tablet', '--config']);
    expect(mineConfig).toEqual(virshConfig);
    expect(await definition(daemon.qemuUri, MINE)).toBe(await definition(daemon.qemuUri, THEIRS));
    expect(await definition(daemon.qemuUri, MINE, '--inactive')).toBe(await definition(daemon.qemuUri, THEIRS, '--inactive'));
  }, 180000);

  it('send-key, inject-nmi, reset, guest-agent-timeout and domdirtyrate-calc act on the running guest', async () => {
    for (const step of [
      ['send-key', '{}', 'KEY_LEFTCTRL', 'KEY_LEFTALT', 'KEY_DELETE'],
      ['send-key', '{}', '--codeset', 'xt', '--holdtime', '50', '0x1e', '030'],
      ['send-key', '{}', '--codeset', 'rfb', '--keycode', '30', '31', '--keycode=0x20'],
      ['inject-nmi', '{}'],
      ['reset', '{}'],
      ['guest-agent-timeout', '{}', '--timeout', '5'],
      ['guest-agent-timeout', '{}'],
      ['domdirtyrate-calc', '{}', '--seconds', '1'],
    ]) {
      const [mine, virshs] = await twins(daemon.qemuUri, MINE, THEIRS, step);
      expect(mine).toEqual(virshs);
    }
    for (const name of [MINE, THEIRS]) expect(await virsh(daemon, daemon.qemuUri, 'domstate', name)).toBe('running\n\n');
    // The measurement ends a second later; both guests then show the period and mode asked for.
    const rate = async (name: string) => (await virsh(daemon, daemon.qemuUri, 'domstats', '--dirtyrate', name)).split('\n').filter((l) => /calc_(status|period|mode)/.test(l)).join('\n');
    await eventually(async () => (await rate(MINE)).includes('calc_status=2') && (await rate(THEIRS)).includes('calc_status=2'));
    expect(await rate(MINE)).toBe(await rate(THEIRS));
  }, 180000);

  it('test driver: file systems frozen and thawed, passwords, signals, NMI, reset, keys, lifecycle, metadata', async () => {
    for (const step of [
      ['domfsfreeze', '{}', '/boot'],
      ['domfsfreeze', '{}'],
      ['domfsthaw', '{}', '--mountpoint', '/'],
      ['domfsthaw', '{}'],
      ['domfstrim', '{}', '--minimum', '1024'],
      ['set-user-password', '{}', 'root', 'new-secret'],
      ['send-process-signal', '{}', '1', 'sig_hup'],
      ['send-process-signal', '{}', '2', '15'],
      ['inject-nmi', '{}'],
      ['reset', '{}'],
      ['send-key', '{}', 'KEY_A'],
      ['set-lifecycle-action', '{}', 'poweroff', 'preserve', '--config'],
      ['set-lifecycle-action', '{}', 'crash', 'restart'],
      ['metadata', '{}', 'http://example.org/t', '--key', 't', '--set', '<t>x</t>'],
      ['metadata', '{}', 'http://example.org/t'],
      ['desc', '{}', '--title', 'Test title'],
      ['desc', '{}', '--title'],
    ]) {
      const [mine, virshs] = await twins(daemon.testUri, T_MINE, T_THEIRS, step);
      expect(mine).toEqual(virshs);
    }
    expect(await definition(daemon.testUri, T_MINE)).toBe(await definition(daemon.testUri, T_THEIRS));
    expect(await definition(daemon.testUri, T_MINE, '--inactive')).toBe(await definition(daemon.testUri, T_THEIRS, '--inactive'));
  });
});

describe('qemu-monitor-event: events the test causes while both wait', () => {
  /** Both wait with `args`; `cause` runs again and again until both have printed and exited. */
  async function bothSee(args: string[], cause: () => Promise<unknown>): Promise<[CliRun, CliRun]> {
    const [mine, virshs] = q(args);
    let finished = 0;
    void mine.then(() => finished++);
    void virshs.then(() => finished++);
    const deadline = Date.now() + 90000;
    while (finished < 2 && Date.now() < deadline) await cause();
    const even = (r: CliRun): CliRun => ({
      ...r,
      out: r.out.replace(/ at \d+\.\d{6} /g, ' at SECONDS ').replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: /gm, 'TIMESTAMP: '),
    });
    return [even(await mine), even(await virshs)];
  }

  const pauseAndResume = async () => {
    const dom = await qconn.domainLookupByName(MINE);
    await qconn.domainSuspend(dom);
    await qconn.domainResume(dom);
  };

  it('prints the first STOP as virsh does, with its time or a timestamp', async () => {
    for (const args of [
      ['qemu-monitor-event', '--domain', MINE, '--event', 'STOP', '--timeout', '90'],
      ['qemu-monitor-event', '--domain', MINE, '--event', 'st.p', '--regex', '--no-case', '--timestamp', '--timeout', '90'],
    ]) {
      const [mine, virshs] = await bothSee(args, pauseAndResume);
      expect(mine).toEqual(virshs);
      expect(mine.out).toMatch(new RegExp(`^(event STOP at SECONDS|TIMESTAMP: event STOP) for domain '${MINE}': <null>\nevents received: 1\n\n$`));
    }
  }, 180000);

  it("pretty-prints an event's details: a reset's", async () => {
    const [mine, virshs] = await bothSee(['qemu-monitor-event', '--domain', MINE, '--event', 'RESET', '--pretty', '--timeout', '90'], async () =>
      qconn.domainReset(await qconn.domainLookupByName(MINE), 0),
    );
    // The guest resets itself too (its BIOS finds nothing to boot): either may come first.
    const even = (r: CliRun) => ({ ...r, out: r.out.replace(/"guest": (true|false)/, '"guest": BOOL').replace(/"reason": "[^"]*"/, '"reason": "REASON"') });
    expect(even(mine)).toEqual(even(virshs));
    expect(mine.out).toContain('\n  "reason": ');
  }, 180000);
});

// -------------------------------------------------------------------------------------------
// The agent stand-in.

interface StandIn {
  uri: string;
  /** What clients asked of the answered procedures: [method, decoded arguments]. */
  asked: [string, unknown][];
  close(): Promise<void>;
}

type Answers = Partial<Record<keyof typeof remoteProcedures, (args: any) => unknown>>;

const HEADER = 24;

/** Splits a byte stream into libvirt frames (a 4-byte length that counts itself). */
function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4 && pending.length >= pending.readUInt32BE(0)) {
      const len = pending.readUInt32BE(0);
      onFrame(pending.subarray(0, len));
      pending = pending.subarray(len);
    }
  };
}

/**
 * A unix socket in front of the daemon that answers the procedures in `answers` itself (as a
 * daemon whose guest agent replied) and forwards every other frame whole, both ways.
 */
async function agentStandIn(answers: Answers): Promise<StandIn> {
  const path = join(mkdtempSync(join(daemon.dir, 'agent-')), 'sock');
  const byNumber = new Map(Object.entries(answers).map(([method, answer]) => [remoteProcedures[method as keyof typeof remoteProcedures].number, { method, answer: answer! }]));
  const live = new Set<Socket>();
  const asked: [string, unknown][] = [];
  const server: Server = createServer((client) => {
    const upstream = netConnect({ path: daemon.socket });
    live.add(client).add(upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.on('data', frames((f) => client.write(f)));
    client.on('data', frames((f) => {
      const header = decodeValue(VirNetMessageHeaderCodec, new XdrReader(f, 4, 4 + HEADER));
      const mine = header.prog === remoteProgram.number && header.type === 0 ? byNumber.get(header.proc) : undefined;
      if (!mine) return void upstream.write(f);
      const proc = remoteProcedures[mine.method as keyof typeof remoteProcedures] as { args: any; ret: any };
      const args = proc.args ? decodeValue(proc.args, f.subarray(4 + HEADER)) : undefined;
      asked.push([mine.method, args]);
      const ret = mine.answer(args);
      const w = new XdrWriter(HEADER);
      encodeVirNetMessageHeader(w, { ...header, type: 1, status: 0 });
      const head = w.finish();
      const body = proc.ret ? encodeValue(proc.ret, ret) : new Uint8Array();
      const out = Buffer.alloc(4 + head.length + body.length);
      out.writeUInt32BE(out.length, 0);
      out.set(head, 4);
      out.set(body, 4 + head.length);
      client.write(out);
    }));
  });
  await new Promise<void>((r) => server.listen(path, () => r()));
  return {
    uri: `qemu+unix:///session?socket=${path}`,
    asked,
    close: () =>
      new Promise<void>((r) => {
        for (const s of live) s.destroy();
        server.close(() => r());
      }),
  };
}

const str = (field: string, s: string): RemoteTypedParam => ({ field, value: { type: 7, s } });
const uint = (field: string, ui: number): RemoteTypedParam => ({ field, value: { type: 2, ui } });
const int = (field: string, i: number): RemoteTypedParam => ({ field, value: { type: 1, i } });
const ullong = (field: string, ul: bigint): RemoteTypedParam => ({ field, value: { type: 4, ul } });
const bool = (field: string, b: boolean): RemoteTypedParam => ({ field, value: { type: 6, b: b ? 1 : 0 } });
const double = (field: string, d: number): RemoteTypedParam => ({ field, value: { type: 5, d } });

describe('behind an agent stand-in: what a talking agent gives, printed as virsh prints it', () => {
  let standIn: StandIn;
  beforeAll(async () => {
    standIn = await agentStandIn({
      domainGetGuestInfo: ({ types }: { types: number }) => ({
        params: [
          ...(types === 0 || types & 1 ? [uint('user.count', 1), str('user.0.name', 'root'), ullong('user.0.login-time', 1700000000123n)] : []),
          ...(types === 0 || types & 2 ? [str('os.id', 'debian'), str('os.pretty-name', 'Debian GNU/Linux 12 (bookworm)'), str('os.kernel-release', '6.1.0-18-amd64')] : []),
          ...(types === 0 || types & 4 ? [str('timezone.name', 'CET'), int('timezone.offset', 3600)] : []),
          ...(types === 0 || types & 8 ? [str('hostname', 'guest.example.org')] : []),
          ...(types === 0 || types & 32 ? [uint('disk.count', 1), str('disk.0.name', '/dev/vda1'), bool('disk.0.partition', true), double('disk.0.load', 0.25)] : []),
        ],
      }),
      domainGetFSInfo: () => ({
        info: [
          { mountpoint: '/', name: 'vda1', fstype: 'ext4', dev_aliases: ['vda'] },
          { mountpoint: '/srv/data', name: 'md0', fstype: 'xfs', dev_aliases: ['vdb', 'vdc'] },
          { mountpoint: '/run', name: 'tmpfs', fstype: 'tmpfs', dev_aliases: [] },
        ],
        ret: 3,
      }),
      domainAuthorizedSSHKeysGet: () => ({ keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 admin@example.org', 'ssh-rsa AAAAB3NzaC1yc2E backup@example.org'] }),
      domainGetLaunchSecurityInfo: () => ({ params: [str('sev-measurement', 'bWVhc3VyZW1lbnQ='), uint('sev-api-major', 0), uint('sev-api-minor', 24), uint('sev-build-id', 15), uint('sev-policy', 3)] }),
      domainFSFreeze: ({ mountpoints }: { mountpoints: string[] }) => ({ filesystems: mountpoints.length || 2 }),
      domainFSThaw: ({ mountpoints }: { mountpoints: string[] }) => ({ filesystems: mountpoints.length || 2 }),
      domainFSTrim: () => undefined,
      domainPMSuspendForDuration: () => undefined,
      domainPMWakeup: () => undefined,
      domainSetUserPassword: () => undefined,
      domainAuthorizedSSHKeysSet: () => undefined,
      domainAgentSetResponseTimeout: () => ({ result: 0 }),
      domainSetLaunchSecurityState: () => undefined,
    });
  });
  afterAll(() => standIn?.close());

  it.each([
    ['guestinfo', MINE],
    ['guestinfo', MINE, '--user', '--disk'],
    ['guestinfo', MINE, '--timezone', '--hostname'],
    ['domfsinfo', MINE],
    ['get-user-sshkeys', MINE, 'admin'],
    ['domlaunchsecinfo', MINE],
  ])('%s %s', async (...args) => {
    const [mine, virshs] = await both(standIn.uri, args);
    expect(mine).toEqual(virshs);
  });

  it.each([
    ['domfsfreeze', MINE],
    ['domfsfreeze', MINE, '/', '--mountpoint', '/srv/data'],
    ['domfsthaw', MINE, '/srv/data'],
    ['domfstrim', MINE, '--minimum', '65536', '--mountpoint', '/srv/data'],
    ['dompmsuspend', MINE, 'mem'],
    ['dompmsuspend', MINE, 'disk', '--duration', '0'],
    ['dompmwakeup', MINE],
    ['set-user-password', MINE, 'admin', 'correct horse'],
    ['set-user-password', MINE, 'admin', '$6$salt$hash', '--encrypted'],
    ['set-user-sshkeys', MINE, 'admin', '--reset'],
    ['guest-agent-timeout', MINE, '--timeout', '10'],
  ])('%s %s: the same words, and the same request to the agent', async (...args) => {
    standIn.asked.length = 0;
    const mine = await ours(standIn.uri, args);
    const ourRequest = standIn.asked.splice(0);
    const virshs = await theirs(daemon, standIn.uri, args);
    expect(mine).toEqual(virshs);
    expect(ourRequest).toEqual(standIn.asked);
    expect(ourRequest).toHaveLength(1);
  });

  it('set-user-sshkeys and domsetlaunchsecstate send what the files hold, as virsh does', async () => {
    const keys = join(scratch, 'admin.keys');
    writeFileSync(keys, 'ssh-ed25519 AAAA one@example.org\nssh-rsa BBBB two@example.org\n');
    const header = join(scratch, 'secret.hdr');
    const secret = join(scratch, 'secret.bin');
    writeFileSync(header, 'SEV-HEADER');
    writeFileSync(secret, 'launch secret');
    for (const args of [
      ['set-user-sshkeys', MINE, 'admin', '--file', keys],
      ['set-user-sshkeys', MINE, 'admin', '--file', keys, '--reset'],
      ['set-user-sshkeys', MINE, 'admin', '--file', keys, '--remove'],
      ['domsetlaunchsecstate', MINE, '--secrethdr', header, '--secret', secret],
      ['domsetlaunchsecstate', MINE, '--secrethdr', header, '--secret', secret, '--set-address', '0x1000'],
      ['domsetlaunchsecstate', MINE, '--secrethdr', header, '--secret', secret, '--set-address', '4096'],
    ]) {
      standIn.asked.length = 0;
      const mine = await ours(standIn.uri, args);
      const ourRequest = standIn.asked.splice(0);
      const virshs = await theirs(daemon, standIn.uri, args);
      expect(mine).toEqual(virshs);
      expect(ourRequest).toEqual(standIn.asked);
    }
  });

  it('prints JSON for what the agent says', async () => {
    expect(JSON.parse((await ours(standIn.uri, ['--json', 'guestinfo', MINE, '--hostname'])).out)).toEqual({ hostname: 'guest.example.org' });
    expect(JSON.parse((await ours(standIn.uri, ['--json', 'get-user-sshkeys', MINE, 'admin'])).out).keys).toHaveLength(2);
    expect(JSON.parse((await ours(standIn.uri, ['--json', 'domfsinfo', MINE])).out)[1]).toEqual({ mountpoint: '/srv/data', name: 'md0', type: 'xfs', targets: ['vdb', 'vdc'] });
  });
});
