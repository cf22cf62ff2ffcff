import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../../codegen/generate.js';
import { Model } from '../../codegen/model.js';
import { PROGRAMS } from '../../codegen/programs.js';
import { LIBVIRT_SRC, describeWithLibvirtSrc } from '../harness/libvirt-inputs.js';
import { layoutOf, parseStructsFile } from '../helpers/structs-file.js';

describeWithLibvirtSrc('generated types agree with libvirt’s own struct layouts', () => {
  const generated = generate({ libvirtSrc: LIBVIRT_SRC, command: 'test' });
  const model = new Model(
    PROGRAMS.map((p) => ({ module: p.module, ast: generated.asts.get(p.module)! })),
    { enums: [], macros: [], functions: [] },
  );

  it.each(PROGRAMS.map((p) => [p.module, p]))('%s: every struct, union and enum matches', (_m, p) => {
    const path = join(LIBVIRT_SRC, p.structsFile);
    expect(existsSync(path)).toBe(true);
    const layout = parseStructsFile(readFileSync(path, 'utf8'));
    const ast = generated.asts.get(p.module)!;
    // A program's structs file also lists the types it borrows (qemu and lxc use remote's).
    const defs = new Map([...model.symbols].map(([name, s]) => [name, s.def]));

    for (const [name, fields] of layout.structs) {
      const def = defs.get(name);
      expect({ name, found: def?.kind === 'struct' || def?.kind === 'union' }).toEqual({ name, found: true });
      expect({ name, fields: layoutOf(model, def!) }).toEqual({ name, fields });
    }
    for (const [name, members] of layout.enums) {
      const def = defs.get(name);
      expect(def?.kind).toBe('enum');
      const ours = def!.kind === 'enum' ? def!.members.map((m) => ({ name: m.name, value: model.enumMembers.get(m.name)!.value })) : [];
      expect({ name, members: ours }).toEqual({ name, members });
    }
    // And nothing the parser found is missing from libvirt's list.
    const ourAggregates = ast.definitions.filter((d) => d.kind === 'struct' || d.kind === 'union').map((d) => d.name);
    expect(ourAggregates.filter((n) => !layout.structs.has(n))).toEqual([]);
  });
});
