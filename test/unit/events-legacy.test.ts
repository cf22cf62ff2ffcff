/**
 * Domain events on a daemon without callback IDs (no REMOTE_EVENT_CALLBACK): the legacy
 * registration per event id, with filters applied on our side.
 */
import { Connection } from '../../src/api/connection.js';
import { FrameSplitter } from '../../src/rpc/frame.js';
import { readHeader, writeHeader } from '../../src/rpc/header.js';
import type { Dialer, TransportEvents } from '../../src/transport/types.js';
import { REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE, REMOTE_PROGRAM, RemoteDomainEventLifecycleMsgCodec } from '../../protocol/remote.js';
import { remoteProcedures as P } from '../../protocol/remote-procedures.js';
import { type Codec, XdrWriter } from '../../src/xdr/index.js';

function frame(proc: number, type: number, serial: number, codec: Codec<unknown> | null, value: unknown): Uint8Array {
  const w = new XdrWriter();
  w.pos = 28;
  if (codec) codec.encode(w, value);
  const bytes = w.finish().slice();
  writeHeader(new DataView(bytes.buffer), 0, bytes.length, { prog: REMOTE_PROGRAM, vers: 1, proc, type, serial, status: 0 });
  return bytes;
}

/** A daemon from before callback IDs: it answers 0 to REMOTE_EVENT_CALLBACK. */
function oldDaemon() {
  const byNumber = new Map(Object.values(P).map((p) => [p.number, p]));
  const sent: string[] = [];
  let events!: TransportEvents;
  const dialer: Dialer = async (e) => {
    events = e;
    const splitter = new FrameSplitter();
    return {
      description: 'old daemon',
      close: () => queueMicrotask(() => events.closed()),
      write(bytes) {
        splitter.push(bytes, (f) => {
          const h = readHeader(new DataView(f.buffer, f.byteOffset), 0);
          const proc = byNumber.get(h.proc)!;
          sent.push(proc.method);
          const ret =
            proc.method === 'authList' ? { types: [0] } : proc.method === 'connectSupportsFeature' ? { supported: 0 } : undefined;
          queueMicrotask(() => events.data(frame(h.proc, 1, h.serial, proc.ret, ret)));
        });
        return true;
      },
    };
  };
  const emit = (name: string) =>
    events.data(
      frame(REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE, 2, 0, RemoteDomainEventLifecycleMsgCodec, {
        dom: { name, uuid: new Uint8Array(16).fill(name.length), id: 1 },
        event: 2,
        detail: 0,
      }),
    );
  return { dialer, sent, emit };
}

describe('legacy domain event registration', () => {
  it('registers once per event id, filters here, and deregisters with the last listener', async () => {
    const daemon = oldDaemon();
    const conn = await Connection.open(daemon.dialer, 'qemu:///system', 'qemu:///system', { keepalive: false });
    expect(conn.features.remoteEventCallback).toBe(false);
    const all: string[] = [];
    const onlyB: string[] = [];
    const stopAll = await conn.subscribe('domain:lifecycle', (e) => all.push(e.dom.name));
    const stopB = await conn.subscribe('domain:lifecycle', (e) => onlyB.push(e.dom.name), {
      filter: { name: 'guest-b', uuid: new Uint8Array(16).fill(7), id: 1 },
    });
    expect(daemon.sent.filter((m) => m === 'connectDomainEventRegisterAny')).toHaveLength(1);
    daemon.emit('guest-a');
    daemon.emit('guest-b');
    expect(all).toEqual(['guest-a', 'guest-b']);
    expect(onlyB).toEqual(['guest-b']);
    await stopAll();
    expect(daemon.sent).not.toContain('connectDomainEventDeregisterAny');
    await stopB();
    expect(daemon.sent.filter((m) => m === 'connectDomainEventDeregisterAny')).toHaveLength(1);
    await conn.close();
  });
});
