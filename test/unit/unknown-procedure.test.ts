/**
 * A procedure the daemon does not know: the error names it and the daemon's version, the
 * version is asked once per connection and only when such an error comes, and other errors
 * pass through as they are. (Against a real libvirt 9.0: test/integration/generations.test.ts.)
 */
import { Connection, LibvirtError, UnknownProcedureError, VIR_ERR_RPC, VIR_FROM_RPC } from '../../src/index.js';
import { FakeDaemon } from '../../src/testing/index.js';

const dom = { name: 'guest', uuid: new Uint8Array(16), id: 1 };

test('names the procedure and the version, asks the version once, leaves other errors alone', async () => {
  const daemon = new FakeDaemon()
    .handle('connectGetLibVersion', () => ({ lib_ver: 9000000n }))
    .handle('domainGetAutostartOnce', (_a, ctx) => ctx.error({ code: VIR_ERR_RPC, domain: VIR_FROM_RPC, message: 'unknown procedure: 449' }))
    .handle('domainGraphicsReload', (_a, ctx) => ctx.error({ code: VIR_ERR_RPC, domain: VIR_FROM_RPC, message: 'unknown procedure: 448' }))
    // The same code for another reason: not an unknown procedure.
    .handle('domainGetAutostart', (_a, ctx) => ctx.error({ code: VIR_ERR_RPC, domain: VIR_FROM_RPC, message: 'unknown procedure: 1' }));
  const conn = await Connection.open(daemon.dialer(), 'qemu:///system', 'qemu:///system', { keepalive: false });
  const first = await conn.domainGetAutostartOnce(dom).catch((e: unknown) => e);
  expect(first).toBeInstanceOf(UnknownProcedureError);
  expect(first).toBeInstanceOf(LibvirtError);
  expect(first).toMatchObject({ method: 'domainGetAutostartOnce', daemonVersion: '9.0.0', code: VIR_ERR_RPC, codeName: 'VIR_ERR_RPC', procedure: 'REMOTE_PROC_DOMAIN_GET_AUTOSTART_ONCE' });
  expect((first as Error).message).toBe(
    'REMOTE_PROC_DOMAIN_GET_AUTOSTART_ONCE (domainGetAutostartOnce, procedure 449) is not known to the daemon (libvirt 9.0.0): it is newer than that daemon; the daemon said "unknown procedure: 449"',
  );
  await expect(conn.domainGraphicsReload(dom, 0, 0)).rejects.toThrow(/domainGraphicsReload.*libvirt 9\.0\.0/);
  const other = await conn.domainGetAutostart(dom).catch((e: unknown) => e);
  expect(other).toBeInstanceOf(LibvirtError);
  expect(other).not.toBeInstanceOf(UnknownProcedureError);
  expect(daemon.calls.filter((c) => c === 'connectGetLibVersion')).toHaveLength(1);
  await conn.close();
});
