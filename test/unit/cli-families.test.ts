/**
 * The command's family index: each family registers exactly the commands the index lists for
 * it (so a command line that loads only its family finds its command), no command is in two
 * families, and the command word is found behind the global options as commander reads them.
 */
import { Command } from 'commander';
import { FAMILIES, commandWord, familiesFor } from '../../src/cli/families.js';
import { runCli } from '../../src/cli/main.js';
import type { Registry } from '../../src/cli/registry.js';

const registered = async (family: (typeof FAMILIES)[number]): Promise<string[]> => {
  const program = new Command('libvirt-rpc');
  const registry: Registry = {
    program,
    act: async () => undefined,
    io: { stdout: () => undefined, stderr: () => undefined, env: {} },
    hosts: () => [],
    fail: () => undefined,
  };
  (await family.load()).register(registry);
  return program.commands.map((c) => c.name());
};

describe('the family index', () => {
  test.each(FAMILIES.map((f, i) => [i, f] as const))('family %i registers what the index lists', async (_i, family) => {
    expect(await registered(family)).toEqual([...family.commands]);
  });

  test('no command is in two families', () => {
    const all = FAMILIES.flatMap((f) => f.commands);
    expect(new Set(all).size).toBe(all.length);
  });

  test('a command line needs the family of its command only', () => {
    const list = FAMILIES.find((f) => f.commands.includes('list'))!;
    expect(familiesFor(['-c', 'test:///default', 'list', '--all'])).toEqual([list]);
    expect(familiesFor(['help'])).toBe(FAMILIES);
    expect(familiesFor([])).toBe(FAMILIES);
    expect(familiesFor(['no-such-command'])).toBe(FAMILIES);
    expect(familiesFor(['__complete', 'list'])).toBe(FAMILIES);
    expect(familiesFor(['--version'])).toEqual([]);
  });
});

describe('commandWord', () => {
  test.each([
    [['list'], 'list'],
    [['-c', 'qemu:///system', 'list'], 'list'],
    [['--connect', 'qemu:///system', '-r', 'dominfo', 'x'], 'dominfo'],
    [['--connect=qemu:///system', 'dominfo'], 'dominfo'],
    [['-cqemu:///system', 'version'], 'version'],
    [['-rc', 'qemu:///system', 'version'], 'version'],
    [['-c', 'a', '-c', 'b', '--hosts', 'f', '--json', '--debug', 'list'], 'list'],
    [['--hosts=f', 'list'], 'list'],
    [['-v'], null],
    [['--version', 'list'], null],
    [['-rv'], null],
    [['--unknown', 'list'], undefined],
    [['-x', 'list'], undefined],
    [['-c'], undefined],
  ] as const)('%j → %s', (argv, word) => {
    expect(commandWord(argv)).toBe(word);
  });
});

describe('the command with one family loaded', () => {
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env: {} });
    return { code, out, err };
  };

  test("a command's own --help shows its options", async () => {
    const { code, out } = await run(['list', '--help']);
    expect(code).toBe(0);
    expect(out).toContain('--inactive');
  });

  test('help lists the commands of every family', async () => {
    const { out } = await run(['help']);
    for (const f of FAMILIES) expect(out).toContain(f.commands[0]);
  });

  test('--version prints the version with no family loaded', async () => {
    const { code, out } = await run(['--version']);
    expect(code).toBe(0);
    expect(out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  test('an unknown command is refused as commander refuses it', async () => {
    const { code, err } = await run(['no-such-command']);
    expect(code).toBe(1);
    expect(err).toMatch(/unknown command 'no-such-command'/);
  });
});
