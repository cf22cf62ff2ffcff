// Define a tiny QEMU guest from XML, start it, show its info, then remove it:
// `npx tsx examples/define-and-start.ts [URI]`, e.g. qemu:///session; without a URI,
// LIBVIRT_DEFAULT_URI, as virsh.
import { connect } from 'libvirt-rpc';

const xml = `<domain type='qemu'>
  <name>example-guest</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><serial type='pty'/><console type='pty'/></devices>
</domain>`;

const conn = await connect(process.argv[2]);
try {
  const dom = await conn.domainDefineXML(xml);
  try {
    await conn.domainCreate(dom);
    console.log(dom.name, await conn.domainGetInfo(dom));
    await conn.domainDestroy(dom);
  } finally {
    await conn.domainUndefine(dom);
  }
} finally {
  await conn.close();
}
