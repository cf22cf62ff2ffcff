/**
 * Emits every enum constant and macro from libvirt's API XML with its C name and value,
 * plus one object per C enum type for lookups both ways.
 */
import type { ApiDescription } from './api-xml.js';
import { docUrl } from './api-xml.js';

export function emitConstants(header: string, apis: ApiDescription[]): string {
  const out = [header, ''];
  const seen = new Set<string>();
  const byType = new Map<string, { name: string; value: number }[]>();
  for (const api of apis) {
    for (const e of api.enums) {
      if (seen.has(e.name)) throw new Error(`constant ${e.name} appears twice in the API XML`);
      seen.add(e.name);
      out.push(`/** {@link ${docUrl(e.file, e.name)} | ${e.name}}${e.type ? ` (${e.type})` : ''} */`);
      out.push(`export const ${e.name} = ${e.value};`);
      if (e.type) byType.set(e.type, [...(byType.get(e.type) ?? []), { name: e.name, value: e.value }]);
    }
    for (const m of api.macros) {
      if (seen.has(m.name) || m.name.startsWith('_')) continue;
      seen.add(m.name);
      out.push(`/** {@link ${docUrl(m.file, m.name)} | ${m.name}} */`);
      out.push(`export const ${m.name} = ${JSON.stringify(m.value)};`);
    }
  }
  out.push('');
  for (const [type, members] of [...byType].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const file = apis.flatMap((a) => a.enums).find((e) => e.type === type)!.file;
    out.push(`/** Every constant of the C enum {@link ${docUrl(file, type)} | ${type}}, by name. */`);
    out.push(`export const ${type} = {`);
    for (const m of members) out.push(`  ${m.name}: ${m.value},`);
    out.push('} as const;');
  }
  return out.join('\n') + '\n';
}
