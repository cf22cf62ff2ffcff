/**
 * `top` without a daemon: counters from stats records, rates from two samples, the sort, names
 * cut to the terminal, the JSON shape, the keys; and the loops themselves over a fake
 * connection, printed and on a fake terminal.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Connection } from '../../src/api/connection.js';
import type { CliIo } from '../../src/cli/registry.js';
import {
  type DomainCounters,
  type DomainRow,
  type HostSample,
  KEYS_LINE,
  applyKeys,
  compactBytes,
  domainCounters,
  domainRows,
  fleetRows,
  parseTopOptions,
  renderLines,
  sortRows,
  tableLines,
  topFleet,
  topJson,
  truncate,
} from '../../src/cli/top.js';

const uuid = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;

function counters(n: number, over: Partial<DomainCounters> = {}): DomainCounters {
  return { name: `dom${n}`, uuid: uuid(n), id: n, state: 1, cpuTimeNs: 0n, vcpus: 2, memoryKiB: 1024 * n, rssKiB: null, readBytes: 0n, writeBytes: 0n, rxBytes: 0n, txBytes: 0n, ...over };
}

function sample(at: number, domains: DomainCounters[], over: Partial<HostSample> = {}): HostSample {
  return { uri: 'qemu:///system', host: 'h1', cpus: 4, at, time: new Date(2030, 0, 2, 3, 4, 5), domains, error: null, ...over };
}

function row(name: string, over: Partial<DomainRow> = {}): DomainRow {
  return {
    host: 'h1', uri: 'u', name, uuid: name, id: 1, state: 'running', vcpus: 1, cpuPercent: 0, vcpuPercent: 0, memoryKiB: 0, rssKiB: null,
    blockReadBytesPerSecond: 0, blockWriteBytesPerSecond: 0, netRxBytesPerSecond: 0, netTxBytesPerSecond: 0, ...over,
  };
}

describe('counters from a stats record', () => {
  it('reads state, CPU time, vCPUs and balloon, and sums bytes over every disk and interface', () => {
    const dom = { name: 'web', uuid: Uint8Array.from({ length: 16 }, (_, i) => i), id: 3 };
    const c = domainCounters(dom, {
      'state.state': 1, 'cpu.time': 5_000_000_000n, 'vcpu.current': 2, 'balloon.current': 65536n, 'balloon.rss': 70000n,
      'block.count': 2, 'block.0.rd.bytes': 100n, 'block.0.wr.bytes': 10n, 'block.1.rd.bytes': 50n, 'block.1.wr.bytes': 5n,
      'net.count': 1, 'net.0.rx.bytes': 7n, 'net.0.tx.bytes': 9n,
    });
    expect(c).toEqual({
      name: 'web', uuid: '00010203-0405-0607-0809-0a0b0c0d0e0f', id: 3, state: 1, cpuTimeNs: 5_000_000_000n, vcpus: 2, memoryKiB: 65536, rssKiB: 70000,
      readBytes: 150n, writeBytes: 15n, rxBytes: 7n, txBytes: 9n,
    });
  });

  it('leaves out what a driver did not report (the test driver has the state only)', () => {
    const c = domainCounters({ name: 'test', uuid: new Uint8Array(16), id: 1 }, { 'state.state': 1, 'state.reason': 0 });
    expect(c).toMatchObject({ cpuTimeNs: null, vcpus: null, memoryKiB: null, readBytes: null, rxBytes: null });
  });
});

describe('rates from two samples', () => {
  it('divides the counters by the wall time between the samples; %CPU against the host CPUs and the vCPUs', () => {
    const before = sample(10_000, [counters(1, { cpuTimeNs: 1_000_000_000n, readBytes: 1000n, writeBytes: 0n, rxBytes: 500n, txBytes: 100n })]);
    // Two seconds later: 2 s of CPU time on a 4-CPU host is 25% of it, 50% of 2 vCPUs.
    const after = sample(12_000, [counters(1, { cpuTimeNs: 3_000_000_000n, readBytes: 5000n, writeBytes: 2048n, rxBytes: 1500n, txBytes: 100n })]);
    expect(domainRows(before, after)).toEqual([
      {
        host: 'h1', uri: 'qemu:///system', name: 'dom1', uuid: uuid(1), id: 1, state: 'running', vcpus: 2,
        cpuPercent: 25, vcpuPercent: 50, memoryKiB: 1024, rssKiB: null,
        blockReadBytesPerSecond: 2000, blockWriteBytesPerSecond: 1024, netRxBytesPerSecond: 500, netTxBytesPerSecond: 0,
      },
    ]);
  });

  it('has no rates on the first sample, for a domain that is new, shut off, or restarted (a new id), or a counter that went back', () => {
    const first = sample(0, [counters(1), counters(2), counters(3), counters(4, { readBytes: 900n })]);
    expect(domainRows(undefined, first).every((r) => r.cpuPercent === null && r.blockReadBytesPerSecond === null)).toBe(true);
    const second = sample(1000, [
      counters(1, { id: 9, cpuTimeNs: 5n }), // restarted
      counters(2, { id: -1, state: 5 }), // shut off since
      counters(3, { cpuTimeNs: 1_000_000n }),
      counters(4, { readBytes: 100n }), // counter reset
      counters(5), // new
    ]);
    const rows = new Map(domainRows(first, second).map((r) => [r.name, r]));
    expect(rows.get('dom1')).toMatchObject({ id: 9, cpuPercent: null });
    expect(rows.get('dom2')).toMatchObject({ id: null, state: 'shut off', cpuPercent: null, netRxBytesPerSecond: null });
    expect(rows.get('dom3')).toMatchObject({ cpuPercent: 0.03, vcpuPercent: 0.05, blockReadBytesPerSecond: 0 });
    expect(rows.get('dom4')).toMatchObject({ blockReadBytesPerSecond: null, blockWriteBytesPerSecond: 0 });
    expect(rows.get('dom5')).toMatchObject({ cpuPercent: null });
  });

  it('matches each host with its own previous sample, and labels hosts that share a name by URI', () => {
    const a0 = sample(0, [counters(1)], { uri: 'qemu+ssh://a/system', host: 'same' });
    const b0 = sample(0, [counters(1)], { uri: 'qemu+ssh://b/system', host: 'same' });
    const a1 = sample(1000, [counters(1, { cpuTimeNs: 400_000_000n })], { uri: 'qemu+ssh://a/system', host: 'same' });
    const b1 = sample(1000, [counters(1, { cpuTimeNs: 40_000_000n })], { uri: 'qemu+ssh://b/system', host: 'same' });
    const rows = fleetRows([a0, b0], [a1, b1]);
    expect(rows.map((r) => [r.host, r.cpuPercent])).toEqual([
      ['qemu+ssh://a/system', 10],
      ['qemu+ssh://b/system', 1],
    ]);
    expect(fleetRows(undefined, [sample(0, [counters(1)], { host: 'x' }), sample(0, [], { uri: 'y', host: 'y' })])[0]!.host).toBe('x');
  });
});

describe('sorting', () => {
  const rows = [
    row('b', { cpuPercent: 5, memoryKiB: 10, netTxBytesPerSecond: 3 }),
    row('c', { cpuPercent: null, memoryKiB: 30, netTxBytesPerSecond: null }),
    row('a', { cpuPercent: 5, memoryKiB: 20, netTxBytesPerSecond: 1 }),
    row('d', { cpuPercent: 50, memoryKiB: null, netTxBytesPerSecond: 2 }),
  ];
  it.each([
    ['cpu', ['d', 'a', 'b', 'c']],
    ['mem', ['c', 'a', 'b', 'd']],
    ['tx', ['b', 'd', 'a', 'c']],
    ['name', ['a', 'b', 'c', 'd']],
  ] as const)('by %s: the largest first, none last, ties by name', (key, order) => {
    expect(sortRows(rows, key).map((r) => r.name)).toEqual(order);
  });
  it('sorts equal names by host', () => {
    expect(sortRows([row('x', { host: 'h2' }), row('x', { host: 'h1' })], 'name').map((r) => r.host)).toEqual(['h1', 'h2']);
  });
});

describe('text', () => {
  it('cuts text to a width with an ellipsis, counting characters rather than UTF-16 units', () => {
    expect(truncate('guest', 10)).toBe('guest');
    expect(truncate('guest', 5)).toBe('guest');
    expect(truncate('a-long-guest-name', 8)).toBe('a-long-…');
    expect(truncate('😀😀😀', 2)).toBe('😀…');
    expect(truncate('abc', 0)).toBe('');
  });

  it('writes bytes as top does', () => {
    expect([0, 512, 1024, 1536, 32 * 1024 * 1024, 150 * 1024 ** 3, null].map(compactBytes)).toEqual(['0B', '512B', '1.0K', '1.5K', '32.0M', '150G', '-']);
  });

  it('fits the table to the width: a long name is cut, the numbers stay whole', () => {
    const rows = [row('short'), row('a-guest-with-a-very-long-name-indeed', { memoryKiB: 32768, cpuPercent: 12.345 })];
    const wide = tableLines(rows, false, Infinity);
    expect(wide[0]).toBe('ID NAME                                 STATE   %CPU VCPU   MEM RD/s WR/s RX/s TX/s');
    expect(wide[2]).toBe(' 1 a-guest-with-a-very-long-name-indeed running 12.3    1 32.0M   0B   0B   0B   0B');
    const narrow = tableLines(rows, false, 60);
    expect(narrow.every((l) => l.length <= 60)).toBe(true);
    expect(narrow).toEqual([
      'ID NAME          STATE   %CPU VCPU   MEM RD/s WR/s RX/s TX/s',
      ' 1 short         running  0.0    1    0B   0B   0B   0B   0B',
      ' 1 a-guest-with… running 12.3    1 32.0M   0B   0B   0B   0B',
    ]);
  });

  it('leads with the host when there are several, and gives up host width before name width', () => {
    const rows = [row('guest', { host: 'qemu+ssh://a-very-long-host-name.example.com/system' })];
    expect(tableLines(rows, true, Infinity)[1]).toBe('qemu+ssh://a-very-long-host-name.example.com/system  1 guest running  0.0    1  0B   0B   0B   0B   0B');
    expect(tableLines(rows, true, 72)).toEqual([
      'HOST                  ID NAME  STATE   %CPU VCPU MEM RD/s WR/s RX/s TX/s',
      'qemu+ssh://a-very-lo…  1 guest running  0.0    1  0B   0B   0B   0B   0B',
    ]);
  });

  it('renders a header with the host, the counts and what %CPU is measured against, and the keys on screen', () => {
    const hosts = [sample(0, [counters(1), counters(2, { state: 3 }), counters(3, { state: 5, id: -1 })])];
    const view = { hosts, rows: sortRows(fleetRows(undefined, hosts), 'name'), sort: 'name' as const, intervalSeconds: 2, time: hosts[0]!.time, width: 100 };
    const lines = renderLines({ ...view, keys: true });
    expect(lines.slice(0, 4)).toEqual([
      'libvirt-rpc top 03:04:05 - host h1, 4 CPUs - every 2s - sorted by name',
      '3 domains: 1 running, 1 paused, 1 shut off, 0 other',
      "%CPU: share of the host's 4 CPUs (100 = all busy), memory: balloon current",
      '',
    ]);
    expect(lines.at(-1)).toBe(KEYS_LINE);
    expect(renderLines(view).at(-1)).toMatch(/^ - dom3 +shut off/);
    // A short terminal: what does not fit is counted.
    const short = renderLines({ ...view, keys: true, height: 8 });
    expect(short).toHaveLength(8);
    expect(short[4]).toMatch(/^ID NAME/);
    expect(short[5]).toBe('… 3 more');
    expect(renderLines({ ...view, width: 20 }).every((l) => l.length <= 20)).toBe(true);
  });

  it('names the hosts that did not answer', () => {
    const hosts = [sample(0, [counters(1)], { uri: 'a', host: 'ha' }), sample(0, [], { uri: 'qemu+ssh://b/system', host: 'qemu+ssh://b/system', error: 'connection refused' })];
    const lines = renderLines({ hosts, rows: fleetRows(undefined, hosts), sort: 'cpu', intervalSeconds: 1, time: hosts[0]!.time, width: Infinity });
    expect(lines[0]).toBe('libvirt-rpc top 03:04:05 - 2 hosts (1 answering), 4 CPUs - every 1s - sorted by cpu');
    expect(lines[3]).toBe('qemu+ssh://b/system: connection refused');
    expect(lines[5]).toMatch(/^HOST ID NAME/);
  });
});

describe('JSON', () => {
  it('is one object: time, host, interval, sort, hosts, and the domains with stable names and numbers as numbers', () => {
    const before = sample(0, [counters(1)]);
    const after = sample(1000, [counters(1, { cpuTimeNs: 40_000_000n, rxBytes: 2048n })]);
    const json = JSON.parse(JSON.stringify(topJson({ hosts: [after], rows: fleetRows([before], [after]), sort: 'cpu', intervalSeconds: 1, time: new Date(Date.UTC(2030, 0, 1)) })));
    expect(json).toEqual({
      time: '2030-01-01T00:00:00.000Z',
      host: 'h1',
      uri: 'qemu:///system',
      intervalSeconds: 1,
      sort: 'cpu',
      hosts: [{ host: 'h1', uri: 'qemu:///system', cpus: 4, error: null }],
      domains: [
        {
          host: 'h1', uri: 'qemu:///system', name: 'dom1', uuid: uuid(1), id: 1, state: 'running', vcpus: 2, cpuPercent: 1, vcpuPercent: 2,
          memoryKiB: 1024, rssKiB: null, blockReadBytesPerSecond: 0, blockWriteBytesPerSecond: 0, netRxBytesPerSecond: 2048, netTxBytesPerSecond: 0,
        },
      ],
    });
    const fleet = topJson({ hosts: [after, { ...after, uri: 'other' }], rows: [], sort: 'cpu', intervalSeconds: 1, time: new Date() });
    expect(fleet).toMatchObject({ host: null, uri: null });
    expect(fleet.hosts.map((h) => h.host)).toEqual(['qemu:///system', 'other']);
  });
});

describe('keys and options', () => {
  const state = { sort: 'cpu' as const, intervalSeconds: 1 };
  it.each([
    ['n', { sort: 'name', intervalSeconds: 1 }, { redraw: true, reschedule: false, quit: false }],
    ['m', { sort: 'mem', intervalSeconds: 1 }, { redraw: true, reschedule: false, quit: false }],
    ['rwxt', { sort: 'tx', intervalSeconds: 1 }, { redraw: true, reschedule: false, quit: false }],
    ['+', { sort: 'cpu', intervalSeconds: 2 }, { redraw: true, reschedule: true, quit: false }],
    ['++-', { sort: 'cpu', intervalSeconds: 2 }, { redraw: true, reschedule: true, quit: false }],
    ['--', { sort: 'cpu', intervalSeconds: 0.5 }, { redraw: true, reschedule: true, quit: false }],
    ['q', state, { quit: true }],
    ['\x03', state, { quit: true }],
    ['\x1b[C', state, { redraw: false, quit: false }], // an arrow key, not a "C"
    ['z', state, { redraw: false, quit: false }],
  ] as const)('%j', (input, next, effect) => {
    const r = applyKeys(state, input);
    expect(r.state).toEqual(next);
    expect(r).toMatchObject(effect);
  });

  it('parses the options, and refuses bad ones with a reason', () => {
    expect(parseTopOptions({ interval: '0.5', sort: 'rx', once: true, iterations: '3' }, true)).toEqual({ intervalSeconds: 0.5, sort: 'rx', once: true, iterations: 3, json: true });
    expect(parseTopOptions({}, false)).toEqual({ once: false, json: false });
    expect(() => parseTopOptions({ interval: '0' }, false)).toThrow("invalid interval '0'");
    expect(() => parseTopOptions({ interval: '-1' }, false)).toThrow('invalid interval');
    expect(() => parseTopOptions({ sort: 'size' }, false)).toThrow("invalid sort key 'size': one of cpu, mem, rd, wr, rx, tx, name");
    expect(() => parseTopOptions({ iterations: '0' }, false)).toThrow("Numeric value '0' for <iterations> option is malformed or out of range");
  });
});

/** A connection that answers the three calls top makes, its guest busier at each call. */
function fakeConnection(calls: { stats: number }): Connection {
  return {
    connectGetHostname: async () => 'fake',
    nodeGetInfo: async () => ({ cpus: 2 }),
    connectGetAllDomainStats: async () => {
      calls.stats++;
      return [
        { dom: { name: 'busy', uuid: new Uint8Array(16), id: 1 }, params: { 'state.state': 1, 'cpu.time': BigInt(calls.stats) * 10_000_000n, 'balloon.current': 2048n, 'vcpu.current': 1 } },
      ];
    },
  } as unknown as Connection;
}

describe('the loops, on a fake connection', () => {
  it('--once: two samples, one plain table without escape codes', async () => {
    const calls = { stats: 0 };
    let out = '';
    const text = await topFleet([{ uri: 'fake:///', conn: fakeConnection(calls) }], { once: true, intervalSeconds: 0.01 }, { stdout: (s) => (out += s), stderr: () => {}, env: {} });
    expect(calls.stats).toBe(2);
    expect(out).toBe('');
    expect(text).not.toContain('\x1b');
    expect(text).toContain('every 0.01s');
    expect(text).toMatch(/\nID NAME STATE   %CPU VCPU  MEM RD\/s WR\/s RX\/s TX\/s\n 1 busy running +\d+\.\d    1 2\.0M    -    -    -    -\n\n$/);
  });

  it('--iterations with --json: one JSON line per refresh', async () => {
    const calls = { stats: 0 };
    let out = '';
    const text = await topFleet([{ uri: 'fake:///', conn: fakeConnection(calls) }], { iterations: 3, json: true, intervalSeconds: 0.01 }, { stdout: (s) => (out += s), stderr: () => {}, env: {} });
    expect(text).toBe('');
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(calls.stats).toBe(4);
    for (const l of lines) expect(JSON.parse(l).domains[0]).toMatchObject({ name: 'busy', memoryKiB: 2048 });
  });

  it('on a terminal: the alternate screen, redraws, a key that sorts, and q leaves the terminal as it was', async () => {
    const calls = { stats: 0 };
    const screen = Object.assign(new PassThrough(), { isTTY: true, columns: 90, rows: 12 });
    let drawn = '';
    screen.on('data', (b: Buffer) => (drawn += b.toString()));
    const modes: boolean[] = [];
    const keyboard = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (raw: boolean) => modes.push(raw) });
    const io: CliIo = { stdout: () => {}, stderr: () => {}, env: {}, stdoutStream: screen, stdin: keyboard };
    const running = topFleet([{ uri: 'fake:///', conn: fakeConnection(calls) }], { intervalSeconds: 0.01 }, io);
    const until = async (ok: () => boolean) => {
      const end = Date.now() + 20_000;
      while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    };
    try {
      await until(() => calls.stats >= 3);
      expect(drawn.startsWith('\x1b[?1049h')).toBe(true);
      expect(drawn).toContain('sorted by cpu');
      keyboard.write('n');
      await until(() => drawn.includes('sorted by name'));
      expect(drawn).toContain('sorted by name');
      screen.columns = 40;
      (screen as unknown as EventEmitter).emit('resize');
    } finally {
      keyboard.write('q');
    }
    expect(await running).toBe('');
    expect(drawn.endsWith('\x1b[?25h\x1b[?1049l')).toBe(true);
    expect(modes).toEqual([true, false]);
    // Every frame fits the terminal: 90 columns, 40 after the resize.
    const frames = drawn.split('\x1b[H').slice(1);
    const widest = (f: string) => Math.max(...f.replace(/\x1b\[[?\d;]*[A-Za-z]/g, '').split('\r\n').map((l) => l.length));
    expect(Math.max(...frames.map(widest))).toBeLessThanOrEqual(90);
    expect(widest(frames.at(-1)!)).toBeLessThanOrEqual(40);
  });
});
