/**
 * The client-driven migration against two fake daemons: the calls of each phase on each host
 * (as libvirt's library makes them), the cookies and the domain XML handed along, and what
 * happens when any phase fails, either connection is lost, or the caller aborts: which calls
 * follow with `cancelled`, and what the caller is told.
 */
import { connect } from '../../src/api/connect.js';
import type { Connection } from '../../src/api/connection.js';
import { MIGRATE_FLAGS, MIGRATE_PARAMS, type MigrateOptions, migrationArguments, startMigration } from '../../src/api/migrate.js';
import { AbortError, ConnectionError, MigrationError, NotSupportedError } from '../../src/errors.js';
import * as constants from '../../protocol/constants.js';
import type { RemoteNonnullDomain } from '../../protocol/remote.js';
import { FakeDaemon } from '../../src/testing/fake-daemon.js';
import { typedParamsFromWire } from '../../src/xdr/typed-params.js';

const { VIR_MIGRATE_LIVE, VIR_MIGRATE_PAUSED, VIR_MIGRATE_CHANGE_PROTECTION, VIR_ERR_OPERATION_ABORTED, VIR_ERR_OPERATION_FAILED, VIR_ERR_MIGRATE_FINISH_OK, VIR_FROM_QEMU } = constants;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const GUEST: RemoteNonnullDomain = { name: 'web1', uuid: new Uint8Array(16).fill(7), id: 3 };
const MOVED: RemoteNonnullDomain = { name: 'web1', uuid: new Uint8Array(16).fill(7), id: 9 };
const DRV_MIGRATION_PARAMS = 13;
const DRV_CHANGE_PROTECTION = 7;

interface Seen {
  [call: string]: { params?: Record<string, unknown>; cookie?: string; flags?: number; cancelled?: number; dconnuri?: string | null };
}

/** Two fake daemons that migrate successfully unless a test changes a handler; what each call carried is recorded. */
function hosts(opts: { paused?: boolean; lacking?: { src?: number[]; dst?: number[] } } = {}) {
  const src = new FakeDaemon();
  const dst = new FakeDaemon();
  const seen: Seen = {};
  const params = (p: Parameters<typeof typedParamsFromWire>[0]) => ({ ...typedParamsFromWire(p) });
  for (const [d, lacking] of [[src, opts.lacking?.src ?? []], [dst, opts.lacking?.dst ?? []]] as const) {
    d.handle('connectSupportsFeature', ({ feature }) => ({ supported: lacking.includes(feature) ? 0 : 1 }));
  }
  src.handle('domainMigrateBegin3Params', (a) => {
    seen.begin = { params: params(a.params), flags: a.flags };
    return { cookie_out: bytes('cookie-begin'), xml: '<domain>from begin</domain>' };
  });
  src.handle('domainGetState', () => ({ state: opts.paused ? 3 : 1, reason: 1 }));
  dst.handle('domainMigratePrepare3Params', (a) => {
    seen.prepare = { params: params(a.params), cookie: text(a.cookie_in), flags: a.flags };
    return { cookie_out: bytes('cookie-prepare'), uri_out: 'tcp://10.0.0.2:49152' };
  });
  src.handle('domainMigratePerform3Params', (a) => {
    seen.perform = { params: params(a.params), cookie: text(a.cookie_in), flags: a.flags, dconnuri: a.dconnuri };
    return { cookie_out: bytes('cookie-perform') };
  });
  dst.handle('domainMigrateFinish3Params', (a, ctx) => {
    seen.finish = { params: params(a.params), cookie: text(a.cookie_in), flags: a.flags, cancelled: a.cancelled };
    // As the QEMU driver: a cancelled Finish drops the incoming guest and says so with an error.
    if (a.cancelled) return ctx.error({ code: VIR_ERR_MIGRATE_FINISH_OK, message: 'migration successfully aborted', domain: VIR_FROM_QEMU });
    return { dom: MOVED, cookie_out: bytes('cookie-finish') };
  });
  src.handle('domainMigrateConfirm3Params', (a) => {
    seen.confirm = { cookie: text(a.cookie_in), flags: a.flags, cancelled: a.cancelled };
  });
  return { src, dst, seen };
}

const phaseCalls = (d: FakeDaemon) => d.calls.filter((c) => /Migrate|GetState|AbortJob|GetJobStats|Suspend|LookupByName/.test(c));
const open = (d: FakeDaemon, uri = 'qemu:///system') => connect(uri, { dialer: d.dialer(), keepalive: false });
const fail = (code: number, message: string, domain = VIR_FROM_QEMU) => (_a: unknown, ctx: { error: (e: { code: number; message: string; domain: number }) => void }) => ctx.error({ code, message, domain });
const deferred = <T = void>() => {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

/** A Perform that moves data until the source's job is aborted, then fails as QEMU's does; resolves once it has started. */
function abortablePerform(h: ReturnType<typeof hosts>) {
  const performing = deferred();
  const aborted = deferred();
  h.src.handle('domainAbortJob', () => aborted.resolve());
  h.src.handle('domainMigratePerform3Params', async (_a, ctx) => {
    performing.resolve();
    await aborted.promise;
    ctx.error({ code: VIR_ERR_OPERATION_ABORTED, message: "operation aborted: job 'migration out' canceled by client", domain: VIR_FROM_QEMU });
  });
  return performing;
}

let conns: Connection[] = [];
async function pair(h: ReturnType<typeof hosts>): Promise<[Connection, Connection]> {
  const s = await open(h.src);
  const d = await open(h.dst, 'qemu+tcp://10.0.0.2/system');
  conns.push(s, d);
  return [s, d];
}
afterEach(async () => {
  await Promise.all(conns.map((c) => c.close().catch(() => {})));
  conns = [];
});

describe('a managed migration runs the five phases as libvirt does', () => {
  it('hands the cookies, the XML and the destination URI along, and resolves with the guest on the destination', async () => {
    const h = hosts();
    const [s, d] = await pair(h);
    const r = await startMigration(s, GUEST, d, { live: true, bandwidth: 100, uri: 'tcp://10.0.0.2' });
    expect(r).toEqual({ domain: MOVED, protocol: 'params' });
    expect(phaseCalls(h.src)).toEqual(['domainMigrateBegin3Params', 'domainGetState', 'domainMigratePerform3Params', 'domainMigrateConfirm3Params']);
    expect(phaseCalls(h.dst)).toEqual(['domainMigratePrepare3Params', 'domainMigrateFinish3Params']);
    // Change protection is added for the source's calls only, and the bandwidth travels as an ullong.
    expect(h.seen.begin).toEqual({ params: { migrate_uri: 'tcp://10.0.0.2', bandwidth: 100n }, flags: VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION });
    expect(h.seen.prepare).toEqual({ params: { migrate_uri: 'tcp://10.0.0.2', bandwidth: 100n, destination_xml: '<domain>from begin</domain>' }, cookie: 'cookie-begin', flags: VIR_MIGRATE_LIVE });
    expect(h.seen.perform).toMatchObject({ cookie: 'cookie-prepare', dconnuri: null, flags: VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION });
    expect(h.seen.perform!.params!.migrate_uri).toBe('tcp://10.0.0.2:49152'); // what Prepare chose
    expect(h.seen.finish).toMatchObject({ cookie: 'cookie-perform', cancelled: 0, flags: VIR_MIGRATE_LIVE });
    expect(h.seen.finish!.params!.destination_name).toBe('web1');
    expect(h.seen.confirm).toEqual({ cookie: 'cookie-finish', cancelled: 0, flags: VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION });
  });

  it('keeps a paused guest paused on the destination, and leaves out change protection where the source lacks it', async () => {
    const h = hosts({ paused: true, lacking: { src: [DRV_CHANGE_PROTECTION] } });
    const [s, d] = await pair(h);
    await startMigration(s, GUEST, d, { live: true });
    expect(h.seen.begin!.flags).toBe(VIR_MIGRATE_LIVE);
    expect(h.seen.prepare!.flags).toBe(VIR_MIGRATE_LIVE | VIR_MIGRATE_PAUSED);
    expect(h.seen.perform!.flags).toBe(VIR_MIGRATE_LIVE | VIR_MIGRATE_PAUSED);
  });

  it('falls back to the fixed version 3 calls when a daemon lacks extensible parameters, and refuses parameters those cannot carry', async () => {
    const h = hosts({ lacking: { dst: [DRV_MIGRATION_PARAMS] } });
    h.src.handle('domainMigrateBegin3', (a) => ((h.seen.begin = { flags: Number(a.flags) }), { cookie_out: bytes('b'), xml: '<domain/>' }));
    h.dst.handle('domainMigratePrepare3', (a) => ((h.seen.prepare = { cookie: text(a.cookie_in) }), { cookie_out: bytes('p'), uri_out: 'tcp://10.0.0.2:49153' }));
    h.src.handle('domainMigratePerform3', (a) => ((h.seen.perform = { cookie: text(a.cookie_in), params: { uri: a.uri } }), { cookie_out: bytes('f') }));
    h.dst.handle('domainMigrateFinish3', (a) => ((h.seen.finish = { cookie: text(a.cookie_in), cancelled: a.cancelled, params: { dname: a.dname } }), { dom: MOVED, cookie_out: bytes('c') }));
    h.src.handle('domainMigrateConfirm3', (a) => void (h.seen.confirm = { cookie: text(a.cookie_in), cancelled: a.cancelled }));
    const [s, d] = await pair(h);
    expect(await startMigration(s, GUEST, d, { live: true, bandwidth: 5 })).toEqual({ domain: MOVED, protocol: 'v3' });
    expect(phaseCalls(h.src)).toEqual(['domainMigrateBegin3', 'domainGetState', 'domainMigratePerform3', 'domainMigrateConfirm3']);
    expect(h.seen).toMatchObject({ prepare: { cookie: 'b' }, perform: { cookie: 'p', params: { uri: 'tcp://10.0.0.2:49153' } }, finish: { cookie: 'f', cancelled: 0, params: { dname: 'web1' } }, confirm: { cookie: 'c', cancelled: 0 } });

    const before = h.src.calls.length;
    const err = await startMigration(s, GUEST, d, { live: true, compression: ['zstd'] }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NotSupportedError);
    expect((err as Error).message).toContain('compression');
    expect(phaseCalls({ calls: h.src.calls.slice(before) } as FakeDaemon)).toEqual([]);
  });
});

describe('when a phase fails, the phases after it cancel as libvirt cancels, and the error names the phase, the host and the guest', () => {
  it('Begin fails: nothing else is called', async () => {
    const h = hosts();
    h.src.handle('domainMigrateBegin3Params', fail(55, 'Requested operation is not valid: domain is not running'));
    const [s, d] = await pair(h);
    const err = (await startMigration(s, GUEST, d, { live: true }).then(null, (e: unknown) => e)) as MigrationError;
    expect(err).toBeInstanceOf(MigrationError);
    expect([err.phase, err.host, err.guest, err.code]).toEqual(['begin', 'source', 'source', 55]);
    expect(err.message).toBe('migration failed in begin on the source: Requested operation is not valid: domain is not running (the guest runs on the source)');
    expect(phaseCalls(h.dst)).toEqual([]);
  });

  it('Prepare fails: Confirm cancels the job Begin started (with change protection), and only then', async () => {
    for (const [lacking, confirmed] of [[[], true], [[DRV_CHANGE_PROTECTION], false]] as const) {
      const h = hosts({ lacking: { src: [...lacking] } });
      h.dst.handle('domainMigratePrepare3Params', fail(1, 'internal error: Attempt to migrate guest to the same host'));
      const [s, d] = await pair(h);
      const err = (await startMigration(s, GUEST, d).then(null, (e: unknown) => e)) as MigrationError;
      expect([err.phase, err.host, err.guest]).toEqual(['prepare', 'destination', 'source']);
      expect(phaseCalls(h.src)).toEqual(['domainMigrateBegin3Params', 'domainGetState', ...(confirmed ? ['domainMigrateConfirm3Params'] : [])]);
      if (confirmed) expect(h.seen.confirm!.cancelled).toBe(1);
    }
  });

  it('Perform fails: Finish is told it was cancelled, and the source (which knows) gets no Confirm', async () => {
    const h = hosts();
    h.src.handle('domainMigratePerform3Params', fail(VIR_ERR_OPERATION_FAILED, 'operation failed: migration out job: unexpectedly failed'));
    h.dst.handle('domainMigrateFinish3Params', (a, ctx) => {
      h.seen.finish = { cancelled: a.cancelled };
      ctx.error({ code: VIR_ERR_MIGRATE_FINISH_OK, message: 'migration successfully aborted', domain: VIR_FROM_QEMU });
    });
    const [s, d] = await pair(h);
    const err = (await startMigration(s, GUEST, d, { live: true }).then(null, (e: unknown) => e)) as MigrationError;
    expect([err.phase, err.host, err.guest, err.code]).toEqual(['perform', 'source', 'source', VIR_ERR_OPERATION_FAILED]);
    expect(h.seen.finish!.cancelled).toBe(1);
    expect(phaseCalls(h.src)).not.toContain('domainMigrateConfirm3Params');
  });

  it("Perform's 'operation failed' gives way to the destination's own reason when the guest died there", async () => {
    const h = hosts();
    h.src.handle('domainMigratePerform3Params', fail(VIR_ERR_OPERATION_FAILED, 'operation failed: migration out job: unexpectedly failed'));
    h.dst.handle('domainMigrateFinish3Params', fail(1, 'internal error: qemu unexpectedly closed the monitor'));
    const [s, d] = await pair(h);
    const err = (await startMigration(s, GUEST, d).then(null, (e: unknown) => e)) as MigrationError;
    expect([err.phase, err.host]).toEqual(['finish', 'destination']);
    expect(err.message).toContain('qemu unexpectedly closed the monitor');
  });

  it('Finish fails: Confirm resumes the guest on the source (cancelled)', async () => {
    const h = hosts();
    h.dst.handle('domainMigrateFinish3Params', fail(1, 'internal error: guest failed to start'));
    const [s, d] = await pair(h);
    const err = (await startMigration(s, GUEST, d).then(null, (e: unknown) => e)) as MigrationError;
    expect([err.phase, err.host, err.guest]).toEqual(['finish', 'destination', 'source']);
    expect(h.seen.confirm!.cancelled).toBe(1);
  });

  it('a destination that starts the guest although told the migration was cancelled leaves the guest on either host, and the source is not told to stop it', async () => {
    const h = hosts();
    h.src.handle('domainMigratePerform3Params', fail(VIR_ERR_OPERATION_FAILED, 'operation failed: migration failed'));
    h.dst.handle('domainMigrateFinish3Params', () => ({ dom: MOVED, cookie_out: bytes('x') }));
    const [s, d] = await pair(h);
    const err = (await startMigration(s, GUEST, d).then(null, (e: unknown) => e)) as MigrationError;
    expect([err.phase, err.guest]).toEqual(['perform', 'unknown']);
    expect(phaseCalls(h.src)).not.toContain('domainMigrateConfirm3Params');
  });

  it('Confirm fails after the guest started on the destination: the migration succeeded, and says the source was not told', async () => {
    const h = hosts();
    h.src.handle('domainMigrateConfirm3Params', fail(1, 'internal error: cannot stop the source'));
    const [s, d] = await pair(h);
    const r = await startMigration(s, GUEST, d);
    expect(r.domain).toEqual(MOVED);
    expect(r.confirmError?.message).toContain('cannot stop the source');
  });

  it('the destination connection is lost during Perform: Finish cannot be sent, Confirm resumes the guest on the source', async () => {
    const h = hosts();
    const performing = deferred();
    const release = deferred();
    h.src.handle('domainMigratePerform3Params', async () => {
      performing.resolve();
      await release.promise;
      return { cookie_out: bytes('cookie-perform') };
    });
    const [s, d] = await pair(h);
    const job = startMigration(s, GUEST, d, { live: true });
    await performing.promise;
    h.dst.reset();
    release.resolve();
    const err = (await job.then(null, (e: unknown) => e)) as MigrationError;
    expect([err.phase, err.host, err.guest]).toEqual(['finish', 'destination', 'source']);
    expect(err.cause).toBeInstanceOf(ConnectionError);
    expect(h.seen.confirm!.cancelled).toBe(1);
  });

  it('losing the destination while the data moves aborts the source job at once; the error names the destination, and the guest is on the source', async () => {
    const h = hosts();
    const performing = abortablePerform(h);
    const [s, d] = await pair(h);
    const job = startMigration(s, GUEST, d, { live: true });
    await performing.promise;
    h.dst.reset();
    const err = (await job.then(null, (e: unknown) => e)) as MigrationError;
    expect([err.phase, err.host, err.guest]).toEqual(['perform', 'destination', 'source']);
    expect(err.cause).toBeInstanceOf(ConnectionError);
    expect(phaseCalls(h.src)).toContain('domainAbortJob');
    expect(phaseCalls(h.src)).not.toContain('domainMigrateConfirm3Params');
  });

  it('the source connection is lost after Finish: the guest runs on the destination, and the caller learns Confirm failed', async () => {
    const h = hosts();
    h.dst.handle('domainMigrateFinish3Params', () => {
      h.src.reset();
      return { dom: MOVED, cookie_out: bytes('x') };
    });
    const [s, d] = await pair(h);
    const r = await startMigration(s, GUEST, d);
    expect(r.domain).toEqual(MOVED);
    expect(r.confirmError).toBeInstanceOf(ConnectionError);
  });

  it('the source connection is lost during Perform: the destination drops its guest (cancelled), and the guest is on the source', async () => {
    const h = hosts();
    h.src.handle('domainMigratePerform3Params', (_a, ctx) => {
      ctx.silent();
      h.src.reset();
    });
    const [s, d] = await pair(h);
    const err = (await startMigration(s, GUEST, d).then(null, (e: unknown) => e)) as MigrationError;
    expect([err.phase, err.host, err.guest]).toEqual(['perform', 'source', 'source']);
    expect(err.cause).toBeInstanceOf(ConnectionError);
    expect(h.seen.finish!.cancelled).toBe(1);
  });
});

describe('watched and abortable', () => {
  it('reports the job statistics while the data moves, to the callback and the iterator', async () => {
    const h = hosts();
    const release = deferred();
    let polls = 0;
    h.src.handle('domainGetJobStats', () => {
      polls++;
      if (polls === 3) release.resolve();
      return { type: 1, params: [
        { field: 'time_elapsed', value: { type: 4, ul: BigInt(polls * 100) } },
        { field: 'data_total', value: { type: 4, ul: 1000n } },
        { field: 'data_remaining', value: { type: 4, ul: BigInt(1000 - polls * 100) } },
        { field: 'memory_bps', value: { type: 4, ul: 1048576n } },
      ] };
    });
    h.src.handle('domainMigratePerform3Params', async () => {
      await release.promise;
      return { cookie_out: bytes('p') };
    });
    const [s, d] = await pair(h);
    const seen: number[] = [];
    const job = startMigration(s, GUEST, d, { live: true, progressIntervalMs: 1, onProgress: (p) => seen.push(p.dataRemaining) });
    const iterated: number[] = [];
    for await (const p of job.progress()) iterated.push(p.elapsedMs);
    await job;
    expect(seen.slice(0, 3)).toEqual([900, 800, 700]);
    expect(iterated.slice(0, 3)).toEqual([100, 200, 300]);
  });

  it('an abort while the data moves aborts the job on the source daemon; the guest stays there and the caller gets an AbortError', async () => {
    const h = hosts();
    const performing = abortablePerform(h);
    const [s, d] = await pair(h);
    const ctl = new AbortController();
    const job = startMigration(s, GUEST, d, { live: true, signal: ctl.signal });
    await performing.promise;
    ctl.abort();
    const err = (await job.then(null, (e: unknown) => e)) as AbortError;
    expect(err).toBeInstanceOf(AbortError);
    expect(err.message).toBe('the migration of web1 was aborted; the guest runs on the source');
    expect(phaseCalls(h.src)).toEqual(['domainMigrateBegin3Params', 'domainGetState', 'domainMigratePerform3Params', 'domainAbortJob', 'domainGetState']);
    expect(phaseCalls(h.dst)).toEqual(['domainMigratePrepare3Params', 'domainMigrateFinish3Params']);
    expect(h.seen.finish!.cancelled).toBe(1);
  });

  it('an abort that comes as Perform starts, before the daemon has a job, is asked again until the job is there', async () => {
    const h = hosts();
    const performing = deferred();
    const aborted = deferred();
    let asks = 0;
    h.src.handle('domainAbortJob', (_a, ctx) => {
      // The first ask finds no job yet, as a daemon still setting the migration up answers.
      if (++asks === 1) return ctx.error({ code: 55, message: 'Requested operation is not valid: no job is active on the domain', domain: VIR_FROM_QEMU });
      aborted.resolve();
    });
    h.src.handle('domainMigratePerform3Params', async (_a, ctx) => {
      performing.resolve();
      await aborted.promise;
      ctx.error({ code: VIR_ERR_OPERATION_ABORTED, message: "operation aborted: job 'migration out' canceled by client", domain: VIR_FROM_QEMU });
    });
    const [s, d] = await pair(h);
    const job = startMigration(s, GUEST, d, { live: true });
    await performing.promise;
    await job.abort();
    expect(await job.then(null, (e: unknown) => e)).toBeInstanceOf(AbortError);
    expect(asks).toBe(2);
  });

  it('an abort before the data moves skips Perform and cancels Finish and Confirm', async () => {
    const h = hosts();
    const preparing = deferred();
    const release = deferred();
    h.dst.handle('domainMigratePrepare3Params', async () => {
      preparing.resolve();
      await release.promise;
      return { cookie_out: bytes('p'), uri_out: null };
    });
    const [s, d] = await pair(h);
    const job = startMigration(s, GUEST, d, { uri: 'tcp://10.0.0.2' });
    await preparing.promise;
    await job.abort();
    release.resolve();
    expect(await job.then(null, (e: unknown) => e)).toBeInstanceOf(AbortError);
    expect(phaseCalls(h.src)).not.toContain('domainMigratePerform3Params');
    expect([h.seen.finish!.cancelled, h.seen.confirm!.cancelled]).toEqual([1, 1]);
  });

  it('an already aborted signal makes no call at all', async () => {
    const h = hosts();
    const [s, d] = await pair(h);
    const err = await startMigration(s, GUEST, d, { signal: AbortSignal.abort() }).then(null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(phaseCalls(h.src)).toEqual([]);
  });

  it('the timeout suspends the guest (virsh --timeout), or switches to post-copy', async () => {
    for (const [action, call] of [['suspend', 'domainSuspend'], ['postcopy', 'domainMigrateStartPostCopy']] as const) {
      const h = hosts();
      const acted = deferred();
      h.src.handle(call, () => acted.resolve());
      h.src.handle('domainMigratePerform3Params', async () => {
        await acted.promise;
        return { cookie_out: bytes('p') };
      });
      const [s, d] = await pair(h);
      await startMigration(s, GUEST, d, { live: true, postcopy: action === 'postcopy', timeoutMs: 1, timeoutAction: action });
      expect(phaseCalls(h.src)).toContain(call);
    }
  });
});

describe('peer to peer', () => {
  it('is one Perform on the source with the destination URI; the guest is then looked up on the destination', async () => {
    const h = hosts();
    h.dst.handle('connectGetURI', () => ({ uri: 'qemu+tcp://10.0.0.2/system' }));
    h.dst.handle('domainLookupByName', ({ name }) => ({ dom: { ...MOVED, name } }));
    const [s, d] = await pair(h);
    const r = await startMigration(s, GUEST, d, { live: true, peer2peer: true });
    expect(r).toEqual({ domain: MOVED, protocol: 'peer2peer' });
    expect(phaseCalls(h.src)).toEqual(['domainMigratePerform3Params']);
    expect(h.seen.perform).toMatchObject({ dconnuri: 'qemu+tcp://10.0.0.2/system', cookie: '' });
  });

  it('refuses a destination that names this host or no host, as libvirt does', async () => {
    for (const uri of ['qemu:///system', 'qemu+tcp://localhost/system']) {
      const h = hosts();
      h.dst.handle('connectGetURI', () => ({ uri }));
      const [s, d] = await pair(h);
      const err = (await startMigration(s, GUEST, d, { peer2peer: true }).then(null, (e: unknown) => e)) as MigrationError;
      expect(err.message).toBe('Attempt to migrate guest to the same host');
      expect(phaseCalls(h.src)).toEqual([]);
    }
  });
});

describe('typed options', () => {
  it('has an option for every VIR_MIGRATE_* flag and every VIR_MIGRATE_PARAM_* parameter of the protocol', () => {
    const flagNames = Object.keys(constants.virDomainMigrateFlags).map((k) => k.slice('VIR_MIGRATE_'.length).toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
    expect(Object.keys(MIGRATE_FLAGS).sort()).toEqual(flagNames.sort());
    const paramNames = Object.entries(constants).filter(([k]) => k.startsWith('VIR_MIGRATE_PARAM_')).map(([, v]) => v as string);
    expect(Object.values(MIGRATE_PARAMS).map(([name]) => name).sort()).toEqual(paramNames.sort());
    // The interface and the table agree (the type checker holds the other direction).
    const every: Required<MigrateOptions> = {} as never;
    void every;
  });

  it('turns options into flags and typed parameters; an unknown option or a wrong type is a TypeError', () => {
    expect(migrationArguments({ live: true, persistDest: true, undefineSource: false, flags: 1 << 30, migrateDisks: ['vda', 'vdb'], parallelConnections: 4, bandwidth: 10 })).toEqual({
      flags: (VIR_MIGRATE_LIVE | constants.VIR_MIGRATE_PERSIST_DEST | (1 << 30)) >>> 0,
      params: { migrate_disks: [{ type: 'string', value: 'vda' }, { type: 'string', value: 'vdb' }], 'parallel.connections': [{ type: 'int', value: 4 }], bandwidth: [{ type: 'ullong', value: 10n }] },
    });
    expect(() => migrationArguments({ lve: true } as MigrateOptions)).toThrow("'lve' is not a migration option");
    expect(() => migrationArguments({ live: 'yes' } as unknown as MigrateOptions)).toThrow("migration option 'live' must be a boolean");
  });
});
