/**
 * OpenSSH known_hosts checking for the ssh transport: plain and hashed (`|1|salt|hash`) host
 * patterns, `[host]:port` for other ports, negation and wildcards, and revoked keys.
 */
import { createHmac } from 'node:crypto';

export type HostKeyVerdict = 'known' | 'unknown' | 'changed' | 'revoked';

interface Entry {
  marker: '@revoked' | '@cert-authority' | null;
  patterns: string;
  keyType: string;
  key: string;
}

function parse(text: string): Entry[] {
  const out: Entry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    const marker = parts[0] === '@revoked' || parts[0] === '@cert-authority' ? (parts.shift() as Entry['marker']) : null;
    if (parts.length < 3) continue;
    out.push({ marker, patterns: parts[0]!, keyType: parts[1]!, key: parts[2]! });
  }
  return out;
}

/** The name OpenSSH looks a host up by: `host`, or `[host]:port` off port 22. */
export function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcard(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

function matches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let hit = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (wildcard(p.slice(1), name)) return false;
    } else if (wildcard(p, name)) hit = true;
  }
  return hit;
}

/**
 * Looks `key` (the server's public key blob) up for `name` in known_hosts text.
 *
 * @example
 * ```ts
 * checkHostKey(readFileSync(file, 'utf8'), hostKeyName('node1', 22), keyBlob); // 'known'
 * ```
 */
export function checkHostKey(text: string, name: string, key: Uint8Array): HostKeyVerdict {
  const b64 = Buffer.from(key).toString('base64');
  // The blob starts with its type (`ssh-ed25519`); only a key of that type can have changed.
  const blob = Buffer.from(key);
  const keyType = blob.length > 4 ? blob.subarray(4, 4 + blob.readUInt32BE(0)).toString() : '';
  let sawHost = false;
  for (const e of parse(text)) {
    if (e.marker === '@revoked' && e.key === b64) return 'revoked';
  }
  for (const e of parse(text)) {
    if (e.marker || !matches(e.patterns, name)) continue;
    if (e.key === b64) return 'known';
    if (e.keyType === keyType) sawHost = true;
  }
  return sawHost ? 'changed' : 'unknown';
}

/** A known_hosts line for `name` and `key`, as ssh would append it. */
export function knownHostsLine(name: string, keyType: string, key: Uint8Array): string {
  return `${name} ${keyType} ${Buffer.from(key).toString('base64')}`;
}
