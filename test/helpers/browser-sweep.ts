/**
 * The read-only sweep as a page runs it: bundled for the browser by
 * test/integration/browser.test.ts (with python3-libvirt's side left out), it opens the
 * bridge through libvirt-rpc/browser's sources and answers every case.
 */
import type { Connection } from '../../src/index.js';
import { openBridge } from '../../src/browser.js';
import { CASES, ours } from './sweep-cases.js';

(globalThis as { runSweep?: unknown }).runSweep = async (url: string, token: string): Promise<unknown[]> => {
  const conn = await openBridge(url, 'test:///default', { websocket: { protocols: [`libvirt-rpc.bearer.${token}`] } });
  try {
    const out: unknown[] = [];
    for (let i = 0; i < CASES.length; i++) out.push(await ours(conn as unknown as Connection, i));
    return out;
  } finally {
    await conn.close();
  }
};
