// Errors carry libvirt's fields; every call takes a timeout or an AbortSignal:
// `npx tsx examples/errors-and-timeouts.ts [URI]`; without a URI, LIBVIRT_DEFAULT_URI, as virsh.
import { connect, LibvirtError, TimeoutError } from 'libvirt-rpc';

const conn = await connect(process.argv[2], { keepalive: { intervalMs: 5000, count: 5 } });
try {
  try {
    await conn.domainLookupByName('no-such-domain');
  } catch (e) {
    if (e instanceof LibvirtError && e.isNotFound()) console.log(`${e.codeName}: ${e.message}`);
    else throw e;
  }
  try {
    const caps = await conn.connectGetCapabilities({ timeoutMs: 2000 });
    console.log('host arch:', /<host>[\s\S]*?<arch>(.*?)<\/arch>/.exec(caps)?.[1]);
  } catch (e) {
    if (e instanceof TimeoutError) console.log('the daemon did not answer in time');
    else throw e;
  }
} finally {
  await conn.close();
}
