/**
 * The network commands of networks.ts against virsh on the same daemon. The test driver
 * creates networks and updates them, and has no DHCP leases or network ports: those refusals
 * are compared. The QEMU session daemon cannot make bridges, but runs a network that forwards
 * to a bridge someone else made (nothing is set up for it), which has ports and a lease table
 * (empty): those are compared for real. A command that changes a network or a port runs on
 * one of ours while virsh runs on its twin; what they print is compared with the twin's names
 * put back, and both are read back with virsh. `net-event` waits are fired by definitions
 * repeated until each waiter has seen one.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Connection, connect } from '../../src/index.js';
import { type CliRun, ours, theirs } from '../helpers/cli.js';
import { type ThrowawayDaemon, sharedDaemon } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;
let session: Connection;

const UUIDS = { ours: '33333333-2222-3333-4444-000000000001', twin: '33333333-2222-3333-4444-000000000002' } as const;
const UPDATED = { ours: '66666666-2222-3333-4444-000000000001', twin: '66666666-2222-3333-4444-000000000002' } as const;
const PORTS = { ours: '44444444-2222-3333-4444-000000000001', twin: '44444444-2222-3333-4444-000000000002' } as const;
type Side = keyof typeof UUIDS;

const netXml = (name: string, uuid: string, bridge: string) =>
  `<network>\n  <name>${name}</name>\n  <uuid>${uuid}</uuid>\n  <bridge name='${bridge}'/>\n  <ip address='192.168.150.1' netmask='255.255.255.0'>\n    <dhcp>\n      <range start='192.168.150.100' end='192.168.150.200'/>\n    </dhcp>\n  </ip>\n</network>\n`;
const portXml = (uuid: string) =>
  `<networkport>\n  <uuid>${uuid}</uuid>\n  <owner>\n    <name>guest</name>\n    <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n  </owner>\n  <mac address='52:54:00:11:22:33'/>\n</networkport>\n`;
const BRIDGED = "<network>\n  <name>bridged</name>\n  <forward mode='bridge'/>\n  <bridge name='br-elsewhere'/>\n</network>\n";

function scratch(name: string, text: string): string {
  const file = join(daemon.dir, name);
  writeFileSync(file, text);
  return file;
}

beforeAll(async () => {
  daemon = await sharedDaemon();
  // The test driver keeps what we define while a connection stays open.
  keeper = await connect(daemon.testUri);
  session = await connect(daemon.qemuUri);
  for (const side of ['ours', 'twin'] as const) {
    scratch(`net-${side}.xml`, netXml(`made-${side}`, UUIDS[side], `brm${side}`));
    scratch(`port-${side}.xml`, portXml(PORTS[side]));
    const net = await keeper.networkDefineXML(netXml(`upd-${side}`, UPDATED[side], `bru${side}`));
    await keeper.networkCreate(net);
  }
  scratch('portgroup.xml', "<portgroup name='engineering'>\n  <bandwidth>\n    <inbound average='1000'/>\n  </bandwidth>\n</portgroup>\n");
  scratch('bridged.xml', BRIDGED);
  scratch('not-xml.xml', 'this is not XML');
  await session.networkCreateXML(BRIDGED.replace('bridged', 'bridged-net'));
});

// The session network goes with the throwaway daemon (it set nothing up on this machine).
afterAll(async () => {
  await keeper?.close();
  await session?.close();
});

const q = () => daemon.qemuUri;
const t = () => daemon.testUri;
const file = (a: string) => (a.endsWith('.xml') ? join(daemon.dir, a) : a);

async function same(uri: string, args: string[]): Promise<CliRun> {
  const mine = await ours(uri, args.map(file));
  expect(mine).toEqual(await theirs(daemon, uri, args.map(file)));
  return mine;
}

/** A run with the twin's names (and UUIDs) put back as ours. */
const asOurs = (r: CliRun): CliRun => {
  const back = (s: string) => s.replaceAll('twin', 'ours').replaceAll(UUIDS.twin, UUIDS.ours).replaceAll(UPDATED.twin, UPDATED.ours).replaceAll(PORTS.twin, PORTS.ours);
  return { ...r, out: back(r.out), err: back(r.err) };
};

/** Ours on our object, virsh on its twin; `args` is given the side's name. */
async function twins(uri: string, args: (side: Side) => string[]): Promise<CliRun> {
  const mine = await ours(uri, args('ours').map(file));
  expect(mine).toEqual(asOurs(await theirs(daemon, uri, args('twin').map(file))));
  return mine;
}

/** Both objects read back with virsh, compared as twins. */
async function readBack(uri: string, args: (side: Side) => string[]): Promise<void> {
  expect(await theirs(daemon, uri, args('ours'))).toEqual(asOurs(await theirs(daemon, uri, args('twin'))));
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Ours and virsh waiting with the same words, `fire` repeated until both have ended. */
async function bothWait(uri: string, args: string[], fire: () => Promise<unknown>): Promise<[CliRun, CliRun]> {
  let ended = 0;
  const mine = ours(uri, args).finally(() => ended++);
  const virshRun = theirs(daemon, uri, args).finally(() => ended++);
  for (const end = Date.now() + 100_000; ended < 2 && Date.now() < end; ) {
    await fire();
    await delay(100);
  }
  return Promise.all([mine, virshRun]);
}

describe("'net-create'", () => {
  it('creates and starts a transient network as virsh does, read back with virsh', async () => {
    await twins(t(), (s) => ['net-create', `net-${s}.xml`]);
    await readBack(t(), (s) => ['net-dumpxml', `made-${s}`]);
    await readBack(t(), (s) => ['net-info', `made-${s}`]);
    // Creating it again, now that it runs, is refused.
    await twins(t(), (s) => ['net-create', '--validate', `net-${s}.xml`]);
  });

  it.each([
    [t, ['net-create', 'not-xml.xml']],
    [t, ['net-create', 'not-xml.xml', '--validate']],
    [t, ['net-create', 'no-such-file.xml']],
    [t, ['net-create']],
    // The session daemon may not make a bridge.
    [q, ['net-create', 'net-ours.xml']],
  ])('refuses %p %j as for virsh', async (uri, args) => {
    await same(uri(), args);
  });
});

describe("'net-update'", () => {
  const host = (n: number, ip = n) => `<host mac='52:54:00:00:00:${String(n).padStart(2, '0')}' ip='192.168.150.${ip}'/>`;
  it.each([
    // With neither --config nor --live, a running network changes live.
    [['add', 'ip-dhcp-host', host(10)]],
    [['add', 'ip-dhcp-host', host(11), '--config']],
    [['add-last', 'ip-dhcp-host', host(12), '--config', '--live']],
    [['add-first', 'ip-dhcp-host', host(13), '--live']],
    [['modify', 'ip-dhcp-host', host(10, 20), '--live']],
    [['delete', 'ip-dhcp-host', host(13), '--live', '--parent-index', '0']],
    [['add', 'ip-dhcp-host', host(14), '0']],
    [['add', 'dns-host', "<host ip='192.168.150.5'><hostname>printer</hostname></host>", '--current']],
    [['add', 'portgroup', 'portgroup.xml', '--config']],
    [['add', 'ip-dhcp-host', host(15), '--parent-index', '5']],
    [['delete', 'ip-dhcp-host', host(99)]],
    [['add', 'ip-dhcp-host', host(16), '--current', '--live']],
    [['add', 'ip-dhcp-host', host(16), '--current', '--config']],
    [['add', 'ip-dhcp-host', host(16), '--parent-index', 'first']],
    [['none', 'ip-dhcp-host', host(16)]],
    [['replace', 'ip-dhcp-host', host(16)]],
    [['add', 'nosuch', host(16)]],
    [['add', 'ip-dhcp-host', 'no-such-file.xml']],
    [['add', 'ip-dhcp-host']],
  ])('%j does as virsh, read back with virsh', async (words) => {
    await twins(t(), (s) => ['net-update', `upd-${s}`, ...words]);
    await readBack(t(), (s) => ['net-dumpxml', `upd-${s}`]);
    await readBack(t(), (s) => ['net-dumpxml', '--inactive', `upd-${s}`]);
  });

  it('finds the network by UUID, and names one it cannot find', async () => {
    await twins(t(), (s) => ['net-update', UPDATED[s], 'add', 'ip-dhcp-host', host(30)]);
    await same(t(), ['net-update', 'nosuch', 'add', 'ip-dhcp-host', host(30)]);
    await same(t(), ['net-update', '33333333-2222-3333-4444-00000000ffff', 'add', 'ip-dhcp-host', host(30)]);
  });

  it('with --json says what it changed', async () => {
    const r = await ours(t(), ['--json', 'net-update', 'upd-ours', 'add', 'ip-dhcp-host', host(31), '--config']);
    expect(JSON.parse(r.out)).toEqual({ network: 'upd-ours', config: true, live: false });
  });
});

describe("'net-dhcp-leases'", () => {
  it.each([
    [q, ['net-dhcp-leases', 'bridged-net']],
    [q, ['net-dhcp-leases', 'bridged-net', '--mac', '52:54:00:11:22:33']],
    [q, ['net-dhcp-leases', 'bridged-net', '52:54:00:11:22:33']],
    [q, ['net-dhcp-leases', 'nosuch']],
    [q, ['net-dhcp-leases']],
    [t, ['net-dhcp-leases', 'default']],
    [t, ['net-dhcp-leases', 'default', '--mac', '52:54:00:11:22:33']],
  ])('%p %j prints what virsh prints', async (uri, args) => {
    await same(uri(), args);
  });

  it('--json gives the leases as an array', async () => {
    expect(JSON.parse((await ours(q(), ['--json', 'net-dhcp-leases', 'bridged-net'])).out)).toEqual([]);
  });
});

describe('network ports', () => {
  it("'net-port-create', 'net-port-list', 'net-port-dumpxml' and 'net-port-delete' do as virsh's", async () => {
    await same(q(), ['net-port-list', 'bridged-net']);
    await twins(q(), (s) => ['net-port-create', 'bridged-net', `port-${s}.xml`]);
    await readBack(q(), (s) => ['net-port-dumpxml', 'bridged-net', PORTS[s]]);
    // The same port again is refused.
    await twins(q(), (s) => ['net-port-create', 'bridged-net', `port-${s}.xml`, '--validate']);
    for (const args of [['net-port-list', 'bridged-net'], ['net-port-list', '--uuid', 'bridged-net'], ['net-port-list', 'bridged-net', '--table'], ['net-port-dumpxml', 'bridged-net', PORTS.ours]]) {
      await same(q(), args);
    }
    const listed = JSON.parse((await ours(q(), ['--json', 'net-port-list', 'bridged-net'])).out);
    expect(listed).toEqual([{ uuid: PORTS.ours }, { uuid: PORTS.twin }]);
    await twins(q(), (s) => ['net-port-delete', 'bridged-net', PORTS[s]]);
    await same(q(), ['net-port-list', 'bridged-net']);
    await readBack(q(), (s) => ['net-port-dumpxml', 'bridged-net', PORTS[s]]);
  });

  it.each([
    [q, ['net-port-create', 'bridged-net', 'not-xml.xml']],
    [q, ['net-port-create', 'bridged-net', 'no-such-file.xml']],
    [q, ['net-port-create', 'nosuch', 'port-ours.xml']],
    [q, ['net-port-list', 'bridged-net', '--uuid', '--table']],
    [q, ['net-port-list', 'nosuch']],
    // virsh reports these but counts them done (exit status 0).
    [q, ['net-port-dumpxml', 'bridged-net', PORTS.ours]],
    [q, ['net-port-dumpxml', 'bridged-net', 'not-a-uuid']],
    [q, ['net-port-dumpxml', 'nosuch', PORTS.ours]],
    [q, ['net-port-delete', 'bridged-net', PORTS.ours]],
    [q, ['net-port-delete', 'nosuch', 'not-a-uuid']],
    [q, ['net-port-delete', 'bridged-net']],
    [t, ['net-port-list', 'default']],
    [t, ['net-port-list', 'default', '--uuid']],
    [t, ['net-port-create', 'default', 'port-ours.xml']],
    [t, ['net-port-dumpxml', 'default', PORTS.ours]],
    [t, ['net-port-delete', 'default', PORTS.ours]],
  ])('%p %j prints what virsh prints', async (uri, args) => {
    await same(uri(), args);
  });
});

describe("'net-event'", () => {
  const probeXml = netXml('probe-net', '55555555-2222-3333-4444-000000000001', 'brprobe');

  it.each([
    [['net-event', '--list']],
    [['net-event']],
    [['net-event', '--event', 'metadata-change']],
    [['net-event', '--event', 'lifecycle', '--timeout', '0']],
    [['net-event', '--event', 'lifecycle', '--timeout', '1']],
    [['net-event', '--event', 'lifecycle', '--loop', '--timeout', '1']],
    // A network that is not there is reported, and virsh waits for every network's events.
    [['net-event', '--event', 'lifecycle', '--network', 'nosuch', '--timeout', '1']],
    [['net-event', '--network', 'default', '--event', 'lifecycle', '--timeout', '1']],
  ])('%j prints what virsh prints', async (args) => {
    await same(t(), args);
  });

  it('prints the first event a definition causes, as virsh', async () => {
    const [mine, virshRun] = await bothWait(t(), ['net-event', '--event', 'lifecycle', '--timeout', '120'], () => keeper.networkDefineXML(probeXml));
    expect(mine).toEqual(virshRun);
    expect(mine.out).toBe("event 'lifecycle' for network probe-net: Defined\nevents received: 1\n\n");
  });

  it('watches one network with --network, by name or UUID, with --timestamp', async () => {
    const net = await keeper.networkLookupByName('probe-net');
    const stamp = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: /m;
    const steady = (r: CliRun) => ({ ...r, out: r.out.replace(stamp, '<time>: ') });
    for (const ref of ['probe-net', '55555555-2222-3333-4444-000000000001']) {
      // Others' definitions do not count; this network's do.
      const fire = async () => {
        await keeper.networkDefineXML(netXml('other-net', '55555555-2222-3333-4444-000000000002', 'brother'));
        await keeper.networkDefineXML(probeXml);
      };
      const [mine, virshRun] = await bothWait(t(), ['net-event', '--network', ref, '--event', 'lifecycle', '--timestamp', '--timeout', '120'], fire);
      expect(mine.out).toMatch(stamp);
      expect(steady(mine)).toEqual(steady(virshRun));
      expect(steady(mine).out).toBe(`<time>: event 'lifecycle' for network ${net.name}: Defined\nevents received: 1\n\n`);
    }
  });
});
