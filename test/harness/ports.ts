/**
 * TCP ports for test listeners on 127.0.0.1.
 *
 * They are picked below the kernel's ephemeral range: a port from that range (what listen(0)
 * hands out) can be taken by any outgoing connection before the daemon meant for it binds it,
 * and the tests open hundreds of connections in parallel workers (a 50-host fleet holds its
 * ports for seconds before its last daemon starts).
 *
 * A port handed out is also claimed, by a file naming this process in a directory every test
 * process on the machine shares, until the process exits: between the check that nothing
 * listens and the daemon's bind, another worker or another checkout's test run must not pick
 * the same port (two runs side by side each picking 50 fleet ports from 12,000 met about one
 * run in five).
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from './processes.js';

const FALLBACK_EPHEMERAL_LOW = 32768;

/** The lowest port of the kernel's ephemeral range. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2048 ? low : FALLBACK_EPHEMERAL_LOW;
  } catch {
    return FALLBACK_EPHEMERAL_LOW;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on right now, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  const high = ephemeralLow() - 1;
  const low = Math.max(1024, high - 12_000);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (claim(port) && (await canListen(port))) return port;
  }
  throw new Error(`no free TCP port on 127.0.0.1 between ${low} and ${high}`);
}

const CLAIMS = join(tmpdir(), 'libvirt-rpc-ports');
const claimed: string[] = [];

/** Claims `port` for this process unless a live process holds it (a dead one's claim is taken over). */
function claim(port: number): boolean {
  const file = join(CLAIMS, String(port));
  mkdirSync(CLAIMS, { recursive: true, mode: 0o1777 });
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      if (!claimed.length) process.once('exit', () => claimed.forEach((f) => tryUnlink(f)));
      claimed.push(file);
      return true;
    } catch {
      const holder = Number(readOr(file, ''));
      if (holder === process.pid || (holder > 0 && processAlive(holder))) return false;
      tryUnlink(file);
    }
  }
  return false;
}


function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function tryUnlink(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
