/**
 * Strings libvirtd would read as another string, against the real daemon: it takes them as C
 * strings, so `'test\0evil'` would find the test driver's domain `test`. python3-libvirt
 * refuses them before sending; so must we, and the connection must go on as if nothing
 * happened.
 */
import { type Connection, connect, XdrEncodeError } from '../../src/index.js';
import { type ThrowawayDaemon, pythonLibvirt, sharedDaemon } from '../helpers/libvirtd.js';

const REFUSED = ['test\0evil', 'test\uD800'];

describe('strings with a NUL or a lone surrogate, on the test driver', () => {
  let daemon: ThrowawayDaemon;
  let conn: Connection;

  beforeAll(async () => {
    daemon = await sharedDaemon();
    conn = await connect(daemon.testUri);
  });
  afterAll(() => conn?.close());

  it('python3-libvirt refuses them before anything is looked up', async () => {
    const theirs = await pythonLibvirt(
      daemon,
      daemon.testUri,
      `out = []
for name in ${JSON.stringify(REFUSED)}:
    try:
        out.append({'found': conn.lookupByName(name).name()})
    except (TypeError, ValueError) as e:
        out.append({'refused': type(e).__name__})
out.append({'found': conn.lookupByName('test').name()})
print(json.dumps(out))`,
    );
    const refused = { refused: expect.stringMatching(/^(TypeError|ValueError|UnicodeEncodeError)$/) };
    expect(theirs).toEqual([refused, refused, { found: 'test' }]);
  });

  it.each(REFUSED.map((s) => [JSON.stringify(s), s]))('domainLookupByName(%s) rejects, sends nothing, and the next call works', async (_label, name) => {
    const sent = conn.stats.callsSent;
    const e = await conn.domainLookupByName(name).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(XdrEncodeError);
    expect((e as XdrEncodeError).field).toBe('remote_domain_lookup_by_name_args.name');
    expect(conn.stats.callsSent).toBe(sent);
    expect((await conn.domainLookupByName('test')).name).toBe('test');
    expect(conn.stats.callsSent).toBe(sent + 1);
  });
});
