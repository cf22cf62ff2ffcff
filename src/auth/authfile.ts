/**
 * libvirt's client credentials file (auth.conf): `[credentials-NAME]` sections hold
 * `authname=` and `password=`; `[auth-SERVICE-HOST]` (or `[auth-SERVICE-default]`) names the
 * credentials to use with `credentials=NAME`.
 */
import type { Credentials } from './sasl.js';

type Ini = Map<string, Map<string, string>>;

export function parseIni(text: string, file: string): Ini {
  const out: Ini = new Map();
  let section: Map<string, string> | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const head = /^\[([^\]]+)\]$/.exec(line);
    if (head) {
      section = new Map();
      out.set(head[1]!.trim(), section);
      return;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !section) throw new Error(`${file}:${i + 1}: expected [section] or key=value`);
    section.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  });
  return out;
}

/**
 * The credentials auth.conf gives for `service` ("libvirt") on `host`, or undefined.
 *
 * @example
 * ```ts
 * credentialsFromAuthFile('[credentials-t]\nauthname=u\npassword=p\n[auth-libvirt-default]\ncredentials=t\n', 'x', 'libvirt', 'h');
 * // { username: 'u', password: 'p' }
 * ```
 */
export function credentialsFromAuthFile(text: string, file: string, service: string, host: string): Partial<Credentials> | undefined {
  const ini = parseIni(text, file);
  const auth = ini.get(`auth-${service}-${host}`) ?? ini.get(`auth-${service}-default`);
  const name = auth?.get('credentials');
  if (!name) return undefined;
  const creds = ini.get(`credentials-${name}`);
  if (!creds) throw new Error(`${file}: [auth-${service}-...] names credentials '${name}', but there is no [credentials-${name}] section`);
  return {
    ...(creds.has('authname') || creds.has('username') ? { username: creds.get('authname') ?? creds.get('username')! } : {}),
    ...(creds.has('password') ? { password: creds.get('password')! } : {}),
  };
}
