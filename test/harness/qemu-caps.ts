/**
 * libvirt probes QEMU (about 4 s under TCG) on a daemon's first QEMU connection and caches
 * the result in the daemon's cache dir. Each entry records QEMU's and libvirt's ctime and
 * version and is probed again when they differ, so seeding a new daemon with an earlier
 * one's entries is safe: each daemon generation keeps a seed dir, copied into a new daemon
 * before it starts and refreshed from it when it stops.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export function copyXmlFiles(from: string, to: string): void {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from).filter((n) => n.endsWith('.xml'))) {
    // Through a temp name and a rename: other jest workers read the seed at the same time.
    const tmp = join(to, `.${f}.${process.pid}.tmp`);
    copyFileSync(join(from, f), tmp);
    renameSync(tmp, join(to, f));
  }
}

/** `dir`, made if missing, when it is ours and no one else may write it; otherwise undefined. */
export function ownPrivateDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // exists already
  }
  try {
    const st = lstatSync(dir);
    const ours = st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
    return ours ? dir : undefined;
  } catch {
    return undefined;
  }
}
