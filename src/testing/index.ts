/**
 * `libvirt-rpc/testing`: a fake libvirt daemon for your own unit tests.
 *
 * @example
 * ```ts
 * import { Connection } from 'libvirt-rpc';
 * import { FakeDaemon } from 'libvirt-rpc/testing';
 * const daemon = new FakeDaemon().handle('connectGetHostname', () => ({ hostname: 'fake' }));
 * const conn = await Connection.open(daemon.dialer(), 'test:///default', 'test:///default');
 * ```
 */
export { FakeDaemon, frame, type CallContext } from './fake-daemon.js';
