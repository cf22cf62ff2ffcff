// The admin program, as virt-admin uses it (run as the daemon's own user or root):
// `npx tsx examples/admin.ts libvirtd:///system`
import { connectAdmin } from 'libvirt-rpc';

const admin = await connectAdmin(process.argv[2] ?? 'libvirtd:///system');
try {
  const { servers } = await admin.connectListServers(16);
  for (const srv of servers) {
    const { clients } = await admin.serverListClients(srv, 1024);
    console.log(`${srv.name}: ${clients.length} clients`, await admin.serverGetThreadPoolParameters(srv));
  }
} finally {
  await admin.close();
}
