/**
 * A private SASL setup for a test daemon: a config dir (given to libvirtd as SASL_CONF_PATH)
 * whose libvirt.conf offers the chosen mechanisms, with users in their own sasldb.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function makeSaslConfig(dir: string, users: Record<string, string>, mechanisms = ['scram-sha-256']): { confDir: string; db: string } {
  mkdirSync(dir, { recursive: true });
  const db = join(dir, 'passwd.db');
  writeFileSync(join(dir, 'libvirt.conf'), `mech_list: ${mechanisms.join(' ')}\nsasldb_path: ${db}\n`);
  for (const [name, password] of Object.entries(users)) {
    execFileSync('saslpasswd2', ['-p', '-f', db, '-a', 'libvirt', '-c', name], { input: password, stdio: ['pipe', 'ignore', 'pipe'] });
  }
  return { confDir: dir, db };
}
