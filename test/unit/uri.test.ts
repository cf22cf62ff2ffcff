import { defaultUri, type LibvirtUri, parseLibvirtUri, redactUri, UriError } from '../../src/locate/uri.js';

/** The UriError a URI raises (fails the test when it raises none). */
function errorOf(uri: string): UriError {
  try {
    parseLibvirtUri(uri);
  } catch (e) {
    expect(e).toBeInstanceOf(UriError);
    return e as UriError;
  }
  throw new Error(`expected '${uri}' to be refused`);
}

describe('parseLibvirtUri: the kinds of URI libvirt documents', () => {
  it.each<[string, Partial<LibvirtUri>]>([
    // Local daemons.
    ['qemu:///system', { driver: 'qemu', transport: 'unix', transportExplicit: false, path: '/system', nameForServer: 'qemu:///system' }],
    ['qemu:///session', { driver: 'qemu', transport: 'unix', path: '/session', nameForServer: 'qemu:///session' }],
    ['lxc:///system', { driver: 'lxc', transport: 'unix', path: '/system' }],
    ['network:///system', { driver: 'network', transport: 'unix', nameForServer: 'network:///system' }],
    ['test:///default', { driver: 'test', transport: 'unix', path: '/default', nameForServer: 'test:///default' }],
    ['test:///srv/fixtures/two-hosts.xml', { driver: 'test', path: '/srv/fixtures/two-hosts.xml', nameForServer: 'test:///srv/fixtures/two-hosts.xml' }],
    // ssh with a user name.
    ['xen+ssh://alice@hostA/system', { driver: 'xen', transport: 'ssh', user: 'alice', host: 'hostA', path: '/system', nameForServer: 'xen:///system' }],
    // A host and no transport means TLS.
    ['xen://hostA/system', { transport: 'tls', transportExplicit: false, host: 'hostA', nameForServer: 'xen:///system' }],
    ['xen://hostA/system?no_verify=1', { transport: 'tls', params: { no_verify: true }, extraParams: [], nameForServer: 'xen:///system' }],
    // Explicit unix transport with its own socket.
    [
      'qemu+unix:///system?socket=/srv/libvirt/run/libvirt-sock',
      { transport: 'unix', transportExplicit: true, params: { socket: '/srv/libvirt/run/libvirt-sock' }, nameForServer: 'qemu:///system' },
    ],
    // Plain TCP on another port.
    ['test+tcp://localhost:5000/default', { driver: 'test', transport: 'tcp', host: 'localhost', port: 5000, nameForServer: 'test:///default' }],
    // The in-process SSH clients with their own known_hosts.
    [
      'qemu+libssh2://bob@hostB/system?known_hosts=/home/bob/.ssh/known_hosts',
      { transport: 'libssh2', user: 'bob', host: 'hostB', params: { known_hosts: '/home/bob/.ssh/known_hosts' }, nameForServer: 'qemu:///system' },
    ],
    [
      'qemu+libssh://bob@hostB/system?known_hosts=/home/bob/.ssh/known_hosts&known_hosts_verify=ignore',
      { transport: 'libssh', params: { known_hosts: '/home/bob/.ssh/known_hosts', known_hosts_verify: 'ignore' } },
    ],
    ['qemu+tls://hostC/system?pkipath=/etc/pki/alt&tls_priority=NORMAL:-VERS-SSL3.0', { params: { pkipath: '/etc/pki/alt', tls_priority: 'NORMAL:-VERS-SSL3.0' } }],
    ['qemu+ssh://hostD/system?command=/opt/openssh/bin/ssh&no_tty=1', { transport: 'ssh', params: { command: '/opt/openssh/bin/ssh', no_tty: true } }],
    ['qemu+ssh://hostD/system?netcat=/opt/netcat/bin/nc&proxy=netcat', { params: { netcat: '/opt/netcat/bin/nc', proxy: 'netcat' } }],
    ['qemu+ssh://hostD/system?keyfile=/root/.ssh/lab_key', { params: { keyfile: '/root/.ssh/lab_key' } }],
    ['qemu+ext:///system?command=/usr/local/bin/tunnel', { transport: 'ext', params: { command: '/usr/local/bin/tunnel' }, nameForServer: 'qemu:///system' }],
    ['qemu:///system?mode=direct', { params: { mode: 'direct' }, nameForServer: 'qemu:///system' }],
    // Embedded driver: its root= is the driver's, not the client's, so it is passed on (escaped).
    ['qemu:///embed?root=/tmp/vm', { path: '/embed', extraParams: [['root', '/tmp/vm']], nameForServer: 'qemu:///embed?root=%2Ftmp%2Fvm' }],
    // A host without a path.
    ['qemu+tcp://node7', { transport: 'tcp', host: 'node7', path: '', nameForServer: 'qemu://' }],
  ])('%s', (uri, expected) => {
    const parsed = parseLibvirtUri(uri);
    expect(parsed).toMatchObject(expected);
    expect(parsed.original).toBe(uri);
  });

  it('lower-cases the transport but keeps the driver as written', () => {
    expect(parseLibvirtUri('QEMU+SSH://h/system')).toMatchObject({ driver: 'QEMU', transport: 'ssh', nameForServer: 'QEMU:///system' });
  });

  it('reads xen, XEN and xen:// as xen:///system, as libvirt does for back compatibility', () => {
    for (const uri of ['xen', 'XEN', 'xen://']) {
      expect(parseLibvirtUri(uri)).toMatchObject({ original: uri, driver: 'xen', transport: 'unix', path: '/system', nameForServer: 'xen:///system' });
    }
  });

  it('accepts the single-slash form and an empty path', () => {
    expect(parseLibvirtUri('qemu:/system')).toMatchObject({ path: '/system', transport: 'unix', nameForServer: 'qemu:///system' });
    expect(parseLibvirtUri('lxc:')).toMatchObject({ path: '', nameForServer: 'lxc://' });
    expect(parseLibvirtUri('lxc:///')).toMatchObject({ path: '/', nameForServer: 'lxc:///' });
  });

  it('leaves host, user and port out when the URI has none', () => {
    const u = parseLibvirtUri('qemu:///system');
    expect('host' in u).toBe(false);
    expect('user' in u).toBe(false);
    expect('port' in u).toBe(false);
    expect(u.params).toEqual({});
  });
});

describe('parseLibvirtUri: hosts, users and ports', () => {
  it.each<[string, Partial<LibvirtUri>]>([
    ['qemu+ssh://root@node1:2222/system', { user: 'root', host: 'node1', port: 2222, transport: 'ssh' }],
    ['qemu+tcp://10.1.2.3:16509/system', { host: '10.1.2.3', port: 16509 }],
    ['qemu+tls://[2001:db8::1]:16514/system', { host: '2001:db8::1', port: 16514, transport: 'tls' }],
    ['qemu+ssh://[::1]/system', { host: '::1', transport: 'ssh' }],
    ['qemu://[::ffff:192.0.2.7]/system', { host: '::ffff:192.0.2.7', transport: 'tls' }],
    ['qemu+ssh://ops@[fe80::1%25eth0]:22/system', { user: 'ops', host: 'fe80::1%eth0', port: 22 }],
    ['qemu+tcp://node1:/system', { host: 'node1', path: '/system' }],
    ['qemu+ssh://domain%5Cops@node1/system', { user: 'domain\\ops', host: 'node1' }],
    ['qemu+ssh://my%2Dhost/system', { host: 'my-host' }],
    ['qemu+ssh://root@/system', { user: 'root', transport: 'ssh', path: '/system' }],
  ])('%s', (uri, expected) => {
    expect(parseLibvirtUri(uri)).toMatchObject(expected);
  });

  it('gives no port when the URI gives none (the transport default applies)', () => {
    expect(parseLibvirtUri('qemu+tcp://node1/system').port).toBeUndefined();
    expect(parseLibvirtUri('qemu+tcp://node1:/system').port).toBeUndefined();
  });

  it('never sends user, host or port to the daemon', () => {
    expect(parseLibvirtUri('qemu+ssh://root@[2001:db8::1]:2222/system?foo=1').nameForServer).toBe('qemu:///system?foo=1');
  });
});

describe('parseLibvirtUri: parameters', () => {
  it('types every parameter libvirt\'s client knows', () => {
    const u = parseLibvirtUri(
      'qemu+libssh2://u@h:2222/system?name=qemu:///system&mode=legacy&proxy=auto&socket=/s&netcat=nc2&command=/bin/ssh&keyfile=/k' +
        '&no_verify=1&no_tty=0&no_sanity=1&known_hosts=/kh&known_hosts_verify=auto&sshauth=agent,privkey,password,keyboard-interactive' +
        '&pkipath=/pki&tls_priority=NORMAL&auth=sasl.gssapi&authfile=/etc/libvirt/auth.conf',
    );
    expect(u.params).toEqual({
      name: 'qemu:///system',
      mode: 'legacy',
      proxy: 'auto',
      socket: '/s',
      netcat: 'nc2',
      command: '/bin/ssh',
      keyfile: '/k',
      no_verify: true,
      no_tty: false,
      no_sanity: true,
      known_hosts: '/kh',
      known_hosts_verify: 'auto',
      sshauth: ['agent', 'privkey', 'password', 'keyboard-interactive'],
      pkipath: '/pki',
      tls_priority: 'NORMAL',
      auth: 'sasl.gssapi',
      authfile: '/etc/libvirt/auth.conf',
    });
    expect(u.extraParams).toEqual([]);
  });

  it('passes unknown parameters through, in order, repeated ones included', () => {
    const u = parseLibvirtUri('qemu:///system?zeta=1&no_verify=1&alpha=2&zeta=3');
    expect(u.extraParams).toEqual([
      ['zeta', '1'],
      ['alpha', '2'],
      ['zeta', '3'],
    ]);
    expect(u.nameForServer).toBe('qemu:///system?zeta=1&alpha=2&zeta=3');
  });

  it('matches known parameter names in any case and keeps the last of a repeated one', () => {
    const u = parseLibvirtUri('qemu+unix:///system?SOCKET=/a&No_Verify=1&socket=/b');
    expect(u.params).toEqual({ socket: '/b', no_verify: true });
    expect(u.extraParams).toEqual([]);
    expect(u.nameForServer).toBe('qemu:///system');
  });

  it('reads booleans as libvirt\'s integer parser does: 0 is no, any other integer yes', () => {
    const flag = (v: string) => parseLibvirtUri(`qemu+ssh://h/system?no_tty=${v}`).params.no_tty;
    expect(flag('0')).toBe(false);
    expect(flag('1')).toBe(true);
    expect(flag('-1')).toBe(true);
    expect(flag('+7')).toBe(true);
    expect(flag('%201')).toBe(true); // leading white space, as strtol allows
    expect(flag('00')).toBe(false);
    for (const bad of ['', 'yes', 'true', '1.0', '0x1', '1%20', '99999999999']) {
      const e = errorOf(`qemu+ssh://h/system?no_tty=${bad}`);
      expect(e.param).toBe('no_tty');
      expect(e.message).toContain("parameter 'no_tty' must be an integer");
    }
  });

  it('splits like libvirt: & first, ; only when no & is left; bare names and =value', () => {
    expect(parseLibvirtUri('qemu:///system?a=1;b=2').extraParams).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
    // With an & further on, the ; stays inside the value.
    const quirk = parseLibvirtUri('qemu:///system?a=1;b=2&c=3');
    expect(quirk.extraParams).toEqual([
      ['a', '1;b=2'],
      ['c', '3'],
    ]);
    expect(quirk.nameForServer).toBe('qemu:///system?a=1%3Bb%3D2&c=3');
    // A bare name has an empty value; "=x" and empty segments are dropped.
    const odd = parseLibvirtUri('qemu:///system?flag&&=ignored&k=');
    expect(odd.extraParams).toEqual([
      ['flag', ''],
      ['k', ''],
    ]);
    expect(odd.nameForServer).toBe('qemu:///system?flag=&k=');
  });

  it('percent-decodes values, keeps + as +, and re-escapes what it sends', () => {
    const u = parseLibvirtUri('qemu+ssh://h/system?keyfile=/home/a%20b/id&tls_priority=NORMAL:+VERS-TLS1.3&x=a%26b%3Dc&y=%E2%82%AC');
    expect(u.params.keyfile).toBe('/home/a b/id');
    expect(u.params.tls_priority).toBe('NORMAL:+VERS-TLS1.3');
    expect(u.extraParams).toEqual([
      ['x', 'a&b=c'],
      ['y', '€'],
    ]);
    // Values are escaped as glib does (upper-case hex, only A-Z a-z 0-9 - . _ ~ kept).
    expect(u.nameForServer).toBe('qemu:///system?x=a%26b%3Dc&y=%E2%82%AC');
  });

  it('decodes the path and escapes it again for the daemon', () => {
    const u = parseLibvirtUri('test:///srv/my%20hosts/a%2Bb.xml');
    expect(u.path).toBe('/srv/my hosts/a+b.xml');
    expect(u.nameForServer).toBe('test:///srv/my%20hosts/a+b.xml');
  });

  it('sends parameter names as they are, as libvirt does', () => {
    const u = parseLibvirtUri('qemu:///system?odd%20name=1');
    expect(u.extraParams).toEqual([['odd name', '1']]);
    expect(u.nameForServer).toBe('qemu:///system?odd name=1');
  });

  it('passes a fragment on to the daemon', () => {
    const u = parseLibvirtUri('test:///default?x=1#part%201');
    expect(u.fragment).toBe('part 1');
    expect(u.nameForServer).toBe('test:///default?x=1#part%201');
  });

  it('drops authfile (and every client parameter) from the name', () => {
    expect(parseLibvirtUri('qemu+tcp://h/system?authfile=/a&auth=polkit&pkipath=/p').nameForServer).toBe('qemu:///system');
  });

  it('lets name= replace the name, even an empty one (the daemon then probes)', () => {
    expect(parseLibvirtUri('qemu+ssh://h/system?name=qemu:///embed%3Froot%3D/r&foo=bar').nameForServer).toBe('qemu:///embed?root=/r');
    expect(parseLibvirtUri('qemu+ssh://h/system?name=').nameForServer).toBe('');
  });

  it('sends an empty name for remote: URIs, so that the daemon chooses its driver', () => {
    expect(parseLibvirtUri('remote:///').nameForServer).toBe('');
    expect(parseLibvirtUri('remote+ssh://h/?foo=1').nameForServer).toBe('');
    expect(parseLibvirtUri('remote+ssh://h/?name=lxc:///system').nameForServer).toBe('lxc:///system');
  });

  it('gives virt-ssh-helper the name with mode= and socket= kept', () => {
    const u = parseLibvirtUri('qemu+ssh://h/system?mode=direct&keyfile=/k&foo=1&socket=/s');
    expect(u.nameForServer).toBe('qemu:///system?foo=1');
    expect(u.helperUri).toBe('qemu:///system?mode=direct&foo=1&socket=%2Fs');
    expect(parseLibvirtUri('qemu+ssh://h/system?name=test:///default&mode=direct').helperUri).toBe('test:///default');
  });

  it('reads sshauth as an ordered list and auth in any case', () => {
    expect(parseLibvirtUri('qemu+libssh://h/system?sshauth=privkey,agent').params.sshauth).toEqual(['privkey', 'agent']);
    expect(parseLibvirtUri('qemu+libssh://h/system?sshauth=Password').params.sshauth).toEqual(['password']);
    expect(parseLibvirtUri('qemu+tcp://h/system?auth=SASL').params.auth).toBe('SASL');
    expect(parseLibvirtUri('qemu+tcp://h/system?auth=polkit').params.auth).toBe('polkit');
  });
});

describe('parseLibvirtUri: errors name the piece at fault', () => {
  it.each<[string, { part: string; param?: string; text: RegExp }]>([
    ['', { part: 'uri', text: /URI missing: the URI is empty/ }],
    ['not a uri', { part: 'scheme', text: /does not start with a driver name/ }],
    ['//host/system', { part: 'scheme', text: /does not start with a driver name/ }],
    ['qemu+carrier-pigeon:///system', { part: 'transport', text: /unknown transport 'carrier-pigeon'/ }],
    ['qemu+:///system', { part: 'transport', text: /unknown transport ''/ }],
    ['qemu+ssh+x://h/system', { part: 'transport', text: /unknown transport 'ssh\+x'/ }],
    ['qemu+unix://remote/system', { part: 'host', text: /unix transport cannot reach the remote host 'remote'/ }],
    ['qemu://system', { part: 'host', text: /'system' is read as a host name; write qemu:\/\/\/system/ }],
    ['vbox://session/', { part: 'host', text: /write vbox:\/\/\/session/ }],
    ['qemu://h:0/system', { part: 'port', text: /the port '0' is not a number from 1 to 65535/ }],
    ['qemu://h:65536/system', { part: 'port', text: /the port '65536'/ }],
    ['qemu://h:http/system', { part: 'port', text: /the port 'http'/ }],
    ['qemu://h:-1/system', { part: 'port', text: /the port '-1'/ }],
    ['qemu+tcp://:5000/system', { part: 'port', text: /port 5000 is given without a host/ }],
    ['qemu://[::1/system', { part: 'host', text: /missing its closing '\]'/ }],
    ['qemu://[nothost]/system', { part: 'host', text: /'\[nothost\]' is not an IPv6 address/ }],
    ['qemu://[::1]x/system', { part: 'host', text: /unexpected 'x' after the IPv6 address/ }],
    ['qemu+ssh://2001:db8::1/system', { part: 'host', text: /write an IPv6 address in brackets/ }],
    ['qemu+ssh://@h/system', { part: 'user', text: /user name before '@' is empty/ }],
    ['qemu+ssh://a@b@h/system', { part: 'host', text: /contains '@'/ }],
    ['qemu+ssh://ho st/system', { part: 'host', text: /the host contains the character U\+0020.*%20/ }],
    ['qemu:system', { part: 'path', text: /the path 'system' is not absolute; write qemu:\/\/\/system/ }],
    ['qemu:///sys tem', { part: 'path', text: /the path contains the character U\+0020, which must be percent-encoded \(%20\)/ }],
    ['qemu:///système', { part: 'path', text: /the path contains 'è'.*\(%C3%A8\)/ }],
    ['qemu:///sys%ZZtem', { part: 'path', text: /the path has a malformed %-escape at '%ZZ'/ }],
    ['qemu:///s%FF', { part: 'path', text: /the path does not decode to UTF-8/ }],
    ['qemu:///system#a#b', { part: 'fragment', text: /the fragment contains '#'/ }],
    ['qemu:///system?x=a b', { part: 'param', param: 'x', text: /value of parameter 'x' contains the character U\+0020/ }],
    ['qemu:///system?x=%G1', { part: 'param', param: 'x', text: /value of parameter 'x' has a malformed %-escape/ }],
    ['qemu:///system?mode=fast', { part: 'param', param: 'mode', text: /parameter 'mode' must be one of auto, legacy, direct, not 'fast'/ }],
    ['qemu:///system?mode=DIRECT', { part: 'param', param: 'mode', text: /parameter 'mode' must be one of/ }],
    ['qemu+ssh://h/system?proxy=socks', { part: 'param', param: 'proxy', text: /parameter 'proxy' must be one of auto, netcat, native/ }],
    ['qemu+libssh://h/system?known_hosts_verify=maybe', { part: 'param', param: 'known_hosts_verify', text: /normal, auto, ignore, not 'maybe'/ }],
    ['qemu+libssh://h/system?sshauth=agent,,privkey', { part: 'param', param: 'sshauth', text: /'' is not one of them/ }],
    ['qemu+libssh://h/system?sshauth=gssapi', { part: 'param', param: 'sshauth', text: /'gssapi' is not one of them/ }],
    ['qemu+tcp://h/system?auth=kerberos', { part: 'param', param: 'auth', text: /sasl, sasl.MECHANISM or polkit, not 'kerberos'/ }],
    ['qemu+ssh://h/system?keyfile=', { part: 'param', param: 'keyfile', text: /parameter 'keyfile' needs a value/ }],
    ['qemu+unix:///system?socket', { part: 'param', param: 'socket', text: /parameter 'socket' needs a value/ }],
    ['qemu+ssh://h/system?no_verify=yes', { part: 'param', param: 'no_verify', text: /'no_verify' must be an integer \(0 for no, 1 for yes\), not 'yes'/ }],
    ['qemu+ext:///system', { part: 'param', param: 'command', text: /ext transport needs a 'command' parameter/ }],
    ['qemu+ssh://h/system?proxy=native&netcat=nc', { part: 'param', param: 'netcat', text: /'netcat' cannot be used with proxy=native/ }],
  ])('refuses %j', (uri, { part, param, text }) => {
    const e = errorOf(uri);
    expect(e.name).toBe('UriError');
    expect(e.part).toBe(part);
    expect(e.param).toBe(param);
    expect(e.message).toMatch(text);
    // The message names the URI itself.
    if (uri) expect(e.message).toContain(`'${uri}'`);
    expect(e.uri).toBe(uri);
  });

  it('never shows a password, in the message or on the error', () => {
    const e = errorOf('qemu+ssh://alice:s3cret@h/system');
    expect(e.part).toBe('user');
    expect(e.message).toContain("'qemu+ssh://alice@h/system'");
    expect(e.message).toMatch(/password in the URI is not supported/);
    expect(e.message).not.toContain('s3cret');
    expect(e.uri).toBe('qemu+ssh://alice@h/system');
    // Another error in a URI that also carries a password.
    const other = errorOf('qemu+tcp://bob:hunter2@h:99999/system');
    expect(other.message).not.toContain('hunter2');
  });

  it('redacts passwords, nested ones too', () => {
    expect(redactUri('qemu+tcp://bob:pw@host/system')).toBe('qemu+tcp://bob@host/system');
    expect(redactUri('qemu+ssh://h/system?name=qemu+tcp://u:p@x/system')).toBe('qemu+ssh://h/system?name=qemu+tcp://u@x/system');
    expect(redactUri('qemu+ssh://root@h/system')).toBe('qemu+ssh://root@h/system');
  });

  it('refuses what is not a string', () => {
    expect(() => parseLibvirtUri(undefined as unknown as string)).toThrow(UriError);
  });
});

describe('defaultUri', () => {
  it('takes LIBVIRT_DEFAULT_URI first, as is', () => {
    expect(defaultUri({ LIBVIRT_DEFAULT_URI: 'test:///default' }, true)).toBe('test:///default');
    expect(defaultUri({ LIBVIRT_DEFAULT_URI: 'qemu+ssh://h/system' }, false)).toBe('qemu+ssh://h/system');
    expect(defaultUri({ LIBVIRT_DEFAULT_URI: 'lxc:///system' })).toBe('lxc:///system');
  });

  it('ignores an empty LIBVIRT_DEFAULT_URI, as libvirt does', () => {
    expect(defaultUri({ LIBVIRT_DEFAULT_URI: '' }, true)).toBe('qemu:///system');
  });

  it('otherwise gives what the daemon\'s probe lands on with QEMU: system as root, session otherwise', () => {
    expect(defaultUri({}, true)).toBe('qemu:///system');
    expect(defaultUri({}, false)).toBe('qemu:///session');
  });

  it('without isRoot, gives null: no URI, the daemon chooses', () => {
    expect(defaultUri({})).toBeNull();
  });
});
