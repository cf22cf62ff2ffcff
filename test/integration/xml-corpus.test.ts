/**
 * The typed XML layer against libvirt 11.3.0's own test documents (shared/xml-corpus), every
 * kind: each document that validates parses in strict mode, and format gives a document that
 * xmllint validates against the same schema and that equals the input after canonicalization
 * (test/helpers/xml-canonical.ts says exactly what that normalizes). The documents that do not
 * validate round-trip losslessly in lenient mode; strict mode refuses 39 of the 45, each with
 * the path of what it refuses (five of them by the rules of a choice keyed by a value:
 * `<disk device='lun' type='file'>`, a PCI address slot above 31). The other 6 break a rule
 * inside a child that a branch narrows (an iSCSI disk source without a `<host>`, a dir pool's
 * `<target>` without a path), which the runtime does not check.
 * And every parsed document has the declared type of its kind: the TypeScript compiler checks
 * each one, written as a literal, against the generated types (discriminated unions included).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import * as xml from '../../src/xml.js';
import { LIBVIRT_SRC, XML_CORPUS, describeWithLibvirtSrc } from '../harness/libvirt-inputs.js';
import { REPO } from '../harness/repo.js';
import { canonicalXml } from '../helpers/xml-canonical.js';

const KINDS: Record<string, string> = {
  domain: 'Domain', network: 'Network', networkport: 'NetworkPort', storagepool: 'StoragePool', storagepoolcaps: 'StoragePoolCapabilities',
  storagevol: 'StorageVolume', capability: 'Capabilities', domaincaps: 'DomainCapabilities', nodedev: 'NodeDevice', interface: 'Interface',
  secret: 'Secret', nwfilter: 'NWFilter', nwfilterbinding: 'NWFilterBinding', domainsnapshot: 'DomainSnapshot', domaincheckpoint: 'DomainCheckpoint', domainbackup: 'DomainBackup',
};
type Parse = (text: string, opts?: xml.ParseOptions) => unknown;
const parser = (kind: string) => (xml as unknown as Record<string, Parse>)[`parse${KINDS[kind]}XML`]!;
const formatter = (kind: string) => (xml as unknown as Record<string, (v: unknown) => string>)[`format${KINDS[kind]}XML`]!;

interface Entry {
  path: string;
  kind: string;
  validates: boolean;
}

function manifest(): Entry[] {
  let text: string;
  try {
    text = readFileSync(join(XML_CORPUS, 'MANIFEST.tsv'), 'utf8');
  } catch {
    return [];
  }
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'))
    .map(([path, kind, , , validates]) => ({ path: path!, kind: kind!, validates: validates === 'yes' }));
}

/** xmllint over many files in one run (the schema compiled once): the files it did not validate. */
function xmllint(schema: string, files: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('xmllint', ['--noout', '--relaxng', schema, ...files], { maxBuffer: 64 << 20 }, (err, _stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      const failed = stderr.split('\n').filter((l) => l.endsWith(' fails to validate')).map((l) => l.replace(/ fails to validate$/, ''));
      if (err && !failed.length) return reject(new Error(`xmllint failed: ${stderr.slice(0, 2000)}`));
      resolve(failed);
    });
  });
}

/** How many of each kind's invalid documents strict mode refuses (the README states these). */
const STRICT_REFUSES: Record<string, [number, number]> = {
  domain: [16, 20], domainbackup: [1, 1], domaincheckpoint: [3, 3], domainsnapshot: [1, 2], nodedev: [2, 2], nwfilter: [16, 16], storagepool: [0, 1],
};

describeWithLibvirtSrc('the typed XML layer on libvirt\'s test documents', () => {
  const entries = manifest();
  const refusedCounts: Record<string, [number, number]> = {};
  const out = mkdtempSync(join(tmpdir(), 'xml-corpus-'));

  it('reads the corpus: every kind, 2,423 documents', () => {
    expect(new Set(entries.map((e) => e.kind))).toEqual(new Set(Object.keys(KINDS)));
    expect(entries.length).toBe(2423);
  });

  for (const kind of Object.keys(KINDS)) {
    const valid = entries.filter((e) => e.kind === kind && e.validates);
    const invalid = entries.filter((e) => e.kind === kind && !e.validates);

    it(`${kind}: all ${valid.length} validating documents parse strictly and round-trip, and xmllint validates the output`, async () => {
      const failures: string[] = [];
      const written: string[] = [];
      valid.forEach((e, k) => {
        const text = readFileSync(join(XML_CORPUS, e.path), 'utf8');
        try {
          const formatted = formatter(kind)(parser(kind)(text, { mode: 'strict' }));
          if (canonicalXml(formatted) !== canonicalXml(text)) failures.push(`${e.path}: differs after the round trip`);
          const file = join(out, `${kind}-${k}.xml`);
          writeFileSync(file, formatted);
          written.push(file);
        } catch (err) {
          failures.push(`${e.path}: ${(err as Error).message}`);
        }
      });
      expect(failures).toEqual([]);
      expect(written.length).toBe(valid.length);
      // Hand xmllint the files in batches: a command line has a limit.
      const refused: string[] = [];
      for (let k = 0; k < written.length; k += 400) refused.push(...(await xmllint(join(LIBVIRT_SRC, 'src/conf/schemas', `${kind}.rng`), written.slice(k, k + 400))));
      expect(refused).toEqual([]);
    }, 300_000);

    if (invalid.length) {
      it(`${kind}: the ${invalid.length} documents libvirt's tests keep invalid round-trip losslessly in lenient mode, and strict mode names the path of what it refuses`, () => {
        const lossy: string[] = [];
        const unclear: string[] = [];
        for (const e of invalid) {
          const text = readFileSync(join(XML_CORPUS, e.path), 'utf8');
          try {
            if (canonicalXml(formatter(kind)(parser(kind)(text))) !== canonicalXml(text)) lossy.push(e.path);
          } catch (err) {
            lossy.push(`${e.path}: ${(err as Error).message}`);
          }
          const counts = (refusedCounts[kind] ??= [0, invalid.length]);
          try {
            parser(kind)(text, { mode: 'strict' });
          } catch (err) {
            counts[0]++;
            if (!(err instanceof xml.XmlSchemaError) || !/^\//.test(err.path)) unclear.push(`${e.path}: ${(err as Error).message}`);
          }
        }
        expect(lossy).toEqual([]);
        expect(unclear).toEqual([]);
      });
    }
  }

  it('writes documents built in code that xmllint validates: a guest, a pool, a volume, a network, a secret, a snapshot', async () => {
    const docs: [string, string][] = [
      ['domain', xml.formatDomainXML({
        type: 'qemu', name: 'built', memory: { unit: 'MiB', value: 64 }, vcpu: { value: 1 },
        os: { type: { arch: 'x86_64', machine: 'pc', value: 'hvm' } },
        devices: {
          disk: [{ type: 'file', device: 'disk', driver: { name: 'qemu', type: 'qcow2' }, source: { file: '/var/lib/libvirt/images/built.qcow2' }, target: { dev: 'vda', bus: 'virtio' } }],
          interface: [{ type: 'network', source: { network: 'default' }, model: { type: 'virtio' } }],
          serial: [{ type: 'pty' }],
          console: [{ type: 'pty' }],
        },
      })],
      ['storagepool', xml.formatStoragePoolXML({ type: 'dir', name: 'built', target: { path: '/var/lib/built' } })],
      ['storagevol', xml.formatStorageVolumeXML({ name: 'disk.qcow2', capacity: { unit: 'GiB', value: 1 }, target: { format: { type: 'qcow2' } } })],
      ['network', xml.formatNetworkXML({ name: 'built', forward: { mode: 'nat' }, ip: [{ address: '192.168.150.1', netmask: '255.255.255.0', dhcp: { range: [{ start: '192.168.150.2', end: '192.168.150.254' }] } }] })],
      ['secret', xml.formatSecretXML({ ephemeral: false, private: true, usage: { type: 'volume', volume: '/var/lib/built/disk.qcow2' } })],
      ['domainsnapshot', xml.formatDomainSnapshotXML({ name: 'before-upgrade', description: 'built in code' })],
    ];
    const files = docs.map(([kind, text], k) => {
      const file = join(out, `built-${kind}-${k}.xml`);
      writeFileSync(file, text);
      return [kind, file] as const;
    });
    for (const [kind, file] of files) expect(await xmllint(join(LIBVIRT_SRC, 'src/conf/schemas', `${kind}.rng`), [file])).toEqual([]);
  });

  it('gives every validating document a value of its kind\'s declared type (checked by the TypeScript compiler)', () => {
    const literal = (v: unknown): string =>
      typeof v === 'bigint' ? `${v}n`
      : Array.isArray(v) ? `[${v.map(literal).join(',')}]`
      : v !== null && typeof v === 'object' ? `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${literal(x)}`).join(',')}}`
      : JSON.stringify(v);
    const valid = entries.filter((e) => e.validates);
    const lines = [`import type * as X from ${JSON.stringify(join(REPO, 'xml/index.js'))};`];
    valid.forEach((e, k) => {
      const value = parser(e.kind)(readFileSync(join(XML_CORPUS, e.path), 'utf8'), { mode: 'strict' });
      lines.push(`export const d${k}: X.${KINDS[e.kind]}XML = ${literal(value)};`);
    });
    const file = join(out, 'corpus-values.ts');
    writeFileSync(file, lines.join('\n'));
    const program = ts.createProgram([file], {
      strict: true, noEmit: true, skipLibCheck: true, types: [],
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
      return `${valid[line - 1]?.path ?? d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ').slice(0, 500)}`;
    });
    expect(lines.length).toBe(valid.length + 1);
    expect(problems).toEqual([]);
  }, 300_000);

  it('refuses in strict mode 39 of the 45 invalid documents, as recorded per kind', () => {
    expect(refusedCounts).toEqual(STRICT_REFUSES);
  });
});
