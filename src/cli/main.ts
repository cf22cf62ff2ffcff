/**
 * The `libvirt-rpc` command: virsh's command names, options and output, over this library.
 * `-c/--connect URI` (or LIBVIRT_DEFAULT_URI), `-r/--readonly`, `--json`, `--debug` (the wire
 * trace on stderr; never payloads, so never credentials).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { connect } from '../api/connect.js';
import type { Connection } from '../api/connection.js';
import { type TraceEntry, formatTrace } from '../rpc/trace.js';
import * as cmd from './commands.js';
import * as mig from './migration.js';
import * as q from './queries.js';
import * as inv from './inventory.js';
import * as sav from './saving.js';
import * as dev from './devices.js';
import * as shell from './shell.js';
import * as secrets from './secrets.js';
import * as nodedevs from './nodedevs.js';
import * as nets from './networks.js';
import * as blk from './blockjobs.js';
import * as stor from './storage.js';
import * as tuning from './tuning.js';
import * as host from './host.js';
import * as ifaces from './interfaces.js';
import * as guest from './guest.js';
import * as moments from './checkpoints.js';
import * as images from './images.js';
import * as edit from './editing.js';
import * as top from './top.js';
import * as obj from './objects.js';
import * as xfer from './transfers.js';
import * as fleet from './fleet.js';
import * as completion from './completion.js';
import { type CliIo, FailureReport, type Registry, affectOptions } from './registry.js';

export type { CliIo };

/**
 * Runs one command line; resolves with the exit code (0 or 1, as virsh).
 *
 * @example
 * ```ts
 * const code = await runCli(['-c', 'qemu:///system', 'list', '--all'], { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s), env: process.env });
 * ```
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('libvirt-rpc')
    .description('virsh-style commands over libvirt-rpc')
    .option('-c, --connect <uri>', 'hypervisor connection URI; more than once for fleet mode', (uri: string, uris: string[] = []) => [...uris, uri])
    .option('--hosts <file>', 'fleet mode: the hosts, one URI per line')
    .option('-r, --readonly', 'connect read-only')
    .option('--json', 'print JSON (64-bit values as numbers up to 2^53, else decimal strings)')
    .option('--debug', 'print the wire trace to stderr')
    .version(packageVersion(), '-v, --version', "print this command's version, as virsh prints its own")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  let exit = 0;
  type GlobalOptions = { connect?: string[]; hosts?: string; readonly?: boolean; json?: boolean; debug?: boolean };
  /** The hosts named by `-c` and `--hosts`, each once, in the order given. */
  const hostUris = () => {
    const g = program.opts<GlobalOptions>();
    return [...new Set([...(g.connect ?? []), ...(g.hosts ? fleet.readHostsFile(g.hosts) : [])])];
  };
  const run = (work: (c: cmd.Context) => Promise<string>) => async () => {
    const g = program.opts<GlobalOptions>();
    let conn: Connection | undefined;
    try {
      const connection = { env: io.env, ...(g.readonly ? { readonly: true } : {}), ...(g.debug ? { trace: (e: TraceEntry) => io.stderr(formatTrace(e) + '\n') } : {}) };
      const hosts = hostUris();
      if (hosts.length > 1 || g.hosts) {
        if (!hosts.length) throw new Error(`no hosts in ${g.hosts}`);
        if (!(await fleet.runOnFleet(hosts, work, io, { json: !!g.json, connection }))) exit = 1;
        return;
      }
      const uri = hosts[0] ?? io.env.LIBVIRT_DEFAULT_URI;
      conn = await connect(uri, connection);
      io.stdout(await work({ conn, uri: uri ?? conn.uri, json: !!g.json }));
    } catch (e) {
      if (e instanceof FailureReport) {
        io.stdout(e.stdout);
        io.stderr(e.stderr);
      } else {
        io.stderr(`error: ${(e as Error).message}\n`);
        // virsh ends every command it ran with a blank line, a failed one too.
        if (conn && !g.json) io.stdout('\n');
      }
      exit = 1;
    } finally {
      await conn?.close();
    }
  };

  program.command('version').description('show versions').action(run((c) => cmd.version(c)));
  program.command('uri').description('print the connection URI').action(run((c) => cmd.uri(c)));
  program.command('hostname').description("print the hypervisor's hostname").action(run((c) => cmd.hostname(c)));
  program.command('nodeinfo').description('node information').action(run((c) => cmd.nodeinfo(c)));
  program
    .command('list')
    .description('list domains')
    .option('--all', 'active and inactive domains')
    .option('--inactive', 'inactive domains')
    .option('--name', 'names only')
    .option('--uuid', 'UUIDs only')
    .action((o: cmd.ListOptions) => run((c) => cmd.list(c, o))());
  program.command('dominfo <domain>').description('domain information').action((d: string) => run((c) => cmd.dominfo(c, d))());
  program.command('domstate <domain>').description('domain state').action((d: string) => run((c) => cmd.domstate(c, d))());
  program
    .command('dumpxml <domain>')
    .description('domain XML')
    .option('--security-info', 'include security-sensitive information')
    .option('--inactive', 'the persistent configuration')
    .action((d: string, o: { securityInfo?: boolean; inactive?: boolean }) =>
      run((c) => cmd.dumpxml(c, d, (o.securityInfo ? 1 : 0) | (o.inactive ? 2 : 0)))(),
    );
  program.command('define <file>').description('define a domain from an XML file').action((f: string) => run((c) => cmd.define(c, f, readFileSync(f, 'utf8')))());
  for (const action of Object.keys(cmd.DOMAIN_ACTIONS)) {
    program.command(`${action} <domain>`).description(`${action} a domain`).action((d: string) => run((c) => cmd.domainAction(c, action, d))());
  }
  program
    .command('net-list')
    .description('list networks')
    .option('--all', 'active and inactive')
    .option('--inactive', 'inactive only')
    .action((o: { all?: boolean; inactive?: boolean }) => run((c) => cmd.netList(c, o))());
  program
    .command('pool-list')
    .description('list storage pools')
    .option('--all', 'active and inactive')
    .option('--inactive', 'inactive only')
    .action((o: { all?: boolean; inactive?: boolean }) => run((c) => cmd.poolList(c, o))());
  program.command('vol-list <pool>').description('list the volumes of a pool').action((p: string) => run((c) => cmd.volList(c, p))());
  program.command('capabilities').description('host capabilities XML').action(run((c) => obj.capabilities(c)));
  program.command('domstats <domain...>').description('domain statistics').action((d: string[]) => run((c) => obj.domstats(c, d))());
  program
    .command('autostart <domain>')
    .description('start a domain with the host')
    .option('--disable', 'do not')
    .action((d: string, o: { disable?: boolean }) => run((c) => obj.autostart(c, d, !!o.disable))());
  program.command('net-info <network>').description('network information').action((n: string) => run((c) => obj.netInfo(c, n))());
  program.command('net-dumpxml <network>').description('network XML').action((n: string) => run((c) => obj.netDumpxml(c, n))());
  program.command('net-start <network>').description('start a network').action((n: string) => run((c) => obj.netStartDestroy(c, n, true))());
  program.command('net-destroy <network>').description('stop a network').action((n: string) => run((c) => obj.netStartDestroy(c, n, false))());
  program.command('pool-info <pool>').description('storage pool information').action((p: string) => run((c) => obj.poolInfo(c, p))());
  program
    .command('vol-info <vol>')
    .description('volume information')
    .requiredOption('--pool <pool>', 'the pool')
    .action((v: string, o: { pool: string }) => run((c) => obj.volInfo(c, v, o.pool))());
  program
    .command('vol-create-as <pool> <name> <capacity>')
    .description('create a volume')
    .option('--allocation <size>', 'initial allocation')
    .option('--format <format>', 'raw, qcow2, ...')
    .action((p: string, n: string, size: string, o: { allocation?: string; format?: string }) => run((c) => obj.volCreateAs(c, p, n, size, o))());
  program
    .command('vol-delete <vol>')
    .description('delete a volume')
    .requiredOption('--pool <pool>', 'the pool')
    .action((v: string, o: { pool: string }) => run((c) => obj.volDelete(c, v, o.pool))());
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
            ? xfer.volUpload(c, transferIo, v, o.pool, f, !!o.sparse, BigInt(statSync(f).size))
            : xfer.volDownload(c, transferIo, v, o.pool, f, !!o.sparse),
        )(),
      );
  }
  program
    .command('snapshot-create-as <domain> [name] [description]')
    .description('create a snapshot')
    .action((d: string, n?: string, desc?: string) => run((c) => obj.snapshotCreateAs(c, d, n, desc))());
  program.command('snapshot-revert <domain> <snapshot>').description('revert to a snapshot').action((d: string, n: string) => run((c) => obj.snapshotRevertDelete(c, d, n, true))());
  program.command('snapshot-delete <domain> <snapshot>').description('delete a snapshot').action((d: string, n: string) => run((c) => obj.snapshotRevertDelete(c, d, n, false))());
  program.command('secret-list').description('list secrets').action(run((c) => obj.secretList(c)));
  program
    .command('qemu-monitor-command <domain> <command>')
    .description('send a QMP command')
    .option('--pretty', 'indent the JSON reply')
    .action((d: string, q: string, o: { pretty?: boolean }) => run((c) => obj.qemuMonitorCommand(c, d, q, !!o.pretty))());
  program
    .command('qemu-agent-command <domain> <command>')
    .description('send a guest agent command')
    .option('--timeout <seconds>', 'seconds to wait', '-2')
    .action((d: string, q: string, o: { timeout: string }) => run((c) => obj.qemuAgentCommand(c, d, q, Number(o.timeout)))());
  program
    .command('screenshot <domain> [file]')
    .description("save a screenshot of the domain's screen")
    .option('--screen <n>', 'screen number', '0')
    .action((d: string, f: string | undefined, o: { screen: string }) => run((c) => xfer.screenshot(c, d, f, Number(o.screen)))());
  program
    .command('console <domain>')
    .description('connect to the serial console (Ctrl-] leaves)')
    .option('--force', 'take the console from another session')
    .action((d: string, o: { force?: boolean }) => run((c) => xfer.console_(c, d, !!o.force))());
  program
    .command('event')
    .description('wait for domain events')
    .option('--domain <domain>', 'only this domain')
    .option('--event <name>', 'only this event (lifecycle, reboot, ...)')
    .option('--all', 'every event')
    .option('--loop', 'keep going after the first event')
    .option('--timeout <seconds>', 'stop after this many seconds')
    .action((o: xfer.EventOptions) => run((c) => xfer.event(c, o, io.stdout))());
  const flagOptions: [string, string][] = [
    ['--live', 'live migration'], ['--offline', 'offline migration'], ['--p2p', 'peer-2-peer migration'], ['--direct', 'direct migration'],
    ['--tunnelled', 'tunnelled migration'], ['--persistent', 'persist VM on destination'], ['--undefinesource', 'undefine VM on source'],
    ['--suspend', 'do not restart the domain on the destination host'], ['--copy-storage-all', 'migration with non-shared storage with full disk copy'],
    ['--copy-storage-inc', 'migration with non-shared storage with incremental copy'], ['--copy-storage-synchronous-writes', 'force guest disk writes to be synchronously written to the destination'],
    ['--change-protection', 'prevent any configuration changes to domain until migration ends'], ['--unsafe', 'force migration even if it may be unsafe'],
    ['--verbose', 'display the progress of migration'], ['--compressed', 'compress repeated pages during live migration'],
    ['--abort-on-error', 'abort on soft errors during migration'], ['--auto-converge', 'force convergence during live migration'],
    ['--rdma-pin-all', 'pin all memory before starting RDMA live migration'], ['--postcopy', 'enable post-copy migration; switch to it using migrate-postcopy command'],
    ['--postcopy-after-precopy', 'automatically switch to post-copy migration after one pass of pre-copy'], ['--tls', 'use TLS for migration'],
    ['--parallel', 'enable parallel migration'], ['--zerocopy', 'use zero-copy mechanism for migrating memory pages'],
    ['--timeout-suspend', 'suspend the guest after timeout'], ['--timeout-postcopy', 'switch to post-copy after timeout'],
  ];
  const valueOptions: [string, string][] = [
    ['--migrateuri <uri>', 'migration URI, usually can be omitted'], ['--graphicsuri <uri>', 'graphics URI to be used for seamless graphics migration'],
    ['--listen-address <address>', 'listen address that destination should bind to for incoming migration'], ['--dname <name>', 'rename to new name during migration'],
    ['--timeout <seconds>', 'run action specified by --timeout-* option (suspend by default) if live migration exceeds timeout (in seconds)'],
    ['--xml <file>', 'filename containing updated XML for the target'], ['--persistent-xml <file>', 'filename containing updated persistent XML for the target'],
    ['--migrate-disks <disks>', 'comma separated list of disks to be migrated'], ['--migrate-disks-detect-zeroes <disks>', 'comma separated list of disks to migrate sparsely'],
    ['--disks-port <port>', 'port to use by target server for incoming disks migration'], ['--disks-uri <uri>', 'URI to use for disks migration (overrides --disks-port)'],
    ['--comp-methods <methods>', 'comma separated list of compression methods to be used'], ['--comp-mt-level <level>', 'compress level for multithread compression'],
    ['--comp-mt-threads <n>', 'number of compression threads for multithread compression'], ['--comp-mt-dthreads <n>', 'number of decompression threads for multithread compression'],
    ['--comp-xbzrle-cache <bytes>', 'page cache size for xbzrle compression'], ['--comp-zlib-level <level>', 'compression level used for zlib compression'],
    ['--comp-zstd-level <level>', 'compression level used for zstd compression'], ['--auto-converge-initial <percent>', 'initial CPU throttling rate for auto-convergence'],
    ['--auto-converge-increment <percent>', 'CPU throttling rate increment for auto-convergence'], ['--parallel-connections <n>', 'number of connections for parallel migration'],
    ['--bandwidth <mib>', 'override the default bandwidth used for migration (in MiB/s)'], ['--postcopy-bandwidth <mib>', 'post-copy migration bandwidth limit in MiB/s'],
    ['--tls-destination <name>', 'override the destination host name used for TLS verification'],
  ];
  const migrateCommand = program
    .command('migrate <domain> <desturi> [migrateuri] [graphicsuri] [listen-address] [dname]')
    .description('migrate a domain to another host');
  for (const [flag, help] of [...flagOptions, ...valueOptions]) migrateCommand.option(flag, help);
  const migrateIo = { isTTY: !!io.isTTY, stderr: io.stderr, env: io.env, ...(io.progressStream ? { stderrStream: io.progressStream } : {}) };
  migrateCommand.action((d: string, dest: string, migrateuri: string | undefined, graphicsuri: string | undefined, listenAddress: string | undefined, dname: string | undefined, o: mig.MigrateCliOptions) =>
    run((c) => mig.migrate(c, migrateIo, d, dest, { migrateuri, graphicsuri, listenAddress, dname, ...o }))(),
  );
  program
    .command('domjobinfo <domain>')
    .description('domain job information')
    .option('--completed', 'return statistics of a recently completed job')
    .option('--keep-completed', "don't destroy statistics of a recently completed job when reading")
    .action((d: string, o: { completed?: boolean; keepCompleted?: boolean }) => run((c) => mig.domjobinfo(c, d, o))());
  program
    .command('domjobabort <domain>')
    .description('abort active domain job')
    .option('--postcopy', 'interrupt post-copy migration')
    .action((d: string, o: { postcopy?: boolean }) => run((c) => mig.domjobabort(c, d, o))());
  program
    .command('migrate-setspeed <domain> <bandwidth>')
    .description('Set the maximum migration bandwidth')
    .option('--postcopy', 'set post-copy migration bandwidth')
    .action((d: string, b: string, o: { postcopy?: boolean }) => run((c) => mig.migrateSpeed(c, d, b, o))());
  program
    .command('migrate-getspeed <domain>')
    .description('Get the maximum migration bandwidth')
    .option('--postcopy', 'get post-copy migration bandwidth')
    .action((d: string, o: { postcopy?: boolean }) => run((c) => mig.migrateSpeed(c, d, undefined, o))());
  program.command('migrate-setmaxdowntime <domain> <downtime>').description('set maximum tolerable downtime').action((d: string, t: string) => run((c) => mig.migrateMaxDowntime(c, d, t))());
  program.command('migrate-getmaxdowntime <domain>').description('get maximum tolerable downtime').action((d: string) => run((c) => mig.migrateMaxDowntime(c, d, undefined))());
  program.command('migrate-postcopy <domain>').description('Switch running migration from pre-copy to post-copy').action((d: string) => run((c) => mig.migratePostcopy(c, d))());
  program
    .command('domblklist <domain>')
    .description('list all domain blocks')
    .option('--details', 'additionally display the type and device value')
    .option('--inactive', 'get inactive rather than running configuration')
    .action((d: string, o: { details?: boolean; inactive?: boolean }) => run((c) => q.domblklist(c, d, o))());
  program
    .command('domiflist <domain>')
    .description('list all domain virtual interfaces')
    .option('--inactive', 'get inactive rather than running configuration')
    .action((d: string, o: { inactive?: boolean }) => run((c) => q.domiflist(c, d, o))());
  program
    .command('domifaddr <domain>')
    .description('Get network interfaces\' addresses for a running domain')
    .option('--source <source>', 'address source: lease, agent or arp')
    .action((d: string, o: { source?: string }) => run((c) => q.domifaddr(c, d, o))());
  program.command('vcpucount <domain>').description('domain vcpu counts').action((d: string) => run((c) => q.vcpucount(c, d))());
  program
    .command('maxvcpus')
    .description('connection vcpu maximum')
    .option('--type <type>', 'domain type')
    .action((o: { type?: string }) => run((c) => q.maxvcpus(c, o))());
  program
    .command('freecell')
    .description('NUMA free memory')
    .option('--all', 'show free memory for all NUMA cells')
    .option('--cellno <cell>', 'NUMA cell number')
    .action((o: { all?: boolean; cellno?: string }) => run((c) => q.freecell(c, o))());
  program
    .command('nodecpustats')
    .description('Prints cpu stats of the node.')
    .option('--cpu <n>', 'prints specified cpu statistics only')
    .action((o: { cpu?: string }) => run((c) => q.nodecpustats(c, o))());
  program.command('sysinfo').description('print the hypervisor sysinfo').action(run((c) => q.sysinfo(c)));
  program.command('domblkinfo <domain> <device>').description('domain block device size information').action((d: string, dev: string) => run((c) => q.domblkinfo(c, d, dev))());
  program.command('dommemstat <domain>').description('get memory statistics for a domain').action((d: string) => run((c) => q.dommemstat(c, d))());
  program.command('domhostname <domain>').description('print the domain\'s hostname').action((d: string) => run((c) => q.domhostname(c, d))());
  for (const [name, what] of [['domid', 'id'], ['domuuid', 'uuid'], ['domname', 'name']] as const) {
    program.command(`${name} <domain>`).description(`convert a domain to its ${what}`).action((d: string) => run((c) => q.domIdentity(c, d, what))());
  }
  program.command('net-name <network>').description('convert a network UUID to network name').action((n: string) => run((c) => q.netIdentity(c, n, 'name'))());
  program.command('net-uuid <network>').description('convert a network name to network UUID').action((n: string) => run((c) => q.netIdentity(c, n, 'uuid'))());
  for (const kind of ['net', 'pool'] as const) {
    program
      .command(`${kind}-autostart <${kind === 'net' ? 'network' : 'pool'}>`)
      .description(`autostart a ${kind === 'net' ? 'network' : 'pool'}`)
      .option('--disable', 'disable autostarting')
      .action((n: string, o: { disable?: boolean }) => run((c) => q.autostartOf(c, kind, n, !!o.disable))());
  }
  for (const action of ['start', 'destroy', 'refresh'] as const) {
    program.command(`pool-${action} <pool>`).description(`${action} a pool`).action((p: string) => run((c) => q.poolAction(c, action, p))());
  }
  for (const [name, max] of [['setmem', false], ['setmaxmem', true]] as const) {
    affectOptions(program.command(`${name} <domain> <size>`).description(max ? 'change maximum memory limit' : 'change memory allocation')).action(
      (d: string, size: string, o: { config?: boolean; live?: boolean; current?: boolean }) => run((c) => q.setMemory(c, d, size, max, o))(),
    );
  }
  affectOptions(program.command('setvcpus <domain> <count>').description('change number of virtual CPUs'))
    .option('--maximum', 'set maximum limit on next boot')
    .action((d: string, n: string, o: { config?: boolean; live?: boolean; current?: boolean; maximum?: boolean }) => run((c) => q.setvcpus(c, d, n, o))());
  program.command('cpu-models <arch>').description('CPU models').action((a: string) => run((c) => q.cpuModels(c, a))());
  for (const what of ['path', 'key', 'name', 'pool'] as const) {
    program
      .command(`vol-${what} <vol>`)
      .description(`returns the volume ${what} for a given volume name, key or path`)
      .option('--pool <pool>', 'pool name or uuid')
      .action((v: string, o: { pool?: string }) => run((c) => inv.volIdentity(c, v, what, o.pool))());
  }
  program
    .command('vol-dumpxml <vol>')
    .description('vol information in XML')
    .option('--pool <pool>', 'pool name or uuid')
    .action((v: string, o: { pool?: string }) => run((c) => inv.volDumpxml(c, v, o.pool))());
  program
    .command('vol-clone <vol> <newname>')
    .description('clone a volume.')
    .option('--pool <pool>', 'pool name or uuid')
    .action((v: string, n: string, o: { pool?: string }) => run((c) => inv.volClone(c, v, n, o.pool))());
  program
    .command('pool-dumpxml <pool>')
    .description('pool information in XML')
    .option('--inactive', 'show inactive defined XML')
    .action((p: string, o: { inactive?: boolean }) => run((c) => inv.poolDumpxml(c, p, !!o.inactive))());
  program.command('pool-uuid <pool>').description('convert a pool name to pool UUID').action((p: string) => run((c) => inv.poolIdentity(c, p, 'uuid'))());
  program.command('pool-name <pool>').description('convert a pool UUID to pool name').action((p: string) => run((c) => inv.poolIdentity(c, p, 'name'))());
  program
    .command('pool-define-as <name> <type>')
    .description('define a pool from a set of args')
    .option('--print-xml', 'print XML document, but don\'t define/create')
    .option('--source-host <host>', 'source-host for underlying storage')
    .option('--source-path <path>', 'source path for underlying storage')
    .option('--source-dev <dev>', 'source device for underlying storage')
    .option('--source-name <name>', 'source name for underlying storage')
    .option('--source-format <format>', 'format for underlying storage')
    .option('--target <dir>', 'target for underlying storage')
    .action((n: string, t: string, o: { printXml?: boolean; sourceHost?: string; sourcePath?: string; sourceDev?: string; sourceName?: string; sourceFormat?: string; target?: string }) =>
      run((c) => inv.poolDefineAs(c, n, t, { ...o, print: !!o.printXml }))(),
    );
  for (const action of ['build', 'undefine'] as const) {
    program.command(`pool-${action} <pool>`).description(`${action} a pool`).action((p: string) => run((c) => inv.poolBuildUndefine(c, p, action))());
  }
  program.command('net-define <file>').description('define an inactive persistent virtual network from an XML file').action((f: string) => run((c) => inv.netDefineUndefine(c, f, true))());
  program.command('net-undefine <network>').description('undefine a persistent network').action((n: string) => run((c) => inv.netDefineUndefine(c, n, false))());
  program
    .command('iface-list')
    .description('list physical host interfaces')
    .option('--all', 'list inactive & active interfaces')
    .option('--inactive', 'list inactive interfaces')
    .action((o: { all?: boolean; inactive?: boolean }) => run((c) => inv.ifaceList(c, o))());
  program
    .command('iface-dumpxml <interface>')
    .description('interface information in XML')
    .option('--inactive', 'show inactive defined XML')
    .action((i: string, o: { inactive?: boolean }) => run((c) => inv.ifaceDumpxml(c, i, !!o.inactive))());
  program.command('iface-name <interface>').description('convert an interface MAC address to interface name').action((i: string) => run((c) => inv.ifaceIdentity(c, i, 'name'))());
  program.command('iface-mac <interface>').description('convert an interface name to interface MAC address').action((i: string) => run((c) => inv.ifaceIdentity(c, i, 'mac'))());
  program.command('nodedev-dumpxml <device>').description('node device details in XML').action((d: string) => run((c) => inv.nodedevDumpxml(c, d))());
  program
    .command('snapshot-current <domain>')
    .description('Get or set the current snapshot')
    .option('--name', 'list the name, rather than the full xml')
    .action((d: string, o: { name?: boolean }) => run((c) => inv.snapshotCurrent(c, d, !!o.name))());
  program.command('snapshot-info <domain> <snapshot>').description('snapshot information').action((d: string, n: string) => run((c) => inv.snapshotInfo(c, d, n))());
  program.command('snapshot-dumpxml <domain> <snapshot>').description('Dump XML for a domain snapshot').action((d: string, n: string) => run((c) => inv.snapshotDumpxml(c, d, n))());
  program
    .command('undefine <domain>')
    .description('undefine a domain')
    .option('--managed-save', 'remove domain managed state file')
    .option('--snapshots-metadata', 'remove all domain snapshot metadata (vm must be inactive)')
    .option('--checkpoints-metadata', 'remove all domain checkpoint metadata (vm must be inactive)')
    .option('--nvram', 'remove nvram file')
    .option('--keep-nvram', 'keep nvram file')
    .option('--tpm', 'remove TPM state')
    .option('--keep-tpm', 'keep TPM state')
    .action((d: string, o: sav.UndefineOptions) => run((c) => sav.undefine(c, d, o))());
  const saveOptions = (command: Command) =>
    command.option('--bypass-cache', 'avoid file system cache when saving').option('--running', 'set domain to be running on restore').option('--paused', 'set domain to be paused on restore');
  saveOptions(program.command('save <domain> <file>').description('save a domain state to a file')).action((d: string, f: string, o: sav.SaveOptions) => run((c) => sav.save(c, d, f, o))());
  saveOptions(program.command('restore <file>').description('restore a domain from a saved state in a file')).action((f: string, o: sav.SaveOptions) => run((c) => sav.restore(c, f, o))());
  saveOptions(program.command('managedsave <domain>').description('managed save of a domain state')).action((d: string, o: sav.SaveOptions) => run((c) => sav.managedsave(c, d, o))());
  program.command('managedsave-remove <domain>').description('Remove managed save of a domain').action((d: string) => run((c) => sav.managedsaveRemove(c, d))());
  program.command('domtime <domain>').description('domain time').action((d: string) => run((c) => q.domtime(c, d))());
  program.command('domifstat <domain> <interface>').description('get network interface stats for a domain').action((d: string, i: string) => run((c) => q.domifstat(c, d, i))());
  program.command('domblkstat <domain> <device>').description('get device block stats for a domain').action((d: string, dev: string) => run((c) => q.domblkstat(c, d, dev))());
  const fail = (message: string) => {
    io.stderr(`error: ${message}\n`);
    exit = 1;
  };
  const registry: Registry = { program, act: (work) => run(work)(), io, hosts: hostUris, fail };
  for (const register of [dev.register, shell.register, secrets.register, nodedevs.register, nets.register, tuning.register, host.register, ifaces.register, guest.register, moments.register, images.register, completion.register, top.register, edit.register, blk.register, stor.register, sav.register]) register(registry);
  const adminRun = (work: (uri: string | undefined, json: boolean) => Promise<string>) => async () => {
    const g = program.opts<GlobalOptions>();
    try {
      io.stdout(await work(g.connect?.at(-1) ?? io.env.LIBVIRT_ADMIN_DEFAULT_URI, !!g.json));
    } catch (e) {
      io.stderr(`error: ${(e as Error).message}
`);
      exit = 1;
    }
  };
  program.command('srv-list').description('list the daemon servers (admin)').action(adminRun((u, j) => xfer.srvList(u, j, io.env)));
  program
    .command('srv-clients-list <server>')
    .description("list a server's clients (admin)")
    .action((s: string) => adminRun((u, j) => xfer.srvClientsList(u, s, j, io.env))());

  // The completion scripts' question, answered before parsing: its words are a partial
  // command line, options and all, not options of its own.
  if (argv[0] === '__complete') {
    for (const candidate of await completion.completions(program, argv.slice(1), io.env)) io.stdout(candidate + '\n');
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    throw e;
  }
  return exit;
}

/**
 * The version in the package's own package.json: the nearest one above this module (dist/ in
 * the package, src/cli/ in a checkout) whose name is ours.
 */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'libvirt-rpc' && pkg.version) return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
