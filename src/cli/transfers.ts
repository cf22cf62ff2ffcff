/** Commands that move data or wait: volume transfers, screenshots, console, events, admin. */
import { statSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { connectAdmin } from '../api/connect.js';
import { attachConsole } from '../api/console.js';
import { downloadVolume, screenshotToFile, uploadVolume } from '../api/files.js';
import { remoteProcedures } from '../../protocol/remote-procedures.js';
import { VIR_DOMAIN_CONSOLE_FORCE } from '../../protocol/constants.js';
import { findDomain, type Context } from './commands.js';
import { table, toJson } from './format.js';
import { FailureReport, type Registry } from './registry.js';
import { timeoutOption } from './virsh-options.js';

export interface TransferIo {
  /** Whether stderr is a terminal: the progress bar is drawn only then. */
  isTTY: boolean;
  stderrStream?: NodeJS.WritableStream;
}

async function withProgress<T>(io: TransferIo, total: bigint | undefined, work: (onProgress?: (n: bigint) => void) => Promise<T>): Promise<T> {
  if (!io.isTTY || !total) return work();
  const bar = new cliProgress.SingleBar({ stream: io.stderrStream, format: ' {bar} {percentage}% | {value}/{total} MiB' }, cliProgress.Presets.shades_classic);
  bar.start(Math.ceil(Number(total) / 1048576), 0);
  try {
    return await work((n) => bar.update(Math.floor(Number(n) / 1048576)));
  } finally {
    bar.stop();
  }
}

export async function volDownload(c: Context, io: TransferIo, name: string, poolName: string, file: string, sparse: boolean): Promise<string> {
  const vol = await c.conn.storageVolLookupByName(await c.conn.storagePoolLookupByName(poolName), name);
  const { capacity } = await c.conn.storageVolGetInfo(vol);
  await withProgress(io, capacity, (onProgress) => downloadVolume(c.conn, vol, file, { sparse, ...(onProgress ? { onProgress } : {}) }));
  return '';
}

export async function volUpload(c: Context, io: TransferIo, name: string, poolName: string, file: string, sparse: boolean, size?: bigint): Promise<string> {
  const vol = await c.conn.storageVolLookupByName(await c.conn.storagePoolLookupByName(poolName), name);
  await withProgress(io, size, (onProgress) => uploadVolume(c.conn, vol, file, { sparse, ...(onProgress ? { onProgress } : {}) }));
  return '';
}

export async function screenshot(c: Context, ref: string, file: string | undefined, screen: number): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const mime = await screenshotToFile(c.conn, dom, file ?? `${dom.name}-screenshot`, screen);
  return `Screenshot saved to ${file ?? `${dom.name}-screenshot`}, with type of ${mime}\n\n`;
}

export async function console_(c: Context, ref: string, force: boolean): Promise<string> {
  const dom = await findDomain(c.conn, ref);
  const { stream } = await c.conn.openStream(remoteProcedures.domainOpenConsole, { dom, dev_name: null, flags: force ? VIR_DOMAIN_CONSOLE_FORCE : 0 });
  process.stderr.write(`Connected to domain '${dom.name}'\nEscape character is ^] (Ctrl + ])\n`);
  await attachConsole(stream, process.stdin, process.stdout);
  return '\n';
}

const LIFECYCLE: [string, string[]][] = [
  ['Defined', ['Added', 'Updated', 'Renamed', 'Snapshot']],
  ['Undefined', ['Removed', 'Renamed']],
  ['Started', ['Booted', 'Migrated', 'Restored', 'Snapshot', 'Event wakeup', 'Recreated']],
  ['Suspended', ['Paused', 'Migrated', 'I/O Error', 'Watchdog', 'Restored', 'Snapshot', 'API error', 'Post-copy', 'Post-copy Error']],
  ['Resumed', ['Unpaused', 'Migrated', 'Snapshot', 'Post-copy', 'Post-copy Error']],
  ['Stopped', ['Shutdown', 'Destroyed', 'Crashed', 'Migrated', 'Saved', 'Failed', 'Snapshot', 'Recreated']],
  ['Shutdown', ['Finished', 'Finished after guest request', 'Finished after host request']],
  ['PMSuspended', ['Memory', 'Disk']],
  ['Crashed', ['Panicked', 'Crashloaded']],
];

/** One event as virsh's `event` command prints it. */
function describeEvent(name: string, e: { dom?: { name: string }; event?: number; detail?: number }): string {
  const head = `event '${name}' for domain '${e.dom?.name ?? '?'}'`;
  if (name === 'lifecycle' && e.event !== undefined) {
    const [ev, details] = LIFECYCLE[e.event] ?? [String(e.event), []];
    return `${head}: ${ev} ${details[e.detail ?? -1] ?? e.detail}\n`;
  }
  const { dom: _d, ...rest } = e as Record<string, unknown>;
  return `${head}: ${toJson(rest).replace(/\s+/g, ' ')}\n`;
}

export interface EventOptions {
  domain?: string;
  event?: string;
  all?: boolean;
  loop?: boolean;
  timeout?: string;
}

/** Prints events until one arrives (or forever with --loop), or the timeout in seconds. */
export async function event(c: Context, o: EventOptions, print: (s: string) => void): Promise<string> {
  if (!o.all && !o.event) throw new Error('either --event or --all is required');
  const timeoutMs = timeoutOption(o.timeout);
  const names = o.all ? ['lifecycle', 'reboot', 'rtc-change', 'watchdog', 'io-error', 'graphics', 'control-error', 'block-job', 'disk-change', 'tray-change', 'pmwakeup', 'pmsuspend', 'balloon-change', 'device-removed', 'tunable', 'agent-lifecycle', 'device-added', 'job-completed', 'metadata-change'] : [o.event!];
  const filter = o.domain ? await findDomain(c.conn, o.domain) : undefined;
  let count = 0;
  let done!: (why: string) => void;
  const finished = new Promise<string>((r) => (done = r));
  const subscribe = c.conn.subscribe.bind(c.conn) as (ev: string, l: (e: any) => void, opts: object) => Promise<() => Promise<void>>;
  const stops = await Promise.all(
    names.map((n) =>
      subscribe(`domain:${n}`, (e) => {
        count++;
        print(describeEvent(n, e));
        if (!o.loop) done('');
      }, filter ? { filter } : {}),
    ),
  );
  const timer = timeoutMs ? setTimeout(() => done('event loop timed out\n'), timeoutMs) : undefined;
  const why = await finished;
  if (timer) clearTimeout(timer);
  await Promise.all(stops.map((s) => s()));
  const report = `${why}events received: ${count}\n\n`;
  // Like virsh, a wait that timed out is a failure (exit 1), its report still printed.
  if (why) throw new FailureReport(report, '', 'event loop timed out');
  return report;
}

export async function srvList(uri: string | undefined, json: boolean, env: Record<string, string | undefined>): Promise<string> {
  const admin = await connectAdmin(uri, { env });
  try {
    const { servers } = await admin.connectListServers(16);
    if (json) return toJson(servers.map((s, i) => ({ id: i, name: s.name }))) + '\n';
    return table(['Id', 'Name'], servers.map((s, i) => [String(i), s.name]));
  } finally {
    await admin.close();
  }
}

const TRANSPORTS = ['unix', 'tcp', 'tls'];

export async function srvClientsList(uri: string | undefined, server: string, json: boolean, env: Record<string, string | undefined>): Promise<string> {
  const admin = await connectAdmin(uri, { env });
  try {
    const srv = await admin.connectLookupServer(server, 0);
    const { clients } = await admin.serverListClients(srv, 4096, 0);
    const rows = clients.map((cl) => ({ id: Number(cl.id), transport: TRANSPORTS[cl.transport] ?? String(cl.transport), since: Number(cl.timestamp) }));
    if (json) return toJson(rows) + '\n';
    const when = (s: number) => new Date(s * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '+0000');
    return table(['Id', 'Transport', 'Connected since'], rows.map((r) => [String(r.id), r.transport, when(r.since)]));
  } finally {
    await admin.close();
  }
}

/** Adds this module's commands to the program. */
export function register(registry: Registry): void {
  const { program, io } = registry;
  const run = (work: (c: Context) => Promise<string>) => () => registry.act(work);
  const transferIo = { isTTY: !!io.isTTY, ...(io.progressStream ? { stderrStream: io.progressStream } : {}) };
  for (const [name, up] of [['vol-download', false], ['vol-upload', true]] as const) {
    program
      .command(`${name} <vol> <file>`)
      .description(up ? 'upload a file into a volume' : 'download a volume into a file')
      .requiredOption('--pool <pool>', 'the pool')
      .option('--sparse', 'keep holes')
      .action((v: string, f: string, o: { pool: string; sparse?: boolean }) =>
        run((c) =>
          up
            ? volUpload(c, transferIo, v, o.pool, f, !!o.sparse, BigInt(statSync(f).size))
            : volDownload(c, transferIo, v, o.pool, f, !!o.sparse),
        )(),
      );
  }
  program
    .command('screenshot <domain> [file]')
    .description("save a screenshot of the domain's screen")
    .option('--screen <n>', 'screen number', '0')
    .action((d: string, f: string | undefined, o: { screen: string }) => run((c) => screenshot(c, d, f, Number(o.screen)))());
  program
    .command('console <domain>')
    .description('connect to the serial console (Ctrl-] leaves)')
    .option('--force', 'take the console from another session')
    .action((d: string, o: { force?: boolean }) => run((c) => console_(c, d, !!o.force))());
  program
    .command('event')
    .description('wait for domain events')
    .option('--domain <domain>', 'only this domain')
    .option('--event <name>', 'only this event (lifecycle, reboot, ...)')
    .option('--all', 'every event')
    .option('--loop', 'keep going after the first event')
    .option('--timeout <seconds>', 'stop after this many seconds')
    .action((o: EventOptions) => run((c) => event(c, o, io.stdout))());
  // The admin program has its own URIs and default: no domain connection is opened.
  const adminRun = (work: (uri: string | undefined, json: boolean) => Promise<string>) => async () => {
    const g = program.opts<{ connect?: string[]; json?: boolean }>();
    try {
      io.stdout(await work(g.connect?.at(-1) ?? io.env.LIBVIRT_ADMIN_DEFAULT_URI, !!g.json));
    } catch (e) {
      registry.fail((e as Error).message);
    }
  };
  program.command('srv-list').description('list the daemon servers (admin)').action(adminRun((u, j) => srvList(u, j, io.env)));
  program
    .command('srv-clients-list <server>')
    .description("list a server's clients (admin)")
    .action((s: string) => adminRun((u, j) => srvClientsList(u, s, j, io.env))());
}
