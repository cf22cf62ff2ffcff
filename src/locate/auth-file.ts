/**
 * Finds libvirt's client auth file as libvirt does: `authfile=` in the URI, else
 * LIBVIRT_AUTH_FILE, else $XDG_CONFIG_HOME/libvirt/auth.conf (~/.config), else
 * /etc/libvirt/auth.conf.
 */
import { existsSync, readFileSync } from 'node:fs';
import { credentialsFromAuthFile } from '../auth/authfile.js';
import type { Credentials } from '../auth/sasl.js';

export function authFileCredentials(
  env: Record<string, string | undefined>,
  explicit: string | undefined,
  host: string,
): Partial<Credentials> | undefined {
  const candidates = explicit
    ? [explicit]
    : [
        env.LIBVIRT_AUTH_FILE,
        env.XDG_CONFIG_HOME ? `${env.XDG_CONFIG_HOME}/libvirt/auth.conf` : env.HOME ? `${env.HOME}/.config/libvirt/auth.conf` : undefined,
        '/etc/libvirt/auth.conf',
      ];
  for (const file of candidates) {
    if (!file) continue;
    if (!existsSync(file)) {
      if (file === explicit || file === env.LIBVIRT_AUTH_FILE) throw new Error(`the auth file ${file} does not exist`);
      continue;
    }
    return credentialsFromAuthFile(readFileSync(file, 'utf8'), file, 'libvirt', host);
  }
  return undefined;
}
