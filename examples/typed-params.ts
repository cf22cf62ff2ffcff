// Read and change scheduler parameters (typed parameters as plain objects):
// `npx tsx examples/typed-params.ts test:///default test`
import { connect, VIR_DOMAIN_AFFECT_CURRENT } from 'libvirt-rpc';

const [uri, name = 'test'] = process.argv.slice(2);
const conn = await connect(uri);
try {
  const dom = await conn.domainLookupByName(name);
  const params = await conn.domainGetSchedulerParametersFlags(dom, 16, VIR_DOMAIN_AFFECT_CURRENT);
  console.log('before', params);
  // The object remembers each value's wire type, so it can be changed and sent back.
  for (const key of Object.keys(params)) if (typeof params[key] === 'number') params[key] = (params[key] as number) + 1;
  await conn.domainSetSchedulerParametersFlags(dom, params, VIR_DOMAIN_AFFECT_CURRENT);
  console.log('after', await conn.domainGetSchedulerParametersFlags(dom, 16, VIR_DOMAIN_AFFECT_CURRENT));
} finally {
  await conn.close();
}
