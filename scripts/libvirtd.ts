/**
 * A throwaway libvirtd for humans (test/harness/daemon.ts):
 *
 *   tsx scripts/libvirtd.ts start [--tcp PORT] [--name WORD] [--check-qemu]
 *   tsx scripts/libvirtd.ts install [--test-tools]
 *
 * `install` makes sure the daemon's packages (and with --test-tools what the integration
 * tests use) are there, installing Debian's packages as root, and exits.
 *
 * Prints the daemon's sockets, URIs and client environment as one JSON object on stdout,
 * then keeps it running until SIGINT or SIGTERM, when it stops the daemon and removes its
 * dir. Hints go to stderr so stdout stays machine-readable.
 */
import { parseArgs } from 'node:util';
import { type ThrowawayDaemon, startThrowawayLibvirtd } from '../test/harness/daemon.js';
import { checkQemuSession } from '../test/harness/guests.js';
import { ensureLibvirtPackages } from '../test/harness/packages.js';
import { processAlive } from '../test/harness/processes.js';

const USAGE = 'usage: tsx scripts/libvirtd.ts start [--tcp PORT] [--name WORD] [--check-qemu] | install [--test-tools]';

function parse(): { command: 'start' | 'install'; tcp?: number; name: string; checkQemu: boolean; testTools: boolean } {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      tcp: { type: 'string' },
      name: { type: 'string', default: 'cli' },
      'check-qemu': { type: 'boolean', default: false },
      'test-tools': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) exit(0, USAGE, true);
  const command = positionals[0];
  if (positionals.length !== 1 || (command !== 'start' && command !== 'install')) exit(2, USAGE);
  const tcp = values.tcp === undefined ? undefined : Number(values.tcp);
  if (tcp !== undefined && !(Number.isInteger(tcp) && tcp > 0 && tcp < 65536)) exit(2, `--tcp wants a port number, not ${values.tcp}`);
  return { command, tcp, name: values.name!, checkQemu: values['check-qemu']!, testTools: values['test-tools']! };
}

/** Messages go to stderr (stdout carries only the JSON), except the asked-for usage. */
function exit(code: number, message: string, toStdout = false): never {
  (toStdout ? console.log : console.error)(message);
  process.exit(code);
}

function describe(d: ThrowawayDaemon, tcp: number | undefined): Record<string, unknown> {
  const remote = tcp ? { tcpTestUri: `test+tcp://127.0.0.1:${tcp}/default`, tcpQemuUri: `qemu+tcp://127.0.0.1:${tcp}/session` } : {};
  return { pid: d.pid, user: d.user, dir: d.dir, log: d.log, socket: d.socket, adminSocket: d.adminSocket, testUri: d.testUri, qemuUri: d.qemuUri, ...remote, env: d.env };
}

/** Stops on the first signal; a second one while stopping gives up waiting. */
function stopOnSignals(d: ThrowawayDaemon): void {
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) exit(1, `${sig} again: leaving without waiting (the exit hook kills the daemon)`);
    stopping = true;
    console.error(`${sig}: stopping libvirtd (pid ${d.pid})...`);
    d.stop().then(
      () => exit(0, 'stopped; dir removed'),
      (err) => exit(1, `stop failed: ${err}`),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Keeps the process alive and notices when the daemon dies under us. */
function watch(d: ThrowawayDaemon): void {
  setInterval(() => {
    if (processAlive(d.pid)) return;
    console.error(`libvirtd (pid ${d.pid}) exited on its own; cleaning up`);
    d.stop().finally(() => process.exit(1));
  }, 1000);
}

async function main(): Promise<void> {
  const args = parse();
  if (args.command === 'install') return ensureLibvirtPackages({ testTools: args.testTools });
  const daemon = await startThrowawayLibvirtd({ name: args.name, ...(args.tcp ? { listenTcp: { port: args.tcp } } : {}) });
  stopOnSignals(daemon);
  if (args.checkQemu) console.error('qemu:///session check:', JSON.stringify(await checkQemuSession(daemon)));
  console.log(JSON.stringify(describe(daemon, args.tcp), null, 2));
  const exports = Object.entries(daemon.env).filter(([k]) => k.startsWith('XDG_') || k === 'HOME').map(([k, v]) => `${k}=${v}`);
  console.error(`\nlibvirtd is running. For virsh: env ${exports.join(' ')} virsh -c '${daemon.qemuUri}' list --all`);
  console.error('Ctrl-C (or SIGTERM) stops it and removes its dir.');
  watch(daemon);
}

main().catch((err) => exit(1, String(err instanceof Error ? err.message : err)));
