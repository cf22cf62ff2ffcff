/**
 * Process control for the daemons the harness starts: liveness, signals, pid files, waiting
 * for a daemon to listen or to go, and the hooks that kill every daemon still alive when this
 * process dies.
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect as netConnect, type NetConnectOpts } from 'node:net';
import type { DaemonOptions, ThrowawayDaemon } from './daemon.js';

/** Alive and not a zombie (a daemonized process is reaped by init, sometimes late). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return !existsSync('/proc/self/stat'); // no /proc: trust kill(0)
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

export async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(processAlive)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** The pid in a pid file, or undefined (no file, or not a pid). */
export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The last lines of a daemon's log, for error messages. */
export function tail(log: string, lines = 20): string {
  try {
    return readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') || '(daemon log empty)';
  } catch {
    return '(no daemon log)';
  }
}

// ---------------------------------------------------------------------------------------
// Daemons alive in this process, killed if it dies

const live = new Map<ThrowawayDaemon, () => void>();

/** Synchronous, for 'exit': SIGKILL everything of each daemon and remove its dir. */
function killAllNow(): void {
  for (const killNow of live.values()) killNow();
  live.clear();
}

/** On SIGINT/SIGTERM: clean up, then let the signal do what it would have done. */
function onSignal(sig: NodeJS.Signals): void {
  // Someone else handles this signal (the CLI stops its daemon gracefully): leave it to
  // them; the 'exit' hook still catches what they leave.
  if (process.listenerCount(sig) > 1) return;
  killAllNow();
  unhook();
  process.kill(process.pid, sig); // no listener now: the default action, death by this signal
}

function hook(): void {
  if (process.listeners('exit').includes(killAllNow)) return;
  process.on('exit', killAllNow);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Hooks come off when no daemon is left: jest loads this module once per test file in the
 * same worker, and hooks left behind would pile up.
 */
function unhook(): void {
  process.removeListener('exit', killAllNow);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}

/** Remembers a running daemon, with what kills it at once should this process die. */
export function trackDaemon(d: ThrowawayDaemon, killNow: () => void): void {
  live.set(d, killNow);
  hook();
}

export function untrackDaemon(d: ThrowawayDaemon): void {
  live.delete(d);
  if (!live.size) unhook();
}

// ---------------------------------------------------------------------------------------
// Starting and stopping

/**
 * Polls until a daemon accepts connections on `socket` and the ports `opts` asks for, or
 * throws why not (no pid file, the process exited, the deadline passed) with its log's tail.
 */
export async function waitListening(d: { label: string; socket: string; log: string; pid: number | undefined; opts: DaemonOptions; timeoutMs: number }): Promise<void> {
  const targets: NetConnectOpts[] = [{ path: d.socket }];
  for (const listener of [d.opts.listenTcp, d.opts.listenTls]) if (listener) targets.push({ host: '127.0.0.1', port: listener.port });
  const where = [d.socket, ...targets.slice(1).map((t) => `127.0.0.1:${(t as { port: number }).port}`)].join(' and ');
  const deadline = Date.now() + d.timeoutMs;
  for (;;) {
    if (existsSync(d.socket) && (await Promise.all(targets.map(canConnect))).every(Boolean)) return;
    const why = d.pid === undefined ? 'wrote no pid file' : !processAlive(d.pid) ? `(pid ${d.pid}) exited` : Date.now() > deadline ? `did not answer within ${d.timeoutMs} ms` : '';
    if (why) throw new Error(`${d.label} ${why} on ${where}\n--- ${d.log} ---\n${tail(d.log)}`);
    await sleep(20);
  }
}

function canConnect(target: NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(target);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/**
 * Ends a daemon: SIGTERM (after SIGCONT, as a test may have frozen it with SIGSTOP and a
 * stopped process ignores SIGTERM), SIGKILL if it has not gone within 10 s (libvirtd takes 1-4
 * s), then SIGKILL for what it left behind (guests) as `leftovers` finds them.
 */
export async function terminateDaemon(pid: number, leftovers: () => number[]): Promise<void> {
  signal(pid, 'SIGCONT');
  signal(pid, 'SIGTERM');
  if (!(await waitGone([pid], 10_000))) {
    signal(pid, 'SIGKILL');
    await waitGone([pid], 5_000);
  }
  const left = leftovers();
  for (const p of left) signal(p, 'SIGKILL');
  await waitGone(left, 5_000);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` and ignores what it throws: for caches and clean-up that may find nothing to do. */
export function bestEffort(fn: () => void): void {
  try {
    fn();
  } catch {
    // only an optimisation, or already done
  }
}
