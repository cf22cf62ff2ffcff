/**
 * virsh's secret commands (`secret-define`, `secret-dumpxml`, `secret-get-value`,
 * `secret-set-value`, `secret-undefine`, `secret-event`) and network filter commands
 * (`nwfilter-define`, `nwfilter-dumpxml`, `nwfilter-list`, `nwfilter-undefine`, and the
 * `nwfilter-binding-*` ones). `secret-list` is in objects.ts.
 *
 * Also the helpers nodedevs.ts and networks.ts share: libvirt's UUID parsing (virUUIDParse,
 * which libvirt's client does before a lookup by UUID string), and the event wait of virsh's
 * `*-event` commands (`--list`, `--event`, `--loop`, `--timeout`, `--timestamp`, Ctrl-C).
 * Commands read their words as virsh does (host.ts `virshCommand`).
 */
import {
  VIR_ERR_NO_SUPPORT,
  VIR_NWFILTER_BINDING_CREATE_VALIDATE,
  VIR_NWFILTER_DEFINE_VALIDATE,
  VIR_SECRET_DEFINE_VALIDATE,
} from '../../protocol/constants.js';
import type { RemoteNonnullNwfilter, RemoteNonnullNwfilterBinding, RemoteNonnullSecret } from '../../protocol/remote.js';
import { LibvirtError } from '../errors.js';
import { type Context, WITH_RESULTS } from './commands.js';
import { table, toJson, uuidString } from './format.js';
import { exclusiveArgs, failed, readFileLimited, readVirshFile, stringOption, timeoutOption } from './virsh-options.js';
import { type VirshArgs, type VirshCommandSpec, virshCommand } from './virsh-args.js';
import { type CliIo, FailureReport, type Registry } from './registry.js';

// ---------------------------------------------------------------------------------------------
// Shared helpers

/**
 * A UUID as libvirt's virUUIDParse reads one: blanks around it, `-` or a space between any
 * two hex digit pairs, exactly 16 pairs; undefined when it is not one.
 */
export function parseUuid(text: string): Uint8Array | undefined {
  const isSpace = (ch: string | undefined) => ch !== undefined && ' \t\n\v\f\r'.includes(ch);
  const isHex = (ch: string | undefined) => ch !== undefined && /^[0-9a-fA-F]$/.test(ch);
  let i = 0;
  while (isSpace(text[i])) i++;
  const out = new Uint8Array(16);
  for (let n = 0; n < 16; ) {
    const ch = text[i];
    if (ch === undefined) return undefined;
    if (ch === '-' || ch === ' ') {
      i++;
      continue;
    }
    if (!isHex(ch) || !isHex(text[i + 1])) return undefined;
    out[n++] = parseInt(text.slice(i, i + 2), 16);
    i += 2;
  }
  for (; i < text.length; i++) if (!isSpace(text[i])) return undefined;
  return out;
}

/** libvirt's own complaint about a UUID string its client could not parse (virReportInvalidArg). */
export const badUuidMessage = (api: string) => `uuidstr in ${api} must be a valid UUID`;

/** Whether a daemon error says the driver lacks the call (virsh then tries the older API). */
export const unsupported = (e: unknown) => e instanceof LibvirtError && e.code === VIR_ERR_NO_SUPPORT;

/** The message of an error, as virsh prints it after `error: `. */
export const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Now as libvirt's virTimeStringNowRaw writes it: `2024-01-31 12:34:56.789+0000`. */
export const timestampNow = () => new Date().toISOString().replace('T', ' ').replace('Z', '+0000');

/** The options every `*-event` command has after its filter option, in virsh's order. */
export const EVENT_OPTIONS: NonNullable<VirshCommandSpec['options']> = [
  { name: 'event', kind: 'string', help: 'which event type to wait for' },
  { name: 'loop', kind: 'bool', help: 'loop until timeout or interrupt, rather than one-shot' },
  { name: 'timeout', kind: 'number', help: 'timeout seconds' },
  { name: 'list', kind: 'bool', help: 'list valid event types' },
  { name: 'timestamp', kind: 'bool', help: 'show timestamp for each printed event' },
];

/** One family of events as a virsh `*-event` command waits for them. */
export interface EventFamily {
  /** The family in the library's event names (`secret:lifecycle`). */
  family: 'secret' | 'network' | 'node-device';
  /** virsh's event names, in its order (what `--list` prints). */
  names: readonly string[];
  /** The event's line as virsh prints it, without the timestamp and the newline. */
  describe(name: string, event: any): string;
  /** The event's fields for `--json`. */
  fields(name: string, event: any): Record<string, unknown>;
  /**
   * The object `--FILTER` names, looked up after the event name and timeout are checked. A
   * failure is `{ printed, reason }` when virsh prints its first line and waits anyway (for
   * every object), or throws when virsh gives up.
   */
  filter?(c: Context): Promise<{ filter?: unknown; printed?: string; reason?: string }>;
}

/**
 * What virsh's `*-event` commands do: `--list` prints the event names; otherwise the events
 * of `--event` are printed as they come, the first one only unless `--loop`, until then, the
 * timeout or Ctrl-C, and then how many came. A wait that saw none fails, its report printed.
 */
export async function waitForEvents(c: Context, io: CliIo, spec: EventFamily, args: VirshArgs): Promise<string> {
  if (args.has('list')) return c.json ? toJson(spec.names) + '\n' : spec.names.map((n) => `${n}\n`).join('') + '\n';
  const name = stringOption(args, 'event');
  if (name === undefined) throw new Error('either --list or --event <type> is required');
  if (!spec.names.includes(name)) throw new Error(`unknown event type ${name}`);
  const loop = args.has('loop');
  const stamp = args.has('timestamp');
  const timeoutMs = timeoutOption(args.value('timeout'));
  const found = spec.filter ? await spec.filter(c) : {};
  // virsh reports a filter it could not find at once, then waits for every object's events.
  if (found.printed) io.stderr(`error: ${found.printed}\n`);

  let count = 0;
  let settled = false;
  let finish!: (why: string) => void;
  const finished = new Promise<string>((resolve) => (finish = resolve));
  const end = (why: string) => {
    if (!settled) {
      settled = true;
      finish(why);
    }
  };
  const subscribe = c.conn.subscribe.bind(c.conn) as (event: string, listener: (e: any) => void, opts: object) => Promise<() => Promise<void>>;
  const stop = await subscribe(
    `${spec.family}:${name}`,
    (e) => {
      if (settled || (!loop && count)) return;
      count++;
      if (c.json) io.stdout(JSON.stringify({ ...(stamp ? { timestamp: timestampNow() } : {}), event: name, ...spec.fields(name, e) }) + '\n');
      else io.stdout(`${stamp ? `${timestampNow()}: ` : ''}${spec.describe(name, e)}\n`);
      if (!loop) end('');
    },
    found.filter ? { filter: found.filter } : {},
  );
  const timer = timeoutMs ? setTimeout(() => end('event loop timed out\n'), timeoutMs) : undefined;
  const interrupted = () => end('event loop interrupted\n');
  process.once('SIGINT', interrupted);
  let why: string;
  try {
    why = await finished;
  } finally {
    if (timer) clearTimeout(timer);
    process.removeListener('SIGINT', interrupted);
    await stop();
  }
  const report = c.json
    ? toJson({ eventsReceived: count, timedOut: why.includes('timed out'), interrupted: why.includes('interrupted') }) + '\n'
    : `${why}events received: ${count}\n\n`;
  if (!count) {
    // Nothing came: the command failed, and virsh's last error (the filter's) is reported then.
    throw new FailureReport(report, found.reason ? `error: ${found.reason}\n` : '', 'event loop timed out');
  }
  return report;
}

const xmlOut = (c: Context, xml: string) => (c.json ? toJson({ xml }) + '\n' : `${xml}\n`);
const done = (c: Context, fields: Record<string, unknown>, text: string) => (c.json ? toJson(fields) + '\n' : `${text}\n\n`);

// ---------------------------------------------------------------------------------------------
// Secrets

/** A secret by UUID, as virsh finds one (libvirt's client parses the UUID first). */
export async function findSecret(c: Context, ref: string): Promise<RemoteNonnullSecret> {
  const what = `failed to get secret '${ref}'`;
  const uuid = parseUuid(ref);
  if (!uuid) throw new Error(`${what}\nerror: ${badUuidMessage('virSecretLookupByUUIDString')}`);
  return c.conn.secretLookupByUUID(uuid).catch((e: unknown) => {
    throw failed(what, e);
  });
}

/** `secret-define FILE [--validate]`. */
export async function secretDefine(c: Context, args: VirshArgs): Promise<string> {
  const file = stringOption(args, 'file')!;
  const xml = readVirshFile(file);
  const secret = await c.conn.secretDefineXML(xml, args.has('validate') ? VIR_SECRET_DEFINE_VALIDATE : 0).catch((e: unknown) => {
    throw failed(`Failed to set attributes from ${file}`, e);
  });
  const uuid = uuidString(secret.uuid);
  return done(c, { uuid }, `Secret ${uuid} created`);
}

/** `secret-dumpxml SECRET`. */
export async function secretDumpxml(c: Context, args: VirshArgs): Promise<string> {
  const secret = await findSecret(c, stringOption(args, 'secret')!);
  return xmlOut(c, await c.conn.secretGetXMLDesc(secret, 0));
}

/**
 * `secret-get-value SECRET [--plain]`: the value in base64, or as it is. Bytes that are not
 * text go to the terminal's own stream where there is one, since `stdout` carries text.
 */
export async function secretGetValue(c: Context, io: CliIo, args: VirshArgs): Promise<string> {
  const secret = await findSecret(c, stringOption(args, 'secret')!);
  const value = Buffer.from(await c.conn.secretGetValue(secret, 0));
  const plain = args.has('plain');
  if (c.json) return toJson(plain ? { value: value.toString('utf8') } : { value: value.toString('base64') }) + '\n';
  if (!plain) return `${value.toString('base64')}\n`;
  const text = value.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(value) || !io.stdoutStream) return `${text}\n`;
  io.stdoutStream.write(value);
  return '\n';
}

/** One line typed at the terminal without echo, as getpass(3) reads it (the newline dropped). */
async function readSecretLine(input: NodeJS.ReadableStream): Promise<string> {
  const tty = input as NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  const raw = !!tty.isTTY && typeof tty.setRawMode === 'function';
  if (raw) tty.setRawMode!(true);
  let text = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer | string) => {
        const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
        const eol = s.search(/[\r\n]/);
        if (eol < 0) return void (text += s);
        text += s.slice(0, eol);
        finish();
      };
      const finish = () => {
        input.removeListener('data', onData);
        input.removeListener('end', finish);
        input.removeListener('error', reject);
        resolve();
      };
      input.on('data', onData);
      input.once('end', finish);
      input.once('error', reject);
      input.resume();
    });
  } finally {
    if (raw) tty.setRawMode!(false);
    // Let the process exit once the command is done: the terminal is read only while asked.
    input.pause();
  }
  return text;
}

/**
 * `secret-set-value SECRET [--file F] [--plain] [--interactive] [--base64 B]` (B may come by
 * position, as in virsh, which then warns that it is insecure).
 */
export async function secretSetValue(c: Context, io: CliIo, args: VirshArgs): Promise<string> {
  exclusiveArgs(args, 'file', 'base64');
  exclusiveArgs(args, 'plain', 'base64');
  exclusiveArgs(args, 'interactive', 'base64');
  exclusiveArgs(args, 'interactive', 'plain');
  exclusiveArgs(args, 'interactive', 'file');
  const secret = await findSecret(c, stringOption(args, 'secret')!);
  const base64 = stringOption(args, 'base64');
  const file = stringOption(args, 'file');
  let plain = args.has('plain');
  let value: Buffer;
  if (base64 !== undefined) {
    io.stderr('error: Passing secret value as command-line argument is insecure!\n');
    value = Buffer.from(base64, 'utf8');
  } else if (file !== undefined) {
    value = readFileLimited(file, 1024);
  } else if (args.has('interactive')) {
    io.stdout('Enter new value for secret:');
    value = Buffer.from(await readSecretLine(io.stdin ?? process.stdin), 'utf8');
    plain = true;
  } else {
    throw new Error('Input secret value is missing');
  }
  // glib's decoder, like Node's, skips what is not base64.
  if (!plain) value = Buffer.from(value.toString('latin1'), 'base64');
  try {
    await c.conn.secretSetValue(secret, value, 0);
  } catch (e) {
    throw failed('Failed to set secret value', e);
  } finally {
    value.fill(0);
  }
  return done(c, { uuid: uuidString(secret.uuid), valueSet: true }, 'Secret value set');
}

/** `secret-undefine SECRET`. */
export async function secretUndefine(c: Context, args: VirshArgs): Promise<string> {
  const ref = stringOption(args, 'secret')!;
  const secret = await findSecret(c, ref);
  await c.conn.secretUndefine(secret).catch((e: unknown) => {
    throw failed(`Failed to delete secret ${ref}`, e);
  });
  return done(c, { uuid: uuidString(secret.uuid), deleted: true }, `Secret ${ref} deleted`);
}

const SECRET_LIFECYCLE = ['Defined', 'Undefined'];

/** The secret events as `secret-event` shows them. */
const SECRET_EVENTS = (args: VirshArgs): EventFamily => ({
  family: 'secret',
  names: ['lifecycle', 'value-changed'],
  describe: (name, e: { secret: RemoteNonnullSecret; event?: number }) =>
    name === 'lifecycle'
      ? `event 'lifecycle' for secret ${uuidString(e.secret.uuid)}: ${SECRET_LIFECYCLE[e.event!] ?? 'unknown'}`
      : `event '${name}' for secret ${uuidString(e.secret.uuid)}`,
  fields: (name, e: { secret: RemoteNonnullSecret; event?: number }) => ({
    secret: uuidString(e.secret.uuid),
    ...(name === 'lifecycle' ? { type: SECRET_LIFECYCLE[e.event!] ?? 'unknown' } : {}),
  }),
  filter: async (c) => {
    const ref = stringOption(args, 'secret');
    if (ref === undefined) return {};
    try {
      return { filter: await findSecret(c, ref) };
    } catch (e) {
      const [printed, reason] = messageOf(e).split('\nerror: ');
      return { printed: printed!, ...(reason !== undefined ? { reason } : {}) };
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Network filters

/** A network filter by UUID (a 36-character word) or name, as virsh finds one. */
export async function findNwfilter(c: Context, ref: string): Promise<RemoteNonnullNwfilter> {
  const uuid = ref.length === 36 ? parseUuid(ref) : undefined;
  if (uuid) {
    const byUuid = await c.conn.nWFilterLookupByUUID(uuid).catch(() => undefined);
    if (byUuid) return byUuid;
  }
  return c.conn.nWFilterLookupByName(ref).catch((e: unknown) => {
    throw failed(`failed to get nwfilter '${ref}'`, e);
  });
}

/** `nwfilter-define FILE [--validate]`. */
export async function nwfilterDefine(c: Context, args: VirshArgs): Promise<string> {
  const file = stringOption(args, 'file')!;
  const xml = readVirshFile(file);
  // Without flags virsh calls the older API, whose name a refusal carries.
  const filter = await (args.has('validate') ? c.conn.nWFilterDefineXMLFlags(xml, VIR_NWFILTER_DEFINE_VALIDATE) : c.conn.nWFilterDefineXML(xml)).catch((e: unknown) => {
    throw failed(`Failed to define network filter from ${file}`, e);
  });
  return done(c, { name: filter.name, uuid: uuidString(filter.uuid) }, `Network filter ${filter.name} defined from ${file}`);
}

/** `nwfilter-undefine NWFILTER`. */
export async function nwfilterUndefine(c: Context, args: VirshArgs): Promise<string> {
  const ref = stringOption(args, 'nwfilter')!;
  const filter = await findNwfilter(c, ref);
  await c.conn.nWFilterUndefine(filter).catch((e: unknown) => {
    throw failed(`Failed to undefine network filter ${ref}`, e);
  });
  return done(c, { name: filter.name, undefined: true }, `Network filter ${ref} undefined`);
}

/** `nwfilter-dumpxml NWFILTER`. */
export async function nwfilterDumpxml(c: Context, args: VirshArgs): Promise<string> {
  const filter = await findNwfilter(c, stringOption(args, 'nwfilter')!);
  return xmlOut(c, await c.conn.nWFilterGetXMLDesc(filter, 0));
}

/** Case-blind order of ASCII words, as virsh's vshStrcasecmp sorts. */
export const caseBlind = (a: string, b: string) => {
  const x = a.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
  const y = b.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Every network filter, by the newest API the driver has (virsh's fallback order and messages). */
async function collectNwfilters(c: Context): Promise<RemoteNonnullNwfilter[]> {
  let filters: RemoteNonnullNwfilter[];
  try {
    filters = (await c.conn.connectListAllNWFilters(WITH_RESULTS, 0)).filters;
  } catch (e) {
    if (!unsupported(e)) throw failed('Failed to list network filters', e);
    const count = await c.conn.connectNumOfNWFilters().catch((err: unknown) => {
      throw failed('Failed to count network filters', err);
    });
    if (count === 0) return [];
    const names = await c.conn.connectListNWFilters(count).catch((err: unknown) => {
      throw failed('Failed to list network filters', err);
    });
    const found = await Promise.all(names.map((n) => c.conn.nWFilterLookupByName(n).catch(() => undefined)));
    filters = found.filter((f): f is RemoteNonnullNwfilter => f !== undefined);
  }
  return filters.sort((a, b) => caseBlind(a.name, b.name));
}

/** `nwfilter-list`. */
export async function nwfilterList(c: Context): Promise<string> {
  const rows = (await collectNwfilters(c)).map((f) => ({ uuid: uuidString(f.uuid), name: f.name }));
  if (c.json) return toJson(rows) + '\n';
  return table(['UUID', 'Name'], rows.map((r) => [r.uuid, r.name]));
}

/** A network filter binding by its port device, as virsh finds one. */
async function findBinding(c: Context, portdev: string): Promise<RemoteNonnullNwfilterBinding> {
  return c.conn.nWFilterBindingLookupByPortDev(portdev).catch((e: unknown) => {
    throw failed(`failed to get nwfilter binding '${portdev}'`, e);
  });
}

/** `nwfilter-binding-create FILE [--validate]`. */
export async function nwfilterBindingCreate(c: Context, args: VirshArgs): Promise<string> {
  const file = stringOption(args, 'file')!;
  const xml = readVirshFile(file);
  const binding = await c.conn.nWFilterBindingCreateXML(xml, args.has('validate') ? VIR_NWFILTER_BINDING_CREATE_VALIDATE : 0).catch((e: unknown) => {
    throw failed(`Failed to create network filter from ${file}`, e);
  });
  return done(c, { portDev: binding.portdev, filter: binding.filtername }, `Network filter binding on ${binding.portdev} created from ${file}`);
}

/** `nwfilter-binding-delete BINDING`. */
export async function nwfilterBindingDelete(c: Context, args: VirshArgs): Promise<string> {
  const portdev = stringOption(args, 'binding')!;
  const binding = await findBinding(c, portdev);
  await c.conn.nWFilterBindingDelete(binding).catch((e: unknown) => {
    throw failed(`Failed to delete network filter binding on ${portdev}`, e);
  });
  return done(c, { portDev: portdev, deleted: true }, `Network filter binding on ${portdev} deleted`);
}

/** `nwfilter-binding-dumpxml BINDING`. */
export async function nwfilterBindingDumpxml(c: Context, args: VirshArgs): Promise<string> {
  const binding = await findBinding(c, stringOption(args, 'binding')!);
  return xmlOut(c, await c.conn.nWFilterBindingGetXMLDesc(binding, 0));
}

/** `nwfilter-binding-list`. */
export async function nwfilterBindingList(c: Context): Promise<string> {
  const { bindings } = await c.conn.connectListAllNWFilterBindings(WITH_RESULTS, 0).catch((e: unknown) => {
    throw failed('Failed to list network filter bindings', e);
  });
  const rows = bindings.sort((a, b) => caseBlind(a.portdev, b.portdev)).map((b) => ({ portDev: b.portdev, filter: b.filtername }));
  if (c.json) return toJson(rows) + '\n';
  return table(['Port Dev', 'Filter'], rows.map((r) => [r.portDev, r.filter]));
}

// ---------------------------------------------------------------------------------------------
// The definitions

const FILE_OPTION = (help: string) => ({ name: 'file', kind: 'data' as const, required: true, help });
const VALIDATE = { name: 'validate', kind: 'bool' as const, help: 'validate the XML against the schema' };
const SECRET = { name: 'secret', kind: 'data' as const, required: true, help: 'secret UUID' };
const NWFILTER = { name: 'nwfilter', kind: 'data' as const, required: true, help: 'network filter name or uuid' };

export function register(registry: Registry): void {
  const { io } = registry;
  const specs: VirshCommandSpec[] = [
    {
      name: 'secret-define',
      help: 'define or modify a secret from an XML file',
      description: 'Define or modify a secret.',
      options: [FILE_OPTION('file containing secret attributes in XML'), VALIDATE],
      run: (a) => (c) => secretDefine(c, a),
    },
    {
      name: 'secret-dumpxml',
      help: 'secret attributes in XML',
      description: 'Output attributes of a secret as an XML dump to stdout.',
      options: [SECRET],
      run: (a) => (c) => secretDumpxml(c, a),
    },
    {
      name: 'secret-get-value',
      help: 'Output a secret value',
      description: 'Output a secret value to stdout.',
      options: [SECRET, { name: 'plain', kind: 'bool', help: 'get value without converting to base64' }],
      run: (a) => (c) => secretGetValue(c, io, a),
    },
    {
      name: 'secret-set-value',
      help: 'set a secret value',
      description: 'Set a secret value.',
      options: [
        SECRET,
        // By name only (virsh's VSH_OFLAG_REQ_OPT): a bare word after the secret is the base64 value.
        { name: 'file', kind: 'string', named: true, help: 'read secret from file' },
        { name: 'plain', kind: 'bool', help: 'read the secret from file without converting from base64' },
        { name: 'interactive', kind: 'bool', help: 'read the secret from the terminal' },
        { name: 'base64', kind: 'string', help: 'base64-encoded secret value' },
      ],
      run: (a) => (c) => secretSetValue(c, io, a),
    },
    {
      name: 'secret-undefine',
      help: 'undefine a secret',
      description: 'Undefine a secret.',
      options: [SECRET],
      run: (a) => (c) => secretUndefine(c, a),
    },
    {
      name: 'secret-event',
      help: 'Secret Events',
      description: 'List event types, or wait for secret events to occur',
      options: [{ name: 'secret', kind: 'string', help: 'filter by secret name or uuid' }, ...EVENT_OPTIONS],
      run: (a) => (c) => waitForEvents(c, io, SECRET_EVENTS(a), a),
    },
    {
      name: 'nwfilter-define',
      help: 'define or update a network filter from an XML file',
      description: 'Define a new network filter or update an existing one.',
      options: [FILE_OPTION('file containing an XML network filter description'), VALIDATE],
      run: (a) => (c) => nwfilterDefine(c, a),
    },
    {
      name: 'nwfilter-undefine',
      help: 'undefine a network filter',
      description: 'Undefine a given network filter.',
      options: [NWFILTER],
      run: (a) => (c) => nwfilterUndefine(c, a),
    },
    {
      name: 'nwfilter-dumpxml',
      help: 'network filter information in XML',
      description: 'Output the network filter information as an XML dump to stdout.',
      options: [NWFILTER],
      run: (a) => (c) => nwfilterDumpxml(c, a),
    },
    {
      name: 'nwfilter-list',
      help: 'list network filters',
      description: 'Returns list of network filters.',
      run: () => (c) => nwfilterList(c),
    },
    {
      name: 'nwfilter-binding-create',
      help: 'create a network filter binding from an XML file',
      description: 'Create a new network filter binding.',
      options: [FILE_OPTION('file containing an XML network filter binding description'), VALIDATE],
      run: (a) => (c) => nwfilterBindingCreate(c, a),
    },
    {
      name: 'nwfilter-binding-delete',
      help: 'delete a network filter binding',
      description: 'Delete a given network filter binding.',
      options: [{ name: 'binding', kind: 'data', required: true, help: 'network filter binding port dev' }],
      run: (a) => (c) => nwfilterBindingDelete(c, a),
    },
    {
      name: 'nwfilter-binding-dumpxml',
      help: 'network filter information in XML',
      description: 'Output the network filter information as an XML dump to stdout.',
      options: [{ name: 'binding', kind: 'data', required: true, help: 'network filter binding portdev' }],
      run: (a) => (c) => nwfilterBindingDumpxml(c, a),
    },
    {
      name: 'nwfilter-binding-list',
      help: 'list network filter bindings',
      description: 'Returns list of network filter bindings.',
      run: () => (c) => nwfilterBindingList(c),
    },
  ];
  for (const spec of specs) virshCommand(registry, spec);
}
