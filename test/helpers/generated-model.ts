/** The generator's view of libvirt's protocol files, for tests that walk every type. */
import { type GeneratedProtocol, generate } from '../../codegen/generate.js';
import { Model } from '../../codegen/model.js';
import { PROGRAMS } from '../../codegen/programs.js';
import { LIBVIRT_SRC } from '../harness/libvirt-inputs.js';

export function generatedModel(): { generated: GeneratedProtocol; model: Model } {
  const generated = generate({ libvirtSrc: LIBVIRT_SRC, command: 'test' });
  const model = new Model(
    PROGRAMS.map((p) => ({ module: p.module, ast: generated.asts.get(p.module)! })),
    { enums: [], macros: [], functions: [] },
  );
  return { generated, model };
}
