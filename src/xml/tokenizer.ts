/**
 * A small, strict XML 1.0 reader into a plain tree: elements with their attributes in document
 * order, text (entities and character references decoded; CDATA kept as such), comments and
 * processing instructions. No DTDs (libvirt's documents have none; a DOCTYPE is refused, which
 * also shuts out entity expansion attacks). Well-formedness errors name the line and column.
 *
 * Written here rather than taken from a package: the typed parsers need only this tree, and a
 * scanner over `indexOf` is small enough to check in full (test/unit/xml.test.ts; every
 * document of libvirt's test corpus goes through it in test/integration/xml-corpus.test.ts).
 */

export interface XmlElement {
  kind: 'element';
  /** The qualified name as written (`qemu:commandline`). */
  name: string;
  /** Attributes in document order, values decoded. */
  attrs: [string, string][];
  children: XmlNode[];
}
export interface XmlText {
  kind: 'text';
  text: string;
  /** Written as `<![CDATA[...]]>`. */
  cdata?: boolean;
}
export interface XmlComment {
  kind: 'comment';
  text: string;
}
export interface XmlPI {
  kind: 'pi';
  target: string;
  text: string;
}
export type XmlNode = XmlElement | XmlText | XmlComment | XmlPI;

export class XmlSyntaxError extends Error {
  override name = 'XmlSyntaxError';
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} (line ${line}, column ${column})`);
  }
}

const NAME_START = /[A-Za-z_:\u00C0-\uFFFF]/;
const NAME = /[A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]*/y;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Reads a document: its root element, and what surrounds it (comments, PIs). */
export function readXml(text: string): { root: XmlElement; prolog: XmlNode[] } {
  let pos = 0;
  const len = text.length;
  const fail = (msg: string, at = pos): never => {
    let line = 1;
    let col = 1;
    for (let k = 0; k < at && k < len; k++) {
      if (text.charCodeAt(k) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    throw new XmlSyntaxError(msg, line, col);
  };
  const decode = (raw: string, at: number): string => {
    if (raw.indexOf('<') >= 0) fail("'<' in an attribute value", at + raw.indexOf('<'));
    if (raw.indexOf('&') < 0) return raw;
    let out = '';
    let k = 0;
    for (;;) {
      const amp = raw.indexOf('&', k);
      if (amp < 0) break;
      out += raw.slice(k, amp);
      const semi = raw.indexOf(';', amp);
      if (semi < 0) fail('an unterminated entity reference', at + amp);
      const ent = raw.slice(amp + 1, semi);
      if (ent[0] === '#') {
        const code = ent[1] === 'x' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
        const valid = /^#(x[0-9A-Fa-f]+|[0-9]+)$/.test(ent) && code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
        if (!valid) fail(`'&${ent};' is not a valid character reference`, at + amp);
        out += String.fromCodePoint(code);
      } else {
        const v = PREDEFINED[ent];
        if (v === undefined) fail(`'&${ent};' is not an entity XML defines (documents here have no DTD)`, at + amp);
        out += v;
      }
      k = semi + 1;
    }
    out += raw.slice(k);
    return out;
  };
  const readName = (): string => {
    if (!NAME_START.test(text[pos] ?? '')) fail('a name was expected');
    NAME.lastIndex = pos + 1;
    NAME.exec(text);
    const name = text.slice(pos, NAME.lastIndex);
    pos = NAME.lastIndex;
    return name;
  };
  const skipSpace = () => {
    while (pos < len) {
      const c = text.charCodeAt(pos);
      if (c === 32 || c === 10 || c === 9 || c === 13) pos++;
      else break;
    }
  };
  const misc = (into: XmlNode[]): boolean => {
    if (text.startsWith('<!--', pos)) {
      const end = text.indexOf('-->', pos + 4);
      if (end < 0) fail('an unterminated comment');
      const body = text.slice(pos + 4, end);
      if (body.includes('--')) fail("'--' inside a comment");
      into.push({ kind: 'comment', text: body });
      pos = end + 3;
      return true;
    }
    if (text.startsWith('<?', pos)) {
      const end = text.indexOf('?>', pos + 2);
      if (end < 0) fail('an unterminated processing instruction');
      const body = text.slice(pos + 2, end);
      const m = /^([^\s?]+)\s*([\s\S]*)$/.exec(body);
      if (!m) fail('a processing instruction without a target');
      into.push({ kind: 'pi', target: m![1]!, text: m![2]! });
      pos = end + 2;
      return true;
    }
    return false;
  };

  const prolog: XmlNode[] = [];
  if (text.charCodeAt(0) === 0xfeff) pos = 1;
  for (;;) {
    skipSpace();
    if (text.startsWith('<!DOCTYPE', pos)) fail('a DOCTYPE (libvirt documents have none, and entities from one are not read)');
    if (!misc(prolog)) break;
  }
  if (text[pos] !== '<') fail(pos >= len ? 'the document has no root element' : 'a root element was expected');

  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (pos < len) {
    const top = stack[stack.length - 1];
    if (!top) {
      if (root) {
        skipSpace();
        if (pos >= len) break;
        if (!misc(prolog)) fail('content after the root element');
        continue;
      }
    }
    const lt = text.indexOf('<', pos);
    if (top && lt !== pos) {
      const end = lt < 0 ? len : lt;
      const raw = text.slice(pos, end);
      if (raw.includes(']]>')) fail("']]>' in text");
      top.children.push({ kind: 'text', text: decode(raw, pos) });
      pos = end;
      if (lt < 0) break;
      continue;
    }
    if (text.startsWith('</', pos)) {
      pos += 2;
      const name = readName();
      skipSpace();
      if (text[pos] !== '>') fail("'>' was expected");
      pos++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(open ? `</${name}> closes <${open.name}>` : `</${name}> closes nothing`, pos - name.length - 3);
      continue;
    }
    if (text.startsWith('<![CDATA[', pos)) {
      if (!top) fail('CDATA outside the root element');
      const end = text.indexOf(']]>', pos + 9);
      if (end < 0) fail('an unterminated CDATA section');
      top!.children.push({ kind: 'text', text: text.slice(pos + 9, end), cdata: true });
      pos = end + 3;
      continue;
    }
    if (top && misc(top.children)) continue;
    if (text.startsWith('<!', pos)) fail('a declaration is not allowed here');
    // A start tag.
    pos++;
    const el: XmlElement = { kind: 'element', name: readName(), attrs: [], children: [] };
    for (;;) {
      const before = pos;
      skipSpace();
      const c = text[pos];
      if (c === '>' || c === '/') break;
      if (pos === before) fail('a space was expected between attributes');
      const name = readName();
      skipSpace();
      if (text[pos] !== '=') fail(`'=' was expected after attribute ${name}`);
      pos++;
      skipSpace();
      const q = text[pos];
      if (q !== '"' && q !== "'") fail(`attribute ${name}'s value must be quoted`);
      const end = text.indexOf(q!, pos + 1);
      if (end < 0) fail(`attribute ${name}'s value is not terminated`);
      // Attribute value normalization: each literal white space character becomes a space
      // (character references such as &#10; are kept).
      const raw = text.slice(pos + 1, end);
      const normalized = decode(/[\t\n\r]/.test(raw) ? raw.replace(/\r\n|[\t\n\r]/g, ' ') : raw, pos + 1);
      if (el.attrs.some(([n]) => n === name)) fail(`attribute ${name} appears twice`);
      el.attrs.push([name, normalized]);
      pos = end + 1;
    }
    if (top) top.children.push(el);
    else root = el;
    if (text[pos] === '/') {
      if (text[pos + 1] !== '>') fail("'>' was expected after '/'");
      pos += 2;
    } else {
      pos++;
      stack.push(el);
    }
  }
  if (stack.length) fail(`<${stack[stack.length - 1]!.name}> is not closed`, len);
  if (!root) fail('the document has no root element');
  return { root: root!, prolog };
}

/** Text as XML character data. */
export function escapeText(s: string): string {
  return /[<>&\r]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;') : s;
}

/** A string as a double-quoted attribute value (white space kept as character references). */
export function escapeAttr(s: string): string {
  return /[<>&"\t\n\r]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;') : s;
}
