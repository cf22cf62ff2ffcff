/**
 * Jest's globalSetup: before any test runs, installs what the integration tests use when a
 * test outside test/unit is selected (Debian's packages, as root; otherwise it says what to
 * install), makes the libvirt 11.3 root as root, and builds dist/ when a test that runs the
 * built package is selected and dist/ is not a build of the current sources (build.ts; 20-60 s,
 * skipped when nothing changed). Each step runs in a child process (prepare.ts). Those tests check the build themselves too, so a
 * run that gets to them without building fails them rather than testing an old build.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, sep } from 'node:path';

/** The test files that run dist/ rather than the sources. */
export const DIST_TESTS = ['test/integration/cli.test.ts', 'test/runtimes/runtimes.test.ts', 'test/package/package.test.ts'];

interface Selection {
  rootDir: string;
  testPathPatterns?: { isSet(): boolean; toExecutor(o: { rootDir: string }): { isMatch(p: string): boolean } };
  /** Modes whose path arguments name sources, not test files. */
  findRelatedTests?: boolean;
  onlyChanged?: boolean;
  changedSince?: string;
  lastCommit?: boolean;
}

/** Whether the run may include one of `tests` (paths from the root): unless test paths say otherwise, yes. */
function mayRun(c: Selection, tests: string[]): boolean {
  const patterns = c.testPathPatterns;
  if (!patterns?.isSet() || c.findRelatedTests || c.onlyChanged || c.changedSince || c.lastCommit) return true;
  const match = patterns.toExecutor({ rootDir: c.rootDir });
  return tests.some((t) => match.isMatch(join(c.rootDir, t)));
}

/** The test files that need more than Node: every one outside test/unit. */
function integrationTests(rootDir: string): string[] {
  return readdirSync(join(rootDir, 'test'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts') && !f.startsWith(`unit${sep}`))
    .map((f) => join('test', f));
}

/** Runs a step of prepare.ts with tsx; returns its standard output. */
function prepare(rootDir: string, step: 'packages' | 'chroot' | 'dist'): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(rootDir, 'test', 'harness', 'prepare.ts'), step], {
    cwd: rootDir,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`test/harness/prepare.ts ${step} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})\n${r.stdout}`);
  return r.stdout;
}

export default function globalSetup(globalConfig: Selection): void {
  if (mayRun(globalConfig, integrationTests(globalConfig.rootDir))) {
    try {
      prepare(globalConfig.rootDir, 'packages');
    } catch (e) {
      // As root a failed install is the run's failure; otherwise the message says what to
      // install, and the tests that need it fail when they get there.
      if (process.getuid?.() === 0) throw e;
      console.warn((e as Error).message);
    }
    // The libvirt 11.3 root (chroot.ts), made once here rather than in a worker's
    // test timeout: a few minutes on a fresh machine, nothing when it is cached.
    if (process.getuid?.() === 0 && (process.env.LIBVIRT_DAEMONS ?? '11.3').split(/[\s,]+/).includes('11.3')) {
      prepare(globalConfig.rootDir, 'chroot');
    }
  }
  if (!mayRun(globalConfig, DIST_TESTS)) return;
  // The workers start after this and inherit the environment: the tests then check that
  // dist/ is still the build of the sources as they were now, whatever is edited meanwhile.
  process.env.LIBVIRT_RPC_DIST_INPUTS = prepare(globalConfig.rootDir, 'dist').trim().split('\n').pop();
}
