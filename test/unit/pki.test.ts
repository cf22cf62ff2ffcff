import { SYSTEM_PKI, pkiFiles } from '../../src/locate/pki.js';

describe('libvirt x509 file rules', () => {
  it('uses the system paths as root', () => {
    expect(pkiFiles({ isRoot: true, home: '/root', exists: () => true })).toEqual(SYSTEM_PKI);
    expect(SYSTEM_PKI).toEqual({
      ca: '/etc/pki/CA/cacert.pem',
      crl: '/etc/pki/CA/cacrl.pem',
      cert: '/etc/pki/libvirt/clientcert.pem',
      key: '/etc/pki/libvirt/private/clientkey.pem',
    });
  });

  it('prefers ~/.pki/libvirt file by file for other users', () => {
    const have = new Set(['/home/u/.pki/libvirt/cacert.pem', '/home/u/.pki/libvirt/clientcert.pem']);
    expect(pkiFiles({ isRoot: false, home: '/home/u', exists: (f) => have.has(f) })).toEqual({
      ca: '/home/u/.pki/libvirt/cacert.pem',
      cert: '/home/u/.pki/libvirt/clientcert.pem',
      key: SYSTEM_PKI.key,
      crl: SYSTEM_PKI.crl,
    });
  });

  it('takes everything from pkipath= when given', () => {
    expect(pkiFiles({ isRoot: true, pkipath: '/p/', exists: () => false })).toEqual({
      ca: '/p/cacert.pem',
      crl: '/p/cacrl.pem',
      cert: '/p/clientcert.pem',
      key: '/p/clientkey.pem',
    });
  });
});
