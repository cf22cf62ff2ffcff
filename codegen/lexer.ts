/**
 * Tokenizer for the rpcgen language as libvirt writes it. Comments are not thrown away:
 * the most recent doc comment travels with the next token, because procedure annotations
 * (`@generate`, `@acl`, `@readstream`, ...) live in comments before enum members.
 */

export type TokenKind = 'ident' | 'number' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  col: number;
  /** Text of the last comment between the previous token and this one, if any. */
  comment?: string;
}

export class XdrSyntaxError extends Error {
  override name = 'XdrSyntaxError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    problem: string,
  ) {
    super(`${file}:${line}:${col}: ${problem}`);
  }
}

const PUNCT = new Set(['{', '}', '(', ')', '[', ']', '<', '>', ';', ',', '=', ':', '*']);

export function tokenize(src: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let pending: string[] = [];
  const n = src.length;

  const col = () => i - lineStart + 1;
  const advanceNewlines = (from: number, to: number) => {
    for (let k = from; k < to; k++) {
      if (src.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
  };

  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    // `%` lines are passed through to C by rpcgen; they carry nothing for us.
    if (c === '%' && src.slice(lineStart, i).trim() === '') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const startLine = line;
      const startCol = col();
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new XdrSyntaxError(file, startLine, startCol, 'comment is never closed');
      const text = src.slice(i + 2, end);
      // A comment on the line of the previous token belongs to it (`/* insert@1 */`), not to
      // the next one; only comments on lines of their own carry procedure annotations.
      const prev = tokens[tokens.length - 1];
      if (!(prev && prev.line === startLine && !pending.length)) pending.push(text);
      advanceNewlines(i, end + 2);
      i = end + 2;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      pending.push(src.slice(i + 2, end < 0 ? n : end));
      i = end < 0 ? n : end;
      continue;
    }
    const startCol = col();
    let tok: Token;
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      tok = { kind: 'ident', text: src.slice(i, j), line, col: startCol };
      i = j;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n && /[0-9A-Fa-fxX]/.test(src[j]!)) j++;
      tok = { kind: 'number', text: src.slice(i, j), line, col: startCol };
      i = j;
    } else if (PUNCT.has(c)) {
      tok = { kind: 'punct', text: c, line, col: startCol };
      i++;
    } else {
      throw new XdrSyntaxError(file, line, startCol, `unexpected character ${JSON.stringify(c)}`);
    }
    if (pending.length) {
      tok.comment = pending[pending.length - 1];
      pending = [];
    }
    tokens.push(tok);
  }
  tokens.push({ kind: 'eof', text: '', line, col: col() });
  return tokens;
}

/** Parses an XDR integer literal: decimal, hex (`0x`) or octal (leading `0`). */
export function parseNumber(text: string): number | null {
  const neg = text.startsWith('-');
  const body = neg ? text.slice(1) : text;
  let v: number;
  if (/^0[xX][0-9A-Fa-f]+$/.test(body)) v = parseInt(body.slice(2), 16);
  else if (/^0[0-7]+$/.test(body)) v = parseInt(body.slice(1), 8);
  else if (/^[0-9]+$/.test(body)) v = parseInt(body, 10);
  else return null;
  return neg ? -v : v;
}
