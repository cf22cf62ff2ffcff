/**
 * The canonical form the typed XML round trip is compared in. It normalizes exactly:
 * white-space-only text (between elements, or as all of an element's content), comments,
 * processing instructions and the XML declaration (dropped), attribute order (sorted) and
 * quote style, and character escaping (`&#39;` or `'`); `<a></a>` and `<a/>` are equal. Names,
 * prefixes, attribute values and all other text must be identical.
 */
import { type XmlNode, readXml } from '../../src/xml/tokenizer.js';

function canonical(n: XmlNode): string {
  if (n.kind === 'text') return n.text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  if (n.kind !== 'element') return '';
  const kids = n.children.filter((c) => !(c.kind === 'text' && /^[ \t\r\n]*$/.test(c.text)));
  const attrs = [...n.attrs].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => ` ${k}="${v.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`);
  return `<${n.name}${attrs.join('')}>${kids.map(canonical).join('')}</${n.name}>`;
}

export function canonicalXml(text: string): string {
  return canonical(readXml(text).root);
}
