/**
 * Where libvirt's client looks for its x509 files: `pkipath=`; as root the system paths;
 * otherwise ~/.pki/libvirt/ with a per-file fallback to the system paths.
 */

export interface PkiFiles {
  ca: string;
  cert: string;
  key: string;
  crl: string;
}

export const SYSTEM_PKI: PkiFiles = {
  ca: '/etc/pki/CA/cacert.pem',
  crl: '/etc/pki/CA/cacrl.pem',
  cert: '/etc/pki/libvirt/clientcert.pem',
  key: '/etc/pki/libvirt/private/clientkey.pem',
};

const NAMES: PkiFiles = { ca: 'cacert.pem', crl: 'cacrl.pem', cert: 'clientcert.pem', key: 'clientkey.pem' };

/**
 * @example
 * ```ts
 * pkiFiles({ isRoot: false, home: '/home/u', exists: fs.existsSync }).ca; // ~/.pki/libvirt/cacert.pem if present
 * ```
 */
export function pkiFiles(ctx: { isRoot: boolean; home?: string; pkipath?: string; exists(path: string): boolean }): PkiFiles {
  if (ctx.pkipath) {
    const dir = ctx.pkipath.replace(/\/+$/, '');
    return { ca: `${dir}/${NAMES.ca}`, crl: `${dir}/${NAMES.crl}`, cert: `${dir}/${NAMES.cert}`, key: `${dir}/${NAMES.key}` };
  }
  if (ctx.isRoot || !ctx.home) return { ...SYSTEM_PKI };
  const user = (k: keyof PkiFiles) => `${ctx.home}/.pki/libvirt/${NAMES[k]}`;
  const pick = (k: keyof PkiFiles) => (ctx.exists(user(k)) ? user(k) : SYSTEM_PKI[k]);
  return { ca: pick('ca'), crl: pick('crl'), cert: pick('cert'), key: pick('key') };
}
