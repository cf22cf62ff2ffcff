/**
 * libvirt connection URIs, `driver[+transport]://[user@][host][:port][/path][?params][#fragment]`,
 * read the way libvirt's C client reads them (virURIParse, then the remote driver's
 * doRemoteOpen). Runtime-neutral: no Node imports, nothing read at import time; the
 * environment is always passed in.
 *
 * What follows libvirt's client exactly:
 * - the transport is the part of the scheme after the first `+`, lower-cased; without one it is
 *   `tls` when a host is given and `unix` otherwise; `unix` with a host is refused;
 * - query parameters are split on `&` (on `;` only when no `&` is left, as libvirt does),
 *   `name` without `=` means an empty value, `=value` is skipped, and `+` is not a space;
 * - parameter names the client knows are matched case-insensitively and a repeated one keeps
 *   its last value; they are removed from what the daemon is sent, every other parameter is
 *   passed through in order;
 * - the name sent in REMOTE_PROC_CONNECT_OPEN is `driver://path?unknown-params#fragment`
 *   (values re-escaped, names as they are), `name=` wins over it, and `remote:`/`remote+...:`
 *   URIs send an empty name so that the daemon picks its driver;
 * - `xen` alone, and `xen://`, mean `xen:///system`.
 *
 * Where this parser is stricter than libvirt (which would fail later, or silently do something
 * else), the URI is refused with a {@link UriError}: a password in the user part, a port of 0,
 * above 65535 or without a host (libvirt ignores it), `qemu://system` (a host called "system"),
 * a relative path, and path-like parameters with an empty value.
 */

export type TransportName = 'unix' | 'tcp' | 'tls' | 'ssh' | 'libssh' | 'libssh2' | 'ext' | 'ws' | 'wss';

/** The transports libvirt's remote driver knows, in its own order. */
export const TRANSPORTS: readonly TransportName[] = ['tls', 'unix', 'ssh', 'libssh2', 'ext', 'tcp', 'libssh', 'ws', 'wss'];

export type RemoteMode = 'auto' | 'legacy' | 'direct';
export type ProxyMode = 'auto' | 'netcat' | 'native';
export type KnownHostsVerify = 'normal' | 'auto' | 'ignore';
export type SshAuthMethod = 'agent' | 'privkey' | 'password' | 'keyboard-interactive';

/**
 * The parameters libvirt's client consumes itself; none of them is sent to the daemon.
 * Booleans are libvirt's integers: 0 is false, any other integer is true.
 */
export interface RemoteParams {
  /** The name sent to the daemon instead of the one built from the URI (may be empty: the daemon probes). */
  name?: string;
  /** Modular per-driver daemon (`direct`), libvirtd's socket (`legacy`), or whichever is there (`auto`). */
  mode?: RemoteMode;
  /** What ssh runs remotely: virt-ssh-helper (`native`), netcat, or the helper with netcat as fallback. */
  proxy?: ProxyMode;
  /** The daemon's unix socket, over every default. */
  socket?: string;
  /** The netcat command on the remote host. */
  netcat?: string;
  /** The local ssh binary (ssh transport) or the tunnelling command (ext transport). */
  command?: string;
  /** Private key for ssh. */
  keyfile?: string;
  /** TLS: do not check the server's certificate; ssh: accept an unknown host key. */
  no_verify?: boolean;
  /** ssh: never ask for a password on a terminal. */
  no_tty?: boolean;
  /** TLS: skip the sanity checks of the client's own certificates. */
  no_sanity?: boolean;
  /** libssh/libssh2: the known_hosts file. */
  known_hosts?: string;
  /** libssh/libssh2: what to do with a new host key. */
  known_hosts_verify?: KnownHostsVerify;
  /** libssh/libssh2: the authentication methods, in order. */
  sshauth?: SshAuthMethod[];
  /** TLS: the directory with cacert.pem, clientcert.pem and clientkey.pem. */
  pkipath?: string;
  /** TLS: a GnuTLS priority string. */
  tls_priority?: string;
  /** The authentication to insist on: `sasl`, `sasl.MECHANISM` or `polkit` (any case). */
  auth?: string;
  /** The auth.conf file with credentials. */
  authfile?: string;
}

export interface LibvirtUri {
  /** The URI as given (for messages use {@link redactUri}). */
  original: string;
  /** The scheme before any `+transport`, as written: `qemu`, `test`, `lxc`, `xen`, `remote`, ... */
  driver: string;
  /** The transport, spelled out or defaulted (`unix` without a host, `tls` with one). */
  transport: TransportName;
  /** Whether the URI spelled the transport out (`qemu+unix://`). */
  transportExplicit: boolean;
  user?: string;
  /** The host, percent-decoded, IPv6 without its brackets. */
  host?: string;
  port?: number;
  /** The percent-decoded path: `/system`, `/session`, `/default`, `/embed`, or empty. */
  path: string;
  /** The percent-decoded fragment, if there was one (libvirt passes it on to the daemon). */
  fragment?: string;
  /** The parameters the client knows, typed and validated. */
  params: RemoteParams;
  /** Parameters the client does not know, percent-decoded, in order: passed through to the daemon. */
  extraParams: [string, string][];
  /** The name sent in REMOTE_PROC_CONNECT_OPEN, built as libvirt's client builds it. */
  nameForServer: string;
  /**
   * The URI handed to virt-ssh-helper on the remote host: {@link nameForServer} with the
   * `mode` and `socket` parameters kept (libvirt's client does the same).
   */
  helperUri: string;
}

/** Which piece of a URI an error is about. */
export type UriPart = 'uri' | 'scheme' | 'transport' | 'user' | 'host' | 'port' | 'path' | 'query' | 'fragment' | 'param';

/**
 * A URI the client cannot use. The message names the URI, with any password removed, and the
 * piece at fault; `part` and `param` say the same for programs.
 */
export class UriError extends Error {
  override name = 'UriError';
  /** The URI with credentials removed. */
  readonly uri: string;
  /** The parameter at fault, when it is one. */
  readonly param?: string;
  /** The piece of the URI at fault. */
  readonly part?: UriPart;

  constructor(uri: string, problem: string, where: { param?: string; part?: UriPart } = {}) {
    const shown = redactUri(uri);
    super(shown === '' ? `libvirt URI missing: ${problem}` : `invalid libvirt URI '${shown}': ${problem}`);
    this.uri = shown;
    if (where.param !== undefined) this.param = where.param;
    const part = where.part ?? (where.param !== undefined ? 'param' : undefined);
    if (part !== undefined) this.part = part;
  }
}

/**
 * The URI with the password of any `user:password@` removed (also inside parameter values).
 *
 * @example
 * ```ts
 * redactUri('qemu+tcp://bob:pw@host/system'); // 'qemu+tcp://bob@host/system'
 * ```
 */
export function redactUri(uri: string): string {
  return String(uri).replace(/(\/\/[^/?#@:\s]*):[^@/?#\s]*@/g, '$1@');
}

// ---------------------------------------------------------------------------------------------
// Character classes (RFC 3986, as libxml2's parser enforces them)

const ALNUM = 'A-Za-z0-9';
const UNRESERVED = `${ALNUM}\\-._~`;
const SUB_DELIMS = "!$&'()*+,;=";
/** Characters each part may hold unescaped (`%` is checked separately). */
const ALLOWED: Record<'user' | 'host' | 'path' | 'query' | 'fragment', RegExp> = {
  user: new RegExp(`^[${UNRESERVED}${SUB_DELIMS}:%]*$`),
  host: new RegExp(`^[${UNRESERVED}${SUB_DELIMS}%]*$`),
  path: new RegExp(`^[${UNRESERVED}${SUB_DELIMS}:@/%]*$`),
  query: new RegExp(`^[${UNRESERVED}${SUB_DELIMS}:@/?%]*$`),
  fragment: new RegExp(`^[${UNRESERVED}${SUB_DELIMS}:@/?%]*$`),
};

function describeChar(c: string): string {
  const code = c.codePointAt(0)!;
  if (code < 0x21 || code === 0x7f) return `the character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${c}'`;
}

/** The first character of `s` that the part may not hold, or a malformed %-escape. */
function checkChars(uri: string, s: string, kind: keyof typeof ALLOWED, what: string, where: { param?: string; part?: UriPart }): void {
  if (!ALLOWED[kind].test(s)) {
    for (const c of s) {
      if (!ALLOWED[kind].test(c)) {
        const bytes = new TextEncoder().encode(c);
        const esc = Array.from(bytes, (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
        throw new UriError(uri, `${what} contains ${describeChar(c)}, which must be percent-encoded (${esc})`, where);
      }
    }
  }
  const bad = /%(?![0-9A-Fa-f]{2})/.exec(s);
  if (bad) throw new UriError(uri, `${what} has a malformed %-escape at '${s.slice(bad.index, bad.index + 3)}'`, where);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Percent-decoding as libxml2 does it (no `+` to space), then UTF-8. */
function decode(uri: string, s: string, what: string, where: { param?: string; part?: UriPart }): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...new TextEncoder().encode(s[i]!));
    }
  }
  try {
    return utf8.decode(new Uint8Array(bytes));
  } catch {
    throw new UriError(uri, `${what} does not decode to UTF-8 text`, where);
  }
}

/** Percent-encodes every byte of `s` not in `keep` (upper-case hex, as glib and libxml2 write it). */
function encode(s: string, keep: RegExp): string {
  let out = '';
  for (const c of s) {
    if (keep.test(c)) out += c;
    else for (const b of new TextEncoder().encode(c)) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** g_uri_escape_string with no reserved characters allowed: only RFC 3986 unreserved stay. */
const KEEP_IN_VALUE = /^[A-Za-z0-9\-._~]$/;
/** What libxml2's xmlSaveUri leaves unescaped in a path. */
const KEEP_IN_PATH = /^[A-Za-z0-9\-_.!~*'()/;@&=+$,]$/;
/** What libxml2's xmlSaveUri leaves unescaped in a fragment. */
const KEEP_IN_FRAGMENT = /^[A-Za-z0-9\-_.!~*'();/?:@&=+$,[\]]$/;

// ---------------------------------------------------------------------------------------------
// Parameters

type ParamKind =
  | { kind: 'name' }
  | { kind: 'path' }
  | { kind: 'text' }
  | { kind: 'bool' }
  | { kind: 'oneOf'; values: readonly string[] }
  | { kind: 'sshauth' }
  | { kind: 'auth' };

/** Every parameter doRemoteOpen extracts (authfile is stripped there too, for virauth). */
const KNOWN_PARAMS: Record<keyof RemoteParams, ParamKind> = {
  name: { kind: 'name' },
  command: { kind: 'path' },
  socket: { kind: 'path' },
  auth: { kind: 'auth' },
  sshauth: { kind: 'sshauth' },
  netcat: { kind: 'path' },
  keyfile: { kind: 'path' },
  pkipath: { kind: 'path' },
  known_hosts: { kind: 'path' },
  known_hosts_verify: { kind: 'oneOf', values: ['normal', 'auto', 'ignore'] },
  tls_priority: { kind: 'text' },
  mode: { kind: 'oneOf', values: ['auto', 'legacy', 'direct'] },
  proxy: { kind: 'oneOf', values: ['auto', 'netcat', 'native'] },
  no_sanity: { kind: 'bool' },
  no_verify: { kind: 'bool' },
  no_tty: { kind: 'bool' },
  authfile: { kind: 'path' },
};

const SSH_AUTH_METHODS: readonly SshAuthMethod[] = ['agent', 'privkey', 'password', 'keyboard-interactive'];

/** Parameters libvirt keeps in the URI it gives virt-ssh-helper. */
const HELPER_KEEPS = new Set(['mode', 'socket']);

function convertParam(uri: string, key: keyof RemoteParams, value: string): unknown {
  const spec = KNOWN_PARAMS[key];
  const where = { param: key };
  switch (spec.kind) {
    case 'name':
      return value;
    case 'path':
    case 'text':
      if (value === '') throw new UriError(uri, `parameter '${key}' needs a value`, where);
      return value;
    case 'bool': {
      // virStrToLong_i: optional leading white space and sign, decimal digits, nothing after.
      const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(value);
      const n = m ? Number(m[1]) : NaN;
      if (!m || n < -2147483648 || n > 2147483647) {
        throw new UriError(uri, `parameter '${key}' must be an integer (0 for no, 1 for yes), not '${value}'`, where);
      }
      return n !== 0;
    }
    case 'oneOf':
      if (!spec.values.includes(value)) {
        throw new UriError(uri, `parameter '${key}' must be one of ${spec.values.join(', ')}, not '${value}'`, where);
      }
      return value;
    case 'sshauth': {
      const methods = value.split(',').map((m) => m.toLowerCase());
      for (const m of methods) {
        if (!(SSH_AUTH_METHODS as readonly string[]).includes(m)) {
          throw new UriError(
            uri,
            `parameter 'sshauth' is a comma-separated list of ${SSH_AUTH_METHODS.join(', ')}; '${m}' is not one of them`,
            where,
          );
        }
      }
      return methods;
    }
    case 'auth':
      if (!/^(sasl(\..+)?|polkit)$/i.test(value)) {
        throw new UriError(uri, `parameter 'auth' must be sasl, sasl.MECHANISM or polkit, not '${value}'`, where);
      }
      return value;
  }
}

interface RawParam {
  name: string;
  value: string;
}

/**
 * libvirt's virURIParseParams: segments end at the next `&` or, only when no `&` is left, at
 * the next `;`; a segment without `=` is a name with an empty value; one starting with `=`
 * and empty ones are skipped.
 */
function splitQuery(uri: string, query: string): RawParam[] {
  const out: RawParam[] = [];
  let pos = 0;
  while (pos < query.length) {
    let end = query.indexOf('&', pos);
    if (end < 0) end = query.indexOf(';', pos);
    if (end < 0) end = query.length;
    let eq = query.indexOf('=', pos);
    if (eq >= end) eq = -1;
    const raw = query.slice(pos, end);
    if (end !== pos && eq !== pos) {
      const rawName = eq < 0 ? raw : query.slice(pos, eq);
      const rawValue = eq < 0 ? '' : query.slice(eq + 1, end);
      const where = { param: rawName };
      checkChars(uri, rawName, 'query', `the parameter name '${rawName}'`, where);
      const name = decode(uri, rawName, `the parameter name '${rawName}'`, where);
      checkChars(uri, rawValue, 'query', `the value of parameter '${name}'`, { param: name });
      out.push({ name, value: decode(uri, rawValue, `the value of parameter '${name}'`, { param: name }) });
    }
    pos = end + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Authority

const IPV6_LITERAL = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%25[A-Za-z0-9\-._~%]+)?$/;

function parseAuthority(uri: string, authority: string): { user?: string; host?: string; port?: number } {
  let rest = authority;
  let user: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (userinfo.includes(':')) {
      throw new UriError(uri, 'a password in the URI is not supported (libvirt would take it as part of the user name); use an auth file or a credentials callback', {
        part: 'user',
      });
    }
    checkChars(uri, userinfo, 'user', 'the user name', { part: 'user' });
    user = decode(uri, userinfo, 'the user name', { part: 'user' });
    if (!user) throw new UriError(uri, "the user name before '@' is empty", { part: 'user' });
  }
  if (rest.includes('@')) throw new UriError(uri, "the host contains '@', which must be percent-encoded (%40) in a user name", { part: 'host' });

  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new UriError(uri, "the IPv6 address is missing its closing ']'", { part: 'host' });
    const literal = rest.slice(1, close);
    if (!IPV6_LITERAL.test(literal)) throw new UriError(uri, `'[${literal}]' is not an IPv6 address`, { part: 'host' });
    host = literal.replace('%25', '%');
    const after = rest.slice(close + 1);
    if (after && !after.startsWith(':')) throw new UriError(uri, `unexpected '${after}' after the IPv6 address`, { part: 'host' });
    if (after) portText = after.slice(1);
  } else {
    const colon = rest.indexOf(':');
    if (colon >= 0) {
      if (rest.indexOf(':', colon + 1) >= 0) {
        throw new UriError(uri, `the host '${rest}' has several ':'; write an IPv6 address in brackets, as in qemu+ssh://[::1]/system`, { part: 'host' });
      }
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    } else {
      host = rest;
    }
    checkChars(uri, host, 'host', 'the host', { part: 'host' });
    host = decode(uri, host, 'the host', { part: 'host' });
  }

  let port: number | undefined;
  if (portText !== undefined && portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new UriError(uri, `the port '${portText}' is not a number from 1 to 65535`, { part: 'port' });
    }
    if (!host) throw new UriError(uri, `the port ${portText} is given without a host (libvirt would ignore it)`, { part: 'port' });
    port = Number(portText);
  }
  return { ...(user !== undefined ? { user } : {}), ...(host ? { host } : {}), ...(port !== undefined ? { port } : {}) };
}

/** Drivers whose URIs always have a path such as /system, for the `qemu://system` check. */
const PATH_DRIVERS = new Set(['qemu', 'vbox', 'vz']);

// ---------------------------------------------------------------------------------------------

/**
 * Parses a libvirt connection URI as libvirt's client does and checks every parameter the
 * client knows. Throws {@link UriError} naming the piece at fault.
 *
 * @example
 * ```ts
 * const u = parseLibvirtUri('qemu+ssh://root@host:2222/system?keyfile=/k&foo=bar');
 * u.transport;     // 'ssh'
 * u.port;          // 2222
 * u.params.keyfile; // '/k'
 * u.nameForServer; // 'qemu:///system?foo=bar'
 * parseLibvirtUri('qemu://example.com/system').transport; // 'tls' (a host and no transport)
 * ```
 */
export function parseLibvirtUri(uri: string): LibvirtUri {
  if (typeof uri !== 'string') throw new UriError(String(uri), 'a URI must be a string', { part: 'uri' });
  if (uri === '') throw new UriError('', 'the URI is empty', { part: 'uri' });
  // libvirt's historical spellings of the local Xen hypervisor.
  const text = /^xen$/i.test(uri) || uri === 'xen://' ? 'xen:///system' : uri;

  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
  if (!schemeMatch) {
    throw new UriError(uri, 'it does not start with a driver name, as in qemu:///system or qemu+ssh://host/system (URI aliases from libvirt.conf are not read)', {
      part: 'scheme',
    });
  }
  const scheme = schemeMatch[1]!;
  let rest = text.slice(scheme.length + 1);

  let fragment: string | undefined;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    const raw = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
    checkChars(uri, raw, 'fragment', 'the fragment', { part: 'fragment' });
    fragment = decode(uri, raw, 'the fragment', { part: 'fragment' });
  }
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let authority: string | undefined;
  let rawPath = rest;
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rawPath = slash < 0 ? '' : rest.slice(slash);
  } else if (rawPath && !rawPath.startsWith('/')) {
    throw new UriError(uri, `the path '${rawPath}' is not absolute; write ${scheme}:///${rawPath}`, { part: 'path' });
  }

  const plus = scheme.indexOf('+');
  const driver = plus < 0 ? scheme : scheme.slice(0, plus);
  const transportText = plus < 0 ? undefined : scheme.slice(plus + 1).toLowerCase();

  const { user, host, port } = parseAuthority(uri, authority ?? '');
  if (host && PATH_DRIVERS.has(driver) && (host === 'system' || host === 'session')) {
    throw new UriError(uri, `'${host}' is read as a host name; write ${driver}:///${host}`, { part: 'host' });
  }

  let transport: TransportName;
  if (transportText !== undefined) {
    if (!(TRANSPORTS as readonly string[]).includes(transportText)) {
      throw new UriError(uri, `unknown transport '${transportText}' (use one of ${[...TRANSPORTS].sort().join(', ')})`, { part: 'transport' });
    }
    transport = transportText as TransportName;
    if (transport === 'unix' && host) {
      throw new UriError(uri, `the unix transport cannot reach the remote host '${host}'`, { part: 'host' });
    }
  } else {
    transport = host ? 'tls' : 'unix';
  }

  checkChars(uri, rawPath, 'path', 'the path', { part: 'path' });
  const path = decode(uri, rawPath, 'the path', { part: 'path' });

  const params: RemoteParams = {};
  const extraParams: [string, string][] = [];
  /** The parameters in order, known ones flagged: for the helper's URI. */
  const all: { name: string; value: string; known: boolean }[] = [];
  for (const { name, value } of splitQuery(uri, query)) {
    const key = name.toLowerCase() as keyof RemoteParams;
    const known = Object.prototype.hasOwnProperty.call(KNOWN_PARAMS, key);
    all.push({ name, value, known });
    if (known) (params as Record<string, unknown>)[key] = convertParam(uri, key, value);
    else extraParams.push([name, value]);
  }

  if (transport === 'ext' && !params.command) {
    throw new UriError(uri, "the ext transport needs a 'command' parameter", { param: 'command' });
  }
  if (params.proxy === 'native' && params.netcat !== undefined) {
    throw new UriError(uri, "parameter 'netcat' cannot be used with proxy=native", { param: 'netcat' });
  }

  const probe = scheme === 'remote' || scheme.startsWith('remote+');
  const built = (keep: (p: { name: string; known: boolean }) => boolean) =>
    formatName(
      driver,
      path,
      all.filter(keep).map((p) => [p.name, p.value]),
      fragment,
    );
  const nameForServer = params.name ?? (probe ? '' : built((p) => !p.known));
  const helperUri = params.name ?? (probe ? '' : built((p) => !p.known || HELPER_KEEPS.has(p.name.toLowerCase())));

  return {
    original: uri,
    driver,
    transport,
    transportExplicit: transportText !== undefined,
    ...(user !== undefined ? { user } : {}),
    ...(host ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
    path,
    ...(fragment !== undefined ? { fragment } : {}),
    params,
    extraParams,
    nameForServer,
    helperUri,
  };
}

/**
 * The URI without transport, user, host and port, as libvirt's remoteConnectFormatURI writes
 * it: the path escaped as libxml2 escapes it, parameter names as they are, values escaped.
 */
function formatName(driver: string, path: string, params: [string, string][], fragment: string | undefined): string {
  const query = params.map(([k, v]) => `${k}=${encode(v, KEEP_IN_VALUE)}`).join('&');
  return `${driver}://${encode(path, KEEP_IN_PATH)}${query ? `?${query}` : ''}${fragment !== undefined ? `#${encode(fragment, KEEP_IN_FRAGMENT)}` : ''}`;
}

/**
 * The URI to open when none is given.
 *
 * libvirt's client takes `LIBVIRT_DEFAULT_URI` when it is set and not empty, then `uri_default`
 * from libvirt.conf (not read here), and otherwise has no URI at all: it opens the local
 * daemon's socket (the per-user one when not root) with an empty name, lets the daemon probe its
 * drivers and asks it afterwards which URI it chose. The QEMU driver comes first in that probe
 * and answers `qemu:///system` in a privileged daemon and `qemu:///session` otherwise, so on any
 * host with QEMU the outcome is the URI this function returns when `isRoot` is given. (A host
 * without QEMU would answer with another driver, e.g. `xen:///system` or `lxc:///system`.)
 *
 * Called without `isRoot`, it returns `null` instead of the QEMU guess: "no URI, let the daemon
 * choose", which is what libvirt's client literally sends.
 *
 * @example
 * ```ts
 * defaultUri({ LIBVIRT_DEFAULT_URI: 'test:///default' }, false); // 'test:///default'
 * defaultUri({}, true);  // 'qemu:///system'
 * defaultUri({}, false); // 'qemu:///session'
 * defaultUri({});        // null: the daemon probes
 * ```
 */
export function defaultUri(env: Record<string, string | undefined>, isRoot: boolean): string;
export function defaultUri(env: Record<string, string | undefined>): string | null;
export function defaultUri(env: Record<string, string | undefined>, isRoot?: boolean): string | null {
  const fromEnv = env.LIBVIRT_DEFAULT_URI;
  if (fromEnv) return fromEnv;
  if (isRoot === undefined) return null;
  return isRoot ? 'qemu:///system' : 'qemu:///session';
}
