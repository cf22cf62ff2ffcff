/**
 * Recursive-descent parser for rpcgen's language (RFC 4506 section 6) with libvirt's
 * additions (`char`, `short` and their unsigned forms). Errors name file, line and column.
 */
import type { Definition, EnumMember, Field, Primitive, TypeSpec, UnionArm, Value, XdrFile } from './ast.js';
import { type Token, XdrSyntaxError, parseNumber, tokenize } from './lexer.js';

export function parseXdr(src: string, file: string): XdrFile {
  return new Parser(tokenize(src, file), file).parseFile();
}

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Token[],
    private readonly file: string,
  ) {}

  private peek(): Token {
    return this.toks[this.i]!;
  }

  private next(): Token {
    return this.toks[this.i++]!;
  }

  private fail(tok: Token, problem: string): never {
    throw new XdrSyntaxError(this.file, tok.line, tok.col, problem);
  }

  private expect(text: string): Token {
    const t = this.next();
    if (t.text !== text || t.kind === 'eof') {
      this.fail(t, `expected '${text}' but found ${t.kind === 'eof' ? 'end of file' : `'${t.text}'`}`);
    }
    return t;
  }

  private accept(text: string): boolean {
    if (this.peek().text === text && this.peek().kind !== 'eof') {
      this.i++;
      return true;
    }
    return false;
  }

  private ident(what: string): Token {
    const t = this.next();
    if (t.kind !== 'ident') this.fail(t, `expected ${what} but found ${t.kind === 'eof' ? 'end of file' : `'${t.text}'`}`);
    return t;
  }

  parseFile(): XdrFile {
    const definitions: Definition[] = [];
    while (this.peek().kind !== 'eof') definitions.push(this.definition());
    return { file: this.file, definitions };
  }

  private definition(): Definition {
    const t = this.ident('a definition (const, enum, struct, union or typedef)');
    switch (t.text) {
      case 'const': {
        const name = this.ident('a constant name').text;
        this.expect('=');
        const value = this.value();
        this.expect(';');
        return { kind: 'const', name, value, line: t.line };
      }
      case 'enum': {
        const name = this.ident('an enum name').text;
        const members = this.enumBody();
        this.expect(';');
        return { kind: 'enum', name, members, line: t.line };
      }
      case 'struct': {
        const name = this.ident('a struct name').text;
        const fields = this.structBody();
        this.expect(';');
        return { kind: 'struct', name, fields, line: t.line };
      }
      case 'union': {
        const name = this.ident('a union name').text;
        const def = this.unionBody(name, t.line);
        this.expect(';');
        return def;
      }
      case 'typedef': {
        const decl = this.declaration();
        if (!decl) this.fail(t, 'typedef of void');
        this.expect(';');
        return { kind: 'typedef', name: decl.name, type: decl.type, line: t.line };
      }
      default:
        return this.fail(t, `expected a definition (const, enum, struct, union or typedef) but found '${t.text}'`);
    }
  }

  private value(): Value {
    const t = this.next();
    if (t.kind === 'number') {
      const num = parseNumber(t.text);
      if (num === null) this.fail(t, `'${t.text}' is not a number`);
      return { num };
    }
    if (t.kind === 'ident') return { ref: t.text };
    return this.fail(t, `expected a number or constant name but found '${t.text}'`);
  }

  private enumBody(): EnumMember[] {
    this.expect('{');
    const members: EnumMember[] = [];
    do {
      if (this.peek().text === '}') break; // tolerate a trailing comma
      const t = this.ident('an enum member name');
      this.expect('=');
      const value = this.value();
      members.push({ name: t.text, value, line: t.line, ...(t.comment ? { comment: t.comment } : {}) });
    } while (this.accept(','));
    this.expect('}');
    if (!members.length) this.fail(this.peek(), 'empty enum');
    return members;
  }

  private structBody(): Field[] {
    this.expect('{');
    const fields: Field[] = [];
    while (!this.accept('}')) {
      const d = this.declaration();
      if (!d) this.fail(this.toks[this.i - 1]!, 'void is not allowed as a struct member');
      this.expect(';');
      fields.push(d);
    }
    if (!fields.length) this.fail(this.toks[this.i - 1]!, 'empty struct');
    return fields;
  }

  private unionBody(name: string, line: number): Definition {
    this.expect('switch');
    this.expect('(');
    const discTok = this.peek();
    const discriminant = this.declaration();
    if (!discriminant) this.fail(discTok, 'a union discriminant cannot be void');
    this.expect(')');
    this.expect('{');
    const arms: UnionArm[] = [];
    let defaultArm: Field | null | undefined;
    while (!this.accept('}')) {
      const t = this.peek();
      if (this.accept('case')) {
        const cases = [this.value()];
        this.expect(':');
        while (this.accept('case')) {
          cases.push(this.value());
          this.expect(':');
        }
        const field = this.declaration();
        this.expect(';');
        arms.push({ cases, field });
      } else if (this.accept('default')) {
        if (defaultArm !== undefined) this.fail(t, 'a second default arm');
        this.expect(':');
        defaultArm = this.declaration();
        this.expect(';');
      } else {
        this.fail(t, `expected 'case' or 'default' but found '${t.text}'`);
      }
    }
    if (!arms.length) this.fail(this.toks[this.i - 1]!, 'a union with no cases');
    return { kind: 'union', name, discriminant, arms, defaultArm, line };
  }

  /** A declaration, or null for `void`. */
  private declaration(): Field | null {
    const start = this.peek();
    if (this.accept('void')) return null;
    if (start.text === 'opaque' || start.text === 'string') {
      this.next();
      const name = this.ident('a field name').text;
      if (start.text === 'string') {
        this.expect('<');
        return { name, type: { kind: 'string', max: this.optionalBound() }, line: start.line };
      }
      if (this.accept('[')) {
        const len = this.value();
        this.expect(']');
        return { name, type: { kind: 'fixedOpaque', len }, line: start.line };
      }
      this.expect('<');
      return { name, type: { kind: 'varOpaque', max: this.optionalBound() }, line: start.line };
    }
    const base = this.typeSpecifier();
    if (this.accept('*')) {
      const name = this.ident('a field name').text;
      return { name, type: { kind: 'optional', of: base }, line: start.line };
    }
    const name = this.ident('a field name').text;
    if (this.accept('[')) {
      const len = this.value();
      this.expect(']');
      return { name, type: { kind: 'fixedArray', of: base, len }, line: start.line };
    }
    if (this.accept('<')) {
      return { name, type: { kind: 'varArray', of: base, max: this.optionalBound() }, line: start.line };
    }
    return { name, type: base, line: start.line };
  }

  /** The rest of `<N>` or `<>` after the `<`. */
  private optionalBound(): Value | null {
    if (this.accept('>')) return null;
    const v = this.value();
    this.expect('>');
    return v;
  }

  private typeSpecifier(): TypeSpec {
    const t = this.ident('a type');
    const prim = (p: Primitive): TypeSpec => ({ kind: 'prim', prim: p });
    switch (t.text) {
      case 'unsigned': {
        const n = this.peek().text;
        if (n === 'int' || n === 'hyper' || n === 'char' || n === 'short' || n === 'long') {
          this.next();
          const map: Record<string, Primitive> = { int: 'uint', long: 'uint', hyper: 'uhyper', char: 'uchar', short: 'ushort' };
          return prim(map[n]!);
        }
        return prim('uint');
      }
      case 'int':
      case 'long':
        return prim('int');
      case 'hyper':
        return prim('hyper');
      case 'bool':
        return prim('bool');
      case 'float':
        return prim('float');
      case 'double':
        return prim('double');
      case 'char':
        return prim('char');
      case 'short':
        return prim('short');
      case 'quadruple':
        return this.fail(t, 'quadruple is not supported (no libvirt protocol uses it)');
      case 'struct':
      case 'union':
      case 'enum':
        return this.fail(t, `an inline ${t.text} definition is not supported; define it at top level`);
      default:
        return { kind: 'ref', name: t.text };
    }
  }
}
