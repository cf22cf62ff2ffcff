/** Modules whose text does not depend on the input files' details: the index and the type index. */

export function emitIndex(header: string, modules: string[]): string {
  return `${header}
${modules.map((m) => `export * from './${m}.js';`).join('\n')}
`;
}

/**
 * The types of every protocol module, without their codecs: what the API entry re-exports, so
 * that users name what calls take and return without seeing the wire layer.
 */
export function emitTypeIndex(header: string, modules: { module: string; text: string }[]): string {
  const lines = modules.map(({ module, text }) => {
    const names = [...text.matchAll(/^export (?:type|interface) (\w+)/gm)].map((m) => m[1]!);
    return names.length ? `export type {\n${names.map((n) => `  ${n},`).join('\n')}\n} from './${module}.js';` : '';
  });
  return `${header}\n${lines.filter(Boolean).join('\n')}\n`;
}
