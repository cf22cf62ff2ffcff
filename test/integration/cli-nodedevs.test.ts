/**
 * The node device commands against virsh on the same daemon. The QEMU session daemon's node
 * device driver sees this machine's devices (udev): lists, trees and device information are
 * compared there, and the refusals of what an unprivileged daemon cannot do. The test driver
 * makes and destroys vHBAs (SCSI hosts on a fibre channel host), and refuses the rest: ours
 * and virsh each create the same device in turn, read back with virsh. Detaching, reattaching
 * and resetting a real PCI device need one assigned to the host driver: the errors both give
 * for a device that is not a PCI device, and for a driver that has no such calls, are compared.
 * `nodedev-event` waits are fired by device creations repeated until each waiter has seen one.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Connection, connect } from '../../src/index.js';
import { deviceTree } from '../../src/cli/nodedevs.js';
import { type CliRun, ours, theirs } from '../helpers/cli.js';
import { type ThrowawayDaemon, sharedDaemon } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;

const vhbaXml = (n: string) =>
  `<device>\n  <parent>scsi_host1</parent>\n  <capability type='scsi_host'>\n    <capability type='fc_host'>\n      <wwnn>20000000999900${n}</wwnn>\n      <wwpn>10000000999900${n}</wwpn>\n    </capability>\n  </capability>\n</device>\n`;

function scratch(name: string, text: string): string {
  const file = join(daemon.dir, name);
  writeFileSync(file, text);
  return file;
}

beforeAll(async () => {
  daemon = await sharedDaemon();
  // The test driver keeps what we create while a connection stays open.
  keeper = await connect(daemon.testUri);
  scratch('vhba.xml', vhbaXml('01'));
  scratch('vhba-probe.xml', vhbaXml('ff'));
  // No WWN and no way to make one: refused.
  scratch('vhba-bare.xml', "<device>\n  <parent>scsi_host1</parent>\n  <capability type='scsi_host'>\n    <capability type='fc_host'/>\n  </capability>\n</device>\n");
  scratch('not-xml.xml', 'this is not XML');
});

afterAll(() => keeper?.close());

const q = () => daemon.qemuUri;
const t = () => daemon.testUri;
const file = (a: string) => (a.endsWith('.xml') ? join(daemon.dir, a) : a);

async function same(uri: string, args: string[]): Promise<CliRun> {
  const mine = await ours(uri, args.map(file));
  expect(mine).toEqual(await theirs(daemon, uri, args.map(file)));
  return mine;
}

/** Destroys every test-driver device of that name (the test driver may hold more than one). */
async function destroyAll(name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const dev = await keeper.nodeDeviceLookupByName(name).catch(() => undefined);
    if (!dev) return;
    await keeper.nodeDeviceDestroy(name);
  }
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

describe("this machine's devices, on the session daemon", () => {
  it.each([
    [['nodedev-list']],
    [['nodedev-list', '--all']],
    [['nodedev-list', '--inactive']],
    [['nodedev-list', '--tree']],
    [['nodedev-list', '--cap', 'pci']],
    [['nodedev-list', '--cap', 'net,pci']],
    [['nodedev-list', '--cap', 'system', '--all']],
    [['nodedev-list', 'storage']],
    [['nodedev-list', '--cap=usb_device']],
    [['nodedev-list', '--cap', 'vpd']],
    [['nodedev-list', '--cap', 'nosuch']],
    [['nodedev-list', '--cap', 'pci,']],
    [['nodedev-list', '--tree', '--cap', 'pci']],
    [['nodedev-list', '--tree', '--inactive']],
    [['nodedev-list', '--all', '--inactive']],
    [['nodedev-info', 'computer']],
    [['nodedev-info', '--device', 'computer']],
    [['nodedev-info', 'nosuch']],
    [['nodedev-info']],
    // A wwnn,wwpn pair is checked by libvirt's client, then looked up as a SCSI host.
    [['nodedev-info', 'a,b']],
    [['nodedev-info', 'a,b,c']],
    [['nodedev-info', '20000000c9831b4b,10000000c9831b4b']],
    [['nodedev-info', '0x20000000c9831b4b,10000000c9831b4b']],
  ])('%j prints what virsh prints', async (args) => {
    await same(q(), args);
  });

  it("'nodedev-info' tells of every device as virsh", async () => {
    const names = (await ours(q(), ['nodedev-list'])).out.split('\n').filter(Boolean);
    expect(names).toContain('computer');
    for (const name of names) await same(q(), ['nodedev-info', name]);
  });

  it.each([
    // 'computer' is no PCI device; nothing here could be detached by an unprivileged daemon.
    [['nodedev-detach', 'computer']],
    [['nodedev-detach', 'computer', '--driver', 'vfio']],
    [['nodedev-detach', 'computer', 'vfio']],
    [['nodedev-reattach', 'computer']],
    [['nodedev-reset', 'computer']],
    [['nodedev-detach', 'nosuch']],
    [['nodedev-reattach', 'nosuch']],
    [['nodedev-reset', 'nosuch']],
    [['nodedev-destroy', 'computer']],
    [['nodedev-destroy', '--name', 'computer']],
    [['nodedev-undefine', 'computer']],
    [['nodedev-start', 'computer']],
    [['nodedev-start', 'nosuch']],
    [['nodedev-autostart', 'computer']],
    [['nodedev-autostart', '--disable', 'computer']],
    [['nodedev-autostart', 'nosuch']],
    [['nodedev-create', 'vhba.xml']],
    [['nodedev-create', 'vhba.xml', '--validate']],
    [['nodedev-define', 'vhba.xml']],
    [['nodedev-define', 'no-such-file.xml']],
    [['nodedev-create', 'no-such-file.xml']],
  ])('refuses %j as for virsh', async (args) => {
    await same(q(), args);
  });

  it('--json lists names, and the tree as names with parents', async () => {
    const names = JSON.parse((await ours(q(), ['--json', 'nodedev-list'])).out) as string[];
    expect(names).toContain('computer');
    const tree = JSON.parse((await ours(q(), ['--json', 'nodedev-list', '--tree'])).out) as { name: string; parent: string | null }[];
    expect(tree.find((d) => d.name === 'computer')).toEqual({ name: 'computer', parent: null });
    expect(JSON.parse((await ours(q(), ['--json', 'nodedev-info', 'computer'])).out)).toMatchObject({ name: 'computer', parent: null, active: true });
  });
});

describe('the tree virsh draws', () => {
  it('draws branches, last children and roots of their own', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const parents = [undefined, 'a', 'b', 'a', undefined];
    expect(deviceTree(names, parents)).toBe('a\n  |\n  +- b\n  |   |\n  |   +- c\n  |     \n  +- d\n    \ne\n\n');
  });
});

describe('vHBAs on the test driver', () => {
  it("'nodedev-create', 'nodedev-info' and 'nodedev-destroy' do as virsh's, read back with virsh", async () => {
    const readBack = async () => ({ xml: await theirs(daemon, t(), ['nodedev-dumpxml', 'scsi_host12']), info: await theirs(daemon, t(), ['nodedev-info', 'scsi_host12']) });
    const created: CliRun[] = [];
    const states: unknown[] = [];
    const destroyed: CliRun[] = [];
    for (const side of [ours, (uri: string, args: string[]) => theirs(daemon, uri, args)]) {
      created.push(await side(t(), ['nodedev-create', file('vhba.xml')]));
      states.push(await readBack());
      expect(await ours(t(), ['nodedev-info', 'scsi_host12'])).toEqual(await theirs(daemon, t(), ['nodedev-info', 'scsi_host12']));
      // Found by its WWN pair: the test driver has no such lookup.
      await same(t(), ['nodedev-destroy', '2000000099990001,1000000099990001']);
      destroyed.push(await side(t(), ['nodedev-destroy', 'scsi_host12']));
      states.push(await readBack());
    }
    expect(created[0]).toEqual(created[1]);
    expect(created[0]!.out).toBe(`Node device scsi_host12 created from ${file('vhba.xml')}\n\n`);
    expect(destroyed[0]).toEqual(destroyed[1]);
    expect(states[0]).toEqual(states[2]);
    expect(states[1]).toEqual(states[3]);
    expect((states[3] as { info: CliRun }).info.code).toBe(1);
  });

  it.each([
    [['nodedev-list']],
    [['nodedev-list', '--tree']],
    [['nodedev-list', '--all']],
    [['nodedev-list', '--inactive']],
    [['nodedev-info', 'computer']],
    [['nodedev-info', 'scsi_host1']],
    [['nodedev-create', 'vhba-bare.xml']],
    [['nodedev-create', 'not-xml.xml']],
    [['nodedev-define', 'vhba.xml']],
    [['nodedev-define', 'vhba.xml', '--validate']],
    [['nodedev-undefine', 'computer']],
    [['nodedev-start', 'computer']],
    [['nodedev-autostart', 'computer']],
    [['nodedev-autostart', 'computer', '--disable']],
    [['nodedev-destroy', 'nosuch']],
    [['nodedev-detach', 'computer']],
    [['nodedev-detach', 'computer', '--driver', 'vfio']],
    [['nodedev-reattach', 'computer']],
    [['nodedev-reset', 'computer']],
  ])('%j prints what virsh prints', async (args) => {
    await same(t(), args);
  });
});

describe("'nodedev-event'", () => {
  it.each([
    [['nodedev-event', '--list']],
    [['nodedev-event']],
    [['nodedev-event', '--event', 'nosuch']],
    [['nodedev-event', '--event', 'lifecycle', '--timeout', '0']],
    [['nodedev-event', '--event', 'update', '--loop', '--timeout', '1']],
    [['nodedev-event', '--event', 'lifecycle', '--device', 'computer', '--timeout', '1']],
    // Unlike secret-event's and net-event's, a device that is not there ends the command.
    [['nodedev-event', '--event', 'lifecycle', '--device', 'nosuch', '--timeout', '1']],
  ])('%j prints what virsh prints', async (args) => {
    await same(t(), args);
  });

  it('prints the first event a creation causes, as virsh', async () => {
    const args = ['nodedev-event', '--event', 'lifecycle', '--timeout', '120'];
    try {
      const [mine, virshRun] = await bothWait(t(), args, () => keeper.nodeDeviceCreateXML(vhbaXml('ff'), 0));
      expect(mine).toEqual(virshRun);
      expect(mine.out).toBe("event 'lifecycle' for node device scsi_host12: Created\nevents received: 1\n\n");
    } finally {
      await destroyAll('scsi_host12');
    }
  });

  it('--json prints each event as a line of JSON', async () => {
    try {
      const [mine] = await bothWait(t(), ['--json', 'nodedev-event', '--event', 'lifecycle', '--timeout', '120'], () => keeper.nodeDeviceCreateXML(vhbaXml('ff'), 0));
      const [event, summary] = [mine.out.slice(0, mine.out.indexOf('\n')), mine.out.slice(mine.out.indexOf('\n') + 1)];
      expect(JSON.parse(event)).toEqual({ event: 'lifecycle', device: 'scsi_host12', type: 'Created' });
      expect(JSON.parse(summary)).toEqual({ eventsReceived: 1, timedOut: false, interrupted: false });
    } finally {
      await destroyAll('scsi_host12');
    }
  });
});
