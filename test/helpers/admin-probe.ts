/**
 * Run as the daemon's own user (the admin socket only admits that user): opens the admin
 * program through this library and prints what it finds as JSON.
 */
import { connectAdmin } from '../../src/index.js';

const [socket] = process.argv.slice(2);
const admin = await connectAdmin('libvirtd:///session', { env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR } });
const out: Record<string, unknown> = { socket };
out.libVersion = String(await admin.connectGetLibVersion());
const { servers } = await admin.connectListServers(16);
out.servers = servers.map((s) => s.name);
const srv = await admin.connectLookupServer('libvirtd');
const pool = await admin.serverGetThreadPoolParameters(srv);
out.threadpool = Object.fromEntries(Object.entries(pool).map(([k, v]) => [k, Number(v)]));
const limits = await admin.serverGetClientLimits(srv);
out.limits = Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, Number(v)]));
const { clients } = await admin.serverListClients(srv, 1024);
out.clients = clients.length;
out.outputs = await admin.connectGetLoggingOutputs(0);
await admin.close();
console.log(JSON.stringify(out));
