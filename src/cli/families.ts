/**
 * The command families of src/cli/ and the commands each one registers, so that a command
 * line loads only its command's family: one-call commands start without compiling the other
 * 270 commands (or the modules they use). test/unit/cli-families.test.ts checks these lists
 * against what each family registers.
 */
import type { Registry } from './registry.js';

export interface Family {
  load(): Promise<{ register(registry: Registry): void }>;
  commands: readonly string[];
}

/** Every family, in the order `help` lists their commands. */
export const FAMILIES: readonly Family[] = [
  {
    load: () => import('./commands.js'),
    commands: [
      'version', 'uri', 'hostname', 'nodeinfo', 'list', 'dominfo', 'domstate', 'dumpxml',
      'define', 'start', 'shutdown', 'reboot', 'destroy', 'suspend', 'resume', 'net-list',
      'pool-list', 'vol-list'
    ],
  },
  {
    load: () => import('./objects.js'),
    commands: [
      'capabilities', 'domstats', 'autostart', 'net-info', 'net-dumpxml', 'net-start',
      'net-destroy', 'pool-info', 'vol-info', 'vol-create-as', 'vol-delete',
      'snapshot-create-as', 'snapshot-revert', 'snapshot-delete', 'secret-list',
      'qemu-monitor-command', 'qemu-agent-command'
    ],
  },
  {
    load: () => import('./transfers.js'),
    commands: [
      'vol-download', 'vol-upload', 'screenshot', 'console', 'event', 'srv-list',
      'srv-clients-list'
    ],
  },
  {
    load: () => import('./migration.js'),
    commands: [
      'migrate', 'domjobinfo', 'domjobabort', 'migrate-setspeed', 'migrate-getspeed',
      'migrate-setmaxdowntime', 'migrate-getmaxdowntime', 'migrate-postcopy'
    ],
  },
  {
    load: () => import('./queries.js'),
    commands: [
      'domblklist', 'domiflist', 'domifaddr', 'vcpucount', 'maxvcpus', 'freecell',
      'nodecpustats', 'sysinfo', 'domblkinfo', 'dommemstat', 'domhostname', 'domid', 'domuuid',
      'domname', 'net-name', 'net-uuid', 'net-autostart', 'pool-autostart', 'pool-start',
      'pool-destroy', 'pool-refresh', 'setmem', 'setmaxmem', 'setvcpus', 'cpu-models',
      'domtime', 'domifstat', 'domblkstat'
    ],
  },
  {
    load: () => import('./inventory.js'),
    commands: [
      'vol-path', 'vol-key', 'vol-name', 'vol-pool', 'vol-dumpxml', 'vol-clone', 'pool-dumpxml',
      'pool-uuid', 'pool-name', 'pool-define-as', 'pool-build', 'pool-undefine', 'net-define',
      'net-undefine', 'iface-list', 'iface-dumpxml', 'iface-name', 'iface-mac',
      'nodedev-dumpxml', 'snapshot-current', 'snapshot-info', 'snapshot-dumpxml'
    ],
  },
  {
    load: () => import('./devices.js'),
    commands: [
      'attach-device', 'detach-device', 'update-device', 'attach-disk', 'detach-disk',
      'attach-interface', 'detach-interface'
    ],
  },
  {
    load: () => import('./shell.js'),
    commands: [
      'pwd', 'cd', 'exit', 'quit', 'connect', 'qemu-attach'
    ],
  },
  {
    load: () => import('./secrets.js'),
    commands: [
      'secret-define', 'secret-dumpxml', 'secret-get-value', 'secret-set-value',
      'secret-undefine', 'secret-event', 'nwfilter-define', 'nwfilter-undefine',
      'nwfilter-dumpxml', 'nwfilter-list', 'nwfilter-binding-create', 'nwfilter-binding-delete',
      'nwfilter-binding-dumpxml', 'nwfilter-binding-list'
    ],
  },
  {
    load: () => import('./nodedevs.js'),
    commands: [
      'nodedev-list', 'nodedev-info', 'nodedev-create', 'nodedev-destroy', 'nodedev-define',
      'nodedev-undefine', 'nodedev-start', 'nodedev-autostart', 'nodedev-event',
      'nodedev-detach', 'nodedev-reattach', 'nodedev-reset'
    ],
  },
  {
    load: () => import('./networks.js'),
    commands: [
      'net-create', 'net-dhcp-leases', 'net-update', 'net-port-create', 'net-port-dumpxml',
      'net-port-delete', 'net-port-list', 'net-event'
    ],
  },
  {
    load: () => import('./tuning.js'),
    commands: [
      'vcpuinfo', 'vcpupin', 'emulatorpin', 'setvcpu', 'guestvcpus', 'iothreadinfo',
      'iothreadpin', 'iothreadadd', 'iothreaddel', 'iothreadset', 'memtune', 'numatune',
      'schedinfo', 'blkiotune', 'domiftune', 'perf', 'cpu-stats', 'domcontrol', 'domdisplay',
      'vncdisplay', 'ttyconsole'
    ],
  },
  {
    load: () => import('./host.js'),
    commands: [
      'domcapabilities', 'cpu-baseline', 'cpu-compare', 'hypervisor-cpu-baseline',
      'hypervisor-cpu-compare', 'nodememstats', 'nodecpumap', 'nodesuspend', 'node-memory-tune',
      'allocpages', 'freepages', 'nodesevinfo', 'migrate-compcache', 'echo'
    ],
  },
  {
    load: () => import('./interfaces.js'),
    commands: [
      'iface-define', 'iface-undefine', 'iface-start', 'iface-destroy', 'iface-begin',
      'iface-commit', 'iface-rollback', 'iface-bridge', 'iface-unbridge'
    ],
  },
  {
    load: () => import('./guest.js'),
    commands: [
      'metadata', 'desc', 'domif-getlink', 'domif-setlink', 'domfsinfo', 'domfsfreeze',
      'domfsthaw', 'domfstrim', 'guestinfo', 'get-user-sshkeys', 'set-user-sshkeys',
      'set-user-password', 'guest-agent-timeout', 'send-key', 'send-process-signal',
      'inject-nmi', 'reset', 'dompmsuspend', 'dompmwakeup', 'set-lifecycle-action',
      'update-memory-device', 'detach-device-alias', 'domdirtyrate-calc', 'domlaunchsecinfo',
      'domsetlaunchsecstate', 'qemu-monitor-event'
    ],
  },
  {
    load: () => import('./checkpoints.js'),
    commands: [
      'checkpoint-create', 'checkpoint-create-as', 'checkpoint-delete', 'checkpoint-dumpxml',
      'checkpoint-info', 'checkpoint-parent', 'checkpoint-list', 'backup-begin',
      'backup-dumpxml', 'snapshot-create', 'snapshot-parent', 'snapshot-list'
    ],
  },
  {
    load: () => import('./images.js'),
    commands: [
      'save-image-define', 'save-image-dumpxml', 'managedsave-define', 'managedsave-dumpxml',
      'dump', 'create', 'domrename', 'domxml-to-native', 'domxml-from-native'
    ],
  },
  {
    load: () => import('./completion.js'),
    commands: [
      'completion'
    ],
  },
  {
    load: () => import('./bridge.js'),
    commands: ['bridge'],
  },
  {
    load: () => import('./top.js'),
    commands: [
      'top'
    ],
  },
  {
    load: () => import('./editing.js'),
    commands: [
      'edit', 'net-edit', 'pool-edit', 'iface-edit', 'nwfilter-edit', 'snapshot-edit',
      'checkpoint-edit', 'save-image-edit', 'managedsave-edit'
    ],
  },
  {
    load: () => import('./blockjobs.js'),
    commands: [
      'blockjob', 'blockcopy', 'blockpull', 'blockcommit', 'blockresize', 'domblkerror',
      'domblkthreshold', 'blkdeviotune', 'change-media'
    ],
  },
  {
    load: () => import('./storage.js'),
    commands: [
      'vol-create', 'vol-create-from', 'vol-resize', 'vol-wipe', 'pool-create',
      'pool-create-as', 'pool-define', 'pool-delete', 'pool-capabilities',
      'find-storage-pool-sources', 'find-storage-pool-sources-as', 'pool-event'
    ],
  },
  {
    load: () => import('./saving.js'),
    commands: [
      'undefine', 'save', 'restore', 'managedsave', 'managedsave-remove'
    ],
  },
];

/** The global options that take a value, long and short. */
const VALUE_OPTIONS = new Set(['--connect', '--hosts']);
const VALUE_SHORT_OPTIONS = new Set(['c']);
const FLAG_OPTIONS = new Set(['--readonly', '--json', '--debug', '--help']);
const FLAG_SHORT_OPTIONS = new Set(['r', 'h']);

/**
 * The command word of a command line: the first word after the global options; null when
 * `--version` comes first (commander prints the version and runs nothing); undefined when
 * there is none or a word before it is not a global option (commander then says what is
 * wrong, with every command known).
 */
export function commandWord(argv: readonly string[]): string | null | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') return argv[i + 1];
    if (!word.startsWith('-') || word === '-') return word;
    if (word.startsWith('--')) {
      const name = word.split('=')[0]!;
      if (name === '--version') return null;
      if (VALUE_OPTIONS.has(name)) {
        if (!word.includes('=')) i++;
      } else if (!FLAG_OPTIONS.has(name)) return undefined;
      continue;
    }
    // Short options, bundled as commander reads them: -rc URI, -cURI.
    for (let k = 1; k < word.length; k++) {
      const letter = word[k]!;
      if (letter === 'v') return null;
      if (VALUE_SHORT_OPTIONS.has(letter)) {
        if (k === word.length - 1) i++;
        break;
      }
      if (!FLAG_SHORT_OPTIONS.has(letter)) return undefined;
    }
  }
  return undefined;
}

/**
 * The families a command line needs: its command's; none for `--version`; all of them for
 * help, completion questions, no command, or a word no family has (commander's own messages
 * need them all).
 *
 * @example
 * ```ts
 * familiesFor(['-c', 'qemu:///system', 'list', '--all']); // the family of `list` alone
 * ```
 */
export function familiesFor(argv: readonly string[]): readonly Family[] {
  const word = commandWord(argv);
  if (word === null) return [];
  const family = word === undefined ? undefined : FAMILIES.find((f) => f.commands.includes(word));
  return family ? [family] : FAMILIES;
}
