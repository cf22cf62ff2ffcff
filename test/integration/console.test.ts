/**
 * A serial console both ways, on a guest booted from the echo boot sector.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { attachConsole, connect, remoteProcedures as P, VIR_DOMAIN_CONSOLE_FORCE, VIR_DOMAIN_START_PAUSED } from '../../src/index.js';
import { echoDisk, writeEchoImage } from '../harness/echo-guest.js';
import { tinyGuestXml } from '../harness/guests.js';
import { sharedDaemon, forEachGeneration } from '../helpers/libvirtd.js';

forEachGeneration((generation) => describe('serial console', () => {
  it('reads the banner and gets an upper-cased echo of what it writes', async () => {
    const daemon = await sharedDaemon(generation);
    const image = join(daemon.dir, 'echo.img');
    writeEchoImage(image, daemon.user);
    const conn = await connect(daemon.qemuUri);
    const dom = await conn.domainDefineXML(tinyGuestXml('echo', { extraDevices: echoDisk(daemon.pathInDaemon(image)) }));
    // A failure here once came from a daemon silent for 30 s under CI load: say which step
    // waited, and what the daemon logged, should it come back.
    const t0 = Date.now();
    const steps: string[] = [];
    const step = (name: string) => steps.push(`${Date.now() - t0} ms ${name}`);
    let failed = false;
    try {
      // Output with nobody attached is dropped: start paused, attach, then run.
      step('start paused');
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
      step('resume');
      await conn.domainResume(running);
      expect(await waitFor('libvirt-rpc console ready', 15_000)).toBe(true);
      // QEMU delivers input only a while after start: probe until the guest echoes.
      step('probe');
      for (const end = Date.now() + 30_000; !text.includes('ZQ') && Date.now() < end; ) {
        await stream.write(Buffer.from('zq'));
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(text).toContain('ZQ');
      step('write');
      await stream.write(Buffer.from('hello from typescript\r'));
      expect(await waitFor('HELLO FROM TYPESCRIPT', 10_000)).toBe(true);
      step('abort');
      await stream.abort();
      await reader;
      // One round trip, so that the daemon has read the abort before the forced open: twice
      // (once on 9.0, once on 11.3, both under load) libvirtd went silent for good when a
      // forced console open came on the heels of the abort of the session it replaces.
      await conn.connectGetLibVersion();

      // Interactive attach, driven through a pipe: keys go in, the echo comes out, Ctrl-] leaves.
      step('force open');
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
      step('destroy');
      await conn.domainDestroy(running);
    } catch (err) {
      failed = true;
      const log = readFileSync(daemon.log, 'utf8').split('\n').slice(-30).join('\n');
      throw new Error(`${(err as Error).message}\nsteps: ${steps.join(', ')}\ndaemon log (tail):\n${log}`, { cause: err });
    } finally {
      // After a failure the connection may be gone: keep the failure, not the cleanup's error.
      await conn.domainUndefine(dom).catch((e: unknown) => {
        if (!failed) throw e;
      });
      await conn.close();
    }
  });
}));
