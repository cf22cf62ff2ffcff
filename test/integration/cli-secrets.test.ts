/**
 * The secret and network filter commands against virsh on the same daemon. Secrets live in
 * the QEMU session daemon (the test driver has no secret driver: its refusals are compared);
 * the session daemon's nwfilter driver lists (nothing) and refuses to define filters or
 * bindings outside a system daemon, and those refusals are compared, as are the test
 * driver's. A command that changes a secret runs on a secret of ours while virsh runs on its
 * twin; both are read back with virsh. `secret-event` waits are fired by secret definitions
 * repeated until each waiter has seen one, so no waiter is assumed to have subscribed in time.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type Connection, connect } from '../../src/index.js';
import { type CliRun, ours, theirs } from '../helpers/cli.js';
import { type ThrowawayDaemon, clientEnv, sharedDaemon, virsh } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;
let session: Connection;

const OURS = '11111111-2222-3333-4444-000000000001';
const TWIN = '11111111-2222-3333-4444-000000000002';
const PROBE = '11111111-2222-3333-4444-0000000000ff';

const secretXml = (uuid: string, usage: string) =>
  `<secret ephemeral='no' private='no'>\n  <uuid>${uuid}</uuid>\n  <usage type='ceph'>\n    <name>${usage}</name>\n  </usage>\n</secret>\n`;

/** A file in the daemon's scratch dir. */
function scratch(name: string, text: string | Buffer): string {
  const file = join(daemon.dir, name);
  writeFileSync(file, text);
  return file;
}

beforeAll(async () => {
  daemon = await sharedDaemon();
  // The test driver keeps what we define while a connection stays open.
  keeper = await connect(daemon.testUri);
  session = await connect(daemon.qemuUri);
  scratch('sec-ours.xml', secretXml(OURS, 'pool ours'));
  scratch('sec-twin.xml', secretXml(TWIN, 'pool twin'));
  scratch('sec-probe.xml', secretXml(PROBE, 'probe'));
  scratch('sec-bad.xml', '<secret><uuid>nope</uuid></secret>\n');
  scratch('value.b64', 'aGVsbG8gd29ybGQ=\n');
  scratch('value.txt', 'plain words');
  scratch('value-big.txt', 'x'.repeat(1025));
  scratch(
    'nwfilter.xml',
    "<filter name='cli-filter' chain='ipv4'>\n  <uuid>bbbbbbbb-2222-3333-4444-555555555555</uuid>\n  <rule action='accept' direction='out' priority='500'>\n    <ip srcipaddr='10.0.0.1'/>\n  </rule>\n</filter>\n",
  );
  scratch(
    'binding.xml',
    "<filterbinding>\n  <owner>\n    <name>guest</name>\n    <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n  </owner>\n  <portdev name='vnet-cli'/>\n  <mac address='52:54:00:11:22:33'/>\n  <filterref filter='cli-filter'/>\n</filterbinding>\n",
  );
});

afterAll(async () => {
  await keeper?.close();
  await session?.close();
});

const q = () => daemon.qemuUri;
const t = () => daemon.testUri;

/** Ours and virsh on the same daemon and state. */
async function same(uri: string, args: string[]): Promise<void> {
  expect(await ours(uri, args)).toEqual(await theirs(daemon, uri, args));
}

/** Twin runs: ours on OURS, virsh on TWIN, what they print compared with the twin's names put back. */
async function twins(args: (uuid: string, which: 'ours' | 'twin') => string[], io: Parameters<typeof ours>[2] = {}): Promise<CliRun> {
  const mine = await ours(q(), args(OURS, 'ours'), io);
  const virshRun = await theirs(daemon, q(), args(TWIN, 'twin'));
  const back = (r: CliRun) => ({ ...r, out: r.out.replaceAll(TWIN, OURS).replaceAll('twin', 'ours'), err: r.err.replaceAll(TWIN, OURS).replaceAll('twin', 'ours') });
  expect(mine).toEqual(back(virshRun));
  return mine;
}

/** Both secrets read back with virsh, compared as twins. */
async function readBack(...args: string[]): Promise<void> {
  const mine = await theirs(daemon, q(), [...args, OURS]);
  const twin = await theirs(daemon, q(), [...args, TWIN]);
  const back = (text: string) => text.replaceAll(TWIN, OURS).replaceAll('pool twin', 'pool ours');
  expect(mine).toEqual({ ...twin, out: back(twin.out), err: back(twin.err) });
}

/** virsh with `input` on its stdin and no terminal to read a password from (its own session). */
function theirsWithInput(uri: string, args: string[], input: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn('virsh', ['-c', uri, ...args], { env: clientEnv(daemon), detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => resolve({ out, err, code: code ?? 1 }));
    child.stdin.end(input);
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Ours and virsh waiting with the same words, `fire` causing an event again and again until
 * both have ended (each prints the first one it sees; every firing prints the same line).
 */
async function bothWait(uri: string, args: string[], fire: () => Promise<unknown>): Promise<[CliRun, CliRun]> {
  let ended = 0;
  const mine = ours(uri, args).finally(() => ended++);
  const virshRun = theirs(daemon, uri, args).finally(() => ended++);
  for (const end = Date.now() + 100_000; ended < 2 && Date.now() < end; ) {
    await fire();
    await delay(100);
  }
  return Promise.all([mine, virshRun]);
}

const defineProbe = () => session.secretDefineXML(secretXml(PROBE, 'probe'), 0);

describe('secrets', () => {
  it("'secret-define' defines a secret as virsh does, and reads back the same", async () => {
    await twins((_u, w) => ['secret-define', join(daemon.dir, `sec-${w}.xml`)]);
    await readBack('secret-dumpxml');
    // Defining again modifies it.
    await twins((_u, w) => ['secret-define', '--validate', join(daemon.dir, `sec-${w}.xml`)]);
    await readBack('secret-dumpxml');
  });

  it.each([
    [['secret-define', 'sec-bad.xml']],
    [['secret-define', 'no-such-file.xml']],
    [['secret-define']],
  ])('refuses %j as virsh', async (args) => {
    await same(q(), args.map((a) => (a.endsWith('.xml') ? join(daemon.dir, a) : a)));
  });

  it("'secret-set-value' sets values from every source, as virsh", async () => {
    const cases: { args: (u: string) => string[]; stdin?: string }[] = [
      // By position: virsh warns that the command line is no place for it, and sets it.
      { args: (u) => ['secret-set-value', u, 'c2VjcmV0'] },
      { args: (u) => ['secret-set-value', u, '--base64', 'YW5vdGhlcg=='] },
      { args: (u) => ['secret-set-value', '--secret', u, '--file', join(daemon.dir, 'value.b64')] },
      { args: (u) => ['secret-set-value', u, '--file', join(daemon.dir, 'value.txt'), '--plain'] },
      { args: (u) => ['secret-set-value', u, '--interactive'], stdin: 'typed words\n' },
    ];
    for (const { args, stdin } of cases) {
      if (stdin === undefined) await twins((u) => args(u));
      else {
        const mine = await ours(q(), args(OURS), { stdin: Readable.from([stdin]) });
        const twin = await theirsWithInput(q(), args(TWIN), stdin);
        expect(mine).toEqual(twin);
      }
      await readBack('secret-get-value');
      await readBack('secret-get-value', '--plain');
    }
  });

  it.each([
    [['secret-set-value', OURS, '--file', 'value-big.txt', '--plain']],
    [['secret-set-value', OURS, '--file', 'no-such-file']],
    [['secret-set-value', OURS, '--file', '.']],
    [['secret-set-value', OURS]],
    [['secret-set-value', OURS, '--plain', '--base64', 'aGk=']],
    [['secret-set-value', OURS, '--file', 'value.txt', '--base64', 'aGk=']],
    [['secret-set-value', OURS, '--interactive', '--plain']],
    [['secret-set-value', OURS, '--interactive', '--file', 'value.txt']],
    [['secret-set-value', 'not-a-uuid', 'aGk=']],
    [['secret-set-value', OURS, 'aGk=', 'extra']],
    [['secret-set-value', OURS, '--base64', 'aGk=', 'extra']],
    [['secret-set-value', '--help']],
  ])('refuses %j as virsh', async (args) => {
    await same(q(), args.map((a) => (a.startsWith('value') || a === 'no-such-file' ? join(daemon.dir, a) : a === '.' ? daemon.dir : a)));
  });

  it('an empty line typed for the value is refused by the daemon, as for virsh', async () => {
    const args = ['secret-set-value', OURS, '--interactive'];
    expect(await ours(q(), args, { stdin: Readable.from(['\n']) })).toEqual(await theirsWithInput(q(), args, '\n'));
  });

  it.each([
    [['secret-get-value', OURS]],
    [['secret-get-value', '--plain', OURS]],
    [['secret-get-value', PROBE.replace('ff', 'fe')]],
    [['secret-get-value', 'nosuch']],
    [['secret-dumpxml', OURS]],
    // libvirt reads a UUID with dashes anywhere, or none.
    [['secret-dumpxml', OURS.replace(/-/g, '')]],
    [['secret-dumpxml', ` ${OURS} `]],
    [['secret-dumpxml', '--secret', OURS]],
    [['secret-dumpxml', 'nosuch']],
    [['secret-dumpxml']],
    [['secret-dumpxml', OURS, 'extra']],
    [['secret-dumpxml', OURS, '--no-such-option']],
  ])('%j prints what virsh prints', async (args) => {
    await same(q(), args);
  });

  it('a secret with no value yet has none to get', async () => {
    await session.secretDefineXML(secretXml(PROBE.replace('ff', 'fd'), 'empty'), 0);
    await same(q(), ['secret-get-value', PROBE.replace('ff', 'fd')]);
  });

  it('--json gives the value and the secret in camelCase fields', async () => {
    const got = JSON.parse((await ours(q(), ['--json', 'secret-get-value', OURS])).out);
    expect(got).toEqual({ value: Buffer.from('typed words').toString('base64') });
    expect(JSON.parse((await ours(q(), ['--json', 'secret-define', join(daemon.dir, 'sec-ours.xml')])).out)).toEqual({ uuid: OURS });
  });

  it.each([
    [['secret-define', 'sec-ours.xml']],
    [['secret-define', 'sec-ours.xml', '--validate']],
    [['secret-dumpxml', OURS]],
    [['secret-get-value', OURS]],
    [['secret-set-value', OURS, 'aGk=']],
    [['secret-undefine', OURS]],
    [['secret-event', '--event', 'lifecycle', '--timeout', '1']],
    [['secret-event', '--event', 'lifecycle', '--secret', OURS, '--timeout', '1']],
  ])('the test driver refuses %j as it refuses virsh', async (args) => {
    await same(t(), args.map((a) => (a.endsWith('.xml') ? join(daemon.dir, a) : a)));
  });

  it("'secret-undefine' deletes a secret as virsh does", async () => {
    await twins((u) => ['secret-undefine', u]);
    await readBack('secret-dumpxml');
    await twins((u) => ['secret-undefine', u]);
    expect(await virsh(daemon, q(), 'secret-list')).not.toContain('pool ');
    await same(q(), ['secret-undefine', 'nosuch']);
  });
});

describe("'secret-event'", () => {
  it.each([
    [['secret-event', '--list']],
    [['secret-event']],
    [['secret-event', '--event', 'nosuch']],
    [['secret-event', '--event', 'lifecycle', '--timeout', '0']],
    [['secret-event', '--event', 'lifecycle', '--timeout', '-1']],
    [['secret-event', '--event', 'lifecycle', '--timeout', 'soon']],
    [['secret-event', '--event', 'lifecycle', '--timeout', '9999999']],
    // Nothing happens: the wait times out, which is a failure, its report printed.
    [['secret-event', '--event', 'lifecycle', '--timeout', '1']],
    [['secret-event', '--event', 'value-changed', '--loop', '--timeout', '1']],
    // A secret that is not there is reported, and virsh waits for every secret's events.
    [['secret-event', '--event', 'lifecycle', '--secret', 'nosuch', '--timeout', '1']],
    [['secret-event', '--event', 'lifecycle', '--secret', PROBE.replace('ff', 'fe'), '--timeout', '1']],
  ])('%j prints what virsh prints', async (args) => {
    await same(q(), args);
  });

  it('prints the first event a definition causes, as virsh', async () => {
    const [mine, virshRun] = await bothWait(q(), ['secret-event', '--event', 'lifecycle', '--timeout', '120'], defineProbe);
    expect(mine).toEqual(virshRun);
    expect(mine.out).toBe(`event 'lifecycle' for secret ${PROBE}: Defined\nevents received: 1\n\n`);
  });

  it('with --timestamp, the same line after the time', async () => {
    const [mine, virshRun] = await bothWait(q(), ['secret-event', '--event', 'lifecycle', '--timestamp', '--timeout', '120'], defineProbe);
    const stamp = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: /m;
    expect(mine.out).toMatch(stamp);
    const steady = (r: CliRun) => ({ ...r, out: r.out.replace(stamp, '<time>: ') });
    expect(steady(mine)).toEqual(steady(virshRun));
  });

  it('watches one secret with --secret, for its value changes', async () => {
    const secret = await defineProbe();
    const args = ['secret-event', '--secret', PROBE, '--event', 'value-changed', '--timeout', '120'];
    const [mine, virshRun] = await bothWait(q(), args, () => session.secretSetValue(secret, Buffer.from('v'), 0));
    expect(mine).toEqual(virshRun);
    expect(mine.out).toBe(`event 'value-changed' for secret ${PROBE}\nevents received: 1\n\n`);
  });

  it('with --loop prints every event until interrupted, as virsh', async () => {
    // Both run as processes, so that each gets its own Ctrl-C.
    const bin = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/bin.ts');
    const args = ['-c', q(), 'secret-event', '--event', 'lifecycle', '--loop'];
    const start = (command: string, argv: string[]) => {
      const child = spawn(command, argv, { env: clientEnv(daemon), stdio: ['ignore', 'pipe', 'pipe'] });
      const run = { out: '', err: '', code: -1 };
      child.stdout.on('data', (b: Buffer) => (run.out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (run.err += b.toString()));
      const closed = new Promise<CliRun>((resolve) => child.on('close', (code) => resolve({ ...run, code: code ?? 1 })));
      return { child, run, closed };
    };
    const sides = [start(process.execPath, ['--import', 'tsx', bin, ...args]), start('virsh', args)];
    const until = async (seen: (out: string) => boolean, fire?: () => Promise<unknown>) => {
      for (const end = Date.now() + 100_000; !sides.every((s) => seen(s.run.out)) && Date.now() < end; ) {
        await fire?.();
        await delay(100);
      }
      expect(sides.map((s) => seen(s.run.out))).toEqual([true, true]);
    };
    const probeLine = `event 'lifecycle' for secret ${PROBE}: Defined\n`;
    // Each side has subscribed once it prints a probe's event; then the events that count.
    await until((out) => out.includes(probeLine), defineProbe);
    await session.secretUndefine(await session.secretLookupByUUID(Buffer.from(PROBE.replace(/-/g, ''), 'hex')));
    await session.secretDefineXML(secretXml(OURS, 'pool ours'), 0);
    await until((out) => out.includes(`secret ${OURS}: Defined\n`));
    for (const s of sides) s.child.kill('SIGINT');
    const [mine, virshRun] = await Promise.all(sides.map((s) => s.closed));
    // However many probes each saw, the rest is the same.
    const steady = (r: CliRun) => {
      const lines = r.out.split('\n').filter((l) => l.startsWith("event '"));
      expect(r.out).toContain(`events received: ${lines.length}\n`);
      return { ...r, out: r.out.replace(new RegExp(`^(${probeLine})+`), '').replace(/events received: \d+/, 'events received: N') };
    };
    expect(steady(mine!)).toEqual(steady(virshRun!));
    expect(steady(mine!).out).toBe(`event 'lifecycle' for secret ${PROBE}: Undefined\nevent 'lifecycle' for secret ${OURS}: Defined\nevent loop interrupted\nevents received: N\n\n`);
    await session.secretUndefine(await session.secretLookupByUUID(Buffer.from(OURS.replace(/-/g, ''), 'hex')));
  });
});

describe('network filters', () => {
  it.each([
    [['nwfilter-list']],
    [['nwfilter-binding-list']],
    // Only a system daemon defines filters and bindings.
    [['nwfilter-define', 'nwfilter.xml']],
    [['nwfilter-define', 'nwfilter.xml', '--validate']],
    [['nwfilter-define', 'no-such-file.xml']],
    [['nwfilter-binding-create', 'binding.xml']],
    [['nwfilter-binding-create', '--file', 'binding.xml', '--validate']],
    [['nwfilter-dumpxml', 'cli-filter']],
    [['nwfilter-dumpxml', 'bbbbbbbb-2222-3333-4444-555555555555']],
    [['nwfilter-dumpxml']],
    [['nwfilter-undefine', 'cli-filter']],
    [['nwfilter-undefine', '--nwfilter', 'bbbbbbbb-2222-3333-4444-555555555555']],
    [['nwfilter-binding-dumpxml', 'vnet-cli']],
    [['nwfilter-binding-delete', 'vnet-cli']],
    [['nwfilter-binding-delete']],
    [['nwfilter-list', 'extra']],
  ])('%j prints what virsh prints on the session daemon', async (args) => {
    await same(q(), args.map((a) => (a.endsWith('.xml') ? join(daemon.dir, a) : a)));
  });

  it.each([
    // The test driver has no nwfilter driver: virsh falls back to the old calls, refused too.
    [['nwfilter-list']],
    [['nwfilter-binding-list']],
    [['nwfilter-define', 'nwfilter.xml']],
    [['nwfilter-define', 'nwfilter.xml', '--validate']],
    [['nwfilter-binding-create', 'binding.xml']],
    [['nwfilter-dumpxml', 'cli-filter']],
    [['nwfilter-dumpxml', 'bbbbbbbb-2222-3333-4444-555555555555']],
    [['nwfilter-undefine', 'cli-filter']],
    [['nwfilter-binding-dumpxml', 'vnet-cli']],
    [['nwfilter-binding-delete', 'vnet-cli']],
  ])('%j prints what virsh prints on the test driver', async (args) => {
    await same(t(), args.map((a) => (a.endsWith('.xml') ? join(daemon.dir, a) : a)));
  });

  it('--json lists as arrays', async () => {
    expect(JSON.parse((await ours(q(), ['--json', 'nwfilter-list'])).out)).toEqual([]);
    expect(JSON.parse((await ours(q(), ['--json', 'nwfilter-binding-list'])).out)).toEqual([]);
  });
});
