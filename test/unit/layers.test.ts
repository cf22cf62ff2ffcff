/**
 * The import rule of the README's layout section, checked on every import of the package's
 * code: a room imports only the rooms below it. A wrong-way import fails here with the file,
 * the line and the rule it breaks.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');

/** Each room and the rooms it may import (besides itself). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  'src/xdr': [],
  // The typed XML layer: its reader and runtime, and the generated kinds on them.
  'src/xml': [],
  xml: ['src/xml'],
  protocol: ['src/xdr'],
  'src/errors': ['protocol', 'src/xdr'],
  'src/rpc': ['src/errors', 'protocol', 'src/xdr'],
  'src/auth': ['src/xdr'],
  'src/transport': ['src/errors', 'src/xdr'],
  'src/locate': ['src/auth', 'src/errors', 'src/xdr'],
  'src/api': ['src/locate', 'src/transport', 'src/auth', 'src/rpc', 'src/errors', 'protocol', 'src/xdr'],
  // The handle face: generated (handles/) on its hand-written runtime (src/handles/), over the
  // flat face. Connection creates the collections (see EXCEPTIONS); the handles name
  // Connection only as a type, so no module cycle exists at run time.
  'src/handles': ['src/api', 'src/errors', 'protocol', 'src/xdr'],
  handles: ['xml', 'src/handles', 'src/api', 'src/errors', 'protocol', 'src/xdr'],
  // The bridge relays WebSockets to a daemon: it dials through src/api and reads frames.
  'src/bridge': ['src/api', 'src/locate', 'src/transport', 'src/auth', 'src/rpc', 'src/errors', 'protocol', 'src/xdr'],
  'src/cli': ['xml', 'src/xml', 'handles', 'src/handles', 'src/bridge', 'src/api', 'src/locate', 'src/transport', 'src/auth', 'src/rpc', 'src/errors', 'protocol', 'src/xdr'],
  'src/testing': ['src/api', 'src/locate', 'src/transport', 'src/auth', 'src/rpc', 'src/errors', 'protocol', 'src/xdr'],
  // The package's entries (src/index.ts, src/client.ts, src/protocol.ts) gather the rooms.
  'src/entries': ['xml', 'src/xml', 'handles', 'src/handles', 'src/api', 'src/cli', 'src/testing', 'src/locate', 'src/transport', 'src/auth', 'src/rpc', 'src/errors', 'protocol', 'src/xdr'],
};

/**
 * Imports against the rule that the README's design notes explain: Connection gives each
 * connection its collections (`conn.domains`), built on the handle face. Only type imports go
 * the other way (src/handles and handles/ name Connection as a type), checked below.
 */
const EXCEPTIONS: readonly [string, string][] = [['src/api/connection.ts', 'handles/handles.ts']];

/** The room a file of the package belongs to. */
function roomOf(file: string): string {
  const rel = relative(REPO, file);
  if (rel.startsWith('protocol/')) return 'protocol';
  if (rel.startsWith('handles/')) return 'handles';
  if (rel.startsWith('xml/')) return 'xml';
  if (rel === 'src/errors.ts') return 'src/errors';
  const dir = /^src\/([a-z-]+)\//.exec(rel)?.[1];
  return dir ? `src/${dir}` : 'src/entries';
}

function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every relative import and re-export of a file, with its line number. */
function importsOf(file: string): { line: number; target: string }[] {
  const text = readFileSync(file, 'utf8');
  const out: { line: number; target: string }[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) {
    const spec = m[1] ?? m[2]!;
    out.push({ line: text.slice(0, m.index).split('\n').length + (m[0].startsWith('\n') ? 1 : 0), target: resolve(join(file, '..'), spec).replace(/\.js$/, '.ts') });
  }
  return out;
}

describe('the import rule', () => {
  const files = [...sources('src'), ...sources('protocol'), ...sources('handles'), ...sources('xml')];

  it('finds the files and their imports', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(importsOf(join(REPO, 'src/api/dialer.ts')).map((i) => relative(REPO, i.target))).toContain('src/transport/tls.ts');
  });

  it('holds for every import in src/ and protocol/: each room imports only the rooms below it', () => {
    const broken: string[] = [];
    for (const file of files) {
      const room = roomOf(file);
      const allowed = MAY_IMPORT[room];
      if (!allowed) {
        broken.push(`${relative(REPO, file)}: in no room of the rule (add it to MAY_IMPORT and the README's layout)`);
        continue;
      }
      for (const { line, target } of importsOf(file)) {
        const rel = relative(REPO, target);
        if (!/^(src|protocol|handles|xml)\//.test(rel)) {
          broken.push(`${relative(REPO, file)}:${line} imports ${rel}, outside the package's code`);
          continue;
        }
        const to = roomOf(target);
        if (EXCEPTIONS.some(([from, into]) => relative(REPO, file) === from && rel === into)) continue;
        if (to !== room && !allowed.includes(to)) broken.push(`${relative(REPO, file)}:${line} imports ${rel}: ${room} may not import ${to}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('holds between the tools: test/ and bench/ never import scripts/, and test/harness/ imports only itself', () => {
    const broken: string[] = [];
    for (const file of [...sources('test'), ...sources('bench')]) {
      if (relative(REPO, file).startsWith('test/.generated/')) continue;
      const inHarness = relative(REPO, file).startsWith('test/harness/');
      for (const { line, target } of importsOf(file)) {
        const rel = relative(REPO, target);
        if (rel.startsWith('scripts/')) broken.push(`${relative(REPO, file)}:${line} imports ${rel}: scripts/ are commands for people, not libraries`);
        if (inHarness && !rel.startsWith('test/harness/')) broken.push(`${relative(REPO, file)}:${line} imports ${rel}: the harness imports only itself`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('lets the handle face name Connection only as a type: no module cycle at run time', () => {
    const runtimeImports: string[] = [];
    for (const file of [...sources('handles'), ...sources('src/handles')]) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)) {
        if (/api\/connection\.js$/.test(m[1]!)) runtimeImports.push(`${relative(REPO, file)} imports ${m[1]} at run time`);
      }
    }
    expect(runtimeImports).toEqual([]);
  });

  it('would catch a wrong-way import', () => {
    const room = roomOf(join(REPO, 'src/transport/tls.ts'));
    expect(room).toBe('src/transport');
    expect(MAY_IMPORT[room]).not.toContain(roomOf(join(REPO, 'src/locate/uri.ts')));
    expect(MAY_IMPORT[roomOf(join(REPO, 'protocol/remote.ts'))]).not.toContain('src/rpc');
  });
});
