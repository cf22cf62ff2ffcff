// List every domain with its id and state: `npx tsx examples/list-domains.ts [URI]`;
// without a URI, LIBVIRT_DEFAULT_URI, as virsh.
import { connect } from 'libvirt-rpc';

const conn = await connect(process.argv[2]);
try {
  for (const dom of await conn.domains.listAll()) {
    const { state } = await dom.getState(); // 'running', 'shutoff', ...
    console.log(`${dom.id >= 0 ? dom.id : '-'}\t${dom.name}\t${state}`);
  }
} finally {
  await conn.close();
}
