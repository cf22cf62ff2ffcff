/**
 * The storage commands against virsh: on the test driver ('default-pool', and pools and
 * volumes made here on twin names) and on the QEMU session daemon's directory pools, which
 * resize, wipe and delete for real. Each compares what ours and virsh print, refusals too,
 * and reads the result back with virsh; pool-event waits for real events.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Connection, connect } from '../../src/index.js';
import { type CliRun, ours, theirs } from '../helpers/cli.js';
import { type ThrowawayDaemon, sharedDaemon } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;
let qemu: Connection;
const files: Record<string, string> = {};

const onTest = {
  mine: (args: string[]) => ours(daemon.testUri, args),
  virsh: (args: string[]) => theirs(daemon, daemon.testUri, args),
};
const onQemu = {
  mine: (args: string[]) => ours(daemon.qemuUri, args),
  virsh: (args: string[]) => theirs(daemon, daemon.qemuUri, args),
};

/** One twin's names written as the other's (and UUIDs, which are each its own), to compare what they print. */
function asTwin(run: CliRun, ...names: string[]): CliRun {
  const swap = (text: string) => names.reduce((t, n) => t.split(n).join('TWIN'), text).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID');
  return { ...run, out: swap(run.out), err: swap(run.err) };
}

function xmlFile(name: string, text: string): string {
  const path = join(daemon.dir, name);
  writeFileSync(path, text);
  chmodSync(path, 0o644);
  return path;
}

/** A directory the daemon's user may fill, as the daemon sees it. */
function poolDir(name: string): string {
  const dir = join(daemon.dir, name);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  return daemon.pathInDaemon(dir);
}

beforeAll(async () => {
  daemon = await sharedDaemon();
  // The test driver keeps what we make while a connection stays open.
  keeper = await connect(daemon.testUri);
  qemu = await connect(daemon.qemuUri);
  for (const t of ['a', 'b']) {
    files[`vol-${t}`] = xmlFile(`st-vol-${t}.xml`, `<volume><name>st-vol-${t}</name><capacity>1048576</capacity></volume>\n`);
    files[`clone-${t}`] = xmlFile(`st-clone-${t}.xml`, `<volume><name>st-clone-${t}</name><capacity>2097152</capacity></volume>\n`);
    files[`pool-${t}`] = xmlFile(`st-pool-${t}.xml`, `<pool type='dir'><name>st-pool-${t}</name><target><path>/st-pool-${t}</path></target></pool>\n`);
    files[`defpool-${t}`] = xmlFile(`st-defpool-${t}.xml`, `<pool type='dir'><name>st-defpool-${t}</name><target><path>/st-defpool-${t}</path></target></pool>\n`);
  }
  files.badPool = xmlFile('st-bad-pool.xml', "<pool type='bogus'><name>st-bad</name></pool>\n");
  files.spec = xmlFile('st-spec.xml', "<source><host name='example'/></source>\n");
}, 120_000);

afterAll(async () => {
  await keeper?.close();
  await qemu?.close();
});

describe('storage commands print what virsh prints on the test driver', () => {
  const table = [
    ['vol-create', 'nosuch', 'FILE:vol-a'],
    ['vol-create', 'default-pool', '/nonexistent.xml'],
    ['vol-create', 'default-pool', 'DIR'],
    ['vol-create-from', 'default-pool', 'FILE:clone-a', 'nosuchvol'],
    ['vol-create-from', 'default-pool', 'FILE:clone-a', 'nosuchvol', '--inputpool', 'default-pool'],
    ['vol-create-from', 'nosuch', 'FILE:clone-a', 'nosuchvol'],
    ['vol-create-from', 'default-pool', 'FILE:clone-a', 'x', '--inputpool', 'nosuch'],
    ['vol-resize', 'nosuchvol', '2M', '--pool', 'default-pool'],
    ['vol-resize', '/default-pool/nosuchvol', '2M'],
    ['vol-resize', 'nosuchvol', '--bogus', '2M'],
    ['vol-resize', 'nosuchvol', '2M', 'extra'],
    ['vol-resize', 'nosuchvol', '2M', 'extra', 'more'],
    ['vol-resize', 'nosuchvol', '2M', 'extra', '--pool', 'default-pool'],
    ['vol-wipe', 'nosuchvol'],
    ['vol-wipe', 'nosuchvol', '--pool', 'nosuch'],
    ['pool-create', '/nonexistent.xml'],
    ['pool-create', 'FILE:badPool'],
    ['pool-create', 'FILE:pool-a', '--build', '--overwrite'],
    ['pool-create', 'FILE:pool-a', '--overwrite', '--no-overwrite'],
    ['pool-define', 'FILE:badPool'],
    ['pool-define', '/nonexistent.xml'],
    ['pool-create-as', 'st-x', 'dir', '--target', '/st-x', '--print-xml'],
    ['pool-create-as', 'st-x', 'netfs', '--source-host', 'h', '--source-path', '/export', '--source-format', 'nfs', '--source-protocol-ver', '4', '--target', '/mnt', '--print-xml'],
    ['pool-create-as', 'st-x', 'iscsi', '--source-host', 'h', '--source-dev', 'iqn.x', '--source-initiator', 'iqn.init', '--auth-type', 'chap', '--auth-username', 'u', '--secret-usage', 'libvirtiscsi', '--print-xml'],
    ['pool-create-as', 'st-x', 'scsi', '--adapter-wwnn', '20000000c9831b4b', '--adapter-wwpn', '10000000c9831b4b', '--adapter-parent-wwnn', '2', '--adapter-parent-wwpn', '1', '--print-xml'],
    ['pool-create-as', 'st-x', 'scsi', '--adapter-name', 'host0', '--source-name', 'n', '--print-xml'],
    ['pool-create-as', 'st-x', 'rbd', '--secret-usage', 'a', '--secret-uuid', 'b'],
    ['pool-create-as', 'st-x', 'dir', '--build'],
    ['pool-create-as', 'st-x', 'dir', '--overwrite', '--no-overwrite'],
    ['pool-create-as', 'st-x', 'bogus'],
    ['pool-delete', 'nosuch'],
    ['pool-delete', 'default-pool'],
    ['pool-capabilities'],
    ['find-storage-pool-sources', 'logical'],
    ['find-storage-pool-sources', 'netfs', '--srcSpec', 'FILE:spec'],
    ['find-storage-pool-sources', 'netfs', '--srcSpec', '/nonexistent.xml'],
    ['find-storage-pool-sources', 'bogus'],
    ['find-storage-pool-sources-as', 'logical'],
    ['find-storage-pool-sources-as', 'netfs', '--host', 'h', '--port', '2049', '--initiator', 'iqn.x'],
    ['find-storage-pool-sources-as', 'netfs', '--port', '2049'],
    ['pool-event', '--list'],
    ['pool-event'],
    ['pool-event', '--event', 'bogus'],
    ['pool-event', '--event', 'lifecycle', '--timeout', '0'],
    ['pool-event', '--event', 'lifecycle', '--timeout', 'x'],
    ['pool-event', '--event', 'lifecycle', '--timeout', '1'],
    ['pool-event', '--event', 'refresh', '--pool', 'default-pool', '--timeout', '1'],
  ];
  it.each(table.map((row) => [row]))('%j', async (args) => {
    const argv = args.map((a) => (a.startsWith('FILE:') ? files[a.slice(5)]! : a === 'DIR' ? daemon.dir : a));
    expect(await onTest.mine(argv)).toEqual(await onTest.virsh(argv));
  });

  it('creates volumes and pools from XML and options as virsh, read back with virsh', async () => {
    const vol = (t: string) => ['vol-create', 'default-pool', files[`vol-${t}`]!];
    for (const args of [vol, (t: string) => [...vol(t), '--validate'], (t: string) => [...vol(t), '--prealloc-metadata']]) {
      expect(asTwin(await onTest.mine(args('a')), 'st-vol-a')).toEqual(asTwin(await onTest.virsh(args('b')), 'st-vol-b'));
    }
    const clone = (t: string) => ['vol-create-from', 'default-pool', files[`clone-${t}`]!, `st-vol-${t}`, '--inputpool', 'default-pool'];
    for (let i = 0; i < 2; i++) {
      expect(asTwin(asTwin(await onTest.mine(clone('a')), 'st-clone-a'), 'st-vol-a')).toEqual(asTwin(asTwin(await onTest.virsh(clone('b')), 'st-clone-b'), 'st-vol-b'));
    }
    // A volume found by key without --inputpool, and the wrong pool.
    const byKey = (t: string) => ['vol-create-from', 'default-pool', files[`clone-${t}`]!, `/default-pool/st-vol-${t}`];
    expect(asTwin(asTwin(await onTest.mine(byKey('a')), 'st-clone-a'), 'st-vol-a')).toEqual(asTwin(asTwin(await onTest.virsh(byKey('b')), 'st-clone-b'), 'st-vol-b'));
    for (const t of ['a', 'b']) {
      expect(asTwin(await onTest.mine(['vol-dumpxml', `st-clone-${t}`, '--pool', 'default-pool']), `st-clone-${t}`)).toEqual(asTwin(await onTest.virsh(['vol-dumpxml', `st-clone-${t}`, '--pool', 'default-pool']), `st-clone-${t}`));
    }
    expect(asTwin(await onTest.mine(['vol-info', 'st-clone-a', '--pool', 'default-pool']), 'st-clone-a')).toEqual(asTwin(await onTest.virsh(['vol-info', 'st-clone-b', '--pool', 'default-pool']), 'st-clone-b'));
    // The test driver resizes and wipes nothing: both refuse alike.
    for (const args of [['2M'], ['-1M'], ['-1M', '--shrink'], ['1M', '--delta'], ['abc'], ['1xB'], [' 4M']]) {
      expect(await onTest.mine(['vol-resize', 'st-vol-a', ...args, '--pool', 'default-pool'])).toEqual(await onTest.virsh(['vol-resize', 'st-vol-a', ...args, '--pool', 'default-pool']));
    }
    for (const args of [[], ['--algorithm', 'zero'], ['--algorithm', 'nnsa'], ['--algorithm', 'bogus']]) {
      expect(await onTest.mine(['vol-wipe', 'st-vol-a', '--pool', 'default-pool', ...args])).toEqual(await onTest.virsh(['vol-wipe', 'st-vol-a', '--pool', 'default-pool', ...args]));
    }
    expect(await onTest.mine(['vol-wipe', '/default-pool/st-vol-a'])).toEqual(await onTest.virsh(['vol-wipe', '/default-pool/st-vol-a']));
    expect(await onTest.mine(['vol-list', 'default-pool'])).toEqual(await onTest.virsh(['vol-list', 'default-pool']));

    for (const [command, file, name] of [['pool-create', 'pool', 'st-pool'], ['pool-define', 'defpool', 'st-defpool']] as const) {
      for (let i = 0; i < 2; i++) {
        expect(asTwin(await onTest.mine([command, files[`${file}-a`]!]), `${name}-a`)).toEqual(asTwin(await onTest.virsh([command, files[`${file}-b`]!]), `${name}-b`));
      }
    }
    expect(await onTest.mine(['pool-define', files['defpool-a']!, '--validate'])).toEqual(await onTest.virsh(['pool-define', files['defpool-a']!, '--validate']));
    const createAs = (t: string) => ['pool-create-as', `st-as-${t}`, 'dir', '--target', `/st-as-${t}`];
    for (let i = 0; i < 2; i++) expect(asTwin(await onTest.mine(createAs('a')), 'st-as-a')).toEqual(asTwin(await onTest.virsh(createAs('b')), 'st-as-b'));
    expect(await onTest.mine(['pool-list', '--all'])).toEqual(await onTest.virsh(['pool-list', '--all']));
    for (const t of ['a', 'b']) {
      const dump = (run: CliRun) => ({ ...run, out: run.out.split(`-${t}`).join('-TWIN').replace(/<uuid>.*<\/uuid>/, '') });
      for (const pool of [`st-pool-${t}`, `st-defpool-${t}`, `st-as-${t}`]) {
        expect(dump(await onTest.mine(['pool-dumpxml', pool]))).toEqual(dump(await onTest.virsh(['pool-dumpxml', pool])));
      }
    }
    // An active pool cannot be deleted, on either side.
    expect(asTwin(await onTest.mine(['pool-delete', 'st-pool-a']), 'st-pool-a')).toEqual(asTwin(await onTest.virsh(['pool-delete', 'st-pool-b']), 'st-pool-b'));
  });
});

describe('storage commands on the QEMU session daemon', () => {
  it('resizes and wipes volumes of a directory pool as virsh', async () => {
    for (const t of ['a', 'b']) {
      expect((await onQemu.virsh(['pool-create-as', `st-dir-${t}`, 'dir', '--target', poolDir(`st-dir-${t}`)])).code).toBe(0);
      expect((await onQemu.virsh(['vol-create-as', `st-dir-${t}`, `st-img-${t}`, '1M'])).code).toBe(0);
    }
    const steps: string[][] = [
      ['vol-resize', 'VOL', '2M', '--pool', 'POOL'],
      ['vol-resize', 'VOL', '1M', '--pool', 'POOL', '--delta', '--allocate'],
      ['vol-resize', 'VOL', '-1M', '--pool', 'POOL', '--shrink'],
      ['vol-resize', 'VOL', '1M', '--pool', 'POOL'],
      ['vol-resize', 'VOL', '1M', '--pool', 'POOL', '--shrink'],
      ['vol-resize', 'VOL', '-1M', '--pool', 'POOL'],
      ['vol-resize', 'PATH', '4M'],
      ['vol-info', 'VOL', '--pool', 'POOL'],
      ['vol-wipe', 'VOL', '--pool', 'POOL'],
      ['vol-wipe', 'VOL', '--pool', 'POOL', '--algorithm', 'zero'],
      ['vol-wipe', 'VOL', '--pool', 'POOL', '--algorithm', 'trim'],
      ['vol-wipe', 'PATH'],
      ['vol-wipe', 'VOL', '--pool', 'OTHER'],
      ['vol-wipe', 'PATH', '--pool', 'OTHER'],
      ['vol-info', 'VOL', '--pool', 'POOL'],
    ];
    for (const step of steps) {
      const argv = (t: string, other: string) =>
        step.map((s) => (s === 'VOL' ? `st-img-${t}` : s === 'POOL' ? `st-dir-${t}` : s === 'OTHER' ? `st-dir-${other}` : s === 'PATH' ? `${poolDir(`st-dir-${t}`)}/st-img-${t}` : s));
      // Each side's own volume and pool, and the other side's pool, under one name each.
      const norm = (run: CliRun, self: string, other: string) => {
        const swap = (text: string) => text.split(`st-img-${self}`).join('IMG').split(`st-dir-${self}`).join('DIR').split(`st-dir-${other}`).join('OTHER');
        return { ...run, out: swap(run.out), err: swap(run.err) };
      };
      const m = norm(await onQemu.mine(argv('a', 'b')), 'a', 'b');
      const t = norm(await onQemu.virsh(argv('b', 'a')), 'b', 'a');
      expect([step, m]).toEqual([step, t]);
    }
    for (const t of ['a', 'b']) await onQemu.virsh(['pool-destroy', `st-dir-${t}`]);
  });

  it('deletes a pool\'s directory as virsh, and reports the pool capabilities', async () => {
    for (const t of ['a', 'b']) {
      expect((await onQemu.virsh(['pool-define-as', `st-del-${t}`, 'dir', '--target', join(poolDir(`st-del-parent-${t}`), 'pool')])).code).toBe(0);
      expect((await onQemu.virsh(['pool-build', `st-del-${t}`])).code).toBe(0);
    }
    for (let i = 0; i < 2; i++) {
      expect(asTwin(await onQemu.mine(['pool-delete', 'st-del-a']), 'st-del-parent-a', 'st-del-a')).toEqual(asTwin(await onQemu.virsh(['pool-delete', 'st-del-b']), 'st-del-parent-b', 'st-del-b'));
    }
    expect(await onQemu.mine(['pool-capabilities'])).toEqual(await onQemu.virsh(['pool-capabilities']));
    expect(await onQemu.mine(['find-storage-pool-sources', 'dir'])).toEqual(await onQemu.virsh(['find-storage-pool-sources', 'dir']));
  });

  it('vol-create and vol-create-from in a directory pool copy the data as virsh', async () => {
    for (const t of ['a', 'b']) {
      expect((await onQemu.virsh(['pool-create-as', `st-cp-${t}`, 'dir', '--target', poolDir(`st-cp-${t}`)])).code).toBe(0);
    }
    const vol = (t: string) => ['vol-create', `st-cp-${t}`, files[`vol-${t}`]!];
    for (const extra of [[], ['--prealloc-metadata']]) {
      expect(asTwin(await onQemu.mine([...vol('a'), ...extra]), 'st-vol-a')).toEqual(asTwin(await onQemu.virsh([...vol('b'), ...extra]), 'st-vol-b'));
    }
    const from = (t: string) => ['vol-create-from', `st-cp-${t}`, files[`clone-${t}`]!, `st-vol-${t}`, '--inputpool', `st-cp-${t}`, '--reflink'];
    const m = asTwin(await onQemu.mine(from('a')), 'st-clone-a', 'st-vol-a', 'st-cp-a');
    expect(m).toEqual(asTwin(await onQemu.virsh(from('b')), 'st-clone-b', 'st-vol-b', 'st-cp-b'));
    const plain = (t: string) => ['vol-create-from', `st-cp-${t}`, files[`clone-${t}`]!, `st-vol-${t}`, '--inputpool', `st-cp-${t}`];
    if (m.code) expect(asTwin(asTwin(await onQemu.mine(plain('a')), 'st-clone-a'), 'st-vol-a')).toEqual(asTwin(asTwin(await onQemu.virsh(plain('b')), 'st-clone-b'), 'st-vol-b'));
    for (const t of ['a', 'b']) {
      expect((await onQemu.virsh(['vol-info', `st-clone-${t}`, '--pool', `st-cp-${t}`])).out).toMatch(/Capacity:\s+2\.00 MiB/);
      await onQemu.virsh(['pool-destroy', `st-cp-${t}`]);
    }
  });
});

describe('pool-event waits for events as virsh', () => {
  /** Runs `run` while `poke` makes events, every tenth of a second, until it ends: the watcher is caught whenever it starts listening. */
  async function whilePoking(run: Promise<CliRun>, poke: () => Promise<unknown>): Promise<CliRun> {
    let done = false;
    const result = run.finally(() => (done = true));
    const deadline = Date.now() + 60_000;
    while (!done && Date.now() < deadline) {
      await poke();
      await Promise.race([result, new Promise((r) => setTimeout(r, 100))]);
    }
    return result;
  }

  const refresh = async () => keeper.storagePoolRefresh(await keeper.storagePoolLookupByName('default-pool'), 0);

  it('one refresh event, then done', async () => {
    const args = ['pool-event', '--event', 'refresh', '--pool', 'default-pool', '--timeout', '60'];
    const m = await whilePoking(onTest.mine(args), refresh);
    const t = await whilePoking(onTest.virsh(args), refresh);
    expect(m).toEqual(t);
    expect(m).toEqual({ out: "event 'refresh' for storage pool default-pool\nevents received: 1\n\n", err: '', code: 0 });
  });

  it('--loop --timestamp until the timeout, each event stamped', async () => {
    const args = ['pool-event', '--event', 'refresh', '--loop', '--timestamp', '--timeout', '2'];
    const shape = (run: CliRun) => {
      const lines = run.out.split('\n');
      const events = lines.filter((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: event 'refresh' for storage pool default-pool$/.test(l));
      expect(run.out).toBe(`${events.join('\n')}\nevent loop timed out\nevents received: ${events.length}\n\n`);
      expect(events.length).toBeGreaterThan(0);
      return { err: run.err, code: run.code };
    };
    expect(shape(await whilePoking(onTest.mine(args), refresh))).toEqual(shape(await whilePoking(onTest.virsh(args), refresh)));
  });

  it('a lifecycle event of a pool stopped or started', async () => {
    const args = ['pool-event', '--event', 'lifecycle', '--pool', 'default-pool', '--timeout', '60'];
    const pool = await keeper.storagePoolLookupByName('default-pool');
    // Stopping and starting the pool again: the first event seen is either.
    const toggle = async () => ((await keeper.storagePoolIsActive(pool)) ? keeper.storagePoolDestroy(pool) : keeper.storagePoolCreate(pool, 0));
    const form = (run: CliRun) => ({ ...run, out: run.out.replace(/: (Started|Stopped)\n/, ': EVENT\n') });
    const m = form(await whilePoking(onTest.mine(args), toggle));
    const t = form(await whilePoking(onTest.virsh(args), toggle));
    expect(m).toEqual(t);
    expect(m.out).toBe("event 'lifecycle' for storage pool default-pool: EVENT\nevents received: 1\n\n");
    if (!(await keeper.storagePoolIsActive(pool))) await keeper.storagePoolCreate(pool, 0);
  });
});
