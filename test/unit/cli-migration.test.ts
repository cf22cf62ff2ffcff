/**
 * The migration commands' formatting, without a daemon: virsh's sizes (C's rounding of a value
 * exactly halfway), its progress figure, and the domjobinfo rows it prints or leaves out.
 */
import { prettySize } from '../../src/cli/format.js';
import { jobInfoText, migrateOptions, percentDone } from '../../src/cli/migration.js';

/** domjobinfo's sizes: three decimals. */
const prettyCapacity = (bytes: number) => prettySize(bytes, 3);
import { progressOf } from '../../src/api/migrate.js';

describe('virsh formatting of migration figures', () => {
  it('prints sizes in the largest unit below them, three decimals, halfway to even as C does', () => {
    expect(prettyCapacity(0)).toBe('0.000 B');
    expect(prettyCapacity(1023)).toBe('1023.000 B');
    expect(prettyCapacity(1024)).toBe('1.000 KiB');
    expect(prettyCapacity(50659328)).toBe('48.312 MiB'); // 48.3125 exactly
    expect(prettyCapacity(50660352)).toBe('48.313 MiB'); // 48.31347...
    expect(prettyCapacity(1.5 * 1024 ** 4)).toBe('1.500 TiB');
  });

  it('counts progress as virsh does: 99 at most until nothing remains', () => {
    const p = (total: number, remaining: number) => progressOf({ data_total: BigInt(total), data_remaining: BigInt(remaining) });
    expect(percentDone(p(1000, 1000))).toBe(0);
    expect(percentDone(p(1000, 923))).toBe(7);
    expect(percentDone(p(1000, 1))).toBe(99);
    expect(percentDone(p(1000, 0))).toBe(100);
  });

  it('prints the rows virsh prints: expected downtime while running, disk figures only when there are some', () => {
    const running = jobInfoText(2, { operation: 5, time_elapsed: 4003n, data_total: 268828672n, downtime: 300n, disk_total: 0n, disk_processed: 0n, disk_remaining: 0n }, false);
    expect(running).toBe(
      'Job type:         Unbounded   \nOperation:        Outgoing migration\nTime elapsed:     4003         ms\nData total:       256.375 MiB\nExpected downtime: 300          ms\n\n',
    );
    expect(jobInfoText(3, { operation: 4, downtime: 12n, disk_total: 1024n }, true)).toBe(
      'Job type:         Completed   \nOperation:        Incoming migration\nFile total:       1.000 KiB\nTotal downtime:   12           ms\n\n',
    );
    expect(jobInfoText(0, {}, false)).toBe('Job type:         None        \n\n');
  });

  it("takes virsh's options and refuses what virsh refuses", () => {
    expect(migrateOptions({ live: true, p2p: true, persistent: true, copyStorageAll: true, bandwidth: '10', migrateDisks: 'vda,vdb', timeout: '30' })).toMatchObject({
      live: true, peer2peer: true, persistDest: true, nonSharedDisk: true, bandwidth: 10n, migrateDisks: ['vda', 'vdb'], timeoutMs: 30_000, timeoutAction: 'suspend',
    });
    expect(() => migrateOptions({ bandwidth: 'fast' })).toThrow("Numeric value 'fast' for <bandwidth> option is malformed or out of range");
    expect(() => migrateOptions({ timeout: '5' })).toThrow('migrate: Unexpected timeout for offline migration');
  });
});
