/**
 * `npm run demo`: starts a throwaway libvirtd and walks through a real session with the
 * library, saying what it does at each step.
 */
import { connect, VIR_DOMAIN_RUNNING, virDomainState } from '../src/index.js';
import { startThrowawayLibvirtd } from '../test/harness/daemon.js';
import { tinyGuestXml } from '../test/harness/guests.js';

const stateName = new Map<number, string>(Object.entries(virDomainState).map(([k, v]) => [v, k]));
const step = (what: string) => console.log(`\n== ${what}`);
const show = (label: string, value: unknown) =>
  console.log(`   ${label}: ${typeof value === 'string' ? value : JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}` : v))}`);

step('Starting a private libvirtd (nothing else on this machine is touched)');
const daemon = await startThrowawayLibvirtd({ name: 'demo' });
show('socket', daemon.socket);

try {
  step(`Connecting to ${daemon.qemuUri}`);
  const conn = await connect(daemon.qemuUri);
  show('features', conn.features);
  show('libvirt version', String(await conn.connectGetLibVersion()));
  show('hypervisor', `${await conn.connectGetType()} ${await conn.connectGetVersion()}`);
  show('host', await conn.connectGetHostname());
  show('node', await conn.nodeGetInfo());

  step('Listing domains');
  show('domains', (await conn.connectListAllDomains(1, 0)).domains.map((d) => d.name));

  step('Defining and starting a tiny QEMU/TCG guest');
  const defined = await conn.domainDefineXML(tinyGuestXml('demo-guest'));
  await conn.domainCreate(defined);
  const dom = await conn.domainLookupByName('demo-guest');
  show('id', dom.id);
  const { state, reason } = await conn.domainGetState(dom, 0);
  show('state', `${stateName.get(state)} (reason ${reason})`);
  if (state !== VIR_DOMAIN_RUNNING) throw new Error('the guest did not start');
  show('info', await conn.domainGetInfo(dom));
  await new Promise((r) => setTimeout(r, 500));
  const [stats] = await conn.connectGetAllDomainStats([dom], 0, 0);
  show('stats', Object.fromEntries(Object.entries(stats!.params).filter(([k]) => /^(state|cpu|balloon|vcpu\.current)/.test(k))));
  show('QEMU monitor says', await conn.qemu.domainMonitorCommand(dom, '{"execute":"query-status"}', 0));

  step('Stopping and removing the guest');
  await conn.domainDestroy(dom);
  show('state', stateName.get((await conn.domainGetState(dom, 0)).state));
  await conn.domainUndefine(defined);
  show('domains', (await conn.connectListAllDomains(1, 0)).domains.map((d) => d.name));

  step('Closing');
  await conn.close();
  show('calls sent', conn.stats.callsSent);
} finally {
  await daemon.stop();
  console.log('\nDaemon stopped and its directory removed.');
}
