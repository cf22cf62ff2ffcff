/**
 * How much of virsh the command covers: virsh's own command list (its `help`, from the virsh
 * installed here) against the commands the definitions hold. Each command we share with virsh
 * must be run against virsh in a CLI test (it appears there as a quoted name), and the
 * README's command section must name every virsh command: ours, or why not.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { REPO } from '../harness/repo.js';

/** virsh's commands: `virsh help` lists them under group headings, indented. */
const virshCommands = execFileSync('virsh', ['help'], { encoding: 'utf8' })
  .split('\n')
  .filter((l) => /^ {4}\S/.test(l))
  .map((l) => l.trim().split(/\s+/)[0]!);

/** Our commands, as completion offers them; `help` is commander's, not a copy of virsh's. */
async function ourCommands(): Promise<string[]> {
  let out = '';
  await runCli(['__complete', ''], { stdout: (s) => (out += s), stderr: () => undefined, env: {} });
  return out.split('\n').filter((c) => c && c !== 'help');
}

/** The CLI tests' sources, where each compared command is named as a quoted string. */
const testSources = readdirSync(join(REPO, 'test/integration'))
  .filter((f) => /^(cli.*|migration)\.test\.ts$/.test(f) && f !== 'cli-coverage.test.ts')
  .map((f) => readFileSync(join(REPO, 'test/integration', f), 'utf8'))
  .join('\n');

const readmeCommands = (() => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const start = readme.indexOf('## The `libvirt-rpc` command');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return new Set([...section.matchAll(/`([a-z][a-z0-9-]*)[ `]/g)].map((m) => m[1]!));
})();

describe("virsh's commands", () => {
  it('virsh lists its commands here (the list this test reads)', () => {
    expect(virshCommands.length).toBeGreaterThan(250);
    expect(virshCommands).toEqual(expect.arrayContaining(['list', 'dominfo', 'migrate', 'vol-upload']));
  });

  it('at least 200 of them are ours, and the count is reported', async () => {
    const ours = new Set(await ourCommands());
    const shared = virshCommands.filter((c) => ours.has(c));
    process.stdout.write(`libvirt-rpc has ${shared.length} of virsh's ${virshCommands.length} commands\n`);
    expect(shared.length).toBeGreaterThanOrEqual(200);
  });

  it('every one of ours is compared with virsh in a CLI test', async () => {
    const ours = new Set(await ourCommands());
    const uncompared = virshCommands.filter((c) => ours.has(c) && !testSources.includes(`'${c}'`));
    expect(uncompared).toEqual([]);
  });

  it("the README's command section names every virsh command, and every command of ours", async () => {
    expect(virshCommands.filter((c) => !readmeCommands.has(c))).toEqual([]);
    expect((await ourCommands()).filter((c) => !readmeCommands.has(c))).toEqual([]);
  });
});
