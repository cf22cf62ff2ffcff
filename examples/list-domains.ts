// List every domain with its id and state: `npx tsx examples/list-domains.ts [URI]`;
// without a URI, LIBVIRT_DEFAULT_URI, as virsh.
import { connect, virDomainState } from 'libvirt-rpc';

const stateNames = new Map<number, string>(Object.entries(virDomainState).map(([name, value]) => [value, name.replace('VIR_DOMAIN_', '').toLowerCase()]));

const conn = await connect(process.argv[2]);
try {
  const { domains } = await conn.connectListAllDomains(1, 0);
  for (const dom of domains) {
    const { state } = await conn.domainGetState(dom, 0);
    console.log(`${dom.id >= 0 ? dom.id : '-'}\t${dom.name}\t${stateNames.get(state)}`);
  }
} finally {
  await conn.close();
}
