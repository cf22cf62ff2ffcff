// The admin program, as virt-admin uses it: each server of the daemon with its clients and
// worker threads. libvirtd admits only its own user (or root) on the admin socket:
// `npx tsx examples/admin.ts [URI]`, e.g. libvirtd:///system; without a URI,
// LIBVIRT_ADMIN_DEFAULT_URI, as virt-admin.
import { connectAdmin } from 'libvirt-rpc';

const admin = await connectAdmin(process.argv[2]);
try {
  const { servers } = await admin.connectListServers(16);
  for (const srv of servers) {
    const { clients } = await admin.serverListClients(srv, 1024);
    const pool = await admin.serverGetThreadPoolParameters(srv); // typed parameters, as an object
    console.log(`${srv.name}: ${clients.length} clients, ${pool.minWorkers}-${pool.maxWorkers} workers (${pool.nWorkers} running, ${pool.freeWorkers} free)`);
  }
} finally {
  await admin.close();
}
