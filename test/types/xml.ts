/**
 * Type tests for the typed XML layer (checked by `npm run typecheck`), including the README's
 * example document. Never run.
 */
import type { DomainDisk, DomainXML, NetworkXML, StoragePoolXML } from '../../src/xml.js';

export const readmeGuest: DomainXML = {
  type: 'kvm',
  name: 'web1',
  memory: { unit: 'MiB', value: 1024 },
  vcpu: { value: 2 },
  os: { type: { arch: 'x86_64', machine: 'q35', value: 'hvm' } },
  devices: {
    disk: [{ type: 'file', device: 'disk', driver: { name: 'qemu', type: 'qcow2' }, source: { file: '/var/lib/libvirt/images/web1.qcow2' }, target: { dev: 'vda', bus: 'virtio' } }],
    interface: [{ type: 'network', source: { network: 'default' }, model: { type: 'virtio' } }],
    console: [{ type: 'pty' }],
  },
};

// @ts-expect-error a domain has a type from the schema's list
export const badType: DomainXML = { type: 'warp', name: 'x' };
// @ts-expect-error name is required
export const noName: DomainXML = { type: 'kvm' };
// @ts-expect-error the schema's booleans are booleans, not 'yes'
export const badBool: NetworkXML = { name: 'n', ipv6: 'yes' };

// Choices keyed by an attribute's value are discriminated unions.
export const blockDisk: DomainDisk = { type: 'block', device: 'disk', source: { dev: '/dev/vg/web1' }, target: { dev: 'vda' } };
// @ts-expect-error a block disk's source has no file
export const blockWithFile: DomainDisk = { type: 'block', source: { file: '/x' }, target: { dev: 'vda' } };
// @ts-expect-error a LUN is a block, network or volume disk
export const lunFile: DomainDisk = { type: 'file', device: 'lun', target: { dev: 'sda' } };
// @ts-expect-error a dir pool has no source host
export const dirPoolWithHost: StoragePoolXML = { type: 'dir', name: 'p', source: { host: [{ name: 'h' }] }, target: { path: '/p' } };

/** The key narrows: each branch's fields, and no other's. */
export function diskPath(disk: DomainDisk): string | undefined {
  switch (disk.type) {
    case undefined:
    case 'file':
      return disk.source?.file;
    case 'block':
      return disk.source?.dev;
    case 'network':
      return disk.source.name;
    default:
      // @ts-expect-error a volume's source has no file
      return disk.source?.file;
  }
}
