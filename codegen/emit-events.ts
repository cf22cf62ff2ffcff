/**
 * Emits the payload type of every event by its `family:name`, found by libvirt's naming: the
 * event id `VIR_DOMAIN_EVENT_ID_X` arrives as the MESSAGE `REMOTE_PROC_DOMAIN_EVENT_CALLBACK_X`
 * (or `REMOTE_PROC_DOMAIN_EVENT_X` for events younger than callbacks). Generation fails when an
 * event id has no such message, so a new libvirt cannot silently lose one.
 */
import type { ApiEnum } from './api-xml.js';
import type { Model } from './model.js';
import { tsName } from './model.js';
import type { Procedure } from './procedures.js';
import { importLines } from './import-lines.js';

const FAMILIES = [
  { family: 'domain', ids: 'VIR_DOMAIN_EVENT_ID_', procs: 'REMOTE_PROC_DOMAIN_EVENT_' },
  { family: 'network', ids: 'VIR_NETWORK_EVENT_ID_', procs: 'REMOTE_PROC_NETWORK_EVENT_' },
  { family: 'storage-pool', ids: 'VIR_STORAGE_POOL_EVENT_ID_', procs: 'REMOTE_PROC_STORAGE_POOL_EVENT_' },
  { family: 'node-device', ids: 'VIR_NODE_DEVICE_EVENT_ID_', procs: 'REMOTE_PROC_NODE_DEVICE_EVENT_' },
  { family: 'secret', ids: 'VIR_SECRET_EVENT_ID_', procs: 'REMOTE_PROC_SECRET_EVENT_' },
];

export function emitEvents(header: string, runtimeImport: string, model: Model, enums: ApiEnum[], procedures: Procedure[]): string {
  const byName = new Map(procedures.map((p) => [p.name, p]));
  const fieldsOf = (struct: string) => {
    const def = model.lookup(struct, struct).def;
    return def.kind === 'struct' ? def.fields : [];
  };
  const types = new Set<string>();
  const entries: string[] = [];
  /** MESSAGE procedure numbers whose payload has typed-parameter fields, with those fields. */
  const typedParamFields: string[] = [];
  const isTypedParams = (t: import('./ast.js').TypeSpec) => {
    const u = model.unfold(t, 'events');
    return u.kind === 'varArray' && u.of.kind === 'ref' && u.of.name === 'remote_typed_param';
  };
  for (const f of FAMILIES) {
    for (const e of enums.filter((x) => x.name.startsWith(f.ids) && !x.name.endsWith('_LAST'))) {
      const suffix = e.name.slice(f.ids.length);
      const proc = [`${f.procs}CALLBACK_${suffix}`, `${f.procs}${suffix}`]
        .map((n) => byName.get(n))
        .find((p) => p?.msg && fieldsOf(p.msg).some((x) => x.name === 'callbackID'));
      if (!proc) throw new Error(`event ${e.name} has no MESSAGE procedure carrying a callbackID`);
      const fields = fieldsOf(proc.msg!);
      const wrapped = fields.length === 2 && fields[1]!.name === 'msg' && fields[1]!.type.kind === 'ref';
      const inner = wrapped ? (fields[1]!.type as { name: string }).name : proc.msg!;
      // Typed parameters arrive as plain objects, as in replies.
      const params = fieldsOf(inner).filter((x) => isTypedParams(x.type)).map((x) => x.name);
      const omit = [...(wrapped ? [] : ['callbackID']), ...params].map((n) => `'${n}'`).join(' | ');
      const base = omit ? `Omit<${tsName(inner)}, ${omit}>` : tsName(inner);
      const payload = params.length ? `${base} & { ${params.map((n) => `${n}: TypedParams`).join('; ')} }` : base;
      types.add(tsName(inner));
      if (params.length) typedParamFields.push(`  ${proc.number}: ${JSON.stringify(params)}, // ${proc.name}`);
      const name = `${f.family}:${suffix.toLowerCase().replace(/_/g, '-')}`;
      entries.push(`  /** ${e.name}, delivered by ${proc.name}. */`, `  '${name}': ${payload};`);
    }
  }
  return [
    header,
    `import type { TypedParams } from '${runtimeImport}';`,
    importLines([...types], './remote.js', 'import type'),
    '',
    '/** What each event of the REMOTE program delivers, by `family:name`. */',
    'export interface RemoteEventPayloads {',
    ...entries,
    '}',
    '',
    '/** Event MESSAGE procedures (by number) whose payload fields carry typed parameters. */',
    'export const remoteEventTypedParamFields: Readonly<Record<number, readonly string[]>> = {',
    ...typedParamFields,
    '};',
    '',
  ].join('\n');
}
