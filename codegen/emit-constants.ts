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
    // The flat face's `flags` parameters name the enum they take: any number is accepted (an
    // OR of members is a number), and the name shows which constants belong there.
    out.push(`/** A value of the C enum ${type}: a number, named so that signatures say which constants fit. */`);
    out.push(`export type ${type} = number & { readonly __libvirtEnum?: '${type}' };`);
  }
  return out.join('\n') + '\n';
}
