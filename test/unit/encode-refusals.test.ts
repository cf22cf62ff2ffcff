/**
 * Values the encoder refuses before a byte is sent: strings libvirtd would read as another
 * string (an embedded NUL ends a C string; a lone surrogate has no UTF-8 form), and missing
 * struct arguments. Every refusal is an XdrEncodeError naming the field, and a method
 * delivers it the same way whatever the field: its promise rejects, nothing is thrown.
 */
import { Connection, type RemoteNonnullDomain, XdrEncodeError } from '../../src/index.js';
import {
  RemoteConnectDomainEventCallbackRegisterAnyArgsCodec,
  RemoteConnectOpenArgsCodec,
  RemoteDomainGetInfoArgsCodec,
  XdrWriter,
  encodeValue,
} from '../../src/protocol.js';
import { createMechanism } from '../../src/auth/sasl.js';
import { FakeDaemon } from '../../src/testing/index.js';

const dom: RemoteNonnullDomain = { name: 'guest', uuid: new Uint8Array(16), id: 1 };

async function open(daemon: FakeDaemon): Promise<Connection> {
  return Connection.open(daemon.dialer(), 'qemu:///system', 'qemu:///system', { keepalive: false });
}

/** What a refused call rejected with, after checking it did not throw. */
async function refusal(call: () => Promise<unknown>): Promise<XdrEncodeError> {
  let pending: Promise<unknown> | undefined;
  expect(() => (pending = call())).not.toThrow();
  const e = await pending!.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(XdrEncodeError);
  return e as XdrEncodeError;
}

describe('strings libvirtd would read differently', () => {
  const cases: [string, string, RegExp][] = [
    ['NUL in a short ASCII string', 'test\0evil', /NUL character at index 4/],
    ['NUL at the start', '\0', /NUL character at index 0/],
    ['NUL after non-ASCII text', 'é\0x', /NUL character at index 1/],
    ['NUL in a long string', `${'<domain>'.repeat(20)}\0</domain>`, /NUL character at index 160/],
    ['a lone high surrogate', 'vm\uD800', /lone surrogate at index 2/],
    ['a lone low surrogate', '\uDC00vm', /lone surrogate at index 0/],
    ['a lone surrogate in a long string', `${'x'.repeat(100)}\uDBFF`, /lone surrogate at index 100/],
  ];
  it.each(cases)('refuses %s, naming the field, and writes nothing', (_what, s, problem) => {
    const w = new XdrWriter(8);
    w.int(7, 'T.before');
    const e = (() => {
      try {
        w.string(s, 1 << 20, 'T.name');
      } catch (err) {
        return err;
      }
    })() as XdrEncodeError;
    expect(e).toBeInstanceOf(XdrEncodeError);
    expect(e.field).toBe('T.name');
    expect(e.message).toMatch(problem);
    expect(w.pos).toBe(4);
  });

  it('still writes every well-formed string, pairs of surrogates included', () => {
    const w = new XdrWriter(4);
    for (const s of ['', 'a', '\x01\x7f', 'héllo', 'vm\uD83D\uDE00', 'x'.repeat(200), `${'é'.repeat(70)}\uD83D\uDE00`]) {
      w.reset();
      w.string(s, 1 << 20, 'T.name');
      const bytes = new TextEncoder().encode(s);
      expect(w.finish().subarray(4, 4 + bytes.length)).toEqual(bytes);
      expect(new DataView(w.buf.buffer).getUint32(0)).toBe(bytes.length);
    }
  });

  it('are refused on every path a string takes: names, XML, typed parameters, the URI of connectOpen', async () => {
    const daemon = new FakeDaemon()
      .handle('domainLookupByName', ({ name }) => ({ dom: { ...dom, name } }))
      .handle('connectGetHostname', () => ({ hostname: 'node-7' }));
    const conn = await open(daemon);
    const before = daemon.calls.length;

    expect((await refusal(() => conn.domainLookupByName('test\0evil'))).field).toBe('remote_domain_lookup_by_name_args.name');
    expect((await refusal(() => conn.domainLookupByName('vm\uD800'))).field).toBe('remote_domain_lookup_by_name_args.name');
    expect((await refusal(() => conn.domainDefineXML(`<domain><name>a\0b</name>${' '.repeat(100)}</domain>`))).field).toBe(
      'remote_domain_define_xml_args.xml',
    );
    // A nested struct's string, and both sides of a typed parameter.
    expect((await refusal(() => conn.domainGetInfo({ ...dom, name: 'guest\0' }))).field).toBe('remote_nonnull_domain.name');
    expect((await refusal(() => conn.nodeSetMemoryParameters({ shm_pages_to_scan: 'x\0y' }, 0))).field).toBe(
      'remote_node_set_memory_parameters_args.params.shm_pages_to_scan',
    );
    expect((await refusal(() => conn.nodeSetMemoryParameters({ 'a\0b': 1 }, 0))).message).toMatch(/name "a\\u0000b".*NUL character at index 1/);
    expect((await refusal(() => conn.nodeSetMemoryParameters({ 'a\uDFFF': 1 }, 0))).message).toMatch(/lone surrogate at index 1/);

    // None of them reached the daemon, and the connection goes on.
    expect(daemon.calls.length).toBe(before);
    expect(await conn.domainLookupByName('test')).toEqual({ ...dom, name: 'test' });
    await conn.close();

    expect(() => encodeValue(RemoteConnectOpenArgsCodec, { name: 'test:///default\0', flags: 0 })).toThrow(
      expect.objectContaining({ field: 'remote_connect_open_args.name' }),
    );
  });

  it('are refused as SASL credentials before anything is sent', async () => {
    for (const mech of ['PLAIN', 'SCRAM-SHA-256']) {
      for (const c of [
        { username: 'admin\0x', password: 'secret' },
        { username: 'admin', password: 'sec\0ret' },
        { username: 'admin', password: 'secret\uD800' },
      ]) {
        await expect(createMechanism(mech, async () => c).start()).rejects.toThrow(XdrEncodeError);
      }
    }
  });
});

describe('missing struct arguments', () => {
  it('reject with the field named, nothing sent, and the connection goes on', async () => {
    const daemon = new FakeDaemon().handle('connectGetHostname', () => ({ hostname: 'node-7' }));
    const conn = await open(daemon);
    const before = daemon.calls.length;

    const e = await refusal(() => conn.domainGetInfo(undefined as unknown as RemoteNonnullDomain));
    expect(e.field).toBe('remote_domain_get_info_args.dom');
    expect(e.message).toMatch(/expected an object, got undefined/);
    expect((await refusal(() => conn.domainGetInfo(null as unknown as RemoteNonnullDomain))).field).toBe('remote_domain_get_info_args.dom');
    expect((await refusal(() => conn.domainGetInfo('guest' as unknown as RemoteNonnullDomain))).field).toBe('remote_domain_get_info_args.dom');
    // Inside an array.
    expect((await refusal(() => conn.connectGetAllDomainStats([dom, undefined as unknown as RemoteNonnullDomain], 0, 0))).field).toBe(
      'remote_connect_get_all_domain_stats_args.doms[]',
    );

    expect(daemon.calls.length).toBe(before);
    expect(await conn.connectGetHostname()).toBe('node-7');
    await conn.close();
  });

  it('name the field of an optional struct that is present but not an object, and the top-level type', () => {
    expect(() => encodeValue(RemoteConnectDomainEventCallbackRegisterAnyArgsCodec, { eventID: 0, dom: 'guest' as never })).toThrow(
      expect.objectContaining({ name: 'XdrEncodeError', field: 'remote_connect_domain_event_callback_register_any_args.dom' }),
    );
    expect(() => encodeValue(RemoteDomainGetInfoArgsCodec, undefined as never)).toThrow(
      expect.objectContaining({ name: 'XdrEncodeError', field: 'remote_domain_get_info_args' }),
    );
  });

  it('typed-parameter errors reject the promise like every other encode error', async () => {
    const daemon = new FakeDaemon();
    const conn = await open(daemon);
    const before = daemon.calls.length;
    const e = await refusal(() => conn.nodeSetMemoryParameters(null as never, 0));
    expect(e.field).toBe('remote_node_set_memory_parameters_args.params');
    const f = await refusal(() => conn.domainSetSchedulerParameters(dom, { cpu_shares: Symbol('x') as never }));
    expect(f.field).toBe('remote_domain_set_scheduler_parameters_args.params.cpu_shares');
    expect(daemon.calls.length).toBe(before);
    await conn.close();
  });
});
