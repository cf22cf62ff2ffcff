/**
 * A daemon that dies or freezes under load: every call settles, quickly, with a
 * ConnectionError; nothing hangs.
 */
import {
  ConnectionError,
  connect,
  VIR_CONNECT_CLOSE_REASON_CLIENT,
  VIR_CONNECT_CLOSE_REASON_EOF,
  VIR_CONNECT_CLOSE_REASON_ERROR,
  VIR_CONNECT_CLOSE_REASON_KEEPALIVE,
} from '../../src/index.js';
import { type ThrowawayDaemon, startThrowawayLibvirtd } from '../harness/daemon.js';
import { forEachGeneration } from '../helpers/libvirtd.js';

/** Waits until `done()` holds, checking every few milliseconds, for at most 10 s. */
async function eventually(done: () => boolean): Promise<void> {
  for (const end = Date.now() + 10_000; !done() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 5));
}

forEachGeneration((generation) => describe('faults of a real daemon', () => {
  let daemon: ThrowawayDaemon;
  beforeEach(async () => {
    daemon = await startThrowawayLibvirtd({ generation, name: 'faults' });
  });
  afterEach(async () => {
    try {
      daemon.kill('SIGCONT');
    } catch {
      // already gone
    }
    await daemon.stop();
  });

  it('kill -9 with calls in flight rejects every one with ConnectionError, none left waiting', async () => {
    const conn = await connect(daemon.testUri, { keepalive: false });
    const reasons: number[] = [];
    await conn.subscribe('connection:closed', (e) => reasons.push(e.reason));
    // Freeze the daemon so the calls are sent but cannot be answered, then kill it.
    daemon.kill('SIGSTOP');
    const calls = Array.from({ length: 1000 }, () => conn.connectGetCapabilities());
    await new Promise((r) => setTimeout(r, 50));
    const killedAt = Date.now();
    daemon.kill('SIGKILL');
    const results = await Promise.allSettled(calls);
    const settledWithin = Date.now() - killedAt;
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConnectionError)).toHaveLength(1000);
    // Settled by the death itself, not by a timeout (calls have none): generous for a loaded machine.
    expect(settledWithin).toBeLessThan(10_000);
    expect(await conn.closed).toBeInstanceOf(ConnectionError);
    await expect(conn.connectGetHostname()).rejects.toBeInstanceOf(ConnectionError);
    // The daemon died with our calls unread, so the kernel resets the socket: an error, or
    // an end of file where the reset is not seen.
    expect(reasons).toHaveLength(1);
    expect([VIR_CONNECT_CLOSE_REASON_EOF, VIR_CONNECT_CLOSE_REASON_ERROR]).toContain(reasons[0]);
  });

  it('a frozen daemon (SIGSTOP) is declared dead by keepalive once count PINGs go unanswered', async () => {
    const keepalive = { intervalMs: 300, count: 3 };
    const conn = await connect(daemon.testUri, { keepalive });
    expect(conn.features.keepalive).toBe(true);
    const reasons: number[] = [];
    await conn.subscribe('connection:closed', (e) => reasons.push(e.reason));
    daemon.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const err = await conn.connectGetHostname().catch((e) => e);
    const detectedAfter = Date.now() - stoppedAt;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(/keepalive/);
    // Not before the PINGs went unanswered; the bound above only rules out a hang, with room
    // for timers that a loaded machine runs late.
    expect(detectedAfter).toBeLessThanOrEqual(keepalive.intervalMs * (keepalive.count + 1) + 5_000);
    expect(detectedAfter).toBeGreaterThanOrEqual(keepalive.intervalMs * keepalive.count);
    await eventually(() => reasons.length > 0);
    expect(reasons).toEqual([VIR_CONNECT_CLOSE_REASON_KEEPALIVE]);
  });

  it('keepalive keeps an idle connection alive while the daemon answers PINGs', async () => {
    const conn = await connect(daemon.testUri, { keepalive: { intervalMs: 100, count: 2 } });
    await new Promise((r) => setTimeout(r, 800));
    expect(conn.isOpen).toBe(true);
    expect(await conn.connectGetType()).toBe('TEST');
    const reasons: number[] = [];
    await conn.subscribe('connection:closed', (e) => reasons.push(e.reason));
    await conn.close();
    await eventually(() => reasons.length > 0);
    expect(reasons).toEqual([VIR_CONNECT_CLOSE_REASON_CLIENT]);
  });
}));
