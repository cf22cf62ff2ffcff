/**
 * libvirt connection URIs: `driver[+transport]://[user@][host][:port]/path[?params]`, read
 * the way libvirt's remote driver reads them. Runtime-neutral: the environment is passed in.
 */

export type TransportName = 'unix' | 'tcp' | 'tls' | 'ssh' | 'libssh' | 'libssh2' | 'ext';

const TRANSPORTS: readonly TransportName[] = ['unix', 'tcp', 'tls', 'ssh', 'libssh', 'libssh2', 'ext'];

/** Parameters the client itself consumes; they are not sent to the daemon. */
export interface RemoteParams {
  name?: string;
  mode?: 'auto' | 'legacy' | 'direct';
  proxy?: 'auto' | 'netcat' | 'native';
  socket?: string;
  netcat?: string;
  command?: string;
  keyfile?: string;
  no_verify?: boolean;
  no_tty?: boolean;
  known_hosts?: string;
  known_hosts_verify?: 'normal' | 'auto' | 'ignore';
  sshauth?: string[];
  pkipath?: string;
  tls_priority?: string;
  auth?: string;
  authfile?: string;
}

export interface LibvirtUri {
  /** The URI as given (for messages use {@link redactUri}). */
  original: string;
  /** Scheme without the transport: `qemu`, `test`, `lxc`, `libvirtd` (admin), ... */
  driver: string;
  transport: TransportName;
  /** Whether the URI spelled the transport out (`qemu+tcp://`). */
  transportExplicit: boolean;
  user?: string;
  host?: string;
  port?: number;
  /** `/system`, `/session`, `/default`, ... (empty for none). */
  path: string;
  params: RemoteParams;
  /** Parameters the client does not know: passed through to the daemon, in order. */
  extraParams: [string, string][];
  /** The name sent in REMOTE_PROC_CONNECT_OPEN. */
  nameForServer: string;
}

/** A URI the client cannot use; the message names the URI (without credentials) and the part at fault. */
export class UriError extends Error {
  override name = 'UriError';
  constructor(
    readonly uri: string,
    problem: string,
    readonly param?: string,
  ) {
    super(`invalid libvirt URI '${redactUri(uri)}': ${problem}`);
  }
}

/** The URI with any password in its user part removed. */
export function redactUri(uri: string): string {
  return uri.replace(/^([^:/?#]+:\/\/)([^@/?#:]*):[^@/?#]*@/, '$1$2@');
}

type ParamKind = 'string' | 'bool' | { oneOf: readonly string[] } | 'list';

const PARAMS: Record<keyof RemoteParams, ParamKind> = {
  name: 'string',
  mode: { oneOf: ['auto', 'legacy', 'direct'] },
  proxy: { oneOf: ['auto', 'netcat', 'native'] },
  socket: 'string',
  netcat: 'string',
  command: 'string',
  keyfile: 'string',
  no_verify: 'bool',
  no_tty: 'bool',
  known_hosts: 'string',
  known_hosts_verify: { oneOf: ['normal', 'auto', 'ignore'] },
  sshauth: 'list',
  pkipath: 'string',
  tls_priority: 'string',
  auth: 'string',
  authfile: 'string',
};

/**
 * Parses a libvirt URI and checks every parameter the client knows.
 *
 * @example
 * ```ts
 * const u = parseLibvirtUri('qemu+ssh://root@host:2222/system?keyfile=/k&foo=bar');
 * // u.transport === 'ssh', u.port === 2222, u.params.keyfile === '/k'
 * // u.nameForServer === 'qemu:///system?foo=bar'
 * ```
 */
export function parseLibvirtUri(uri: string): LibvirtUri {
  if (typeof uri !== 'string' || !uri.trim()) throw new UriError(String(uri), 'it is empty');
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/([^/?#]*))?([^?#]*)(\?[^#]*)?(#.*)?$/.exec(uri);
  if (!m) throw new UriError(uri, 'it does not have the form driver[+transport]://[user@][host][:port]/path[?params]');
  const [, scheme, , authority, rawPath, query] = m;
  if (m[2] === undefined && rawPath) throw new UriError(uri, "the scheme must be followed by '//'");

  const plus = scheme!.indexOf('+');
  const driver = plus < 0 ? scheme! : scheme!.slice(0, plus);
  const transportText = plus < 0 ? undefined : scheme!.slice(plus + 1).toLowerCase();
  if (!driver) throw new UriError(uri, 'the driver name is missing');

  const { user, host, port } = parseAuthority(uri, authority ?? '');
  let transport: TransportName;
  if (transportText !== undefined) {
    if (!(TRANSPORTS as readonly string[]).includes(transportText)) {
      throw new UriError(uri, `unknown transport '${transportText}' (use ${TRANSPORTS.join(', ')})`);
    }
    transport = transportText as TransportName;
    if (transport === 'unix' && host) throw new UriError(uri, `the unix transport cannot reach the remote host '${host}'`);
  } else {
    transport = host ? 'tls' : 'unix';
  }

  const path = decodePart(uri, rawPath ?? '', 'path');
  const params: RemoteParams = {};
  const extraParams: [string, string][] = [];
  for (const [key, value] of parseQuery(uri, query ?? '')) {
    const kind = PARAMS[key as keyof RemoteParams];
    if (kind === undefined) extraParams.push([key, value]);
    else (params as Record<string, unknown>)[key] = convertParam(uri, key, value, kind);
  }
  if (transport === 'ext' && !params.command) throw new UriError(uri, "the ext transport needs a 'command' parameter", 'command');
  if (params.proxy === 'native' && params.netcat !== undefined) {
    throw new UriError(uri, "'netcat' cannot be used with proxy=native", 'netcat');
  }

  return {
    original: uri,
    driver,
    transport,
    transportExplicit: transportText !== undefined,
    ...(user !== undefined ? { user } : {}),
    ...(host ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
    path,
    params,
    extraParams,
    nameForServer: params.name ?? serverName(driver, path, extraParams),
  };
}

/**
 * What libvirt's client sends as the connection name: the driver, path and unknown
 * parameters, without transport, user, host and port (the daemon is already the host).
 */
function serverName(driver: string, path: string, extra: [string, string][]): string {
  const query = extra.map(([k, v]) => `${encodeQueryPart(k)}=${encodeQueryPart(v)}`).join('&');
  return `${driver}://${encodeURI(path)}${query ? `?${query}` : ''}`;
}

function encodeQueryPart(s: string): string {
  return encodeURIComponent(s).replace(/%2F/gi, '/').replace(/%3A/gi, ':');
}

function parseAuthority(uri: string, authority: string): { user?: string; host?: string; port?: number } {
  let rest = authority;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) throw new UriError(uri, 'passwords in the URI are not supported; use an auth file or a callback');
    user = decodePart(uri, userinfo, 'user name');
    if (!user) throw new UriError(uri, "the user name before '@' is empty");
  }
  let host = rest;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new UriError(uri, "an IPv6 host is missing its closing ']'");
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after && !after.startsWith(':')) throw new UriError(uri, `unexpected '${after}' after the IPv6 host`);
    portText = after ? after.slice(1) : undefined;
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
  }
  let port: number | undefined;
  if (portText !== undefined && portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new UriError(uri, `port '${portText}' is not a number from 1 to 65535`);
    }
    port = Number(portText);
  }
  host = decodePart(uri, host, 'host');
  return { ...(user !== undefined ? { user } : {}), ...(host ? { host } : {}), ...(port !== undefined ? { port } : {}) };
}

function parseQuery(uri: string, query: string): [string, string][] {
  const out: [string, string][] = [];
  for (const part of query.replace(/^\?/, '').split(/[&;]/)) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decodePart(uri, eq < 0 ? part : part.slice(0, eq), 'parameter name');
    const value = eq < 0 ? '' : decodePart(uri, part.slice(eq + 1), `parameter '${key}'`);
    out.push([key, value]);
  }
  return out;
}

function decodePart(uri: string, s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new UriError(uri, `the ${what} has a malformed %-escape`);
  }
}

function convertParam(uri: string, key: string, value: string, kind: ParamKind): unknown {
  if (kind === 'string') {
    if (!value) throw new UriError(uri, `parameter '${key}' needs a value`, key);
    return value;
  }
  if (kind === 'bool') {
    if (!/^-?\d+$/.test(value)) throw new UriError(uri, `parameter '${key}' must be a number (0 or 1), not '${value}'`, key);
    return Number(value) !== 0;
  }
  if (kind === 'list') {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    if (!items.length) throw new UriError(uri, `parameter '${key}' needs a comma-separated list`, key);
    return items;
  }
  if (!kind.oneOf.includes(value)) {
    throw new UriError(uri, `parameter '${key}' must be one of ${kind.oneOf.join(', ')}, not '${value}'`, key);
  }
  return value;
}

/**
 * The URI to use when none is given: LIBVIRT_DEFAULT_URI, or null, which means what it
 * means to libvirt's client: open the local daemon's default socket (system as root,
 * session otherwise) and let the daemon pick its driver.
 *
 * @example
 * ```ts
 * defaultUri({ LIBVIRT_DEFAULT_URI: 'qemu:///system' }); // 'qemu:///system'
 * ```
 */
export function defaultUri(env: Record<string, string | undefined>): string | null {
  const v = env.LIBVIRT_DEFAULT_URI;
  return v && v.trim() ? v : null;
}
