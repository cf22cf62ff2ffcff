/**
 * The echo guest's disk: a 1 MiB raw image whose boot sector (fixtures/echo-guest, with its
 * source) sets up COM1, prints "libvirt-rpc console ready" and echoes every byte back in upper
 * case (so an echo is told apart from anything local).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './repo.js';

const BOOT_SECTOR = join(REPO, 'fixtures', 'echo-guest', 'boot-sector.bin');

/** Writes a 1 MiB raw disk image that boots the echo sector, readable by the daemon's user. */
export function writeEchoImage(path: string, owner: string): void {
  const sector = readFileSync(BOOT_SECTOR);
  if (sector.length !== 512 || sector[510] !== 0x55 || sector[511] !== 0xaa) throw new Error(`${BOOT_SECTOR} is not a boot sector`);
  const image = new Uint8Array(1024 * 1024);
  image.set(sector);
  writeFileSync(path, image);
  execFileSync('chown', [owner, path]);
}

/** The disk element that attaches the image as the guest's boot disk. */
export function echoDisk(path: string): string {
  return `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${path}'/><target dev='hda' bus='ide'/></disk>`;
}
