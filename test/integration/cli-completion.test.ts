/**
 * Shell completion: candidates made from the command definitions and, for object names, from
 * a real daemon (the same names virsh lists); the generated bash and zsh scripts run in real
 * shells against the command.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Connection, connect } from '../../src/index.js';
import { REPO } from '../harness/repo.js';
import { runCli } from '../../src/cli/main.js';
import { ours } from '../helpers/cli.js';
import { type ThrowawayDaemon, sharedDaemon, virsh } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
let keeper: Connection;
let bin: string;

beforeAll(async () => {
  daemon = await sharedDaemon();
  keeper = await connect(daemon.testUri);
  await keeper.domainDefineXML(`<domain type='test'><name>web-one</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`);
  const pool = await keeper.storagePoolLookupByName('default-pool');
  await keeper.storageVolCreateXML(pool, `<volume><name>disk-c</name><capacity>1048576</capacity></volume>`, 0);
  // The scripts call `libvirt-rpc` by name: one on PATH that runs this checkout's sources.
  bin = join(daemon.dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'libvirt-rpc'), `#!/bin/sh\ncd '${REPO}' && exec '${process.execPath}' --import tsx src/cli/bin.ts "$@"\n`);
  chmodSync(join(bin, 'libvirt-rpc'), 0o755);
});

afterAll(() => keeper?.close());

/** What the scripts receive for these words (the last one being typed). */
const complete = async (...words: string[]) => {
  let out = '';
  const code = await runCli(['__complete', ...words], { stdout: (s) => (out += s), stderr: () => undefined, env: {} });
  expect(code).toBe(0);
  return out.split('\n').filter(Boolean);
};
const virshNames = async (...args: string[]) => (await virsh(daemon, daemon.testUri, ...args)).split('\n').map((l) => l.trim()).filter(Boolean).sort();

describe('completion candidates', () => {
  it('command names from the definitions, by prefix, without hidden ones', async () => {
    const all = await complete('');
    expect(all).toEqual(expect.arrayContaining(['list', 'dominfo', 'net-list', 'attach-disk', 'migrate', 'completion']));
    expect(all).not.toContain('__complete');
    expect(await complete('domb')).toEqual(all.filter((c) => c.startsWith('domb')));
    expect(await complete('domb')).toEqual(expect.arrayContaining(['domblkinfo', 'domblklist', 'domblkstat']));
  });

  it("a command's options, less those already given; the global ones before the command", async () => {
    expect(await complete('list', '--')).toEqual(['--all', '--inactive', '--name', '--uuid']);
    expect(await complete('list', '--all', '--')).toEqual(['--inactive', '--name', '--uuid']);
    expect(await complete('--')).toEqual(expect.arrayContaining(['--connect', '--hosts', '--json', '--readonly', '--version']));
  });

  it("object names from the connection the line names: what virsh lists", async () => {
    const uri = daemon.testUri;
    expect(await complete('-c', uri, 'dominfo', '')).toEqual(await virshNames('list', '--all', '--name'));
    expect(await complete('-c', uri, 'dominfo', 'we')).toEqual(['web-one']);
    expect(await complete('-c', uri, 'net-info', '')).toEqual(await virshNames('net-list', '--all', '--name'));
    expect(await complete('-c', uri, 'vol-info', '--pool', '')).toEqual(await virshNames('pool-list', '--all', '--name'));
    expect(await complete('-c', uri, 'vol-info', '--pool', 'default-pool', 'disk-')).toEqual(
      (await virshNames('vol-list', 'default-pool')).slice(2).map((l) => l.split(/\s+/)[0]!).filter((n) => n.startsWith('disk-')).sort(),
    );
    // A file argument, or a command that takes no names: nothing, so the shell offers files.
    expect(await complete('-c', uri, 'define', '')).toEqual([]);
  });

  it('no daemon: no candidates, promptly, never an error', async () => {
    expect(await complete('-c', `test+unix:///default?socket=${join(daemon.dir, 'none.sock')}`, 'dominfo', '')).toEqual([]);
  });

  it('an unknown shell is an error', async () => {
    expect(await ours(daemon.testUri, ['completion', 'fish'])).toEqual({ out: '', err: "error: no completion for the shell 'fish': bash or zsh\n", code: 1 });
  });
});

describe('the scripts in real shells', () => {
  const shell = (program: string, script: string) =>
    new Promise<string>((resolve, reject) =>
      execFile(program, ['-c', script], { env: { PATH: `${bin}:${process.env.PATH}`, HOME: daemon.dir, LIBVIRT_DEFAULT_URI: daemon.testUri } }, (e, out, err) =>
        e ? reject(new Error(`${program}: ${err || e.message}`)) : resolve(out),
      ),
    );

  it('bash: COMPREPLY holds the domains for dominfo, and the commands for a prefix', async () => {
    const script = (await ours(daemon.testUri, ['completion', 'bash'])).out;
    writeFileSync(join(daemon.dir, 'completion.bash'), script);
    const run = (words: string[]) =>
      shell('bash', `source '${join(daemon.dir, 'completion.bash')}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _libvirt_rpc; printf '%s\\n' "\${COMPREPLY[@]}"`);
    expect((await run(['libvirt-rpc', 'dominfo', ''])).split('\n').filter(Boolean)).toEqual(await virshNames('list', '--all', '--name'));
    expect((await run(['libvirt-rpc', 'vcpuc'])).trim()).toBe('vcpucount');
    expect(await shell('bash', `source '${join(daemon.dir, 'completion.bash')}'; complete -p libvirt-rpc`)).toMatch(/-F _libvirt_rpc libvirt-rpc/);
  });

  it('zsh: the candidates reach compadd; none falls back to files', async () => {
    const script = (await ours(daemon.testUri, ['completion', 'zsh'])).out;
    writeFileSync(join(daemon.dir, '_libvirt-rpc'), script);
    // compadd and _files belong to zsh's completion system, live only inside a completion
    // widget: stand-ins print what they were given.
    const run = (words: string[]) =>
      shell(
        'zsh',
        `compadd() { shift 2; print -l -- "$@" }; _files() { print FILES }; source '${join(daemon.dir, '_libvirt-rpc')}'; words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _libvirt_rpc`,
      );
    expect((await run(['libvirt-rpc', 'dominfo', ''])).split('\n').filter(Boolean)).toEqual(await virshNames('list', '--all', '--name'));
    expect((await run(['libvirt-rpc', 'define', ''])).trim()).toBe('FILES');
  });
});
