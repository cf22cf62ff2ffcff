// Define a tiny guest from XML, start it, show its info, then remove it:
// `npx tsx examples/define-and-start.ts qemu:///session`
import { connect } from 'libvirt-rpc';

const xml = `<domain type='qemu'>
  <name>example-guest</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><serial type='pty'/><console type='pty'/></devices>
</domain>`;

const conn = await connect(process.argv[2] ?? 'qemu:///session');
try {
  const dom = await conn.domainDefineXML(xml);
  await conn.domainCreate(dom);
  console.log(await conn.domainGetInfo(dom));
  await conn.domainDestroy(dom);
  await conn.domainUndefine(dom);
} finally {
  await conn.close();
}
