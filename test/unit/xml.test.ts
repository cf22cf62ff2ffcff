/**
 * The typed XML layer without a daemon: the reader's well-formedness rules and decoding, a
 * read → change one field → write that keeps everything else in place, values checked on
 * format, documents built in code written in the schema's order.
 */
import { XmlSchemaError, XmlSyntaxError, type DomainXML, formatDomainXML, parseCapabilitiesXML, formatNetworkXML, parseDomainXML, parseNetworkXML, parseSecretXML, formatSecretXML } from '../../src/xml.js';
import { readXml } from '../../src/xml/tokenizer.js';
import { canonicalXml } from '../helpers/xml-canonical.js';

describe('the XML reader', () => {
  it('decodes entities, character references and CDATA, and keeps attribute order', () => {
    const { root } = readXml(`<?xml version='1.0'?>\n<a z='1' b="&lt;&amp;&#65;&#x42;&quot;&apos;"><![CDATA[<raw>]]>t&gt;</a>`);
    expect(root.attrs).toEqual([['z', '1'], ['b', `<&AB"'`]]);
    expect(root.children).toEqual([{ kind: 'text', text: '<raw>', cdata: true }, { kind: 'text', text: 't>' }]);
  });

  it('normalizes literal white space in attribute values but keeps character references', () => {
    expect(readXml("<a v='x\ty&#10;z'/>").root.attrs).toEqual([['v', 'x y\nz']]);
  });

  it.each([
    ['<a><b></a>', '</a> closes <b>'],
    ['<a>', '<a> is not closed'],
    ['<a x=1/>', "attribute x's value must be quoted"],
    ["<a x='1' x='2'/>", 'attribute x appears twice'],
    ['<a>&nbsp;</a>', "'&nbsp;' is not an entity XML defines"],
    ['<a>&#xD800;</a>', "'&#xD800;' is not a valid character reference"],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a/>', 'a DOCTYPE'],
    ['<a/><b/>', 'content after the root element'],
    ['', 'the document has no root element'],
    ["<a v='<'/>", "'<' in an attribute value"],
    ['<a><!-- x -- y --></a>', "'--' inside a comment"],
  ])('refuses %j: %s, with line and column', (text, message) => {
    expect(() => readXml(text)).toThrow(XmlSyntaxError);
    expect(() => readXml(text)).toThrow(message);
    expect(() => readXml(text)).toThrow(/\(line \d+, column \d+\)/);
  });
});

const GUEST = `<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>vm1</name>
  <!-- kept -->
  <memory unit='KiB'>0x40000</memory>
  <metadata>
    <app:info xmlns:app='http://example.com/app'><app:owner id="7">ops</app:owner></app:info>
  </metadata>
  <os><type arch='x86_64'>hvm</type></os>
  <features><acpi/><apic/></features>
  <devices>
    <disk type='file' device='disk' fancy='from-a-newer-libvirt'>
      <source file='/var/lib/vm1.qcow2'/>
      <target dev='vda' bus='virtio'/>
      <newer-element x='1'/>
    </disk>
  </devices>
  <qemu:commandline><qemu:arg value='-S'/></qemu:commandline>
</domain>`;

describe('typed documents', () => {
  it('reads typed values: numbers, booleans by presence, arrays, namespaced elements', () => {
    const d = parseDomainXML(GUEST);
    expect(d.type).toBe('kvm');
    expect(d.name).toBe('vm1');
    expect(d.memory).toEqual({ unit: 'KiB', value: 0x40000 });
    expect(d.features?.acpi).toBe(true);
    expect(d.devices?.disk?.[0]).toMatchObject({ type: 'file', device: 'disk', source: { file: '/var/lib/vm1.qcow2' }, target: { dev: 'vda', bus: 'virtio' } });
    expect(d.qemuCommandline?.arg?.[0]?.value).toBe('-S');
  });

  it('changes one field and writes everything else back in place: comments, metadata, unknown attributes and elements, hex', () => {
    const d = parseDomainXML(GUEST);
    d.name = 'vm2';
    const out = formatDomainXML(d);
    expect(canonicalXml(out)).toBe(canonicalXml(GUEST.replace('<name>vm1</name>', '<name>vm2</name>')));
    expect(out).toContain('<!-- kept -->');
    expect(out).toContain("fancy='from-a-newer-libvirt'");
    expect(out).toContain("<newer-element x='1'/>");
    expect(out).toContain('>0x40000<'); // an unchanged value is written as it was
    d.memory!.value = 524288;
    expect(formatDomainXML(d)).toContain(">524288</memory>");
    // Added children follow the document's own; a required one the document had may not go.
    d.description = 'added';
    expect(formatDomainXML(d)).toMatch(/<name>vm2<\/name>[^]*<description>added<\/description>/);
    delete (d as Partial<DomainXML>).name;
    expect(() => formatDomainXML(d)).toThrow('/domain: element <name> is required');
    // One the document lacked stays lacking: lenient mode keeps such documents.
    expect(formatDomainXML(parseDomainXML("<domain type='kvm'/>"))).toBe("<domain type='kvm'/>\n");
  });

  it('keeps what it remembers out of sight: JSON, keys, equality and a spread copy see only the typed values', () => {
    const d = parseDomainXML(GUEST);
    const plain = JSON.parse(JSON.stringify(d)) as DomainXML;
    expect(d).toEqual(plain);
    expect(Object.keys(d)).toEqual(Object.keys(plain));
    expect(Object.getOwnPropertySymbols({ ...d })).toEqual([]);
    // A spread copy is an object built in code: written in the schema's order, without what was unmodelled.
    expect(formatDomainXML({ ...d })).not.toContain('<!-- kept -->');
    expect(formatDomainXML(d)).toContain('<!-- kept -->');
  });

  it('refuses in strict mode what the schema does not describe, naming the path', () => {
    expect(() => parseDomainXML(GUEST, { mode: 'strict' })).toThrow(new XmlSchemaError("attribute 'fancy' is not in the schema", '/domain/devices/disk[1]/@fancy'));
    expect(() => parseDomainXML("<domain type='kvm'><name>x</name><vcpu>many</vcpu></domain>", { mode: 'strict' })).toThrow("/domain/vcpu: 'many' is not a value the schema allows");
    expect(() => parseDomainXML('<network/>')).toThrow('the root element is <network>, not <domain>');
  });

  it("reads in strict mode what libvirt's own daemons write where their schema says otherwise", () => {
    // The QEMU driver lists host CPU features such as sse4.1; cputypes.rng's hostcpu pattern has no dot.
    const caps = "<capabilities><host><uuid>00000000-0000-0000-0000-000000000001</uuid><cpu><arch>x86_64</arch><feature name='sse4.1'/></cpu></host></capabilities>";
    expect(parseCapabilitiesXML(caps, { mode: 'strict' }).host.cpu.feature?.[0]?.name).toBe('sse4.1');
    expect(() => parseCapabilitiesXML(caps.replace('sse4.1', 'sse 4'), { mode: 'strict' })).toThrow("does not match the schema's pattern");
  });

  it('writes a document built in code in the schema order, checking values', () => {
    const def: DomainXML = {
      type: 'qemu',
      name: 'built',
      memory: { unit: 'MiB', value: 64 },
      vcpu: { value: 1 },
      os: { type: { arch: 'x86_64', machine: 'pc', value: 'hvm' } },
      devices: { disk: [{ type: 'file', device: 'disk', source: { file: '/tmp/x.img' }, target: { dev: 'vda', bus: 'virtio' } }] },
    };
    const out = formatDomainXML(def);
    expect(out.indexOf('<name>')).toBeLessThan(out.indexOf('<memory'));
    expect(out.indexOf('<memory')).toBeLessThan(out.indexOf('<devices>'));
    expect(parseDomainXML(out)).toEqual(def);
    expect(() => formatDomainXML({ ...def, vcpu: { value: -1 } })).toThrow(XmlSchemaError);
    expect(() => formatDomainXML({ ...def, type: 'warp' as never })).toThrow("/domain/@type: 'warp' is not allowed here");
    const { name: _gone, ...noName } = def;
    expect(() => formatDomainXML(noName as DomainXML)).toThrow('/domain: element <name> is required');
  });

  it('holds the rules of a choice keyed by a value: in strict parse, on format of what code built, never on a leniently parsed document', () => {
    const lun = "<domain type='kvm'><name>x</name><devices><disk type='file' device='lun'><source file='/x'/><target dev='sda'/></disk></devices></domain>";
    expect(() => parseDomainXML(lun, { mode: 'strict' })).toThrow(new XmlSchemaError("type='file' is not allowed with device='lun'", '/domain/devices/disk[1]/@type'));
    // Lenient keeps it and writes it back as it came.
    expect(canonicalXml(formatDomainXML(parseDomainXML(lun)))).toBe(canonicalXml(lun));
    const slot = "<domain type='kvm'><name>x</name><devices><interface type='user'><address type='pci' slot='0x20'/></interface></devices></domain>";
    expect(() => parseDomainXML(slot, { mode: 'strict' })).toThrow('/domain/devices/interface[1]/address/@slot: 32 is outside 0..31');
    // A DIMM address's slot is any unsigned int: the same attribute, another branch.
    expect(() => parseDomainXML(slot.replace("type='pci' slot='0x20'", "type='dimm' slot='32'"), { mode: 'strict' })).not.toThrow();

    const base: DomainXML = { type: 'kvm', name: 'x' };
    const built = (disk: object) => formatDomainXML({ ...base, devices: { disk: [disk as never] } });
    expect(built({ type: 'block', source: { dev: '/dev/sda' }, target: { dev: 'vda' } })).toContain("<source dev='/dev/sda'/>");
    expect(() => built({ type: 'network', target: { dev: 'sda' } })).toThrow("/domain/devices/disk[1]: element <source> is required with no device, type='network'");
    expect(() => built({ type: 'file', device: 'disk', rawio: true, target: { dev: 'sda' } })).toThrow("/domain/devices/disk[1]/@rawio: attribute 'rawio' is not allowed with device='disk', type='file'");
    expect(() => formatDomainXML({ ...base, devices: { interface: [{ type: 'user', address: { type: 'pci', slot: 40 } }] } })).toThrow('/domain/devices/interface[1]/address/@slot: 40 is outside 0..31');
  });

  it('formats booleans as the schema spells them, and a network and a secret round-trip', () => {
    const net = parseNetworkXML("<network><name>n</name><forward mode='nat'/><ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' end='10.0.0.9'/></dhcp></ip></network>");
    expect(net.ip?.[0]?.prefix).toBe(24);
    expect(canonicalXml(formatNetworkXML(net))).toBe(canonicalXml("<network><name>n</name><forward mode='nat'/><ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' end='10.0.0.9'/></dhcp></ip></network>"));
    const secret = parseSecretXML("<secret ephemeral='no' private='yes'><usage type='volume'><volume>/v</volume></usage></secret>");
    expect(secret.ephemeral).toBe(false);
    expect(secret.private).toBe(true);
    secret.private = false;
    expect(formatSecretXML(secret)).toContain("private='no'");
  });
});
