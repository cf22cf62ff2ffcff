/**
 * Writes the test modules that are made from other files into test/.generated/ before jest
 * looks for tests (jest.config.js runs it, and so does type-checking): the README's
 * fake-daemon example as a test, its first-screen example as a script, and the .x files of libvirt's rpcgen suite compiled. Without
 * the libvirt inputs the latter are not written and the tests that need them say why they skip.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateStandalone } from '../codegen/generate.js';
import { HAVE_LIBVIRT_SRC, LIBVIRT_SRC } from '../test/harness/libvirt-inputs.js';
import { REPO } from '../test/harness/repo.js';

const out = join(REPO, 'test/.generated');
mkdirSync(out, { recursive: true });

/**
 * Every jest run writes these (jest.config.js), and another run in the same checkout may be
 * reading them: an unchanged file is left alone, a changed one replaced in one rename.
 */
function writeIfChanged(file: string, text: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

// The README's example must run as written: only the package name becomes a path.
const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const example = /## Testing your own code[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
if (!example) throw new Error("README.md has no ts example under '## Testing your own code'");
writeIfChanged(
  join(out, 'readme-testing.test.ts'),
  '// Generated from README.md by scripts/generate-test-modules.ts.\n' +
    example.replace(/'libvirt-rpc\/testing'/g, "'../../src/testing/index.js'").replace(/'libvirt-rpc'/g, "'../../src/index.js'"),
);
// The first screen's example, run by test/integration/examples.test.ts against a throwaway
// daemon: its URI becomes the script's argument.
const quickStart = /^```ts\n([\s\S]*?)```/m.exec(readme.slice(0, readme.indexOf('\n## ')))?.[1];
if (!quickStart?.includes("connect('qemu:///system')")) throw new Error("README.md's first screen has no ts example that connects to 'qemu:///system'");
writeIfChanged(
  join(out, 'readme-quick-start.ts'),
  '// Generated from README.md by scripts/generate-test-modules.ts.\n' +
    quickStart.replace(/'libvirt-rpc'/g, "'../../src/index.js'").replace("connect('qemu:///system')", 'connect(process.argv[2])'),
);
if (!HAVE_LIBVIRT_SRC) {
  console.log(`generate-test-modules: no libvirt inputs at ${LIBVIRT_SRC}; skipping`);
  process.exit(0);
}
for (const name of ['demo', 'simple']) {
  const x = join(LIBVIRT_SRC, 'rpcgen-tests', `${name}.x`);
  if (!existsSync(x)) continue;
  writeIfChanged(join(out, `${name}.ts`), generateStandalone(x, '../../src/xdr/index.js', name).code);
  // C's xdr_enum accepts any int; libvirt's vectors rely on that (a zero-filled enum array).
  writeIfChanged(join(out, `${name}-lax.ts`), generateStandalone(x, '../../src/xdr/index.js', name, { laxEnums: true }).code);
}
