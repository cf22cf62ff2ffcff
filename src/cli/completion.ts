/**
 * Shell completion for bash and zsh, made from the command definitions themselves:
 * `libvirt-rpc completion bash|zsh` prints a script that asks `libvirt-rpc __complete WORDS...`
 * (answered by main.ts before anything else is parsed) for the candidates of the word being
 * typed (the last one): command names, options, and the
 * names of domains, networks, pools, volumes, interfaces, node devices, snapshots and secrets
 * from the connection the line names (`-c`, else LIBVIRT_DEFAULT_URI).
 */
import type { Command, Option } from 'commander';
import { connect } from '../api/connect.js';
import type { Connection } from '../api/connection.js';
import { WITH_RESULTS } from './commands.js';
import { uuidString } from './format.js';
import type { Registry } from './registry.js';

/** How long a completion may wait for the daemon: a shell must never hang on a tab. */
const NAMES_TIMEOUT_MS = 3000;

/** The names an argument can take, by the argument's name in the command definitions. */
const NAME_LISTERS: Record<string, (conn: Connection, positionals: string[], options: Map<string, string>) => Promise<string[]>> = {
  domain: async (conn) => (await conn.connectListAllDomains(WITH_RESULTS, 0)).domains.map((d) => d.name),
  network: async (conn) => (await conn.connectListAllNetworks(WITH_RESULTS, 0)).nets.map((n) => n.name),
  pool: async (conn) => (await conn.connectListAllStoragePools(WITH_RESULTS, 0)).pools.map((p) => p.name),
  interface: async (conn) => (await conn.connectListAllInterfaces(WITH_RESULTS, 0)).ifaces.map((i) => i.name),
  device: async (conn) => (await conn.connectListAllNodeDevices(WITH_RESULTS, 0)).devices.map((d) => d.name),
  secret: async (conn) => (await conn.connectListAllSecrets(WITH_RESULTS, 0)).secrets.map((s) => uuidString(s.uuid)),
  vol: async (conn, _positionals, options) => {
    const poolName = options.get('--pool');
    if (!poolName) return [];
    const pool = await conn.storagePoolLookupByName(poolName);
    return (await conn.storagePoolListAllVolumes(pool, WITH_RESULTS, 0)).vols.map((v) => v.name);
  },
  snapshot: async (conn, positionals) => {
    const dom = await conn.domainLookupByName(positionals[0]!);
    return (await conn.domainListAllSnapshots(dom, WITH_RESULTS, 0)).snapshots.map((s) => s.name);
  },
};
/** Option values that name objects too. */
const OPTION_LISTERS: Record<string, string> = { '--pool': 'pool', '--domain': 'domain', '--network': 'network', '--secret': 'secret' };

const visibleOptions = (command: Command) => command.options.filter((o: Option) => !o.hidden);
const takesValue = (o: Option) => o.required || o.optional;
const findOption = (command: Command, word: string) => command.options.find((o: Option) => o.long === word || o.short === word);

/**
 * The candidates for the last of `words` (the word being typed, maybe empty), given the words
 * before it on the line after the program's name.
 *
 * @example
 * ```ts
 * await completions(program, ['-c', 'qemu:///system', 'dominfo', 'we'], process.env); // ['web1', 'web2']
 * ```
 */
export async function completions(program: Command, words: string[], env: Record<string, string | undefined>): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const uris: string[] = [];
  let command: Command | undefined;
  const positionals: string[] = [];
  const options = new Map<string, string>();
  let pendingValue: Option | undefined;
  for (const word of before) {
    if (pendingValue) {
      if (!command && pendingValue.long === '--connect') uris.push(word);
      options.set(pendingValue.long!, word);
      pendingValue = undefined;
      continue;
    }
    const option = word.startsWith('-') ? findOption(command ?? program, word) ?? (command ? findOption(program, word) : undefined) : undefined;
    if (option) {
      if (takesValue(option)) pendingValue = option;
      else options.set(option.long!, '');
    } else if (!command && !word.startsWith('-')) {
      command = program.commands.find((c) => c.name() === word);
      if (!command) return [];
    } else if (command && !word.startsWith('-')) positionals.push(word);
  }
  const startingWith = (names: string[]) => names.filter((n) => n.startsWith(current)).sort();
  const objectNames = async (kind: string | undefined) => {
    const lister = kind ? NAME_LISTERS[kind] : undefined;
    if (!lister) return [];
    let conn: Connection | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let gaveUp = false;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('too slow')), NAMES_TIMEOUT_MS)));
    try {
      const names = (async () => {
        const opened = await connect(uris.at(-1) ?? env.LIBVIRT_DEFAULT_URI, { env, reconnect: false });
        if (gaveUp) return opened.close().then(() => []);
        conn = opened;
        return lister(opened, positionals, options);
      })();
      names.catch(() => undefined); // settled after a timeout: nobody waits for it any more
      return startingWith(await Promise.race([names, late]));
    } catch {
      return []; // no daemon, no such pool, too slow: the shell falls back to file names
    } finally {
      gaveUp = true;
      clearTimeout(timer);
      await (conn as Connection | undefined)?.close();
    }
  };
  if (pendingValue) return objectNames(OPTION_LISTERS[pendingValue.long!]);
  if (!command) {
    if (current.startsWith('-')) return startingWith(visibleOptions(program).flatMap((o) => [o.long!]));
    return startingWith(program.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden).map((c) => c.name()));
  }
  if (current.startsWith('-')) return startingWith(visibleOptions(command).map((o) => o.long!).filter((long) => !options.has(long)));
  const argument = command.registeredArguments[positionals.length];
  return objectNames(argument?.name());
}

/** The bash script: `source <(libvirt-rpc completion bash)`. */
export function bashScript(): string {
  return `# bash completion for libvirt-rpc: source <(libvirt-rpc completion bash)
_libvirt_rpc() {
  local IFS=$'\\n'
  COMPREPLY=($(libvirt-rpc __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -o nospace -F _libvirt_rpc libvirt-rpc 2>/dev/null || complete -o default -F _libvirt_rpc libvirt-rpc
`;
}

/** The zsh script: `source <(libvirt-rpc completion zsh)`, or saved as `_libvirt-rpc` on $fpath. */
export function zshScript(): string {
  return `#compdef libvirt-rpc
# zsh completion for libvirt-rpc: source <(libvirt-rpc completion zsh)
_libvirt_rpc() {
  local -a candidates
  candidates=("\${(@f)$(libvirt-rpc __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if (( \${#candidates} )) && [[ -n "\${candidates[1]}" ]]; then
    compadd -Q -- "\${candidates[@]}"
  else
    _files
  fi
}
if (( $+functions[compdef] )); then compdef _libvirt_rpc libvirt-rpc; fi
`;
}

export function register({ program, io, fail }: Registry): void {
  program
    .command('completion <shell>')
    .description('print the shell completion script for bash or zsh')
    .action((shell: string) => {
      if (shell === 'bash') io.stdout(bashScript());
      else if (shell === 'zsh') io.stdout(zshScript());
      else fail(`no completion for the shell '${shell}': bash or zsh`);
    });
}
