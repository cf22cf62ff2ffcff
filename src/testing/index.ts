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
export { FakeDaemon, FakeStream, frame, type ArgsOf, type CallContext, type FakeRegistration, type Handler, type MessageOf, type ReplyOf } from './fake-daemon.js';
