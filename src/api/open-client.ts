/**
 * `openClient(uri)`: the opener of the one-function-per-procedure entry. Kept apart from
 * connect.ts so that code which opens a Client never imports Connection.
 */
import { Client } from './client.js';
import { type ConnectOptions, resolveOpen } from './open-options.js';

/**
 * {@link connect}, but to a {@link Client}: no method per procedure and no events, so a bundle
 * keeps only the procedures it calls (through the functions of `libvirt-rpc/client`).
 *
 * @example
 * ```ts
 * import { openClient, connectGetLibVersion } from 'libvirt-rpc/client';
 * const client = await openClient('qemu:///system');
 * console.log(await connectGetLibVersion(client));
 * await client.close();
 * ```
 */
export async function openClient(uri?: string, options: ConnectOptions = {}): Promise<Client> {
  const { dialer, uri: text, name, options: opts } = resolveOpen(uri, options);
  return Client.open(dialer, text, name, opts);
}
