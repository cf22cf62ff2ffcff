/**
 * Fleet mode against several real daemons: `-c` more than once and `--hosts FILE` run a read
 * command on every host, print one table with a leading host column or one JSON line per
 * host, report a host that is down without losing the others, and refuse changes (every
 * host is opened read-only).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Connection, connect } from '../../src/index.js';
import { startThrowawayLibvirtd } from '../harness/daemon.js';
import { ours } from '../helpers/cli.js';
import { type ThrowawayDaemon, sharedDaemon, virsh } from '../helpers/libvirtd.js';

let a: ThrowawayDaemon;
let b: ThrowawayDaemon;
const keepers: Connection[] = [];
let down: string;

beforeAll(async () => {
  [a, b] = await Promise.all([sharedDaemon(), startThrowawayLibvirtd({ name: 'fleet-b' })]);
  down = `test+unix:///default?socket=${join(a.dir, 'nobody-listens.sock')}`;
  // The test driver keeps definitions while a connection stays open; one extra guest on b
  // tells the hosts apart.
  for (const d of [a, b]) keepers.push(await connect(d.testUri));
  await keepers[1]!.domainDefineXML(`<domain type='test'><name>bravo</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`);
});

afterAll(async () => {
  await Promise.all(keepers.map((k) => k.close()));
  await b?.stop();
});

/** A fleet command: `-c` for each host, then the command. */
const onFleet = (hosts: string[], ...args: string[]) => ours(hosts[0]!, [...hosts.slice(1).flatMap((h) => ['-c', h]), ...args]);

/** virsh's `list --all` on one host as the rows fleet mode prints for it: host, id, name, state. */
async function virshRows(d: ThrowawayDaemon): Promise<string[][]> {
  const lines = (await virsh(d, d.testUri, 'list', '--all')).split('\n').slice(2).filter((l) => l.trim());
  return lines.map((l) => {
    const [id, name, ...state] = l.trim().split(/\s+/);
    return [d.testUri, id === '-' ? '-' : id!, name!, state.join(' ')];
  });
}

describe('fleet mode', () => {
  it('runs a read command on every host and prints one table led by the host, with what virsh lists on each', async () => {
    const r = await onFleet([a.testUri, b.testUri], 'list', '--all');
    expect(r).toMatchObject({ code: 0, err: '' });
    const [header, rule, ...rest] = r.out.trimEnd().split('\n');
    expect(header!.trim().split(/\s+/)).toEqual(['Host', 'id', 'name', 'uuid', 'state']);
    expect(rule).toMatch(/^-+$/);
    const rows = rest.map((l) => {
      const [host, id, name, _uuid, ...state] = l.trim().split(/\s+/);
      return [host!, id!, name!, state.join(' ')];
    });
    expect(rows).toEqual([...(await virshRows(a)), ...(await virshRows(b))]);
  });

  it('--hosts FILE with --json: one line per host, each the result the host gives alone', async () => {
    const file = join(a.dir, 'hosts.txt');
    writeFileSync(file, `# the lab\n${a.testUri}\n\n  ${b.testUri}  \n`);
    const r = await ours(a.testUri, ['--hosts', file, '--json', 'nodeinfo']);
    expect(r).toMatchObject({ code: 0, err: '' });
    const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l));
    const alone = await Promise.all([a, b].map(async (d) => JSON.parse((await ours(d.testUri, ['--json', 'nodeinfo'])).out)));
    expect(lines).toEqual([
      { host: a.testUri, result: alone[0] },
      { host: b.testUri, result: alone[1] },
    ]);
  });

  it('a host that is down: its error, the others still answered, exit status 1', async () => {
    const text = await onFleet([a.testUri, down, b.testUri], 'list', '--all', '--name');
    expect(text.code).toBe(1);
    expect(text.err).toMatch(new RegExp(`^error: ${down.replace(/[?.*+]/g, '\\$&')}: .*nobody-listens\\.sock`));
    expect(text.out).toContain(b.testUri);
    const json = await onFleet([a.testUri, down, b.testUri], '--json', 'domstate', 'test');
    expect(json.code).toBe(1);
    const lines = json.out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.host)).toEqual([a.testUri, down, b.testUri]);
    expect(lines[0].result).toEqual({ state: 'running' });
    expect(lines[1].error.message).toMatch(/nobody-listens\.sock/);
    expect(lines[2].result).toEqual({ state: 'running' });
  });

  it('a command that changes state is refused by every host (read-only), and nothing changes', async () => {
    const r = await onFleet([a.testUri, b.testUri], 'suspend', 'test');
    expect(r.code).toBe(1);
    expect(r.err.split('\n').filter(Boolean)).toEqual([a.testUri, b.testUri].map((h) => expect.stringMatching(new RegExp(`^error: ${h.replace(/[?.*+]/g, '\\$&')}: .*read only`))));
    for (const d of [a, b]) expect(await virsh(d, d.testUri, 'domstate', 'test')).toBe('running\n\n');
  });

  it('text output a table cannot hold is printed per host', async () => {
    const r = await onFleet([a.testUri, b.testUri], 'net-dumpxml', 'default');
    expect(r.code).toBe(0);
    const expected = await Promise.all([a, b].map(async (d) => `${d.testUri}:\n${(await virsh(d, d.testUri, 'net-dumpxml', 'default')).replace(/\n+$/, '')}\n\n`));
    expect(r.out).toBe(expected.join(''));
  });

  it('the same host given twice is asked once, as one host', async () => {
    const r = await onFleet([a.testUri, a.testUri], 'domstate', 'test');
    expect(r).toEqual({ out: 'running\n\n', err: '', code: 0 });
  });
});
