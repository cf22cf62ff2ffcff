/**
 * `libvirt-rpc/client`: a lean {@link Client} and one function per procedure of the REMOTE,
 * QEMU and LXC programs. A bundle keeps the procedures it calls and drops the rest.
 *
 * @example
 * ```ts
 * import { openClient, connectGetLibVersion, domainLookupByName, domainGetInfo } from 'libvirt-rpc/client';
 * const client = await openClient('qemu:///system');
 * console.log(await connectGetLibVersion(client));
 * console.log(await domainGetInfo(client, await domainLookupByName(client, 'guest')));
 * await client.close();
 * ```
 */
export { openClient } from './api/open-client.js';
export { Client } from './api/client.js';
export * from '../protocol/remote-calls.js';
export * from '../protocol/qemu-calls.js';
export * from '../protocol/lxc-calls.js';
