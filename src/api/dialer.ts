/**
 * A URI's carrier (src/locate) made into a dialer (src/transport): the one step that knows
 * both the client rules and the carriers.
 */
import type { Carrier } from '../locate/carrier.js';
import { commandDialer } from '../transport/ext.js';
import { type SshOptions, sshDialer } from '../transport/ssh.js';
import { tcpDialer } from '../transport/tcp.js';
import { type TlsOptions, tlsDialer } from '../transport/tls.js';
import type { Dialer } from '../transport/types.js';
import { unixDialer } from '../transport/unix.js';
import { type WebSocketOptions, websocketDialer } from '../transport/websocket.js';

/**
 * The dialer for a carrier, with the credentials given in code.
 *
 * @example
 * ```ts
 * const dial = dialerForCarrier(carrierFor(parseLibvirtUri('qemu+tcp://hv1/system'), ctx), {});
 * ```
 */
export function dialerForCarrier(carrier: Carrier, given: { tls?: TlsOptions; ssh?: SshOptions; websocket?: WebSocketOptions }): Dialer {
  switch (carrier.kind) {
    case 'unix':
      return unixDialer(carrier.path);
    case 'tcp':
      return tcpDialer(carrier.host, carrier.port);
    case 'tls':
      return tlsDialer(carrier.host, carrier.port, { ...given.tls, ...(carrier.noVerify ? { noVerify: true } : {}) }, carrier.files);
    case 'ext':
      return commandDialer(carrier.argv);
    case 'ssh':
      return sshDialer(carrier.target, given.ssh ?? {});
    case 'websocket':
      return websocketDialer(carrier.url, given.websocket ?? {});
  }
}
