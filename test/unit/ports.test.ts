/** Test ports: handed out once per machine at a time, not merely free at the moment of asking. */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/ports.js';

it('every port handed out is claimed for this process, and none twice', async () => {
  const ports = await Promise.all(Array.from({ length: 100 }, () => freePort()));
  expect(new Set(ports).size).toBe(ports.length);
  for (const p of ports) {
    const claim = join(tmpdir(), 'libvirt-rpc-ports', String(p));
    expect(existsSync(claim) && readFileSync(claim, 'utf8')).toBe(String(process.pid));
  }
});
