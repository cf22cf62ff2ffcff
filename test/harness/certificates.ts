/**
 * Test certificates made with GnuTLS's certtool, as libvirt's TLS docs describe: a CA, a
 * server certificate for 127.0.0.1 and localhost, and a client certificate. Also the bad
 * ones the tests need: another CA, a server certificate for another name, an expired one.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertPair {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  ca: CertPair;
  server: CertPair;
  client: CertPair;
  /** A CA that signed nothing the server uses. */
  otherCa: CertPair;
  /** A client certificate signed by `otherCa`, which the server does not trust. */
  strangerClient: CertPair;
  /** Server certificates that must be refused: named for another host; expired. */
  wrongNameServer: CertPair;
  expiredServer: CertPair;
}

function certtool(args: string[]): void {
  execFileSync('certtool', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function key(path: string): void {
  certtool(['--generate-privkey', '--key-type=rsa', '--bits=2048', '--outfile', path]);
}

function template(dir: string, name: string, lines: string[]): string {
  const path = join(dir, `${name}.info`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

function makeCa(dir: string, name: string): CertPair {
  const pair = { cert: join(dir, `${name}-cert.pem`), key: join(dir, `${name}-key.pem`) };
  key(pair.key);
  const info = template(dir, name, [`cn = libvirt-rpc test ${name}`, 'ca', 'cert_signing_key', 'expiration_days = 30']);
  certtool(['--generate-self-signed', '--load-privkey', pair.key, '--template', info, '--outfile', pair.cert]);
  return pair;
}

function makeSigned(dir: string, name: string, ca: CertPair, lines: string[]): CertPair {
  const pair = { cert: join(dir, `${name}-cert.pem`), key: join(dir, `${name}-key.pem`) };
  key(pair.key);
  const info = template(dir, name, lines);
  certtool([
    '--generate-certificate',
    '--load-privkey', pair.key,
    '--load-ca-certificate', ca.cert,
    '--load-ca-privkey', ca.key,
    '--template', info,
    '--outfile', pair.cert,
  ]);
  return pair;
}

/** Makes every certificate in `dir` (about a second: RSA keys). Needs Debian's gnutls-bin. */
export function makeTestPki(dir: string): TestPki {
  mkdirSync(dir, { recursive: true });
  const server = ['organization = libvirt-rpc', 'tls_www_server', 'encryption_key', 'signing_key'];
  const client = ['country = GB', 'organization = libvirt-rpc', 'tls_www_client', 'encryption_key', 'signing_key'];
  const ca = makeCa(dir, 'ca');
  const otherCa = makeCa(dir, 'other-ca');
  return {
    dir,
    ca,
    otherCa,
    server: makeSigned(dir, 'server', ca, ['cn = localhost', ...server, 'ip_address = 127.0.0.1', 'dns_name = localhost', 'expiration_days = 30']),
    client: makeSigned(dir, 'client', ca, ['cn = client', ...client, 'expiration_days = 30']),
    strangerClient: makeSigned(dir, 'stranger', otherCa, ['cn = stranger', ...client, 'expiration_days = 30']),
    wrongNameServer: makeSigned(dir, 'wrong-name', ca, ['cn = other.example', ...server, 'dns_name = other.example', 'expiration_days = 30']),
    expiredServer: makeSigned(dir, 'expired', ca, [
      'cn = localhost',
      ...server,
      'ip_address = 127.0.0.1',
      'dns_name = localhost',
      'activation_date = "2020-01-01 00:00:00 UTC"',
      'expiration_date = "2020-02-01 00:00:00 UTC"',
    ]),
  };
}
