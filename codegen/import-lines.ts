/**
 * An import statement for generated code: the names sorted (a `type ` prefix aside), on one
 * line when it fits in 120 characters, else one name a line.
 *
 * @example
 * ```ts
 * importLines(['type Codec', 'XdrReader'], '../src/xdr/index.js');
 * // "import { type Codec, XdrReader } from '../src/xdr/index.js';"
 * ```
 */
export function importLines(names: string[], from: string, keyword: 'import' | 'import type' = 'import'): string {
  const sorted = [...names].sort((a, b) => a.replace(/^type /, '').localeCompare(b.replace(/^type /, '')));
  const one = `${keyword} { ${sorted.join(', ')} } from '${from}';`;
  return one.length <= 120 ? one : [`${keyword} {`, ...sorted.map((n) => `  ${n},`), `} from '${from}';`].join('\n');
}
