/**
 * A 512-byte boot sector that sets up COM1, prints "libvirt-rpc console ready" and echoes every
 * byte back in upper case (so an echo is told apart from anything local). Assembled with
 * `nasm -f bin` from:
 *
 *   init COM1 (0x3F8): IER=0, DLAB, divisor 1, 8N1, FIFO 0xC7, MCR 0x0B
 *   print "libvirt-rpc console ready\r\n"
 *   loop: wait for LSR bit 0, read a byte, a-z -> A-Z, wait for LSR bit 5, write it back
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const CODE =
  'fa31c08ed8baf90330c0eebafb03b080eebaf803b001eebaf90330c0eebafb03b003eebafa03b0c7eebafc03b00beebe687cac84c07405e81d00ebf6' +
  'bafd03eca80174f8baf803ec3c6172063c7a77022c20e80200ebe588c3bafd03eca82074fbbaf80388d8eec3' +
  '6c6962766972742d72706320636f6e736f6c652072656164790d0a';

/** Writes a 1 MiB raw disk image that boots the echo sector, readable by the daemon's user. */
export function writeEchoImage(path: string, owner: string): void {
  const image = new Uint8Array(1024 * 1024);
  image.set(Buffer.from(CODE, 'hex'));
  image[510] = 0x55;
  image[511] = 0xaa;
  writeFileSync(path, image);
  execFileSync('chown', [owner, path]);
}

/** The disk element that attaches the image as the guest's boot disk. */
export function echoDisk(path: string): string {
  return `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${path}'/><target dev='hda' bus='ide'/></disk>`;
}
