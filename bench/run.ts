/**
 * `npm run bench [name ...]`: runs every bench/*.bench.ts (or the named ones, e.g. `codec`),
 * prints a table of medians and ratios and the same rows as markdown, and updates
 * bench/results/latest.json (the entries of the benchmarks that ran are replaced, the others
 * kept).
 *
 * A benchmark module exports `run(): Promise<Measurement[]>` (see lib/stats.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, machine as arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Measurement, advantage, formatNumber } from './lib/stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const LATEST = join(HERE, 'results', 'latest.json');
const CHILD_MARK = '@@bench-results ';

// Each benchmark file runs in a process of its own: a heap left large by one would slow the
// next one's garbage collection and skew its figures.
if (process.argv[2] === '--child') {
  const mod = (await import(join(HERE, process.argv[3]!))) as { run(): Promise<Measurement[]> };
  console.log(CHILD_MARK + JSON.stringify(await mod.run()));
  process.exit(0);
}

// `--daemon 11.3` (or 9.0): which libvirt the benchmarks that start a daemon use.
const args = process.argv.slice(2);
const daemonAt = args.indexOf('--daemon');
if (daemonAt >= 0) {
  process.env.LIBVIRT_BENCH_DAEMON = args[daemonAt + 1] ?? '';
  args.splice(daemonAt, 2);
}
const wanted = args;
const names = readdirSync(HERE)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
const unknown = wanted.filter((w) => !names.includes(w));
if (unknown.length) {
  console.error(`no benchmark named ${unknown.join(', ')}; there are: ${names.join(', ')}`);
  process.exit(2);
}
const selected = wanted.length ? names.filter((n) => wanted.includes(n)) : names;

const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
const machine = `${cpus().length} vCPU ${arch()} (${cpu}), Node ${process.version.slice(1)}, libvirt ${process.env.LIBVIRT_BENCH_DAEMON || '9.0'} daemon`;
console.log(`${new Date().toISOString().slice(0, 10)} · ${machine}`);

interface Entry {
  date: string;
  machine: string;
  /** One-minute load average when the benchmark started: other work on the machine skews it. */
  load?: number;
  results: Measurement[];
}

const ran: Record<string, Entry> = {};
const failed: string[] = [];
for (const name of selected) {
  const t0 = performance.now();
  const load = Number(loadavg()[0]!.toFixed(2));
  if (load > cpus().length / 4) console.error(`\n(${name}: load average ${load} on ${cpus().length} CPUs; other work will skew the figures)`);
  let out: string;
  try {
    out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', `${name}.bench.ts`], {
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 << 20,
    }).toString();
  } catch {
    // Its error is on stderr already; the other benchmarks still run and are recorded.
    console.error(`\n# ${name}: FAILED (see above)`);
    failed.push(name);
    continue;
  }
  const line = out.split('\n').find((l) => l.startsWith(CHILD_MARK));
  if (!line) throw new Error(`${name}.bench.ts printed no results`);
  const results = (JSON.parse(line.slice(CHILD_MARK.length)) as Measurement[]).map(rounded);
  ran[name] = { date: new Date().toISOString(), machine, load, results };
  printTable(`${name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`, results);
}

// Keep the other benchmarks' last figures: a daemon-less run of one file must not erase them.
// Entries of benchmark files that no longer exist are dropped.
const kept = Object.entries(readLatest()).filter(([name]) => names.includes(name));
const benches: Record<string, Entry> = { ...Object.fromEntries(kept), ...ran };
mkdirSync(dirname(LATEST), { recursive: true });
// One line per measurement keeps the file short and its diffs readable.
const json = Object.entries(benches)
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([name, e]) => {
    const load = e.load === undefined ? '' : `, "load": ${e.load}`;
    const head = `  ${JSON.stringify(name)}: { "date": ${JSON.stringify(e.date)}, "machine": ${JSON.stringify(e.machine)}${load}, "results": [\n`;
    return head + e.results.map((m) => `    ${JSON.stringify(m)}`).join(',\n') + '\n  ] }';
  });
writeFileSync(LATEST, `{ "benches": {\n${json.join(',\n')}\n} }\n`);

if (Object.keys(ran).length) console.log('\nMarkdown rows:');
for (const m of Object.values(ran).flatMap((e) => e.results)) {
  const hasRef = m.theirsName !== '-';
  console.log(`| ${m.name} | ${cell(m, 'ours')} | ${hasRef ? cell(m, 'theirs') : '-'} | ${hasRef ? `${advantage(m).toFixed(2)}x` : '-'} |`);
}
if (failed.length) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exitCode = 1;
}

function cell(m: Measurement, side: 'ours' | 'theirs'): string {
  const second = m.secondary ? ` (${formatNumber(m.secondary[side])} ${m.secondary.unit})` : '';
  return `${formatNumber(m[side])} ${m.unit}${second}`;
}

/** Four significant figures are plenty for the JSON file. */
function rounded(m: Measurement): Measurement {
  const r = (v: number) => Number(v.toPrecision(4));
  const secondary = m.secondary && { ...m.secondary, ours: r(m.secondary.ours), theirs: r(m.secondary.theirs) };
  return { ...m, ours: r(m.ours), theirs: r(m.theirs), ...(secondary && { secondary }) };
}

function printTable(title: string, results: Measurement[]): void {
  const refs = [...new Set(results.map((m) => m.theirsName).filter((n) => n !== '-'))];
  const rows = [
    ['', 'ours', refs.join('/') || 'reference', 'ratio'],
    ...results.map((m) => {
      const hasRef = m.theirsName !== '-';
      return [m.name, cell(m, 'ours'), hasRef ? cell(m, 'theirs') : '-', hasRef ? `${advantage(m).toFixed(2)}x` : '-'];
    }),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`\n# ${title}`);
  rows.forEach((r, n) => {
    console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   '));
    const extra = n > 0 ? results[n - 1]!.extra : undefined;
    if (extra) console.log(`    ${JSON.stringify(extra)}`);
  });
}

/** The entries of latest.json by benchmark, reading the older one-run layout too. */
function readLatest(): Record<string, Entry> {
  if (!existsSync(LATEST)) return {};
  try {
    const old = JSON.parse(readFileSync(LATEST, 'utf8')) as { benches?: Record<string, Entry> } & Partial<Entry>;
    if (old.benches) return old.benches;
    const byGroup: Record<string, Entry> = {};
    for (const m of old.results ?? []) {
      (byGroup[m.group] ??= { date: old.date ?? '', machine: old.machine ?? '', results: [] }).results.push(m);
    }
    return byGroup;
  } catch {
    console.error(`(could not read ${LATEST}; starting it afresh)`);
    return {};
  }
}
