/**
 * What differs between daemon generations, against real daemons of both:
 *
 * - each branch of the client's feature probes (event callbacks or legacy registration, the
 *   close callback or none, string typed parameters or none, the network-update argument
 *   order before and after libvirt's fix). Both 9.0 and 11.3 say yes to every feature, so the
 *   "no" branches run through a proxy that answers no as an older daemon would
 *   (test/helpers/feature-proxy.ts) in front of the real daemon;
 * - procedures and events that 11.3 has and 9.0 does not: they work on 11.3, and on 9.0 a
 *   call fails with an error that names the procedure and the daemon's version.
 */
import {
  type Connection,
  connect,
  LibvirtError,
  UnknownProcedureError,
  VIR_DOMAIN_EVENT_DEFINED,
  VIR_NETWORK_METADATA_DESCRIPTION,
  VIR_NETWORK_SECTION_DNS_HOST,
  VIR_NETWORK_UPDATE_AFFECT_LIVE,
  VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
  VIR_NETWORK_UPDATE_COMMAND_DELETE,
  VIR_TYPED_PARAM_STRING_OKAY,
} from '../../src/index.js';
import { DRV_FEATURE } from '../../src/api/handshake.js';
import { type FeatureProxy, featureProxy } from '../helpers/feature-proxy.js';
import { type ThrowawayDaemon, forEachGeneration, pythonLibvirt, sharedDaemon } from '../helpers/libvirtd.js';

const ALL_FEATURES = { keepalive: true, remoteEventCallback: true, remoteCloseCallback: true, networkUpdateHasCorrectOrder: true, typedParamString: true };
const testDomain = (name: string) => `<domain type='test'><name>${name}</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`;

/** Waits for the first event a subscription delivers (the test's own timeout bounds it). */
function firstEvent<T>(subscribe: (listener: (e: T) => void) => Promise<unknown>): { ready: Promise<unknown>; event: Promise<T> } {
  let resolve!: (e: T) => void;
  const event = new Promise<T>((r) => (resolve = r));
  return { ready: subscribe((e) => resolve(e)), event };
}

forEachGeneration((generation) => {
  let daemon: ThrowawayDaemon;
  // One connection straight to the daemon stays open: the test driver keeps its state while
  // a connection is open, so the proxied connections see the same objects.
  let direct: Connection;
  const proxies: FeatureProxy[] = [];
  const conns: Connection[] = [];

  beforeAll(async () => {
    daemon = await sharedDaemon(generation);
    direct = await connect(daemon.testUri);
  });
  afterAll(async () => {
    for (const c of conns) await c.close();
    for (const p of proxies) await p.close();
    await direct?.close();
  });

  /** A connection to the test driver through a proxy that hides `hide`. */
  async function through(hide: number[], opts: { oldNetworkUpdateOrder?: boolean } = {}): Promise<{ conn: Connection; proxy: FeatureProxy }> {
    const proxy = await featureProxy(daemon.socket, hide, opts);
    proxies.push(proxy);
    const conn = await connect(`test+unix:///default?socket=${proxy.socket}`);
    conns.push(conn);
    return { conn, proxy };
  }

  describe('feature probes', () => {
    it(`libvirt ${generation} says yes to every driver feature the client asks about`, async () => {
      expect(await direct.probeFeatures()).toEqual(ALL_FEATURES);
      expect(daemon.version.startsWith(`${generation}.`)).toBe(true);
    });

    it('with event callbacks, a subscription registers a callback; without, the legacy call, and events arrive either way', async () => {
      for (const hidden of [false, true]) {
        const { conn, proxy } = await through(hidden ? [DRV_FEATURE.REMOTE_EVENT_CALLBACK] : []);
        const name = `ev-${hidden ? 'legacy' : 'callback'}`;
        const { ready, event } = firstEvent<{ dom: { name: string }; event: number }>((l) =>
          conn.subscribe('domain:lifecycle', (e) => {
            if (e.dom.name === name) l(e);
          }),
        );
        await ready;
        await direct.domainDefineXML(testDomain(name));
        const e = await event;
        expect(e.event).toBe(VIR_DOMAIN_EVENT_DEFINED);
        expect(conn.features.remoteEventCallback).toBe(!hidden);
        expect(proxy.sent).toContain(hidden ? 'connectDomainEventRegisterAny' : 'connectDomainEventCallbackRegisterAny');
        expect(proxy.sent).not.toContain(hidden ? 'connectDomainEventCallbackRegisterAny' : 'connectDomainEventRegisterAny');
        await direct.domainUndefine(await direct.domainLookupByName(name));
      }
    });

    it('registers the close callback only with a daemon that has it', async () => {
      for (const hidden of [false, true]) {
        const { conn, proxy } = await through(hidden ? [DRV_FEATURE.REMOTE_CLOSE_CALLBACK] : []);
        const stop = await conn.subscribe('connection:closed', () => undefined);
        expect(conn.features.remoteCloseCallback).toBe(!hidden);
        expect(proxy.sent.includes('connectRegisterCloseCallback')).toBe(!hidden);
        // The connection works on after it (the daemon accepted the registration).
        expect(await conn.connectGetType()).toBe('TEST');
        await stop();
      }
    });

    it('asks for string typed parameters only from a daemon that has them, as the C library does', async () => {
      const dom = await direct.domainLookupByName('test');
      const wire = await direct.domainGetNumaParameters(dom, 16, VIR_TYPED_PARAM_STRING_OKAY);
      expect(Object.values(wire.params).some((v) => typeof v === 'string')).toBe(true);
      // python3-libvirt sets the flag (its library asked the feature): the same names.
      const theirs = await pythonLibvirt(daemon, daemon.testUri, `print(json.dumps(sorted(conn.lookupByName('test').numaParameters().keys())))`);
      for (const hidden of [false, true]) {
        const { conn } = await through(hidden ? [DRV_FEATURE.TYPED_PARAM_STRING] : []);
        const { params } = await conn.domainGetNumaParameters(await conn.domainLookupByName('test'), 16, 0);
        const names = Object.keys(params).sort();
        const strings = names.filter((n) => typeof params[n] === 'string');
        if (hidden) {
          // The daemon leaves string parameters out for a client that did not say it takes them.
          expect(strings).toEqual([]);
          expect(names.length).toBeLessThan(theirs.length);
        } else {
          expect(strings.length).toBeGreaterThan(0);
          expect(names).toEqual(theirs);
        }
        expect(conn.features.typedParamString).toBe(!hidden);
      }
    });

    it('sends networkUpdate in the fixed order, or swapped for a daemon from before the fix, and the update lands either way', async () => {
      const host = (n: number) => `<host ip='192.168.122.${n}'><hostname>gen-host-${n}</hostname></host>`;
      for (const [i, old] of [[0, false], [1, true]] as const) {
        const { conn, proxy } = await through(old ? [DRV_FEATURE.NETWORK_UPDATE_HAS_CORRECT_ORDER] : [], { oldNetworkUpdateOrder: old });
        const net = await conn.networkLookupByName('default');
        await conn.networkUpdate(net, VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, VIR_NETWORK_SECTION_DNS_HOST, -1, host(80 + i), VIR_NETWORK_UPDATE_AFFECT_LIVE);
        expect(await direct.networkGetXMLDesc(net, 0)).toContain(`gen-host-${80 + i}`);
        await conn.networkUpdate(net, VIR_NETWORK_UPDATE_COMMAND_DELETE, VIR_NETWORK_SECTION_DNS_HOST, -1, host(80 + i), VIR_NETWORK_UPDATE_AFFECT_LIVE);
        expect(await direct.networkGetXMLDesc(net, 0)).not.toContain(`gen-host-${80 + i}`);
        const inOrder = [
          { command: VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, section: VIR_NETWORK_SECTION_DNS_HOST },
          { command: VIR_NETWORK_UPDATE_COMMAND_DELETE, section: VIR_NETWORK_SECTION_DNS_HOST },
        ];
        expect(proxy.networkUpdates).toEqual(old ? inOrder.map((u) => ({ command: u.section, section: u.command })) : inOrder);
        expect(conn.features.networkUpdateHasCorrectOrder).toBe(!old);
      }
    });
  });

  if (generation === '11.3') {
    describe('what libvirt 11.3 has and 9.0 does not', () => {
      it('sets and reads network metadata (10.x procedures) and delivers the metadata-change event', async () => {
        const net = await direct.networkLookupByName('default');
        const { ready, event } = firstEvent<{ net: { name: string }; type: number }>((l) => direct.subscribe('network:metadata-change', l));
        await ready;
        await direct.networkSetMetadata(net, VIR_NETWORK_METADATA_DESCRIPTION, 'set by libvirt-rpc', null, null, VIR_NETWORK_UPDATE_AFFECT_LIVE);
        expect(await direct.networkGetMetadata(net, VIR_NETWORK_METADATA_DESCRIPTION, null, VIR_NETWORK_UPDATE_AFFECT_LIVE)).toBe('set by libvirt-rpc');
        const e = await event;
        expect(e.net.name).toBe('default');
        expect(e.type).toBe(VIR_NETWORK_METADATA_DESCRIPTION);
        // The C client on the host (9.0) reads the same description from the 11.3 daemon's XML.
        const xml = await pythonLibvirt(daemon, daemon.testUri, `print(json.dumps(conn.networkLookupByName('default').XMLDesc(0)))`);
        expect(xml).toContain('set by libvirt-rpc');
      });

      it('sets and reads autostart-once on a QEMU guest (11.2 procedures)', async () => {
        const q = await connect(daemon.qemuUri);
        try {
          const dom = await q.domainDefineXML(`<domain type='qemu'><name>once</name><memory unit='MiB'>32</memory><os><type arch='x86_64' machine='pc'>hvm</type></os></domain>`);
          try {
            expect(await q.domainGetAutostartOnce(dom)).toBe(0);
            await q.domainSetAutostartOnce(dom, 1);
            expect(await q.domainGetAutostartOnce(dom)).toBe(1);
          } finally {
            await q.domainUndefine(dom);
          }
        } finally {
          await q.close();
        }
      });
    });
  }

  if (generation === '9.0') {
    describe('calls and events libvirt 9.0 does not have', () => {
      it('a procedure the daemon does not know fails with an error naming it and the daemon version', async () => {
        const net = await direct.networkLookupByName('default');
        const err = await direct.networkGetMetadata(net, VIR_NETWORK_METADATA_DESCRIPTION, null, 0).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UnknownProcedureError);
        expect(err).toBeInstanceOf(LibvirtError);
        const u = err as UnknownProcedureError;
        expect(u.method).toBe('networkGetMetadata');
        expect(u.daemonVersion).toBe(daemon.version);
        expect(u.codeName).toBe('VIR_ERR_RPC');
        expect(u.message).toContain('REMOTE_PROC_NETWORK_GET_METADATA');
        expect(u.message).toContain(`libvirt ${daemon.version}`);
        // Another one, on a QEMU connection: the version is asked again per connection.
        const q = await connect(daemon.qemuUri);
        try {
          const dom = await q.domainDefineXML(`<domain type='qemu'><name>once</name><memory unit='MiB'>32</memory><os><type arch='x86_64' machine='pc'>hvm</type></os></domain>`);
          try {
            await expect(q.domainGetAutostartOnce(dom)).rejects.toThrow(/REMOTE_PROC_DOMAIN_GET_AUTOSTART_ONCE \(domainGetAutostartOnce, procedure 449\) is not known to the daemon \(libvirt 9\.0\.0\)/);
            // The connection goes on.
            expect(await q.domainGetAutostart(dom)).toBe(0);
          } finally {
            await q.domainUndefine(dom);
          }
        } finally {
          await q.close();
        }
      });

      it('subscribing to an event the daemon does not have fails with the daemon’s error, and the connection goes on', async () => {
        const err = await direct.subscribe('network:metadata-change', () => undefined).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(LibvirtError);
        expect((err as LibvirtError).message).toMatch(/event/i);
        expect(await direct.connectGetType()).toBe('TEST');
      });
    });
  }
});
