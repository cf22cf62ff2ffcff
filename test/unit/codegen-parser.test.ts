import { parseXdr } from '../../codegen/parser.js';
import { XdrSyntaxError } from '../../codegen/lexer.js';
import { parseAnnotations, camelCase } from '../../codegen/procedures.js';

describe('rpcgen parser', () => {
  it('reads every construct libvirt uses', () => {
    const ast = parseXdr(
      `%#include "x.h"
      const A = 0x10; const B = 010; const C = -3;
      enum e { E1 = 1, E2 = A };
      typedef string s<A>; typedef s *optS; typedef opaque u[16]; typedef int arr<>;
      struct st { unsigned hyper h; unsigned char c; short sh; char model[32]; opaque data<B>; optS name; e kind; };
      union un switch (int type) { case 1: case 2: int i; case E2: void; default: st rest; };`,
      'inline.x',
    );
    expect(ast.definitions.map((d) => `${d.kind}:${d.name}`)).toEqual([
      'const:A', 'const:B', 'const:C', 'enum:e', 'typedef:s', 'typedef:optS', 'typedef:u', 'typedef:arr', 'struct:st', 'union:un',
    ]);
    const un = ast.definitions.at(-1)!;
    expect(un.kind === 'union' && un.arms.map((a) => [a.cases, a.field?.name ?? null])).toEqual([
      [[{ num: 1 }, { num: 2 }], 'i'],
      [[{ ref: 'E2' }], null],
    ]);
    expect(ast.definitions[1]).toMatchObject({ value: { num: 8 } });
  });

  it.each([
    ['struct a { int x }', /inline\.x:1:18: expected ';' but found '}'/],
    ['struct a { int x; }', /expected ';' but found end of file/],
    ['enum e { A = 1 };\nstruct s {\n  quadruple q;\n};', /inline\.x:3:3: quadruple is not supported/],
    ['union u switch (int t) { default: void; };', /a union with no cases/],
    ['const X = ;', /inline\.x:1:11: expected a number or constant name/],
    ['struct a { struct { int y; } x; };', /inline struct definition is not supported/],
    ['/* never closed', /comment is never closed/],
    ['struct a { int x; } @', /unexpected character "@"/],
  ])('names file, line and column: %j', (src, message) => {
    expect(() => parseXdr(src, 'inline.x')).toThrow(XdrSyntaxError);
    expect(() => parseXdr(src, 'inline.x')).toThrow(message);
  });

  it('keeps procedure annotations, including @generate:both without a space', () => {
    const ann = parseAnnotations(`*
     * @generate:both
     * @priority: high
     * @acl: domain:write
     * @acl: domain:save:!VIR_DOMAIN_AFFECT_CONFIG|VIR_DOMAIN_AFFECT_LIVE
     * @readstream: 2
     * @sparseflag: VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM
     `);
    expect(Object.fromEntries(ann)).toEqual({
      generate: ['both'],
      priority: ['high'],
      acl: ['domain:write', 'domain:save:!VIR_DOMAIN_AFFECT_CONFIG|VIR_DOMAIN_AFFECT_LIVE'],
      readstream: ['2'],
      sparseflag: ['VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM'],
    });
    expect(camelCase('DOMAIN_GET_XML_DESC')).toBe('domainGetXmlDesc');
  });
});
