/**
 * `npm run bench [name ...]`: runs every bench/*.bench.ts (or the named ones), prints a
 * table of medians and ratios, and writes bench/results/latest.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Measurement, advantage, formatNumber } from './lib/stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD_MARK = '@@bench-results ';

// Each benchmark file runs in a process of its own: a heap left large by one would slow the
// next one's garbage collection and skew its figures.
if (process.argv[2] === '--child') {
  const mod = (await import(join(HERE, process.argv[3]!))) as { run(): Promise<Measurement[]> };
  console.log(CHILD_MARK + JSON.stringify(await mod.run()));
  process.exit(0);
}

const wanted = process.argv.slice(2);
const files = readdirSync(HERE)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !wanted.length || wanted.includes(f.replace(/\.bench\.ts$/, '')));
if (!files.length) {
  console.error(`no benchmark matches ${wanted.join(', ')}`);
  process.exit(2);
}

const machine = `${cpus().length} vCPU ${process.arch} (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`;
console.log(`${new Date().toISOString().slice(0, 10)} · ${machine}\n`);

const all: Measurement[] = [];
for (const f of files) {
  console.log(`# ${f}`);
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', f], {
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 << 20,
  }).toString();
  const line = out.split('\n').find((l) => l.startsWith(CHILD_MARK));
  if (!line) throw new Error(`${f} printed no results`);
  const results = JSON.parse(line.slice(CHILD_MARK.length)) as Measurement[];
  for (const m of results) {
    const extra = m.extra ? `  ${JSON.stringify(m.extra)}` : '';
    console.log(`  ${m.name.padEnd(52)} ours ${formatNumber(m.ours).padStart(10)} ${m.unit.padEnd(8)} ${m.theirsName} ${formatNumber(m.theirs).padStart(10)}  ×${advantage(m).toFixed(2)}${extra}`);
  }
  all.push(...results);
}

mkdirSync(join(HERE, 'results'), { recursive: true });
writeFileSync(join(HERE, 'results', 'latest.json'), JSON.stringify({ date: new Date().toISOString(), machine, results: all }, null, 2) + '\n');

console.log('\nMarkdown rows:');
for (const m of all) {
  console.log(`| ${m.name} | ${formatNumber(m.ours)} ${m.unit} | ${formatNumber(m.theirs)} ${m.unit} | ${advantage(m).toFixed(2)}x |`);
}
