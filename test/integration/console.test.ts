/**
 * A serial console both ways: a guest booted from a 512-byte boot sector that sets up COM1,
 * prints a banner and echoes every byte back in upper case (so an echo is told apart from
 * anything local). The sector was assembled from this source with `nasm -f bin`:
 *
 *   init COM1 (0x3F8): IER=0, DLAB, divisor 1, 8N1, FIFO 0xC7, MCR 0x0B
 *   print "libvirt-rpc console ready\r\n"
 *   loop: wait for LSR bit 0, read a byte, a-z -> A-Z, wait for LSR bit 5, write it back
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { attachConsole, connect, remoteProcedures as P, VIR_DOMAIN_CONSOLE_FORCE, VIR_DOMAIN_START_PAUSED } from '../../src/index.js';
import { tinyGuestXml } from '../../scripts/throwaway-libvirtd.js';
import { sharedDaemon } from '../helpers/libvirtd.js';

const BOOT_SECTOR_CODE =
  'fa31c08ed8baf90330c0eebafb03b080eebaf803b001eebaf90330c0eebafb03b003eebafa03b0c7eebafc03b00beebe687cac84c07405e81d00ebf6' +
  'bafd03eca80174f8baf803ec3c6172063c7a77022c20e80200ebe588c3bafd03eca82074fbbaf80388d8eec3' +
  '6c6962766972742d72706320636f6e736f6c652072656164790d0a';

function bootImage(path: string): void {
  const image = new Uint8Array(1024 * 1024);
  image.set(Buffer.from(BOOT_SECTOR_CODE, 'hex'));
  image[510] = 0x55;
  image[511] = 0xaa;
  writeFileSync(path, image);
}

describe('serial console', () => {
  it('reads the banner and gets an upper-cased echo of what it writes', async () => {
    const daemon = await sharedDaemon();
    const image = join(daemon.dir, 'echo.img');
    bootImage(image);
    execFileSync('chown', [daemon.user, image]);
    const conn = await connect(daemon.qemuUri);
    const disk = `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${image}'/><target dev='hda' bus='ide'/></disk>`;
    const dom = await conn.domainDefineXML(tinyGuestXml('echo', { extraDevices: disk }));
    try {
      // Output with nobody attached is dropped: start paused, attach, then run.
      await conn.domainCreateWithFlags(dom, VIR_DOMAIN_START_PAUSED);
      const running = await conn.domainLookupByName('echo');
      const { stream } = await conn.openStream(P.domainOpenConsole, { dom: running, dev_name: null, flags: 0 });
      let text = '';
      const reader = (async () => {
        for await (const chunk of stream.chunks()) text += Buffer.from(chunk).toString('latin1');
      })().catch(() => undefined);
      const waitFor = async (needle: string, ms: number) => {
        const end = Date.now() + ms;
        while (!text.includes(needle) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        return text.includes(needle);
      };
      await conn.domainResume(running);
      expect(await waitFor('libvirt-rpc console ready', 15_000)).toBe(true);
      // QEMU takes about a second after start before it delivers input.
      await new Promise((r) => setTimeout(r, 1500));
      await stream.write(Buffer.from('hello from typescript\r'));
      expect(await waitFor('HELLO FROM TYPESCRIPT', 10_000)).toBe(true);
      await stream.abort();
      await reader;

      // Interactive attach, driven through a pipe: keys go in, the echo comes out, Ctrl-] leaves.
      const again = await conn.openStream(P.domainOpenConsole, { dom: running, dev_name: null, flags: VIR_DOMAIN_CONSOLE_FORCE });
      const keys = new PassThrough();
      let screen = '';
      const attached = attachConsole(again.stream, keys, { write: (c) => (screen += Buffer.from(c).toString('latin1')) });
      keys.write('piped keys\r');
      const end = Date.now() + 10_000;
      while (!screen.includes('PIPED KEYS') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(screen).toContain('PIPED KEYS');
      keys.write(Buffer.from([0x1d]));
      expect(await attached).toBe('detached');
      await conn.domainDestroy(running);
    } finally {
      await conn.domainUndefine(dom);
      await conn.close();
    }
  });
});
