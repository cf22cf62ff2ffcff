// Read and change a domain's memory tunables (typed parameters as plain objects):
// `npx tsx examples/typed-params.ts [URI [DOMAIN]]`, e.g. test:///default test; without a URI,
// LIBVIRT_DEFAULT_URI, as virsh.
import { connect, VIR_DOMAIN_AFFECT_CURRENT } from 'libvirt-rpc';

const [uri, name = 'test'] = process.argv.slice(2);
const conn = await connect(uri);
try {
  const dom = await conn.domainLookupByName(name);
  const { params } = await conn.domainGetMemoryParameters(dom, 16, VIR_DOMAIN_AFFECT_CURRENT);
  console.log('before', params); // { hard_limit: 9007199254740991n, ... }: unlimited, in KiB
  // The object remembers each value's wire type (here unsigned 64-bit), so it can be changed
  // and sent back as it is.
  params.hard_limit = 1024n * 1024n;
  await conn.domainSetMemoryParameters(dom, params, VIR_DOMAIN_AFFECT_CURRENT);
  console.log('after', (await conn.domainGetMemoryParameters(dom, 16, VIR_DOMAIN_AFFECT_CURRENT)).params);
} finally {
  await conn.close();
}
