/**
 * The opening sequence of libvirt's remote driver on a fresh RPC core: the auth list, the
 * keepalive opt-in, authentication (none, polkit, SASL) and CONNECT_OPEN.
 */
import { VIR_CONNECT_RO } from '../../protocol/constants.js';
import { REMOTE_AUTH_NONE, REMOTE_AUTH_POLKIT, REMOTE_AUTH_SASL } from '../../protocol/remote.js';
import { remoteProcAuthList, remoteProcAuthPolkit, remoteProcAuthSaslInit, remoteProcAuthSaslStart, remoteProcAuthSaslStep, remoteProcConnectOpen, remoteProcConnectSupportsFeature } from '../../protocol/remote-procedures.js';
import { type Credentials, chooseMechanism, createMechanism } from '../auth/sasl.js';
import type { RpcClient } from '../rpc/client.js';
import { ConnectionError, NotSupportedError } from '../errors.js';

/** libvirt's driver feature numbers (libvirt_internal.h) that the client asks about. */
export const DRV_FEATURE = {
  MIGRATION_V2: 3,
  MIGRATION_P2P: 4,
  MIGRATION_DIRECT: 5,
  MIGRATION_V3: 6,
  MIGRATE_CHANGE_PROTECTION: 7,
  TYPED_PARAM_STRING: 9,
  PROGRAM_KEEPALIVE: 10,
  MIGRATION_OFFLINE: 12,
  MIGRATION_PARAMS: 13,
  REMOTE_EVENT_CALLBACK: 14,
  REMOTE_CLOSE_CALLBACK: 15,
  NETWORK_UPDATE_HAS_CORRECT_ORDER: 16,
} as const;

/** Asked for a user name and password when SASL needs them. */
export type CredentialsCallback = (request: { mechanism: string; uri: string }) => Promise<Credentials> | Credentials;

/** What the opening sequence needs to know. */
export interface HandshakeOptions {
  /** Open read-only (VIR_CONNECT_RO). */
  readonly?: boolean;
  /** Whether to opt in to keepalive (false: `keepalive: false` was asked for). */
  keepalive?: unknown;
  credentials?: Partial<Credentials> | CredentialsCallback;
  auth?: string;
  secureChannel?: boolean;
  authFileCredentials?: () => Partial<Credentials> | undefined;
}

/** Asks whether the daemon supports a driver feature. */
export function supportsFeature(rpc: RpcClient, feature: number): Promise<boolean> {
  return rpc.call(remoteProcConnectSupportsFeature, { feature }, undefined, 'supported').then((v: number) => v !== 0);
}

/**
 * Runs the opening sequence and resolves with whether the daemon speaks keepalive (started
 * here when it does).
 */
export async function openRemote(rpc: RpcClient, uri: string, name: string | null, opts: HandshakeOptions): Promise<{ keepalive: boolean }> {
  const wantKeepalive = opts.keepalive !== false;
  const open = () => rpc.call(remoteProcConnectOpen, { name, flags: opts.readonly ? VIR_CONNECT_RO : 0 });
  // Sent together, ahead of the auth answer: a daemon that wants auth refuses the early
  // calls without side effects, and then they are repeated after auth. With no auth (the
  // usual local case) this saves two round trips. The keepalive opt-in needs no driver.
  const early = [
    rpc.call(remoteProcAuthList, undefined, undefined, 'types') as Promise<number[]>,
    wantKeepalive ? supportsFeature(rpc, DRV_FEATURE.PROGRAM_KEEPALIVE) : Promise.resolve(false),
    open(),
  ] as const;
  const [auth, keepaliveEarly, opened] = await Promise.allSettled(early);
  if (auth.status === 'rejected') throw auth.reason;
  let keepalive: boolean;
  if (!auth.value.length || auth.value.includes(REMOTE_AUTH_NONE)) {
    if (opened.status === 'rejected') throw opened.reason;
    if (keepaliveEarly.status === 'rejected') throw keepaliveEarly.reason;
    keepalive = keepaliveEarly.value;
  } else {
    await authenticate(rpc, uri, auth.value, opts);
    [keepalive] = await Promise.all([wantKeepalive ? supportsFeature(rpc, DRV_FEATURE.PROGRAM_KEEPALIVE) : false, open()]);
  }
  // The other features are asked when first needed: an open that uses none of them costs
  // one round trip less than libvirt's library spends on asking up front.
  if (keepalive) rpc.startKeepalive();
  return { keepalive };
}

async function authenticate(rpc: RpcClient, uri: string, methods: number[], opts: HandshakeOptions): Promise<void> {
  const forced = opts.auth?.toLowerCase();
  const [method, forcedMech] = forced ? [forced.split('.')[0], forced.split('.').slice(1).join('.') || undefined] : [undefined, undefined];
  if (method && method !== 'sasl' && method !== 'polkit') {
    throw new NotSupportedError(`auth=${opts.auth}: this client knows auth=sasl, auth=sasl.MECH and auth=polkit`);
  }
  if (methods.includes(REMOTE_AUTH_SASL) && method !== 'polkit') return authenticateSasl(rpc, uri, forcedMech, opts);
  if (methods.includes(REMOTE_AUTH_POLKIT) && method !== 'sasl') {
    await rpc.call(remoteProcAuthPolkit, undefined);
    return;
  }
  throw new NotSupportedError(
    `the daemon wants ${methods.map((m) => ['none', 'sasl', 'polkit'][m] ?? m).join(' or ')} authentication${forced ? `, but auth=${opts.auth} was asked for` : ''}`,
  );
}

async function authenticateSasl(rpc: RpcClient, uri: string, forcedMech: string | undefined, opts: HandshakeOptions): Promise<void> {
  if (opts.secureChannel === false) {
    throw new ConnectionError(
      'the daemon wants SASL, but this connection is unencrypted TCP: no mechanism this client speaks gives a security layer, so no credentials were sent; use TLS (qemu+tls://)',
    );
  }
  const mechlist: string = await rpc.call(remoteProcAuthSaslInit, undefined, undefined, 'mechlist');
  const name = chooseMechanism(mechlist.split(/[\s,]+/).filter(Boolean), forcedMech);
  const mech = createMechanism(name, () => credentials(uri, name, opts));
  const toChars = (b: Uint8Array | null) => (b ? Array.from(b, (x) => (x << 24) >> 24) : []);
  const fromChars = (c: number[]) => Uint8Array.from(c, (x) => x & 0xff);
  const first = await mech.start();
  let ret = await rpc.call(remoteProcAuthSaslStart, { mech: name, nil: first ? 0 : 1, data: toChars(first) });
  for (let rounds = 0; !ret.complete; rounds++) {
    if (rounds > 10) throw new ConnectionError(`SASL ${name} did not finish after ${rounds} rounds`);
    const answer = await mech.step(ret.nil ? new Uint8Array(0) : fromChars(ret.data));
    ret = await rpc.call(remoteProcAuthSaslStep, { nil: answer ? 0 : 1, data: toChars(answer) });
  }
  mech.finish(ret.nil ? null : fromChars(ret.data));
}

async function credentials(uri: string, mechanism: string, opts: HandshakeOptions): Promise<Credentials> {
  const given = typeof opts.credentials === 'function' ? await opts.credentials({ mechanism, uri }) : opts.credentials;
  const file = given?.username !== undefined && given?.password !== undefined ? undefined : opts.authFileCredentials?.();
  const username = given?.username ?? file?.username;
  const password = given?.password ?? file?.password;
  if (username === undefined || password === undefined) {
    throw new ConnectionError(`SASL ${mechanism} needs a user name and password: pass credentials, or give them in an auth file (authfile= or LIBVIRT_AUTH_FILE)`);
  }
  return { username, password };
}
