/**
 * Two hosts to migrate between, on this one machine (the project's verified migration
 * recipe): two session libvirtd daemons of this machine's libvirt, each with its own
 * `host_uuid` (a destination refuses a guest from its own host) and its own range of incoming
 * migration ports, the destination also on loopback TCP for peer-to-peer migrations; and the
 * migration guest (fixtures/migration-guest) on a read-only floppy both QEMUs can open, with
 * its serial port logged to a file in append mode, so that the log is one stream across every
 * host the guest has run on.
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ThrowawayDaemon, startThrowawayLibvirtd } from './daemon.js';
import { freePort } from './ports.js';
import { sleep } from './processes.js';
import { REPO } from './repo.js';

const BOOT_SECTOR = join(REPO, 'fixtures', 'migration-guest', 'boot-sector.bin');

export interface MigrationHosts {
  src: ThrowawayDaemon;
  dst: ThrowawayDaemon;
  /** The destination's QEMU driver over loopback TCP (for peer-to-peer). */
  dstTcpUri: string;
  /** The source's, likewise. */
  srcTcpUri: string;
  /** A guest's XML: `memoryMiB` of RAM (all of it above 16 MiB written by the guest). */
  guestXml(name: string, memoryMiB?: number): string;
  /** What the guest has written on its serial port so far, on every host. */
  serial(name: string): string;
  stop(): Promise<void>;
}

/** A random 16-port range for incoming migrations (two daemons must not hand out the same port). */
function portRange(): string {
  const base = 49152 + 16 * Math.floor(Math.random() * ((65000 - 49152) / 16));
  return `migration_port_min = ${base}\nmigration_port_max = ${base + 15}`;
}

export async function startMigrationHosts(): Promise<MigrationHosts> {
  const [srcPort, dstPort] = [await freePort(), await freePort()];
  const daemon = (name: string, port: number) =>
    startThrowawayLibvirtd({ name, listenTcp: { port }, extraConfig: `host_uuid = "${randomUUID()}"`, extraQemuConfig: portRange() });
  const src = await daemon('migsrc', srcPort);
  let dst: ThrowawayDaemon;
  try {
    dst = await daemon('migdst', dstPort);
  } catch (e) {
    await src.stop();
    throw e;
  }
  // Both daemons run as the same user: the files are theirs.
  const shared = mkdtempSync(join(tmpdir(), 'libvirt-rpc-mig-'));
  chmodSync(shared, 0o755);
  const floppy = join(shared, 'boot-fd.img');
  const image = new Uint8Array(1474560);
  image.set(readFileSync(BOOT_SECTOR));
  writeFileSync(floppy, image);
  execFileSync('chown', ['-R', src.user, shared]);
  const logOf = (name: string) => join(shared, `${name}.serial.log`);
  return {
    src,
    dst,
    srcTcpUri: `qemu+tcp://127.0.0.1:${srcPort}/session`,
    dstTcpUri: `qemu+tcp://127.0.0.1:${dstPort}/session`,
    guestXml(name, memoryMiB = 64) {
      writeFileSync(logOf(name), '');
      execFileSync('chown', [src.user, logOf(name)]);
      return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>${memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='fd'/></os>
  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='floppy'>
      <driver name='qemu' type='raw'/>
      <source file='${floppy}'/>
      <target dev='fda' bus='fdc'/>
      <readonly/>
    </disk>
    <serial type='pty'><log file='${logOf(name)}' append='on'/><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='none'/>
  </devices>
</domain>`;
    },
    serial: (name) => readFileSync(logOf(name), 'latin1'),
    async stop() {
      await Promise.all([src.stop(), dst.stop()]);
      rmSync(shared, { recursive: true, force: true });
    },
  };
}

/** The guest's once-a-second ticks in its serial log. */
export const ticks = (serial: string) => serial.split('\n').filter((l) => l.startsWith('T ')).length;

/** Waits (up to `timeoutMs`) until the guest has ticked `more` times past `from`: it runs. */
export async function waitTicks(read: () => string, from: number, more = 1, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = ticks(read());
    if (n >= from + more) return n;
    if (Date.now() > deadline) throw new Error(`the guest did not tick past ${from} (at ${n}): it is not running`);
    await sleep(100);
  }
}
