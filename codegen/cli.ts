/**
 * `npm run codegen -- --libvirt-src DIR [--api-xml DIR] [--out DIR] [--check]`
 *
 * Writes protocol/ from a libvirt source tree. With --check it writes nothing and exits 1
 * when protocol/ differs from what it would write.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './generate.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function usage(problem?: string): never {
  if (problem) console.error(`codegen: ${problem}`);
  console.error('usage: npm run codegen -- [--libvirt-src DIR] [--api-xml DIR] [--out DIR] [--check]');
  process.exit(2);
}

const args = process.argv.slice(2);
const opts: Record<string, string> = {};
let check = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--check') check = true;
  else if (a === '--libvirt-src' || a === '--api-xml' || a === '--out') {
    const v = args[++i];
    if (!v) usage(`${a} needs a value`);
    opts[a] = v;
  } else if (a === '--help' || a === '-h') usage();
  else usage(`unknown option ${a}`);
}

const libvirtSrc = resolve(opts['--libvirt-src'] ?? join(repo, '..', 'shared', 'libvirt-11.3.0'));
if (!existsSync(join(libvirtSrc, 'src/remote/remote_protocol.x'))) {
  usage(`${libvirtSrc} does not look like a libvirt source tree (no src/remote/remote_protocol.x)`);
}
const out = resolve(opts['--out'] ?? join(repo, 'protocol'));
const rel = (p: string) => relative(repo, p) || '.';
// The header shows the command with paths relative to the repository, never this machine's.
const command = [
  'npm run codegen --',
  `--libvirt-src ${rel(libvirtSrc)}`,
  ...(opts['--api-xml'] ? [`--api-xml ${rel(resolve(opts['--api-xml']))}`] : []),
  ...(opts['--out'] ? [`--out ${rel(out)}`] : []),
].join(' ');

const result = generate({
  libvirtSrc,
  ...(opts['--api-xml'] ? { apiXmlDir: resolve(opts['--api-xml']) } : {}),
  command,
  runtimeImport: relative(out, join(repo, 'src/xdr/index.js')).replace(/\\/g, '/').replace(/^(?!\.)/, './'),
});

let stale = 0;
// The handle face lands beside protocol/, in handles/.
const handlesOut = join(out, '..', 'handles');
// The typed XML layer lands in xml/.
const xmlOut = join(out, '..', 'xml');
const outputs = [
  ...[...result.files].map(([name, text]) => [join(out, name), text] as const),
  ...[...result.handleFiles].map(([name, text]) => [join(handlesOut, name), text] as const),
  ...[...result.xmlFiles].map(([name, text]) => [join(xmlOut, name), text] as const),
];
for (const dir of [out, handlesOut, xmlOut]) mkdirSync(dir, { recursive: true });
for (const [path, text] of outputs) {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
  if (current === text) continue;
  if (check) {
    console.error(`codegen: ${rel(path)} is not what the generator writes`);
    stale++;
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${rel(path)}`);
  }
}
const counts = [...result.procedures].map(([m, p]) => `${m} ${p.length}`).join(', ');
console.log(`libvirt ${result.libvirtVersion}; procedures: ${counts}`);
if (stale) process.exit(1);
