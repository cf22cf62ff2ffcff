import { adminSocketFor, defaultAdminUri, type SocketContext, unixSocketFor, userRuntimeDir, wantsSession } from '../../src/locate/socket-path.js';
import { parseLibvirtUri as p, UriError } from '../../src/locate/uri.js';

const RUNTIME = '/run/user/1000';

/**
 * A context whose file system holds `files`; as on a real host, /var/run is a link to /run,
 * so a path exists under either name.
 */
function ctx(files: string[] = [], over: Partial<SocketContext> = {}): SocketContext {
  const set = new Set(files.map((f) => f.replace(/^\/var\/run\//, '/run/')));
  return {
    env: { XDG_RUNTIME_DIR: RUNTIME, HOME: '/home/u' },
    isRoot: true,
    readonly: false,
    exists: (f) => set.has(f.replace(/^\/var\/run\//, '/run/')),
    ...over,
  };
}

function uriErrorOf(f: () => unknown): UriError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UriError);
    return e as UriError;
  }
  throw new Error('expected a UriError');
}

describe('unixSocketFor: system daemons', () => {
  it('prefers the modular daemon when its socket is there (mode=auto)', () => {
    expect(unixSocketFor(p('qemu:///system'), ctx(['/run/libvirt/virtqemud-sock', '/run/libvirt/libvirt-sock']))).toEqual({
      path: '/var/run/libvirt/virtqemud-sock',
      daemon: 'virtqemud',
      mode: 'direct',
      session: false,
      autostart: false,
    });
  });

  it('uses libvirt-sock when only that is there', () => {
    expect(unixSocketFor(p('qemu:///system'), ctx(['/run/libvirt/libvirt-sock']))).toEqual({
      path: '/var/run/libvirt/libvirt-sock',
      daemon: 'libvirtd',
      mode: 'legacy',
      session: false,
      autostart: false,
    });
  });

  it('says virtproxyd serves libvirt-sock on hosts that have only the modular daemons installed', () => {
    const c = ctx(['/run/libvirt/libvirt-sock', '/usr/sbin/virtproxyd', '/usr/sbin/virtqemud']);
    expect(unixSocketFor(p('qemu:///system'), c)).toMatchObject({ path: '/var/run/libvirt/libvirt-sock', daemon: 'virtproxyd', mode: 'legacy' });
    const both = ctx(['/run/libvirt/libvirt-sock', '/usr/sbin/virtproxyd', '/usr/sbin/libvirtd']);
    expect(unixSocketFor(p('qemu:///system'), both).daemon).toBe('libvirtd');
    expect(unixSocketFor(p('qemu:///system'), ctx(['/opt/sbin/virtproxyd', '/run/libvirt/libvirt-sock'], { sbinDir: '/opt/sbin' })).daemon).toBe('virtproxyd');
  });

  it('falls back to the build default when neither socket exists: direct, or legacy if so built', () => {
    expect(unixSocketFor(p('qemu:///system'), ctx())).toMatchObject({ path: '/var/run/libvirt/virtqemud-sock', mode: 'direct' });
    expect(unixSocketFor(p('qemu:///system'), ctx([], { defaultMode: 'legacy' }))).toMatchObject({ path: '/var/run/libvirt/libvirt-sock', mode: 'legacy' });
  });

  it('uses the read-only sockets for read-only opens, and probes those', () => {
    const ro = { readonly: true };
    expect(unixSocketFor(p('qemu:///system'), ctx(['/run/libvirt/virtqemud-sock-ro'], ro))).toMatchObject({
      path: '/var/run/libvirt/virtqemud-sock-ro',
      mode: 'direct',
    });
    // Only the read-write modular socket exists: a read-only open does not see it.
    expect(unixSocketFor(p('qemu:///system'), ctx(['/run/libvirt/virtqemud-sock', '/run/libvirt/libvirt-sock-ro'], ro))).toMatchObject({
      path: '/var/run/libvirt/libvirt-sock-ro',
      mode: 'legacy',
    });
  });

  it('obeys mode=direct and mode=legacy whatever exists', () => {
    const all = ctx(['/run/libvirt/virtqemud-sock', '/run/libvirt/libvirt-sock']);
    expect(unixSocketFor(p('qemu:///system?mode=legacy'), all)).toMatchObject({ path: '/var/run/libvirt/libvirt-sock', mode: 'legacy' });
    expect(unixSocketFor(p('network:///system?mode=direct'), ctx([], { readonly: true }))).toMatchObject({
      path: '/var/run/libvirt/virtnetworkd-sock-ro',
      daemon: 'virtnetworkd',
      mode: 'direct',
    });
  });

  it('takes libvirt.conf\'s remote_mode when the URI has no mode=, the URI\'s otherwise', () => {
    const c = ctx(['/run/libvirt/virtqemud-sock'], { confMode: 'legacy' });
    expect(unixSocketFor(p('qemu:///system'), c).mode).toBe('legacy');
    expect(unixSocketFor(p('qemu:///system?mode=auto'), c).mode).toBe('direct');
  });

  it('names the daemon of each driver virt<driver>d', () => {
    const cases: [string, string][] = [
      ['qemu', 'virtqemud'],
      ['network', 'virtnetworkd'],
      ['storage', 'virtstoraged'],
      ['nodedev', 'virtnodedevd'],
      ['nwfilter', 'virtnwfilterd'],
      ['secret', 'virtsecretd'],
      ['interface', 'virtinterfaced'],
      ['lxc', 'virtlxcd'],
      ['xen', 'virtxend'],
      ['vbox', 'virtvboxd'],
      ['bhyve', 'virtbhyved'],
      ['ch', 'virtchd'],
      ['vz', 'virtvzd'],
    ];
    for (const [driver, daemon] of cases) {
      expect(unixSocketFor(p(`${driver}:///system`), ctx())).toMatchObject({ daemon, path: `/var/run/libvirt/${daemon}-sock`, mode: 'direct' });
    }
  });

  it('honours another run directory', () => {
    expect(unixSocketFor(p('qemu:///system'), ctx([], { runDir: '/srv/run/' })).path).toBe('/srv/run/libvirt/virtqemud-sock');
  });
});

describe('unixSocketFor: session daemons', () => {
  const user = { isRoot: false };

  it('uses the per-user runtime directory for /session, one socket for read-only too', () => {
    const want = { path: `${RUNTIME}/libvirt/virtqemud-sock`, daemon: 'virtqemud', mode: 'direct', session: true, autostart: true };
    expect(unixSocketFor(p('qemu:///session'), ctx([], user))).toEqual(want);
    expect(unixSocketFor(p('qemu:///session'), ctx([], { ...user, readonly: true }))).toEqual(want);
    expect(unixSocketFor(p('qemu:///session?mode=legacy'), ctx([], user))).toMatchObject({ path: `${RUNTIME}/libvirt/libvirt-sock`, daemon: 'libvirtd' });
  });

  it('finds a running session libvirtd', () => {
    expect(unixSocketFor(p('qemu:///session'), ctx([`${RUNTIME}/libvirt/libvirt-sock`], user))).toMatchObject({ mode: 'legacy', session: true });
  });

  it('does not autostart when LIBVIRT_AUTOSTART=0', () => {
    const c = ctx([], { ...user, env: { XDG_RUNTIME_DIR: RUNTIME, LIBVIRT_AUTOSTART: '0' } });
    expect(unixSocketFor(p('qemu:///session'), c).autostart).toBe(false);
  });

  it('keeps a non-root user on the system daemon for /system, and root always there', () => {
    expect(unixSocketFor(p('qemu:///system'), ctx([], user))).toMatchObject({ path: '/var/run/libvirt/virtqemud-sock', session: false, autostart: false });
    expect(unixSocketFor(p('qemu:///session'), ctx([], { isRoot: true }))).toMatchObject({ path: '/var/run/libvirt/virtqemud-sock', session: false });
  });

  it('falls back from XDG_RUNTIME_DIR to the cache directory, as libvirt does', () => {
    expect(unixSocketFor(p('qemu:///session'), ctx([], { ...user, env: { XDG_CACHE_HOME: '/c', HOME: '/home/u' } })).path).toBe('/c/libvirt/virtqemud-sock');
    expect(unixSocketFor(p('qemu:///session'), ctx([], { ...user, env: { HOME: '/home/u' } })).path).toBe('/home/u/.cache/libvirt/virtqemud-sock');
    expect(unixSocketFor(p('qemu:///session'), ctx([], { ...user, env: { XDG_RUNTIME_DIR: '', HOME: '/home/u' } })).path).toBe(
      '/home/u/.cache/libvirt/virtqemud-sock',
    );
    expect(() => unixSocketFor(p('qemu:///session'), ctx([], { ...user, env: {} }))).toThrow(/XDG_RUNTIME_DIR, XDG_CACHE_HOME and HOME/);
  });

  it('userRuntimeDir and wantsSession follow libvirt', () => {
    expect(userRuntimeDir({ XDG_RUNTIME_DIR: '/run/user/7/' })).toBe('/run/user/7/libvirt');
    expect(userRuntimeDir({ HOME: '/home/u' })).toBe('/home/u/.cache/libvirt');
    expect(wantsSession(null, false)).toBe(true);
    expect(wantsSession(null, true)).toBe(false);
    expect(wantsSession(p('qemu:///session'), false)).toBe(true);
    expect(wantsSession(p('qemu:///system'), false)).toBe(false);
    expect(wantsSession(p('test+unix:///default'), false)).toBe(true);
    expect(wantsSession(p('test+tcp://h/default'), false)).toBe(true);
    expect(wantsSession(p('test:///default'), false)).toBe(false);
    expect(wantsSession(p('TEST+unix:///default'), false)).toBe(false);
  });
});

describe('unixSocketFor: drivers that are not a daemon of their own', () => {
  it('sends test+unix to the per-user libvirt-sock when not root (libvirt\'s test+ rule)', () => {
    expect(unixSocketFor(p('test+unix:///default'), ctx([], { isRoot: false }))).toEqual({
      path: `${RUNTIME}/libvirt/libvirt-sock`,
      daemon: 'libvirtd',
      mode: 'legacy',
      session: true,
      autostart: true,
    });
  });

  it('sends test:/// to the system libvirt-sock: there is no virttestd to find', () => {
    expect(unixSocketFor(p('test:///default'), ctx([], { isRoot: true }))).toMatchObject({ path: '/var/run/libvirt/libvirt-sock', mode: 'legacy', session: false });
    expect(unixSocketFor(p('remote:///'), ctx())).toMatchObject({ path: '/var/run/libvirt/libvirt-sock', mode: 'legacy' });
  });

  it('still does what it is told with mode=direct', () => {
    expect(unixSocketFor(p('test+unix:///default?mode=direct'), ctx())).toMatchObject({ path: '/var/run/libvirt/virttestd-sock', mode: 'direct' });
  });
});

describe('unixSocketFor: no URI at all', () => {
  it('probes the system hypervisor daemons\' sockets as root, in libvirt\'s order', () => {
    expect(unixSocketFor(null, ctx(['/run/libvirt/virtqemud-sock']))).toEqual({
      path: '/var/run/libvirt/virtqemud-sock',
      daemon: 'virtqemud',
      mode: 'direct',
      session: false,
      autostart: false,
    });
    expect(unixSocketFor(null, ctx(['/run/libvirt/virtqemud-sock', '/run/libvirt/virtxend-sock'])).daemon).toBe('virtxend');
    expect(unixSocketFor(null, ctx(['/run/libvirt/virtlxcd-sock-ro'], { readonly: true })).path).toBe('/var/run/libvirt/virtlxcd-sock-ro');
  });

  it('probes session sockets, then installed binaries, when not root', () => {
    expect(unixSocketFor(null, ctx([`${RUNTIME}/libvirt/virtvboxd-sock`], { isRoot: false }))).toMatchObject({
      path: `${RUNTIME}/libvirt/virtvboxd-sock`,
      daemon: 'virtvboxd',
      session: true,
      autostart: true,
    });
    expect(unixSocketFor(null, ctx(['/usr/sbin/virtqemud'], { isRoot: false }))).toMatchObject({ path: `${RUNTIME}/libvirt/virtqemud-sock`, mode: 'direct' });
  });

  it('uses libvirt-sock when no hypervisor daemon is found but libvirt-sock is there', () => {
    expect(unixSocketFor(null, ctx(['/run/libvirt/libvirt-sock']))).toMatchObject({ path: '/var/run/libvirt/libvirt-sock', mode: 'legacy' });
  });

  it('does not probe in legacy mode', () => {
    expect(unixSocketFor(null, ctx(['/run/libvirt/virtqemud-sock'], { confMode: 'legacy' }))).toMatchObject({ path: '/var/run/libvirt/libvirt-sock', mode: 'legacy' });
    expect(unixSocketFor(null, ctx(['/run/libvirt/virtqemud-sock'], { defaultMode: 'legacy' }))).toMatchObject({ path: '/var/run/libvirt/libvirt-sock' });
  });

  it('falls back to libvirt-sock when nothing at all is found, so the connect error names it as virsh does', () => {
    expect(unixSocketFor(null, ctx())).toMatchObject({ path: '/var/run/libvirt/libvirt-sock', mode: 'legacy', daemon: 'libvirtd' });
  });

  it('refuses mode=direct without a URI when no daemon names a driver, as libvirt does', () => {
    expect(() => unixSocketFor(null, ctx([], { confMode: 'direct' }))).toThrow(/libvirt URI missing: mode=direct needs one to pick a driver/);
  });
});

describe('unixSocketFor: socket= and the other transports', () => {
  it('takes socket= over everything, and says what its name suggests', () => {
    const c = ctx(['/run/libvirt/virtqemud-sock'], { isRoot: false });
    expect(unixSocketFor(p('qemu+unix:///session?socket=/opt/run/virtnetworkd-sock&mode=legacy'), c)).toEqual({
      path: '/opt/run/virtnetworkd-sock',
      daemon: 'virtnetworkd',
      mode: 'direct',
      session: true,
      autostart: false,
    });
    expect(unixSocketFor(p('qemu:///system?socket=/opt/libvirt/run/libvirt/libvirt-sock'), c)).toMatchObject({ daemon: 'libvirtd', mode: 'legacy' });
    expect(unixSocketFor(p('qemu:///system?socket=/tmp/x.sock&mode=direct'), c)).toMatchObject({ path: '/tmp/x.sock', daemon: 'unknown', mode: 'direct' });
    expect(unixSocketFor(p('qemu:///system?socket=/tmp/x.sock'), c)).toMatchObject({ daemon: 'unknown', mode: 'legacy' });
  });

  it('gives the remote socket for ssh, always legacy in auto mode (the far side decides)', () => {
    const c = ctx(['/run/libvirt/virtqemud-sock']);
    expect(unixSocketFor(p('qemu+ssh://h/system'), c)).toMatchObject({ path: '/var/run/libvirt/libvirt-sock', mode: 'legacy', autostart: false });
    expect(unixSocketFor(p('qemu+libssh2://h/system'), ctx([], { readonly: true })).path).toBe('/var/run/libvirt/libvirt-sock-ro');
    expect(unixSocketFor(p('qemu+ssh://h/system?socket=/s&mode=direct'), c).path).toBe('/s');
  });

  it('refuses mode=direct over ssh, as libvirt does, naming the parameter', () => {
    const e = uriErrorOf(() => unixSocketFor(p('qemu+ssh://h/system?mode=direct'), ctx()));
    expect(e.param).toBe('mode');
    expect(e.message).toMatch(/'qemu\+ssh:\/\/h\/system\?mode=direct'.*mode=direct cannot be used with the ssh transport/);
  });

  it('refuses the network transports', () => {
    for (const uri of ['qemu+tcp://h/system', 'qemu://h/system', 'qemu+ext:///system?command=/bin/x']) {
      const e = uriErrorOf(() => unixSocketFor(p(uri), ctx()));
      expect(e.part).toBe('transport');
      expect(e.message).toMatch(/not to a unix socket/);
    }
  });
});

describe('adminSocketFor', () => {
  const c = { env: { XDG_RUNTIME_DIR: RUNTIME } };

  it.each([
    ['libvirtd:///system', '/run/libvirt/libvirt-admin-sock', 'libvirtd', false],
    ['virtproxyd:///system', '/run/libvirt/libvirt-admin-sock', 'virtproxyd', false],
    ['virtqemud:///system', '/run/libvirt/virtqemud-admin-sock', 'virtqemud', false],
    ['virtnetworkd:///system', '/run/libvirt/virtnetworkd-admin-sock', 'virtnetworkd', false],
    ['virtlogd:///system', '/run/libvirt/virtlogd-admin-sock', 'virtlogd', false],
    ['libvirtd:///session', `${RUNTIME}/libvirt/libvirt-admin-sock`, 'libvirtd', true],
    ['virtqemud:///session', `${RUNTIME}/libvirt/virtqemud-admin-sock`, 'virtqemud', true],
    ['virtqemud:///system?socket=/tmp/adm', '/tmp/adm', 'virtqemud', false],
  ])('%s', (uri, path, daemon, session) => {
    expect(adminSocketFor(p(uri), c)).toEqual({ path, daemon, session });
  });

  it('accepts the full socket context and another run directory', () => {
    expect(adminSocketFor(p('libvirtd:///system'), { ...ctx(), runDir: '/var/run' }).path).toBe('/var/run/libvirt/libvirt-admin-sock');
  });

  it.each<[string, { part: string; param?: string; text: RegExp }]>([
    ['libvirtd:///default', { part: 'path', text: /path is \/system or \/session, not '\/default'/ }],
    ['libvirtd://', { part: 'path', text: /not '\(none\)'/ }],
    ['qemu:///system', { part: 'scheme', text: /'qemu' is not a daemon/ }],
    ['virtqemud+unix:///system', { part: 'transport', text: /takes no transport/ }],
    ['libvirtd+ssh://h/system', { part: 'transport', text: /takes no transport/ }],
    ['libvirtd://h/system', { part: 'host', text: /local unix socket only, not on 'h'/ }],
    ['libvirtd:///system?mode=direct', { part: 'param', param: 'mode', text: /unknown parameter 'mode' for an admin URI/ }],
    ['libvirtd:///system?foo=1', { part: 'param', param: 'foo', text: /unknown parameter 'foo'/ }],
  ])('refuses %s', (uri, { part, param, text }) => {
    const e = uriErrorOf(() => adminSocketFor(p(uri), c));
    expect(e.part).toBe(part);
    expect(e.param).toBe(param);
    expect(e.message).toMatch(text);
    expect(e.message).toContain(`'${uri}'`);
  });

  it('defaults as virt-admin does', () => {
    expect(defaultAdminUri({}, true)).toBe('libvirtd:///system');
    expect(defaultAdminUri({}, false)).toBe('libvirtd:///session');
    expect(defaultAdminUri({ LIBVIRT_ADMIN_DEFAULT_URI: 'virtqemud:///system' }, false)).toBe('virtqemud:///system');
    expect(defaultAdminUri({ LIBVIRT_ADMIN_DEFAULT_URI: '' }, true)).toBe('libvirtd:///system');
  });
});
