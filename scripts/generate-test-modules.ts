/**
 * Compiles the .x files the unit tests need (libvirt's rpcgen suite) into test/.generated/
 * before jest starts. Runs as `pretest`; without the libvirt inputs it writes nothing and the
 * tests that need them say why they skip.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateStandalone } from '../codegen/generate.js';
import { HAVE_LIBVIRT_SRC, LIBVIRT_SRC, REPO } from '../test/helpers/libvirt-inputs.js';

const out = join(REPO, 'test/.generated');
mkdirSync(out, { recursive: true });
if (!HAVE_LIBVIRT_SRC) {
  console.log(`generate-test-modules: no libvirt inputs at ${LIBVIRT_SRC}; skipping`);
  process.exit(0);
}
for (const name of ['demo', 'simple']) {
  const x = join(LIBVIRT_SRC, 'rpcgen-tests', `${name}.x`);
  if (!existsSync(x)) continue;
  writeFileSync(join(out, `${name}.ts`), generateStandalone(x, '../../src/xdr/index.js', name).code);
  // C's xdr_enum accepts any int; libvirt's vectors rely on that (a zero-filled enum array).
  writeFileSync(join(out, `${name}-lax.ts`), generateStandalone(x, '../../src/xdr/index.js', name, { laxEnums: true }).code);
}
