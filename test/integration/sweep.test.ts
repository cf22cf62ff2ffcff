/**
 * Every read-only procedure the test driver serves, called once through this library and once
 * through libvirt's C client (python3-libvirt) on the same daemon in the same run: the
 * results must agree, and so must the error codes where the driver refuses.
 */
import { type Connection, connect } from '../../src/index.js';
import { type ThrowawayDaemon, forEachGeneration, sharedDaemon } from '../helpers/libvirtd.js';
import { CASES, cReference, ours } from '../helpers/sweep-cases.js';

forEachGeneration((generation) => describe('read-only sweep over the test driver (unix socket), against python3-libvirt', () => {
  let daemon: ThrowawayDaemon;
  let conn: Connection;
  let theirs: unknown[];

  beforeAll(async () => {
    daemon = await sharedDaemon(generation);
    conn = await connect(daemon.testUri);
    // python's connection shares the test driver's state with ours while ours is open.
    theirs = await cReference(daemon, daemon.testUri);
  });

  afterAll(async () => {
    await conn?.close();
  });

  it('covers a wide set of procedures', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(80);
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', async (_name, i) => {
    expect(await ours(conn, i)).toEqual(theirs[i]);
  });
}));
