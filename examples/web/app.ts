// A page that manages one host through the bridge (`libvirt-rpc bridge`): the domains with
// their state and live stats, start (with the serial console attached), shutdown, destroy,
// and the console in an xterm.js terminal. Bundle it for the browser and serve it with
// index.html and xterm's CSS, then open it as
// `page.html#bridge=wss://host:8443/&token=TOKEN&uri=qemu:///system`; the test that drives
// it in Chromium shows how (test/integration/browser.test.ts). Not run with
// `npx tsx examples/web/app.ts`: it is a page.
import { Terminal } from '@xterm/xterm';
import { type Connection, VIR_DOMAIN_START_PAUSED, openBridge } from 'libvirt-rpc/browser';

const params = new URLSearchParams(location.hash.slice(1));
const statusLine = document.getElementById('status')!;
const say = (text: string, error = false) => {
  statusLine.textContent = text;
  statusLine.className = error ? 'error' : '';
};

const STATES = ['no state', 'running', 'blocked', 'paused', 'in shutdown', 'shut off', 'crashed', 'pmsuspended'];
const size = (bytes: number) => (bytes < 1024 ? `${bytes.toFixed(0)} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : bytes < 1024 ** 3 ? `${(bytes / 1024 ** 2).toFixed(1)} MiB` : `${(bytes / 1024 ** 3).toFixed(1)} GiB`);

/** A domain's counters from one stats record, to make rates of two samples. */
interface Sample {
  at: number;
  cpuNs: number;
  vcpus: number;
  memoryKiB: number;
  rd: number;
  wr: number;
  rx: number;
  tx: number;
}

function sampleOf(params: Record<string, unknown>, at: number): Sample {
  const num = (k: string) => Number(params[k] ?? 0);
  const sum = (prefix: string, suffix: string) => {
    let total = 0;
    for (let i = 0; i < num(`${prefix}.count`); i++) total += num(`${prefix}.${i}.${suffix}`);
    return total;
  };
  return { at, cpuNs: num('cpu.time'), vcpus: num('vcpu.current') || 1, memoryKiB: num('balloon.current'), rd: sum('block', 'rd.bytes'), wr: sum('block', 'wr.bytes'), rx: sum('net', 'rx.bytes'), tx: sum('net', 'tx.bytes') };
}

let conn: Connection;
const last = new Map<string, Sample>();
const terminal = new Terminal({ rows: 14, cols: 90, convertEol: false });
terminal.open(document.getElementById('console')!);
let detachConsole: (() => Promise<void>) | undefined;

async function attachConsole(name: string): Promise<void> {
  await detachConsole?.();
  const dom = await conn.domains.lookupByName(name);
  const { stream } = await conn.domainOpenConsole(dom.wire, null, 0);
  document.getElementById('console-name')!.textContent = name;
  terminal.reset();
  const typed = terminal.onData((text) => void stream.write(new TextEncoder().encode(text)).catch(() => undefined));
  void (async () => {
    for await (const chunk of stream.chunks()) terminal.write(chunk);
  })().catch(() => undefined);
  detachConsole = async () => {
    typed.dispose();
    await stream.abort().catch(() => undefined);
  };
}

async function act(name: string, action: 'start' | 'shutdown' | 'destroy'): Promise<void> {
  try {
    const dom = await conn.domains.lookupByName(name);
    if (action === 'start') {
      // Started paused so that the console is attached before the guest writes to it.
      await conn.domainCreateWithFlags(dom.wire, VIR_DOMAIN_START_PAUSED);
      await attachConsole(name);
      await conn.domainResume(dom.wire);
    } else if (action === 'shutdown') {
      await conn.domainShutdown(dom.wire);
    } else {
      await conn.domainDestroy(dom.wire);
    }
    say(`${action}: ${name}`);
  } catch (e) {
    say(`${action} ${name}: ${(e as Error).message}`, true);
  }
  await refresh();
}

async function refresh(): Promise<void> {
  const now = performance.now();
  const { domains } = await conn.connectListAllDomains(1, 0);
  const stats = await conn.connectGetAllDomainStats([], 0, 0);
  const byName = new Map(stats.map((r) => [r.dom.name, sampleOf(r.params as Record<string, unknown>, now)]));
  const rows = await Promise.all(
    domains.map(async (d) => {
      const { state } = await conn.domainGetState(d, 0);
      return { name: d.name, state };
    }),
  );
  const body = document.querySelector('#domains tbody')!;
  body.replaceChildren(
    ...rows.sort((a, b) => a.name.localeCompare(b.name)).map(({ name, state }) => {
      const s = byName.get(name);
      const prev = last.get(name);
      if (s) last.set(name, s);
      const secs = s && prev ? (s.at - prev.at) / 1000 : 0;
      const rate = (k: 'rd' | 'wr' | 'rx' | 'tx') => (s && prev && secs > 0 ? `${size(Math.max(0, s[k] - prev[k]) / secs)}` : '');
      const cpu = s && prev && secs > 0 ? ((Math.max(0, s.cpuNs - prev.cpuNs) / 1e9 / secs / s.vcpus) * 100).toFixed(1) : '';
      const tr = document.createElement('tr');
      tr.dataset.name = name;
      const cells = [name, STATES[state] ?? String(state), cpu, s ? size(s.memoryKiB * 1024) : '', rate('rd'), rate('wr'), rate('rx'), rate('tx')];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i >= 2) td.className = 'num';
        if (i === 1) td.dataset.field = 'state';
        tr.append(td);
      });
      const actions = document.createElement('td');
      for (const action of ['start', 'shutdown', 'destroy'] as const) {
        const button = document.createElement('button');
        button.textContent = action;
        button.dataset.action = action;
        button.disabled = action === 'start' ? state !== 5 : state !== 1;
        button.onclick = () => void act(name, action);
        actions.append(button);
      }
      tr.append(actions);
      return tr;
    }),
  );
}

try {
  const token = params.get('token');
  conn = await openBridge(params.get('bridge') ?? `${location.origin.replace(/^http/, 'ws')}/`, params.get('uri') ?? null, {
    ...(token ? { websocket: { protocols: [`libvirt-rpc.bearer.${token}`] } } : {}),
  });
  document.getElementById('host')!.textContent = await conn.connectGetHostname();
  say('connected');
  await refresh();
  setInterval(() => void refresh().catch((e: Error) => say(e.message, true)), 1000);
} catch (e) {
  say(`cannot connect: ${(e as Error).message}`, true);
}
