/**
 * Live migration of a running QEMU/TCG guest between two real daemons on this machine
 * (test/harness/migration-hosts.ts): managed and peer-to-peer, transient and persistent, with
 * the guest's serial counter going on at the destination without a reboot; an abort during a
 * bandwidth-limited migration, which leaves the guest running on the source and nothing on the
 * destination; and python3-libvirt's migrate3 on the same daemons, which must end in the same
 * state as ours. And the command's migration commands against virsh's on the same daemons.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type Connection, type Domain, AbortError, Fleet, MigrationError, VIR_ERR_NO_DOMAIN, connect, type DrainResult, type MigrationProgress } from '../../src/index.js';
import { runCli } from '../../src/cli/main.js';
import { type MigrationHosts, startMigrationHosts, ticks, waitTicks } from '../harness/migration-hosts.js';
import { REPO } from '../harness/repo.js';
import { clientEnv, pythonLibvirt } from '../helpers/libvirtd.js';

const banners = (serial: string) => serial.split('MIGTEST up').length - 1;

describe('live migration between two daemons', () => {
  let hosts: MigrationHosts;
  let src: Connection;
  let dst: Connection;

  beforeAll(async () => {
    hosts = await startMigrationHosts();
    [src, dst] = await Promise.all([connect(hosts.src.qemuUri), connect(hosts.dst.qemuUri)]);
  }, 180_000);
  afterAll(async () => {
    for (const conn of [src, dst]) {
      for (const dom of (await conn?.domains.listAll().catch(() => [])) ?? []) {
        await dom.destroy().catch(() => {});
        await dom.undefine().catch(() => {});
      }
      await conn?.close();
    }
    await hosts?.stop();
  }, 120_000);

  /** Where a guest is: its state on each host (null where the host has no such guest) and whether it is persistent. */
  async function whereIs(name: string) {
    const on = async (conn: Connection) => {
      const dom = await conn.domains.lookupByName(name).catch((e: { code?: number }) => {
        if (e.code === VIR_ERR_NO_DOMAIN) return null;
        throw e;
      });
      return dom && { ...(await dom.getState()), persistent: await dom.isPersistent() };
    };
    return { source: await on(src), destination: await on(dst) };
  }

  async function running(name: string, xml = hosts.guestXml(name)): Promise<{ dom: Domain; ticked: number }> {
    const dom = await src.domains.createXML(xml);
    return { dom, ticked: await waitTicks(() => hosts.serial(name), 0, 1) };
  }

  it('managed live migration: the guest keeps counting on the destination, is gone from the source, and was watched on the way', async () => {
    const { dom, ticked } = await running('migmanaged');
    const seen: MigrationProgress[] = [];
    const events: string[] = [];
    const { domain, protocol } = await dom.migrate(dst, { live: true, uri: 'tcp://127.0.0.1', onProgress: (p) => seen.push(p), progressIntervalMs: 50, onEvent: (e) => events.push(e.type) });
    expect(protocol).toBe('params');
    // The source daemon announces each pass over the guest's memory while the data moves.
    expect(events).toContain('iteration');
    expect(domain!.conn).toBe(dst);
    expect(await whereIs('migmanaged')).toEqual({ source: null, destination: { state: 'running', reason: 'migrated', persistent: false } });
    // One stream of ticks across both QEMUs, and one banner: the guest never rebooted.
    await waitTicks(() => hosts.serial('migmanaged'), ticks(hosts.serial('migmanaged')), 2);
    expect(ticks(hosts.serial('migmanaged'))).toBeGreaterThan(ticked);
    expect(banners(hosts.serial('migmanaged'))).toBe(1);
    for (const p of seen) expect(p.dataTotal).toBeGreaterThanOrEqual(p.dataProcessed);
    await domain!.destroy();
  }, 120_000);

  it('peer-to-peer back over TCP: one call to the destination daemon, which migrates by itself', async () => {
    const { dom, ticked } = await running('migp2p');
    await dom.migrateToURI(hosts.dstTcpUri, { live: true, peer2peer: true, uri: 'tcp://127.0.0.1' });
    expect(await whereIs('migp2p')).toEqual({ source: null, destination: { state: 'running', reason: 'migrated', persistent: false } });
    await waitTicks(() => hosts.serial('migp2p'), ticked, 2);
    // And back, through the handle form that looks the guest up at the end.
    const there = await dst.domains.lookupByName('migp2p');
    const back = await there.migrateToURI(hosts.srcTcpUri, { live: true, peer2peer: true, uri: 'tcp://127.0.0.1' });
    expect(back.domain).toBeNull();
    expect(await whereIs('migp2p')).toEqual({ source: { state: 'running', reason: 'migrated', persistent: false }, destination: null });
    expect(banners(hosts.serial('migp2p'))).toBe(1);
    await (await src.domains.lookupByName('migp2p')).destroy();
  }, 120_000);

  it('persistDest + undefineSource: a defined guest ends persistent on the destination and nowhere else', async () => {
    const defined = await src.domains.defineXML(hosts.guestXml('migpersist'));
    await defined.create();
    await waitTicks(() => hosts.serial('migpersist'), 0, 1);
    const { domain } = await defined.migrate(dst, { live: true, persistDest: true, undefineSource: true, uri: 'tcp://127.0.0.1' });
    expect(await whereIs('migpersist')).toEqual({ source: null, destination: { state: 'running', reason: 'migrated', persistent: true } });
    await domain!.destroy();
    await domain!.undefine();
  }, 120_000);

  it('python3-libvirt migrate3 ends where ours does', async () => {
    const { dom } = await running('migours');
    await dom.migrate(dst, { live: true, uri: 'tcp://127.0.0.1' });
    const ours = await whereIs('migours');
    await running('migpython');
    const py = await pythonLibvirt(
      hosts.src,
      hosts.src.qemuUri,
      `d = libvirt.open(${JSON.stringify(hosts.dst.qemuUri)})\nnd = conn.lookupByName('migpython').migrate3(d, {libvirt.VIR_MIGRATE_PARAM_URI: 'tcp://127.0.0.1'}, libvirt.VIR_MIGRATE_LIVE)\nprint(json.dumps(nd.state()))`,
    );
    expect(py).toEqual([1, 2]); // running, migrated
    expect(await whereIs('migpython')).toEqual(ours);
    for (const name of ['migours', 'migpython']) await (await dst.domains.lookupByName(name)).destroy();
  }, 120_000);

  it('an abort during a bandwidth-limited migration leaves the guest running on the source and nothing on the destination', async () => {
    const { dom, ticked } = await running('migbig', hosts.guestXml('migbig', 256));
    const ctl = new AbortController();
    const job = dom.migrate(dst, { live: true, bandwidth: 1, uri: 'tcp://127.0.0.1', signal: ctl.signal, progressIntervalMs: 100 });
    let moving: MigrationProgress | undefined;
    for await (const p of job.progress()) {
      // Abort once the data is moving: 1 MiB/s against about 240 MiB leaves minutes to do it.
      if (p.dataProcessed > 0) {
        moving = p;
        ctl.abort();
        break;
      }
    }
    const err = await job.then(null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).cause).toBeInstanceOf(MigrationError);
    expect(moving!.dataTotal).toBeGreaterThan(200 * 1048576);
    expect(moving!.dataRemaining).toBeGreaterThan(100 * 1048576);
    const where = await whereIs('migbig');
    expect(where.destination).toBeNull();
    expect(where.source?.state).toBe('running');
    await waitTicks(() => hosts.serial('migbig'), Math.max(ticked, ticks(hosts.serial('migbig'))), 1);
    expect(banners(hosts.serial('migbig'))).toBe(1);
    await dom.destroy();
  }, 180_000);

  it('a failing phase says which: a destination that already has the guest refuses Prepare, and the guest stays on the source', async () => {
    const { dom } = await running('migtwice');
    await dst.domains.createXML(hosts.guestXml('migtwice').replace('<memory', "<uuid>00000000-0000-4000-8000-000000000001</uuid><memory"));
    const err = (await dom.migrate(dst, { live: true, uri: 'tcp://127.0.0.1' }).then(null, (e: unknown) => e)) as MigrationError;
    expect(err).toBeInstanceOf(MigrationError);
    expect([err.phase, err.host, err.guest]).toEqual(['prepare', 'destination', 'source']);
    expect((await whereIs('migtwice')).source?.state).toBe('running');
    await dom.destroy();
    await (await dst.domains.lookupByName('migtwice')).destroy();
  }, 120_000);

  it('a fleet moves a guest between two of its hosts by name, and drains a host onto the others, reporting each guest', async () => {
    const fleet = await Fleet.connect([hosts.src.qemuUri, hosts.dst.qemuUri], { connection: { reconnect: false } });
    try {
      await running('migfleet');
      const moved = await fleet.migrate('migfleet', hosts.src.qemuUri, hosts.dst.qemuUri, { uri: 'tcp://127.0.0.1' });
      expect(moved.domain?.name).toBe('migfleet');
      expect((await whereIs('migfleet')).destination?.reason).toBe('migrated');
      // Drain the destination: its two guests go back to the source, one at a time.
      await dst.domains.createXML(hosts.guestXml('migfleet2'));
      const reported: DrainResult[] = [];
      const results = await fleet.drain(hosts.dst.qemuUri, { uri: 'tcp://127.0.0.1', concurrency: 1, onResult: (r) => reported.push(r) });
      expect(results.map((r) => [r.name, r.ok, r.to]).sort()).toEqual([['migfleet', true, hosts.src.qemuUri], ['migfleet2', true, hosts.src.qemuUri]]);
      expect(reported).toHaveLength(2);
      expect((await dst.domains.listAll()).filter((d) => d.id >= 0)).toEqual([]);
      for (const name of ['migfleet', 'migfleet2']) {
        expect((await whereIs(name)).source?.state).toBe('running');
        await (await src.domains.lookupByName(name)).destroy();
      }
    } finally {
      await fleet.close();
    }
  }, 180_000);

  describe('the command, against virsh', () => {
    const ours = async (...args: string[]) => {
      let out = '';
      let err = '';
      const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: clientEnv(hosts.src) });
      return { code, out, err };
    };
    const theirs = (...args: string[]) => {
      const r = spawnSync('virsh', args, { env: clientEnv(hosts.src), encoding: 'utf8' });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const PROGRESS = /^(\rMigration: \[ {0,2}\d{1,3} %\])*\rMigration: \[100 %\]$/;

    it('migrate --live --verbose prints what virsh prints, and domjobinfo --completed the same statistics', async () => {
      await running('migcli');
      const mine = await ours('-c', hosts.src.qemuUri, 'migrate', '--live', '--verbose', 'migcli', hosts.dst.qemuUri, 'tcp://127.0.0.1');
      expect(mine.code).toBe(0);
      expect(mine.out).toBe('\n');
      expect(mine.err).toMatch(PROGRESS);
      expect((await whereIs('migcli')).destination?.reason).toBe('migrated');
      // The destination keeps the incoming job's statistics; both read them and keep them.
      const info = await ours('-c', hosts.dst.qemuUri, 'domjobinfo', 'migcli', '--completed', '--keep-completed');
      expect(info).toEqual({ ...theirs('-c', hosts.dst.qemuUri, 'domjobinfo', 'migcli', '--completed', '--keep-completed'), code: 0 });
      expect(info.out).toMatch(/^Job type: {9}Completed   \nOperation: {8}Incoming migration\n/);
      expect(info.out).toContain('Total downtime:');
      // And back with virsh: the same kind of output.
      const back = theirs('-c', hosts.dst.qemuUri, 'migrate', '--live', '--verbose', '--p2p', 'migcli', hosts.srcTcpUri, 'tcp://127.0.0.1');
      expect(back.code).toBe(0);
      expect(back.out).toBe('\n');
      expect(back.err).toMatch(PROGRESS);
      expect(await ours('-c', hosts.src.qemuUri, 'domjobinfo', 'migcli')).toEqual({ code: 0, out: 'Job type:         None        \n\n', err: '' });
      expect(theirs('-c', hosts.src.qemuUri, 'domjobinfo', 'migcli').out).toBe('Job type:         None        \n\n');
      await (await src.domains.lookupByName('migcli')).destroy();
    }, 120_000);

    it('sets and reads the speed and the downtime as virsh does, and fails as virsh fails', async () => {
      await running('migspeed');
      const on = ['-c', hosts.src.qemuUri];
      expect(await ours(...on, 'migrate-setspeed', 'migspeed', '123')).toEqual({ code: 0, out: '\n', err: '' });
      expect(await ours(...on, 'migrate-getspeed', 'migspeed')).toEqual({ ...theirs(...on, 'migrate-getspeed', 'migspeed'), code: 0 });
      expect(theirs(...on, 'migrate-getspeed', 'migspeed').out).toBe('123\n\n');
      expect(await ours(...on, 'migrate-getspeed', 'migspeed', '--postcopy')).toEqual({ ...theirs(...on, 'migrate-getspeed', 'migspeed', '--postcopy'), code: 0 });
      expect(await ours(...on, 'migrate-setmaxdowntime', 'migspeed', '450')).toEqual({ code: 0, out: '\n', err: '' });
      expect(theirs(...on, 'migrate-getmaxdowntime', 'migspeed').out).toBe('450\n\n');
      expect(await ours(...on, 'migrate-getmaxdowntime', 'migspeed')).toEqual({ code: 0, out: '450\n\n', err: '' });
      for (const args of [['domjobabort', 'migspeed'], ['migrate-postcopy', 'migspeed'], ['migrate', '--live', '--p2p', 'migspeed', 'qemu:///session'], ['migrate', 'no-such', hosts.dstTcpUri]]) {
        const v = theirs(...on, ...args);
        const m = await ours(...on, ...args);
        expect({ code: m.code, err: m.err }).toEqual({ code: v.code, err: v.err });
        expect(m.code).toBe(1);
      }
      await (await src.domains.lookupByName('migspeed')).destroy();
    }, 120_000);

    it('Ctrl-C during migrate aborts the job on the daemon, with virsh\'s message and exit status; the guest runs on the source', async () => {
      await running('migint', hosts.guestXml('migint', 256));
      const bin = join(REPO, 'src/cli/bin.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', bin, '-c', hosts.src.qemuUri, 'migrate', '--live', '--verbose', '--bandwidth', '1', 'migint', hosts.dst.qemuUri, 'tcp://127.0.0.1'], { env: clientEnv(hosts.src), cwd: REPO });
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString('latin1')));
      const exited = new Promise<number | null>((res) => child.on('exit', res));
      // Wait for a progress line: the data is moving (at 1 MiB/s, for minutes).
      const deadline = Date.now() + 60_000;
      while (!/Migration: \[ *\d+ %\]/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGINT');
      expect(await exited).toBe(1);
      expect(err).toMatch(/^(\rMigration: \[ {0,2}\d{1,2} %\])+error: operation aborted: job 'migration out' canceled by client\n$/);
      const where = await whereIs('migint');
      expect([where.source?.state, where.destination]).toEqual(['running', null]);
      await (await src.domains.lookupByName('migint')).destroy();
    }, 180_000);
  });

  // Last: it kills the destination daemon.
  it('a destination daemon killed while the data moves: the source job is aborted at once, the guest runs on the source, and the caller is told the destination failed', async () => {
    const { dom, ticked } = await running('migkill', hosts.guestXml('migkill', 256));
    const job = dom.migrate(dst, { live: true, bandwidth: 1, uri: 'tcp://127.0.0.1', progressIntervalMs: 100 });
    for await (const p of job.progress()) if (p.dataProcessed > 0) break;
    hosts.dst.kill('SIGKILL');
    const err = (await job.then(null, (e: unknown) => e)) as MigrationError;
    expect(err).toBeInstanceOf(MigrationError);
    expect([err.phase, err.host, err.guest]).toEqual(['perform', 'destination', 'source']);
    expect(await dom.getState()).toEqual({ state: 'running', reason: 'booted' });
    await waitTicks(() => hosts.serial('migkill'), Math.max(ticked, ticks(hosts.serial('migkill'))), 1);
    await dom.destroy();
  }, 180_000);
});
