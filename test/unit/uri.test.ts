import { defaultUri, parseLibvirtUri, redactUri, UriError } from '../../src/transport/uri.js';
import { adminSocketFor, unixSocketFor, userRuntimeDir } from '../../src/transport/socket-path.js';

describe('parseLibvirtUri', () => {
  it.each([
    ['qemu:///system', { driver: 'qemu', transport: 'unix', path: '/system', nameForServer: 'qemu:///system' }],
    ['qemu:///session', { driver: 'qemu', transport: 'unix', path: '/session', nameForServer: 'qemu:///session' }],
    ['qemu://example.com/system', { transport: 'tls', host: 'example.com', nameForServer: 'qemu:///system' }],
    ['qemu+tcp://10.1.2.3:5000/system', { transport: 'tcp', host: '10.1.2.3', port: 5000 }],
    ['qemu+ssh://root@node1/system?keyfile=/k/id', { transport: 'ssh', user: 'root', host: 'node1', params: { keyfile: '/k/id' } }],
    ['qemu+tls://[2001:db8::1]:16514/system', { transport: 'tls', host: '2001:db8::1', port: 16514 }],
    ['test+unix:///default?socket=/tmp/x%20y/sock', { driver: 'test', params: { socket: '/tmp/x y/sock' }, nameForServer: 'test:///default' }],
    ['lxc:///', { driver: 'lxc', path: '/', nameForServer: 'lxc:///' }],
    ['qemu+ext:///system?command=/usr/bin/tunnel', { transport: 'ext', params: { command: '/usr/bin/tunnel' } }],
    ['QEMU+SSH://h/system', { driver: 'QEMU', transport: 'ssh' }],
  ])('%s', (uri, expected) => {
    expect(parseLibvirtUri(uri)).toMatchObject(expected);
  });

  it('types every parameter the client knows and keeps unknown ones for the daemon', () => {
    const u = parseLibvirtUri(
      'qemu+ssh://u@h:2222/system?no_verify=1&no_tty=0&sshauth=agent,privkey&known_hosts_verify=auto&mode=direct&proxy=native&foo=bar&x=a%26b&name=qemu:///embed?root=/r',
    );
    expect(u.params).toEqual({
      no_verify: true,
      no_tty: false,
      sshauth: ['agent', 'privkey'],
      known_hosts_verify: 'auto',
      mode: 'direct',
      proxy: 'native',
      name: 'qemu:///embed?root=/r',
    });
    expect(u.extraParams).toEqual([
      ['foo', 'bar'],
      ['x', 'a&b'],
    ]);
    // name= overrides what is sent to the daemon.
    expect(u.nameForServer).toBe('qemu:///embed?root=/r');
    expect(parseLibvirtUri('qemu:///system?foo=bar&x=a%26b').nameForServer).toBe('qemu:///system?foo=bar&x=a%26b');
  });

  it.each([
    ['', /it is empty/],
    ['not a uri', /does not have the form/],
    ['qemu+carrier-pigeon:///system', /unknown transport 'carrier-pigeon'/],
    ['qemu+unix://remote/system', /unix transport cannot reach the remote host 'remote'/],
    ['qemu://h:0/system', /port '0'/],
    ['qemu://h:http/system', /port 'http'/],
    ['qemu://[::1/system', /closing '\]'/],
    ['qemu:///system?no_verify=yes', /parameter 'no_verify' must be a number/],
    ['qemu:///system?mode=fast', /parameter 'mode' must be one of auto, legacy, direct/],
    ['qemu:///system?known_hosts_verify=maybe', /known_hosts_verify/],
    ['qemu:///system?keyfile=', /parameter 'keyfile' needs a value/],
    ['qemu+ext:///system', /needs a 'command' parameter/],
    ['qemu+ssh://h/system?proxy=native&netcat=nc', /'netcat' cannot be used with proxy=native/],
    ['qemu:///sys%ZZtem', /malformed %-escape/],
  ])('refuses %j', (uri, message) => {
    expect(() => parseLibvirtUri(uri)).toThrow(UriError);
    expect(() => parseLibvirtUri(uri)).toThrow(message);
  });

  it('never shows a password in an error', () => {
    expect(() => parseLibvirtUri('qemu+ssh://alice:s3cret@h/system')).toThrow(/alice@h/);
    expect(() => parseLibvirtUri('qemu+ssh://alice:s3cret@h/system')).not.toThrow(/s3cret/);
    expect(redactUri('qemu+tcp://bob:pw@host/system')).toBe('qemu+tcp://bob@host/system');
  });

  it('names the offending parameter', () => {
    try {
      parseLibvirtUri('qemu:///system?no_tty=x');
    } catch (e) {
      expect((e as UriError).param).toBe('no_tty');
    }
  });

  it('takes LIBVIRT_DEFAULT_URI, else leaves the choice to the daemon', () => {
    expect(defaultUri({ LIBVIRT_DEFAULT_URI: 'test:///default' })).toBe('test:///default');
    expect(defaultUri({})).toBeNull();
  });
});

describe('unix socket rules', () => {
  const none = () => false;
  const ctx = (over: Partial<Parameters<typeof unixSocketFor>[1]> = {}) => ({
    env: { XDG_RUNTIME_DIR: '/run/user/1000', HOME: '/home/u' },
    isRoot: true,
    readonly: false,
    exists: none,
    ...over,
  });
  const p = parseLibvirtUri;

  it('picks the modular daemon when its socket exists, else libvirtd when that exists', () => {
    const direct = '/var/run/libvirt/virtqemud-sock';
    expect(unixSocketFor(p('qemu:///system'), ctx({ exists: (f) => f === direct }))).toEqual({
      path: direct,
      daemon: 'virtqemud',
      mode: 'direct',
      session: false,
    });
    expect(unixSocketFor(p('qemu:///system'), ctx({ exists: (f) => f === '/var/run/libvirt/libvirt-sock' }))).toMatchObject({
      path: '/var/run/libvirt/libvirt-sock',
      daemon: 'libvirtd',
      mode: 'legacy',
    });
  });

  it('uses the read-only socket for read-only system opens', () => {
    expect(unixSocketFor(p('qemu:///system?mode=legacy'), ctx({ readonly: true })).path).toBe('/var/run/libvirt/libvirt-sock-ro');
    expect(unixSocketFor(p('network:///system?mode=direct'), ctx({ readonly: true })).path).toBe('/var/run/libvirt/virtnetworkd-sock-ro');
  });

  it('uses the per-user daemon for /session and for test+ URIs when not root', () => {
    expect(unixSocketFor(p('qemu:///session?mode=legacy'), ctx({ isRoot: false }))).toMatchObject({
      path: '/run/user/1000/libvirt/libvirt-sock',
      session: true,
    });
    expect(unixSocketFor(p('test+unix:///default'), ctx({ isRoot: false })).session).toBe(true);
    expect(unixSocketFor(p('qemu:///session'), ctx({ isRoot: true })).session).toBe(false);
    expect(userRuntimeDir({ HOME: '/home/u' })).toBe('/home/u/.cache/libvirt');
  });

  it('maps drivers to their daemons and honours socket= above everything', () => {
    expect(unixSocketFor(p('xen:///system?mode=direct'), ctx()).daemon).toBe('virtxend');
    expect(unixSocketFor(p('lxc:///system?mode=direct'), ctx()).path).toBe('/var/run/libvirt/virtlxcd-sock');
    expect(unixSocketFor(p('qemu:///system?socket=/my/sock'), ctx()).path).toBe('/my/sock');
    expect(unixSocketFor(null, ctx()).path).toBe('/var/run/libvirt/libvirt-sock');
  });

  it('finds admin sockets as virt-admin does', () => {
    expect(adminSocketFor(p('libvirtd:///system'), ctx()).path).toBe('/var/run/libvirt/libvirt-admin-sock');
    expect(adminSocketFor(p('virtqemud:///session'), ctx({ isRoot: false })).path).toBe('/run/user/1000/libvirt/virtqemud-admin-sock');
    expect(() => adminSocketFor(p('libvirtd:///default'), ctx())).toThrow(/\/system or \/session/);
  });
});
