/**
 * Typed XML against a real libvirtd: documents built in code (a QEMU guest with a disk, a
 * network interface and a serial console; a dir pool and a volume; a secret; a snapshot and
 * a network on the test driver) are defined, read back with the daemon's XML, parsed strictly
 * and compared field by field; the real QEMU driver's capabilities and domain capabilities
 * parse in strict mode; a change to one field of what the daemon wrote survives a redefine.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Connection, connect } from '../../src/index.js';
import {
  type DomainXML,
  formatDomainSnapshotXML,
  formatDomainXML,
  formatNetworkXML,
  formatSecretXML,
  formatStoragePoolXML,
  parseCapabilitiesXML,
  parseDomainCapabilitiesXML,
  parseDomainSnapshotXML,
  parseDomainXML,
  parseNetworkXML,
  parseSecretXML,
  parseStoragePoolXML,
  parseStorageVolumeXML,
} from '../../src/xml.js';
import { type ThrowawayDaemon, forEachGeneration, sharedDaemon } from '../helpers/libvirtd.js';

forEachGeneration((generation) => describe('typed XML on a real daemon', () => {
  let daemon: ThrowawayDaemon;
  let qemu: Connection;
  let test: Connection;

  beforeAll(async () => {
    daemon = await sharedDaemon(generation);
    qemu = await connect(daemon.qemuUri);
    test = await connect(daemon.testUri);
  });
  afterAll(async () => {
    await qemu?.close();
    await test?.close();
  });

  it("parses the QEMU driver's capabilities and domain capabilities in strict mode", async () => {
    const caps = parseCapabilitiesXML(await qemu.host.getCapabilities(), { mode: 'strict' });
    expect(caps.host.cpu.arch).toBe('x86_64');
    expect(caps.guest?.some((g) => g.osType === 'hvm')).toBe(true);
    const dcaps = parseDomainCapabilitiesXML(await qemu.domains.getCapabilities(null, 'x86_64', null, 'qemu'), { mode: 'strict' });
    expect(dcaps.arch).toBe('x86_64');
    expect(dcaps.domain).toBe('qemu');
  });

  it('defines a guest built in code and reads back every field it was given', async () => {
    const dir = join(daemon.dir, 'xml-daemon-pool');
    mkdirSync(dir, { recursive: true });
    execFileSync('chown', [daemon.user, dir]);
    const pool = await qemu.storagePools.createXML(formatStoragePoolXML({ type: 'dir', name: `xml-${process.pid}`, target: { path: daemon.pathInDaemon(dir) } }));
    try {
      const poolBack = parseStoragePoolXML(await pool.getXMLDesc(), { mode: 'strict' });
      expect(poolBack).toMatchObject({ type: 'dir', name: `xml-${process.pid}`, target: { path: daemon.pathInDaemon(dir) } });
      const vol = await pool.volumes.createXML({ name: 'disk.raw', capacity: { unit: 'MiB', value: 16 }, target: { format: { type: 'raw' } } });
      expect((await vol.describe()).name).toBe('disk.raw');
      const volBack = parseStorageVolumeXML(await vol.getXMLDesc(), { mode: 'strict' });
      expect(volBack.capacity).toMatchObject({ unit: 'bytes', value: 16 * 1024 * 1024 });
      expect(volBack.target?.format?.type).toBe('raw');

      const guest: DomainXML = {
        type: 'qemu',
        name: 'xml-guest',
        memory: { unit: 'MiB', value: 32 },
        vcpu: { value: 1 },
        os: { type: { arch: 'x86_64', machine: 'pc', value: 'hvm' } },
        devices: {
          disk: [{ type: 'file', device: 'disk', driver: { name: 'qemu', type: 'raw' }, source: { file: await vol.getPath() }, target: { dev: 'vda', bus: 'virtio' } }],
          interface: [{ type: 'user', model: { type: 'virtio' } }],
          serial: [{ type: 'pty' }],
        },
      };
      // The handles take the typed document as it is, and describe() reads one back.
      const dom = await qemu.domains.defineXML(guest);
      try {
        expect(parseDomainXML(await dom.getXMLDesc({ inactive: true }), { mode: 'strict' })).toEqual(await dom.describe({ inactive: true }));
        const back = await dom.describe({ inactive: true });
        expect(back).toMatchObject({ type: 'qemu', name: 'xml-guest', memory: { unit: 'KiB', value: 32768 }, vcpu: { value: 1 }, os: { type: { arch: 'x86_64', value: 'hvm' } } });
        expect(back.uuid).toBe(dom.uuid);
        expect(back.devices?.disk?.[0]).toMatchObject({ type: 'file', device: 'disk', driver: { name: 'qemu', type: 'raw' }, source: { file: await vol.getPath() }, target: { dev: 'vda', bus: 'virtio' } });
        expect(back.devices?.interface?.[0]).toMatchObject({ type: 'user', model: { type: 'virtio' } });
        expect(back.devices?.serial?.[0]?.type).toBe('pty');

        // One field changed in what the daemon wrote; everything it added stays.
        back.memory = { unit: 'MiB', value: 48 };
        expect(formatDomainXML(back)).toContain("<memory unit='MiB'>48</memory>");
        await qemu.domains.defineXML(back);
        const again = parseDomainXML(await dom.getXMLDesc({ inactive: true }), { mode: 'strict' });
        expect(again.memory).toEqual({ unit: 'KiB', value: 49152 });
        const { memory: _m1, currentMemory: _c1, ...rest1 } = back;
        const { memory: _m2, currentMemory: _c2, ...rest2 } = again;
        expect(rest2).toEqual(rest1);

      } finally {
        await dom.undefine();
      }
      await vol.delete();
    } finally {
      await pool.destroy();
    }
  });

  it('defines a secret, a network and a snapshot built in code and reads them back', async () => {
    const dom = await test.domains.lookupByName('test');
    const snap = await dom.snapshots.createXML(formatDomainSnapshotXML({ name: 'xml-snap', description: 'made from a typed value' }));
    const snapBack = parseDomainSnapshotXML(await snap.getXMLDesc(), { mode: 'strict' });
    expect(snapBack).toMatchObject({ name: 'xml-snap', description: 'made from a typed value' });
    expect(snapBack.domain?.name).toBe('test');
    await snap.delete();

    const secret = await qemu.secrets.defineXML(formatSecretXML({ ephemeral: false, private: true, description: 'typed', usage: { type: 'volume', volume: '/var/lib/xml/disk.img' } }));
    try {
      const back = parseSecretXML(await secret.getXMLDesc(), { mode: 'strict' });
      expect(back).toMatchObject({ ephemeral: false, private: true, description: 'typed', uuid: secret.uuid, usage: { type: 'volume', volume: '/var/lib/xml/disk.img' } });
    } finally {
      await secret.undefine();
    }
    const net = await test.networks.defineXML(formatNetworkXML({ name: 'xml-net', forward: { mode: 'nat' }, ip: [{ address: '192.168.177.1', netmask: '255.255.255.0', dhcp: { range: [{ start: '192.168.177.2', end: '192.168.177.9' }] } }] }));
    try {
      const back = parseNetworkXML(await net.getXMLDesc(), { mode: 'strict' });
      expect(back).toMatchObject({ name: 'xml-net', uuid: net.uuid, forward: { mode: 'nat' } });
      expect(back.ip?.[0]).toMatchObject({ address: '192.168.177.1', netmask: '255.255.255.0', dhcp: { range: [{ start: '192.168.177.2', end: '192.168.177.9' }] } });
    } finally {
      await net.undefine();
    }
  });
}));
