/**
 * Type tests for the typed XML layer (checked by `npm run typecheck`), including the README's
 * example document. Never run.
 */
import type { DomainXML, NetworkXML } from '../../src/xml.js';

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
