import { credentialsFromAuthFile } from '../../src/auth/authfile.js';
import { chooseMechanism, createMechanism } from '../../src/auth/sasl.js';
import { ScramClient } from '../../src/auth/scram.js';

const enc = new TextEncoder();
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('SCRAM', () => {
  it('matches the SCRAM-SHA-256 exchange of RFC 7677', async () => {
    const c = new ScramClient('SHA-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    expect(text(c.first())).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await c.final(enc.encode('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
    expect(text(final)).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(() => c.verify(enc.encode('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).not.toThrow();
    expect(() => c.verify(enc.encode('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toThrow(/server signature mismatch/);
  });

  it('matches the SCRAM-SHA-1 exchange of RFC 5802', async () => {
    const c = new ScramClient('SHA-1', 'user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL');
    c.first();
    const final = await c.final(enc.encode('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'));
    expect(text(final)).toBe('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
    expect(() => c.verify(enc.encode('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='))).not.toThrow();
  });

  it('refuses a server nonce that does not extend ours, and a server error', async () => {
    const c = new ScramClient('SHA-256', 'user', 'pencil', 'abc');
    c.first();
    await expect(c.final(enc.encode('r=xyz123,s=QSXCR+Q6sek8bf92,i=4096'))).rejects.toThrow(/nonce/);
    await expect(new ScramClient('SHA-256', 'u', 'p', 'abc').final(enc.encode('e=other-error'))).rejects.toThrow(/other-error/);
  });

  it('escapes = and , in user names', () => {
    expect(text(new ScramClient('SHA-256', 'a=b,c', 'p', 'n').first())).toBe('n,,n=a=3Db=2Cc,r=n');
  });
});

describe('SASL mechanisms', () => {
  it('prefers SCRAM-SHA-256 and honours a forced mechanism', () => {
    expect(chooseMechanism(['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'])).toBe('SCRAM-SHA-256');
    expect(chooseMechanism(['plain', 'scram-sha-1'])).toBe('SCRAM-SHA-1');
    expect(chooseMechanism(['PLAIN', 'SCRAM-SHA-256'], 'plain')).toBe('PLAIN');
    expect(() => chooseMechanism(['GSSAPI'])).toThrow(/no SASL mechanism in common/);
    expect(() => chooseMechanism(['PLAIN'], 'scram-sha-256')).toThrow(/does not offer SASL mechanism scram-sha-256/);
  });

  it('PLAIN sends authzid, user and password separated by NUL', async () => {
    const m = createMechanism('PLAIN', async () => ({ username: 'u', password: 'p' }));
    expect(Array.from((await m.start())!)).toEqual([0, 117, 0, 112]);
    expect(m.sendsSecret).toBe(true);
  });
});

describe('auth.conf', () => {
  const file = `
# comment
[credentials-test]
authname=alice
password=s3cret

[auth-libvirt-node1]
credentials=test

[auth-libvirt-default]
credentials=test
`;
  it('finds credentials for a host, or the default ones', () => {
    expect(credentialsFromAuthFile(file, 'auth.conf', 'libvirt', 'node1')).toEqual({ username: 'alice', password: 's3cret' });
    expect(credentialsFromAuthFile(file, 'auth.conf', 'libvirt', 'other')).toEqual({ username: 'alice', password: 's3cret' });
    expect(credentialsFromAuthFile('[credentials-x]\nauthname=a\n', 'f', 'libvirt', 'h')).toBeUndefined();
  });

  it('names the line of a malformed file and a missing credentials section', () => {
    expect(() => credentialsFromAuthFile('oops\n', 'auth.conf', 'libvirt', 'h')).toThrow(/auth\.conf:1/);
    expect(() => credentialsFromAuthFile('[auth-libvirt-h]\ncredentials=nope\n', 'auth.conf', 'libvirt', 'h')).toThrow(/no \[credentials-nope\]/);
  });
});
