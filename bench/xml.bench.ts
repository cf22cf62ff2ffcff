/**
 * The typed XML layer against a generic parse + build with fast-xml-parser, on libvirt's own
 * test documents (shared/xml-corpus), rounds alternating: parse alone, and parse + format.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import * as xml from '../src/xml.js';
import { XML_CORPUS } from '../test/harness/libvirt-inputs.js';
import { type Measurement, median } from './lib/stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const KIND_NAMES: Record<string, string> = {
  domain: 'Domain', network: 'Network', networkport: 'NetworkPort', storagepool: 'StoragePool', storagepoolcaps: 'StoragePoolCapabilities',
  storagevol: 'StorageVolume', capability: 'Capabilities', domaincaps: 'DomainCapabilities', nodedev: 'NodeDevice', interface: 'Interface',
  secret: 'Secret', nwfilter: 'NWFilter', nwfilterbinding: 'NWFilterBinding', domainsnapshot: 'DomainSnapshot', domaincheckpoint: 'DomainCheckpoint', domainbackup: 'DomainBackup',
};

// The generic reading that keeps as much as the typed one: order, attributes, comments.
const OPTIONS = { ignoreAttributes: false, preserveOrder: true, commentPropName: '#comment', parseTagValue: false, parseAttributeValue: false };

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function run(): Promise<Measurement[]> {
  const rows = readFileSync(join(XML_CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const docs = rows.filter((r) => r[4] === 'yes').map((r) => ({ kind: r[1]!, text: readFileSync(join(XML_CORPUS, r[0]!), 'utf8') }));
  const api = xml as unknown as Record<string, (x: unknown) => unknown>;
  const typed = docs.map((d) => ({ text: d.text, parse: api[`parse${KIND_NAMES[d.kind]}XML`]!, format: api[`format${KIND_NAMES[d.kind]}XML`]! }));
  const parser = new XMLParser(OPTIONS);
  const builder = new XMLBuilder({ ...OPTIONS, format: true });
  const domains = typed.filter((_, k) => docs[k]!.kind === 'domain');
  const bytes = (set: { text: string }[]) => set.reduce((n, d) => n + Buffer.byteLength(d.text), 0);

  const cases = [
    { name: `parse, ${domains.length} domain documents`, set: domains, ours: (d: (typeof typed)[number]) => d.parse(d.text), theirs: (d: (typeof typed)[number]) => parser.parse(d.text) },
    { name: `parse + format, ${domains.length} domain documents`, set: domains, ours: (d: (typeof typed)[number]) => d.format(d.parse(d.text)), theirs: (d: (typeof typed)[number]) => builder.build(parser.parse(d.text)) },
    { name: `parse + format, all ${typed.length} validating documents, 16 kinds`, set: typed, ours: (d: (typeof typed)[number]) => d.format(d.parse(d.text)), theirs: (d: (typeof typed)[number]) => builder.build(parser.parse(d.text)) },
  ];
  const results: Measurement[] = [];
  for (const c of cases) {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < ROUNDS + 2; r++) {
      const pair = [() => ours.push(time(() => c.set.forEach(c.ours))), () => theirs.push(time(() => c.set.forEach(c.theirs)))];
      for (const step of r % 2 ? pair.reverse() : pair) step();
    }
    // The first two rounds warm the JIT up.
    const o = median(ours.slice(2));
    const t = median(theirs.slice(2));
    const mb = bytes(c.set) / 1e6;
    results.push({ group: 'xml', name: c.name, unit: 'ms/call', ours: o, theirs: t, theirsName: 'fast-xml-parser', secondary: { unit: 'MB/s', ours: mb / (o / 1000), theirs: mb / (t / 1000) } });
  }
  return results;
}
