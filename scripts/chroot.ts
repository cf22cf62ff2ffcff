/**
 * The libvirt 11.3 root (test/harness/chroot.ts) by hand:
 *
 *   npm run chroot -- prepare     # make it (as root) unless it is there, and mount proc, dev, sys
 *   npm run chroot -- path        # print where it is
 *   npm run chroot -- unmount     # take the mounts out (before removing the root)
 */
import { chrootDir, ensureChroot, ensureMounted, unmountAll } from '../test/harness/chroot.js';

const USAGE = 'usage: npm run chroot -- prepare | path | unmount';
const [command, ...rest] = process.argv.slice(2);
const root = chrootDir();
try {
  if (rest.length) throw new Error(USAGE);
  if (command === 'path') console.log(root);
  else if (command === 'prepare') {
    ensureMounted(ensureChroot(root));
    console.log(root);
  } else if (command === 'unmount') unmountAll(root);
  else throw new Error(USAGE);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
