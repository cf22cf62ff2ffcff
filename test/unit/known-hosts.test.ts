import { createHmac } from 'node:crypto';
import { checkHostKey, hostKeyName } from '../../src/transport/known-hosts.js';
import { remoteCommand, sshProxy } from '../../src/locate/ssh-target.js';
import { parseLibvirtUri } from '../../src/locate/uri.js';

/** An ssh public key blob of `type` with some key bytes. */
function blob(type: string, fill: number): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.alloc(32, fill)]);
}

const ED = blob('ssh-ed25519', 1);
const ED_OTHER = blob('ssh-ed25519', 2);
const RSA = blob('ssh-rsa', 3);
const line = (hosts: string, b: Buffer, type = 'ssh-ed25519') => `${hosts} ${type} ${b.toString('base64')}`;

describe('known_hosts', () => {
  it('finds plain, port-qualified, wildcard and hashed entries', () => {
    expect(checkHostKey(line('node1,10.0.0.1', ED), 'node1', ED)).toBe('known');
    expect(checkHostKey(line('[node1]:2222', ED), hostKeyName('node1', 2222), ED)).toBe('known');
    expect(checkHostKey(line('*.example.com', ED), 'a.example.com', ED)).toBe('known');
    expect(checkHostKey(line('*.example.com,!bad.example.com', ED), 'bad.example.com', ED)).toBe('unknown');
    const salt = Buffer.from('0123456789abcdef0123');
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[h]:2200').digest('base64')}`;
    expect(checkHostKey(line(hashed, ED), '[h]:2200', ED)).toBe('known');
    expect(checkHostKey(line(hashed, ED), '[h]:2201', ED)).toBe('unknown');
  });

  it('tells a changed key from an unknown one, by key type', () => {
    expect(checkHostKey(line('node1', ED_OTHER), 'node1', ED)).toBe('changed');
    expect(checkHostKey(line('node1', RSA, 'ssh-rsa'), 'node1', ED)).toBe('unknown');
    expect(checkHostKey('', 'node1', ED)).toBe('unknown');
    expect(checkHostKey(`@revoked * ssh-ed25519 ${ED.toString('base64')}\n${line('node1', ED)}`, 'node1', ED)).toBe('revoked');
  });
});

describe('the remote command', () => {
  it('runs virt-ssh-helper, netcat, or the first that exists, as libvirt builds them', () => {
    expect(remoteCommand(parseLibvirtUri('qemu+ssh://h/system?proxy=native'), false)).toBe("virt-ssh-helper 'qemu:///system'");
    expect(remoteCommand(parseLibvirtUri('qemu+ssh://h/system?proxy=native'), true)).toBe("virt-ssh-helper -r 'qemu:///system'");
    const nc = remoteCommand(parseLibvirtUri('qemu+ssh://h/system?proxy=netcat&netcat=/bin/nc&socket=/s'), false);
    expect(nc).toMatch(/^sh -c '/);
    expect(nc).toContain("'\\''/bin/nc'\\'' $ARG -U '\\''/s'\\''");
    expect(remoteCommand(parseLibvirtUri('qemu+ssh://h/system'), true)).toContain('/var/run/libvirt/libvirt-sock-ro');
  });

  it('gives the helper name= if there is one, else the URI with its mode, socket and own parameters', () => {
    const helper = (u: string) => /virt-ssh-helper '([^']*)'/.exec(remoteCommand(parseLibvirtUri(u), false))?.[1];
    expect(helper('qemu+ssh://h/system?proxy=native&name=qemu:///embed%3Froot%3D/r')).toBe('qemu:///embed?root=/r');
    expect(helper('qemu+ssh://u@h:2222/system?mode=direct&keyfile=/k&foo=bar&proxy=native')).toBe('qemu:///system?mode=direct&foo=bar');
  });

  it('picks the proxy as libvirt does when none is given', () => {
    expect(sshProxy(parseLibvirtUri('qemu+ssh://h/system'))).toBe('auto');
    expect(sshProxy(parseLibvirtUri('qemu+ssh://h/session'))).toBe('native');
    expect(sshProxy(parseLibvirtUri('qemu+ssh://h/session?socket=/run/user/7/libvirt/libvirt-sock'))).toBe('netcat');
    expect(sshProxy(parseLibvirtUri('qemu+ssh://h/system?netcat=/opt/nc'))).toBe('netcat');
    expect(sshProxy(parseLibvirtUri('qemu+ssh://h/system?proxy=auto&netcat=/opt/nc'))).toBe('netcat');
    expect(sshProxy(parseLibvirtUri('qemu+ssh://h/session?proxy=auto'))).toBe('auto');
  });
});
