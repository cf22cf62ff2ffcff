/**
 * Guests for the throwaway daemons: the tiny QEMU/TCG guest the tests and the demo boot,
 * virsh run against a daemon, and the check that a host daemon's qemu:///session boots the
 * guest. The guest with a boot disk that echoes its console is echo-guest.ts.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ThrowawayDaemon } from './daemon.js';
import { tail } from './processes.js';

export interface TinyGuestOptions {
  memoryMiB?: number;
  /** XML put inside <devices>, after the console and VNC. */
  extraDevices?: string;
  /** An explicit emulator; by default libvirt picks its QEMU for x86_64 from the capabilities. */
  emulator?: string;
  /** Leave out the VNC display. */
  noGraphics?: boolean;
}

const xmlEscape = (s: string) => s.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A domain for the test driver (`test:///default`): defined, started and stopped with no QEMU. */
export function testDriverDomainXml(name: string): string {
  return `<domain type='test'>
  <name>${xmlEscape(name)}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>`;
}

/**
 * The smallest guest QEMU/TCG boots without KVM: 32 MiB, one vCPU, machine pc, no disk (the
 * BIOS just finds nothing to boot), a pty serial console and VNC on loopback.
 */
export function tinyGuestXml(name: string, opts: TinyGuestOptions = {}): string {
  return `<domain type='qemu'>
  <name>${xmlEscape(name)}</name>
  <memory unit='MiB'>${opts.memoryMiB ?? 32}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    ${opts.emulator ? `<emulator>${xmlEscape(opts.emulator)}</emulator>` : ''}
    <serial type='pty'/>
    <console type='pty'/>
    ${opts.noGraphics ? '' : "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>"}
    ${opts.extraDevices ?? ''}
  </devices>
</domain>`;
}

/** Runs virsh with the daemon's environment (so it never falls back to a system daemon). */
export function virshOn(daemon: ThrowawayDaemon, uri: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('virsh', ['-c', uri, ...args], { env: { ...process.env, ...daemon.env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`virsh ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

export interface QemuCheck {
  defineMs: number;
  startMs: number;
  destroyMs: number;
}

/**
 * Proves qemu:///session works on the daemon: defines a tiny guest, starts it, sees it
 * running, destroys and undefines it. Failures carry the guest's QEMU log.
 */
export async function checkQemuSession(daemon: ThrowawayDaemon, name = 'harness-check'): Promise<QemuCheck> {
  const v = (...args: string[]) => virshOn(daemon, daemon.qemuUri, args);
  const xml = join(daemon.dir, `${name}.xml`);
  writeFileSync(xml, tinyGuestXml(name));
  const time = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    return Math.round(performance.now() - t0);
  };
  try {
    const defineMs = await time(() => v('define', xml));
    const startMs = await time(() => v('start', name));
    const state = (await v('domstate', name)).trim();
    if (state !== 'running') throw new Error(`guest ${name} is ${state}, not running`);
    const destroyMs = await time(() => v('destroy', name));
    await v('undefine', name);
    return { defineMs, startMs, destroyMs };
  } catch (err) {
    await v('destroy', name).catch(() => undefined);
    await v('undefine', name).catch(() => undefined);
    const qemuLog = tail(join(daemon.env.XDG_CACHE_HOME!, 'libvirt', 'qemu', 'log', `${name}.log`));
    throw new Error(`qemu:///session does not work on ${daemon.socket}: ${(err as Error).message}\n--- QEMU log ---\n${qemuLog}\n--- ${daemon.log} ---\n${tail(daemon.log)}`);
  }
}
