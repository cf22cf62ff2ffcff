/**
 * The steps jest's globalSetup (global-setup.ts) takes before the tests, each run with tsx in
 * a child process of its own:
 *
 *   tsx test/harness/prepare.ts packages   the daemon's packages and the test tools (apt-get as root)
 *   tsx test/harness/prepare.ts chroot     the libvirt 11.3 root made and mounted (as root)
 *   tsx test/harness/prepare.ts dist       dist/ built unless current; prints the build's inputs hash
 */
import { build, buildRecordInputs } from './build.js';
import { ensureChroot, ensureMounted } from './chroot.js';
import { ensureLibvirtPackages } from './packages.js';

const STEPS: Record<string, () => Promise<void> | void> = {
  packages: () => ensureLibvirtPackages({ testTools: true }),
  chroot: () => ensureMounted(ensureChroot()),
  dist: () => {
    build({ ifStale: true, quiet: true });
    console.log(buildRecordInputs());
  },
};

const step = STEPS[process.argv[2] ?? ''];
if (!step || process.argv.length !== 3) {
  console.error(`usage: tsx test/harness/prepare.ts ${Object.keys(STEPS).join(' | ')}`);
  process.exit(2);
}
try {
  await step();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
