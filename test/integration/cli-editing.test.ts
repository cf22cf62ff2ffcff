/**
 * The `*-edit` commands against virsh on the same daemon: scripted editors (small shell
 * scripts that edit the file with sed) stand in for the user, the answers to "Try again?"
 * come on stdin, a terminal one (virsh gets a pty, ours a stream that says it is a TTY) or
 * not. Each command runs on an object of ours and virsh on its twin; what they print is
 * compared with the objects' names put back, then both objects are read back with virsh.
 */
import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type Connection, connect } from '../../src/index.js';
import { testDriverDomainXml, tinyGuestXml } from '../harness/guests.js';
import { SYSTEM_PYTHON } from '../harness/packages.js';
import { REPO } from '../harness/repo.js';
import { type CliRun, ours, theirs } from '../helpers/cli.js';
import { type ThrowawayDaemon, clientEnv, sharedDaemon, virsh } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;

beforeAll(async () => {
  daemon = await sharedDaemon();
  // The test driver keeps what we define while a connection stays open.
  keeper = await connect(daemon.testUri);
});

afterAll(() => keeper?.close());

// ---------------------------------------------------------------------------------------
// Editors, terminals and the two sides

let scripts = 0;

/** A scripted editor: `body` runs with the file as $1. */
function editorScript(body: string): string {
  const file = join(daemon.dir, `editor-${++scripts}.sh`);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const sedEditor = (expression: string) => editorScript(`sed -i "${expression}" "$1"`);

/** An editor that runs `first` on its first run and `later` on the ones after (each side needs its own). */
function twoStepEditor(first: string, later: string): string {
  const counter = join(daemon.dir, `editor-${scripts + 1}.count`);
  return editorScript(`n=$(cat '${counter}' 2>/dev/null || echo 0)
n=$((n + 1))
echo $n > '${counter}'
if [ $n = 1 ]; then sed -i "${first}" "$1"; else sed -i "${later}" "$1"; fi`);
}

/** virsh's stdin as a terminal: a pty; each answer is typed once virsh asks (it flushes what came before). */
const PTY_RUNNER = `
import json, os, pty, select, subprocess, sys
answers = list(json.loads(sys.argv[1]))
master, slave = pty.openpty()
child = subprocess.Popen(sys.argv[2:], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
os.close(slave)
out, err, since = b'', b'', b''
names = {child.stdout.fileno(): 'out', child.stderr.fileno(): 'err'}
watch = list(names) + [master]
while names:
    ready, _, _ = select.select(watch, [], [], 120)
    if not ready:
        child.kill()
        break
    for fd in ready:
        if fd == master:
            try:
                os.read(master, 4096)
            except OSError:
                watch.remove(master)
            continue
        data = os.read(fd, 65536)
        if not data:
            del names[fd]
            watch.remove(fd)
        elif names[fd] == 'err':
            err += data
        else:
            out += data
            since += data
            if b'Try again?' in since and since.endswith(b': '):
                # Past the answers given, n ends the run as ours ends at the end of its input.
                os.write(master, (answers.pop(0) if answers else 'n').encode())
                since = b''
child.wait()
print(json.dumps({'out': out.decode('utf-8', 'replace'), 'err': err.decode('utf-8', 'replace'), 'code': child.returncode}))
`;

/** `command` (virsh by default) with its stdin on a pty, typing `answers` as it asks. */
function onTerminal(uri: string, args: string[], env: NodeJS.ProcessEnv, answers: string, command = ['virsh']): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      SYSTEM_PYTHON,
      ['-c', PTY_RUNNER, JSON.stringify([...answers]), ...command, '-c', uri, ...args],
      { env: { ...clientEnv(daemon), ...env }, maxBuffer: 64 << 20 },
      (e, out, err) => (e ? reject(new Error(`pty runner failed: ${err || e.message}`)) : resolve(JSON.parse(out) as CliRun)),
    );
  });
}

/** Our stdin as a terminal: a stream that says it is a TTY, the answers in it. */
function terminal(answers: string): NodeJS.ReadableStream {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  input.end(answers);
  return input;
}

/** Our stdin with no terminal: an empty pipe. */
function pipe(): NodeJS.ReadableStream {
  const input = new PassThrough();
  input.end();
  return input;
}

interface Side {
  uri: string;
  args: string[];
  env: Record<string, string>;
  /** Answers typed at the prompt; undefined runs without a terminal. */
  answers?: string;
}

const runOurs = (s: Side) => ours(s.uri, s.args, { env: s.env, stdin: s.answers === undefined ? pipe() : terminal(s.answers) });
/** virsh with the side's editor only: a VISUAL of the environment the tests run in would win over it. */
const runTheirs = (s: Side) => {
  const env = { VISUAL: undefined, ...s.env };
  return s.answers === undefined ? theirs(daemon, s.uri, s.args, env) : onTerminal(s.uri, s.args, env, s.answers);
};

/** Puts NAME for each object's own name, and one name for the random part of virsh's temporary files. */
function normalized(run: CliRun, names: string[]): CliRun {
  const fix = (s: string) => names.reduce((t, n) => t.split(n).join('NAME'), s).replace(/virsh[A-Za-z0-9]{6}\.xml/g, 'virshXXXXXX.xml');
  return { out: fix(run.out), err: fix(run.err), code: run.code };
}

/**
 * Runs ours with `mine` put for NAME in the arguments, virsh with `twin`, each with an editor
 * of its own (`editor` gives the editor command, or the whole editing environment), and
 * expects the same output; both keep their temporary files in the daemon's directory.
 */
async function compareOnTwins(
  uri: string,
  args: string[],
  o: { mine: string; twin: string; editor: () => string | Record<string, string>; answers?: string },
): Promise<CliRun> {
  const side = (name: string): Side => {
    const editor = o.editor();
    return {
      uri,
      args: args.map((a) => a.split('NAME').join(name)),
      env: { TMPDIR: daemon.dir, ...(typeof editor === 'string' ? { EDITOR: editor } : editor) },
      ...(o.answers !== undefined ? { answers: o.answers } : {}),
    };
  };
  const mine = await runOurs(side(o.mine));
  const twin = await runTheirs(side(o.twin));
  expect(normalized(mine, [o.mine])).toEqual(normalized(twin, [o.twin]));
  return mine;
}

/** Ours and virsh on the same arguments, with no terminal, expecting the same output. */
async function compareOnOne(uri: string, args: string[], env: Record<string, string>): Promise<void> {
  const side: Side = { uri, args, env: { TMPDIR: daemon.dir, ...env } };
  expect(await runOurs(side)).toEqual(await runTheirs(side));
}

/** What virsh reads back, the name and the parts that differ between twins made the same. */
async function readBack(uri: string, name: string, ...args: string[]): Promise<string> {
  const text = await virsh(daemon, uri, ...args.map((a) => a.split('NAME').join(name)));
  return text
    .split(name)
    .join('NAME')
    .replace(/<uuid>[^<]*<\/uuid>/g, '<uuid/>')
    .replace(/<creationTime>\d+<\/creationTime>/g, '<creationTime/>')
    .replace(/<mac address='[^']*'/g, "<mac address=''");
}

const sameReadBack = async (uri: string, mine: string, twin: string, ...args: string[]) =>
  expect(await readBack(uri, mine, ...args)).toEqual(await readBack(uri, twin, ...args));

// ---------------------------------------------------------------------------------------
// edit (domains)

const MEMORY_64 = "<memory unit='KiB'>65536</memory>";
const MEMORY_128 = "<memory unit='KiB'>131072</memory>";
const GROW = `s|${MEMORY_64}|${MEMORY_128}|`;
const BREAK_DOMAIN = 's|</domain>|<bogus>|';
const FIX_DOMAIN = `s|<bogus>|</domain>|; ${GROW}`;
/** Well-formed, but not what the schema allows: only validation refuses it. */
const OFF_SCHEMA = 's|</name>|</name><bogus/>|';

let twins = 0;

/** Two inactive test-driver domains alike but for their names (with a disk, for checkpoints). */
async function twinDomains(withDisk = false): Promise<[string, string]> {
  const n = ++twins;
  const pair: [string, string] = [`edit-o${n}`, `edit-v${n}`];
  const disk = "<devices><disk type='file' device='disk'><source file='/guest/disk.img'/><target dev='vda' bus='virtio'/></disk></devices>";
  for (const name of pair) await keeper.domainDefineXML(withDisk ? testDriverDomainXml(name).replace('</domain>', `${disk}</domain>`) : testDriverDomainXml(name));
  return pair;
}

describe("'edit' as virsh does it", () => {
  it.each<[string, { editor: () => string; answers?: string; args?: string[] }]>([
    ['an unchanged file', { editor: () => 'true' }],
    ['a changed one', { editor: () => sedEditor(GROW) }],
    ['a changed one through the shell (an editor with arguments)', { editor: () => `sh ${sedEditor(GROW)}` }],
    ['a broken one fixed after y', { editor: () => twoStepEditor(BREAK_DOMAIN, FIX_DOMAIN), answers: 'y' }],
    ['a broken one given up with n', { editor: () => sedEditor(BREAK_DOMAIN), answers: 'n' }],
    ['a broken one, the help, then n', { editor: () => sedEditor(BREAK_DOMAIN), answers: '?n' }],
    ['a broken one defined again with f, then n', { editor: () => sedEditor(BREAK_DOMAIN), answers: 'fn' }],
    ['an invalid one accepted with i (validation off)', { editor: () => sedEditor(OFF_SCHEMA), answers: 'i' }],
    ['a broken one with no terminal to ask on', { editor: () => sedEditor(BREAK_DOMAIN) }],
    ['an invalid one with --skip-validate', { editor: () => sedEditor(OFF_SCHEMA), args: ['--skip-validate'] }],
    ['an editor that fails', { editor: () => 'false' }],
    ['an editor that is not there', { editor: () => 'no-such-editor' }],
  ])('%s', async (_what, c) => {
    const [mine, twin] = await twinDomains();
    await compareOnTwins(daemon.testUri, ['edit', 'NAME', ...(c.args ?? [])], { mine, twin, editor: c.editor, ...(c.answers !== undefined ? { answers: c.answers } : {}) });
    await sameReadBack(daemon.testUri, mine, twin, 'dumpxml', '--inactive', 'NAME');
  });

  it('prints the prompt, the help and the outcome as virsh does', async () => {
    const [mine] = await twinDomains();
    const run = await runOurs({ uri: daemon.testUri, args: ['edit', mine], env: { EDITOR: twoStepEditor(BREAK_DOMAIN, FIX_DOMAIN) }, answers: '?y' });
    expect(run.out).toBe(
      '\rFailed. Try again? [y,n,i,f,?]: \r\ny - yes, start editor again\r\nn - no, throw away my changes\r\n' +
        'i - turn off validation and try to redefine again\r\nf - force, try to redefine again\r\n? - print this help\r\n' +
        `\rFailed. Try again? [y,n,i,f,?]: \r\nDomain '${mine}' XML configuration edited.\n\n`,
    );
    expect(run.code).toBe(0);
    expect(await virsh(daemon, daemon.testUri, 'dumpxml', '--inactive', mine)).toContain(MEMORY_128);
  });

  it('asks on the terminal of its own process as virsh does (raw keys, and exits when done)', async () => {
    const [mine, twin] = await twinDomains();
    const bin = [process.execPath, '--import', 'tsx', join(REPO, 'src/cli/bin.ts')];
    const env = () => ({ TMPDIR: daemon.dir, VISUAL: undefined, EDITOR: twoStepEditor(BREAK_DOMAIN, FIX_DOMAIN) });
    const run = (name: string, command?: string[]) => onTerminal(daemon.testUri, ['edit', name], env(), '?y', command);
    expect(normalized(await run(mine, bin), [mine])).toEqual(normalized(await run(twin), [twin]));
    await sameReadBack(daemon.testUri, mine, twin, 'dumpxml', '--inactive', 'NAME');
  });

  it('uses $VISUAL before $EDITOR', async () => {
    const [mine, twin] = await twinDomains();
    await compareOnTwins(daemon.testUri, ['edit', 'NAME'], { mine, twin, editor: () => ({ VISUAL: sedEditor(GROW), EDITOR: 'false' }) });
    expect(await virsh(daemon, daemon.testUri, 'dumpxml', '--inactive', mine)).toContain(MEMORY_128);
  });

  it.each([
    [['edit', '--domain', 'test']],
    [['edit', 'test', 'extra']],
    [['edit']],
    [['net-edit', '--network', 'default']],
    [['pool-edit', '--pool', 'default-pool']],
    [['pool-edit']],
    [['iface-edit', '--interface', 'eth1']],
    [['nwfilter-edit']],
    [['snapshot-edit', '--snapshotname', 's9', 'test']],
    [['checkpoint-edit', '--domain', 'test', 'c9']],
    [['save-image-edit']],
    [['managedsave-edit']],
  ])('takes its arguments as virsh does: %j', async (args) => {
    await compareOnOne(daemon.testUri, args, { EDITOR: 'true' });
  });

  it('names a domain it cannot find as virsh does', async () => {
    await compareOnOne(daemon.testUri, ['edit', 'no-such-domain'], { EDITOR: 'true' });
  });
});

// ---------------------------------------------------------------------------------------
// net-edit, pool-edit, iface-edit, nwfilter-edit

describe("'net-edit', 'pool-edit', 'iface-edit' and 'nwfilter-edit' as virsh does them", () => {
  const networkXml = (name: string) => `<network><name>${name}</name><bridge name='${name}'/><ip address='192.168.200.1' netmask='255.255.255.0'/></network>`;
  const poolXml = (name: string) => `<pool type='dir'><name>${name}</name><target><path>${join(daemon.dir, name)}</path></target></pool>`;

  it.each<[string, { editor: () => string; answers?: string }]>([
    ['changed', { editor: () => sedEditor("s|192.168.200.1|192.168.201.1|") }],
    ['unchanged', { editor: () => 'true' }],
    ['broken, then fixed after y', { editor: () => twoStepEditor('s|</network>|<bogus>|', 's|<bogus>|</network>|; s|192.168.200.1|192.168.202.1|'), answers: 'y' }],
    ['broken, then n', { editor: () => sedEditor('s|</network>|<bogus>|'), answers: 'n' }],
  ])("'net-edit', %s", async (_what, c) => {
    const n = ++twins;
    const pair = [`net-o${n}`, `net-v${n}`] as const;
    for (const name of pair) await keeper.networkDefineXML(networkXml(name));
    await compareOnTwins(daemon.testUri, ['net-edit', 'NAME'], { mine: pair[0], twin: pair[1], editor: c.editor, ...(c.answers !== undefined ? { answers: c.answers } : {}) });
    await sameReadBack(daemon.testUri, pair[0], pair[1], 'net-dumpxml', 'NAME');
  });

  it.each<[string, { editor: () => string }]>([
    ['changed', { editor: () => sedEditor('s|</path>|-moved</path>|') }],
    ['unchanged', { editor: () => 'true' }],
  ])("'pool-edit', %s", async (_what, c) => {
    const n = ++twins;
    const pair = [`pool-o${n}`, `pool-v${n}`] as const;
    for (const name of pair) await keeper.storagePoolDefineXML(poolXml(name), 0);
    await compareOnTwins(daemon.testUri, ['pool-edit', 'NAME'], { mine: pair[0], twin: pair[1], editor: c.editor });
    // The test driver refuses --inactive; the pools are inactive, so this is their definition.
    await sameReadBack(daemon.testUri, pair[0], pair[1], 'pool-dumpxml', 'NAME');
  });

  it.each([
    // The test driver has no persistent interface definitions: the inactive XML is refused.
    [['iface-edit', 'eth1']],
    [['iface-edit', 'aa:bb:cc:dd:ee:ff']],
    [['iface-edit', 'no-such-iface']],
    [['net-edit', 'no-such-network']],
    [['pool-edit', 'no-such-pool']],
    // Nor has it network filters.
    [['nwfilter-edit', 'no-such-filter']],
    [['nwfilter-edit', '00000000-0000-0000-0000-000000000000']],
  ])('%j', async (args) => {
    await compareOnOne(daemon.testUri, args, { EDITOR: sedEditor('s|a|b|') });
  });

  it("'nwfilter-edit' where the QEMU daemon serves filters, or refuses as virsh reports", async () => {
    await compareOnOne(daemon.qemuUri, ['nwfilter-edit', 'no-such-filter'], { EDITOR: 'true' });
  });
});

// ---------------------------------------------------------------------------------------
// snapshot-edit and checkpoint-edit

const DESCRIBE = 's|</name>|</name><description>edited</description>|';

/** Twin test-driver domains with a snapshot s1 (current) each. */
async function twinsWithSnapshot(): Promise<[string, string]> {
  const pair = await twinDomains();
  for (const name of pair) {
    const dom = await keeper.domainLookupByName(name);
    await keeper.domainSnapshotCreateXML(dom, '<domainsnapshot><name>s1</name></domainsnapshot>', 0);
  }
  return pair;
}

describe("'snapshot-edit' and 'checkpoint-edit' as virsh does them", () => {
  it.each<[string, { args: string[]; editor: () => string; answers?: string }]>([
    ['changed', { args: ['s1'], editor: () => sedEditor(DESCRIBE) }],
    ['changed, by --snapshotname', { args: ['--snapshotname', 's1'], editor: () => sedEditor(DESCRIBE) }],
    ['the current one, changed', { args: ['--current'], editor: () => sedEditor(DESCRIBE) }],
    ['unchanged', { args: ['s1'], editor: () => 'true' }],
    ['unchanged, but to be made current', { args: ['s1', '--current'], editor: () => 'true' }],
    ['renamed with --rename', { args: ['s1', '--rename'], editor: () => sedEditor('s|<name>s1</name>|<name>s2</name>|') }],
    ['cloned with --clone', { args: ['s1', '--clone'], editor: () => sedEditor('s|<name>s1</name>|<name>s2</name>|') }],
    ['renamed without --rename or --clone', { args: ['s1'], editor: () => sedEditor('s|<name>s1</name>|<name>s2</name>|') }],
    ['broken, then fixed after y', { args: ['s1'], editor: () => twoStepEditor('s|</domainsnapshot>|<bogus>|', `s|<bogus>|</domainsnapshot>|; ${DESCRIBE}`), answers: 'y' }],
    ['broken, then n', { args: ['s1'], editor: () => sedEditor('s|</domainsnapshot>|<bogus>|'), answers: 'n' }],
    ['an editor that fails', { args: ['s1'], editor: () => 'false' }],
    ['no such snapshot', { args: ['s9'], editor: () => 'true' }],
    ['no snapshot named', { args: [], editor: () => 'true' }],
    ['--rename with --clone', { args: ['s1', '--rename', '--clone'], editor: () => 'true' }],
  ])("'snapshot-edit', %s", async (_what, c) => {
    const [mine, twin] = await twinsWithSnapshot();
    await compareOnTwins(daemon.testUri, ['snapshot-edit', 'NAME', ...c.args], { mine, twin, editor: c.editor, ...(c.answers !== undefined ? { answers: c.answers } : {}) });
    await sameReadBack(daemon.testUri, mine, twin, 'snapshot-list', 'NAME', '--name');
    for (const snapshot of (await virsh(daemon, daemon.testUri, 'snapshot-list', mine, '--name')).split('\n').filter(Boolean)) {
      await sameReadBack(daemon.testUri, mine, twin, 'snapshot-dumpxml', 'NAME', snapshot);
    }
    await sameReadBack(daemon.testUri, mine, twin, 'snapshot-current', 'NAME', '--name');
  });

  /** Twin running test-driver domains with a checkpoint c1 each. */
  async function twinsWithCheckpoint(): Promise<[string, string]> {
    const pair = await twinDomains(true);
    for (const name of pair) {
      const dom = await keeper.domainLookupByName(name);
      await keeper.domainCreate(dom);
      await keeper.domainCheckpointCreateXML(dom, '<domaincheckpoint><name>c1</name></domaincheckpoint>', 0);
    }
    return pair;
  }

  it.each<[string, { args: string[]; editor: () => string; answers?: string }]>([
    ['changed', { args: ['c1'], editor: () => sedEditor(DESCRIBE) }],
    ['changed, by --checkpointname', { args: ['--checkpointname', 'c1'], editor: () => sedEditor(DESCRIBE) }],
    ['unchanged', { args: ['c1'], editor: () => 'true' }],
    ['renamed', { args: ['c1'], editor: () => sedEditor('s|<name>c1</name>|<name>c2</name>|') }],
    ['broken, then n', { args: ['c1'], editor: () => sedEditor('s|</domaincheckpoint>|<bogus>|'), answers: 'n' }],
    ['no checkpoint named', { args: [], editor: () => 'true' }],
    ['no such checkpoint', { args: ['c9'], editor: () => 'true' }],
  ])("'checkpoint-edit', %s", async (_what, c) => {
    const [mine, twin] = await twinsWithCheckpoint();
    await compareOnTwins(daemon.testUri, ['checkpoint-edit', 'NAME', ...c.args], { mine, twin, editor: c.editor, ...(c.answers !== undefined ? { answers: c.answers } : {}) });
    await sameReadBack(daemon.testUri, mine, twin, 'checkpoint-list', 'NAME', '--name');
    await sameReadBack(daemon.testUri, mine, twin, 'checkpoint-dumpxml', 'NAME', 'c1');
  });
});

// ---------------------------------------------------------------------------------------
// save-image-edit and managedsave-edit (QEMU: real guests, saved)

describe("'save-image-edit' and 'managedsave-edit' as virsh does them", () => {
  let qemu: Connection;
  const guests = ['save-o', 'save-v'] as const;
  const imageOf = (name: string) => join(daemon.dir, `${name}.sav`);

  beforeAll(async () => {
    qemu = await connect(daemon.qemuUri);
    for (const name of guests) {
      const dom = await qemu.domainDefineXML(tinyGuestXml(name, { noGraphics: true }));
      await qemu.domainCreate(dom);
      await qemu.domainSave(dom, imageOf(name));
    }
  }, 180_000);

  afterAll(async () => {
    for (const name of guests) {
      const dom = await qemu.domainLookupByName(name).catch(() => undefined);
      if (!dom) continue;
      if (await qemu.domainIsActive(dom)) await qemu.domainDestroy(dom);
      await qemu.domainUndefineFlags(dom, 1 /* VIR_DOMAIN_UNDEFINE_MANAGED_SAVE */);
    }
    await qemu?.close();
  });

  const mine = guests[0];
  const twin = guests[1];
  const image = (args: string[]) => ['save-image-edit', imageOf('NAME'), ...args];

  it.each<[string, { args: string[]; editor: () => string; answers?: string }]>([
    ['unchanged', { args: [], editor: () => 'true' }],
    ['changed', { args: [], editor: () => sedEditor(DESCRIBE) }],
    ['changed, to restore paused', { args: ['--paused'], editor: () => sedEditor('s|<description>edited</description>|<description>paused</description>|') }],
    ['broken, then n', { args: [], editor: () => sedEditor('s|</domain>|<bogus>|'), answers: 'n' }],
    ['broken, then fixed after y', { args: ['--running'], editor: () => twoStepEditor('s|</domain>|<bogus>|', 's|<bogus>|</domain>|; s|<description>paused</description>|<description>fixed</description>|'), answers: 'y' }],
    ['broken, with no terminal to ask on', { args: [], editor: () => sedEditor('s|</domain>|<bogus>|') }],
    ['--running with --paused', { args: ['--running', '--paused'], editor: () => 'true' }],
  ])("'save-image-edit', %s", async (_what, c) => {
    await compareOnTwins(daemon.qemuUri, image(c.args), { mine, twin, editor: c.editor, ...(c.answers !== undefined ? { answers: c.answers } : {}) });
    await sameReadBack(daemon.qemuUri, mine, twin, 'save-image-dumpxml', imageOf('NAME'));
  });

  it("'save-image-edit' of a file that is not there", async () => {
    await compareOnOne(daemon.qemuUri, ['save-image-edit', join(daemon.dir, 'no-such.sav')], { EDITOR: 'true' });
  });

  describe('with managed save images', () => {
    beforeAll(async () => {
      for (const name of guests) {
        const dom = await qemu.domainLookupByName(name);
        if (!(await qemu.domainIsActive(dom))) await qemu.domainCreate(dom);
        await qemu.domainManagedSave(dom, 0);
      }
    }, 180_000);

    it.each<[string, { args: string[]; editor: () => string; answers?: string }]>([
      ['unchanged', { args: [], editor: () => 'true' }],
      ['changed', { args: [], editor: () => sedEditor('s|</name>|</name><description>managed</description>|') }],
      ['changed, to start running', { args: ['--running'], editor: () => sedEditor('s|<description>managed</description>|<description>running</description>|') }],
      ['broken, then n', { args: [], editor: () => sedEditor('s|</domain>|<bogus>|'), answers: 'n' }],
      ['--running with --paused', { args: ['--running', '--paused'], editor: () => 'true' }],
    ])("'managedsave-edit', %s", async (_what, c) => {
      await compareOnTwins(daemon.qemuUri, ['managedsave-edit', 'NAME', ...c.args], { mine, twin, editor: c.editor, ...(c.answers !== undefined ? { answers: c.answers } : {}) });
      await sameReadBack(daemon.qemuUri, mine, twin, 'managedsave-dumpxml', 'NAME');
    });
  });

  it("'managedsave-edit' where the driver has no managed save (the test driver)", async () => {
    await compareOnOne(daemon.testUri, ['managedsave-edit', 'test'], { EDITOR: 'true' });
  });
});
