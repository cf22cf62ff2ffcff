import { EventHub } from '../../src/api/events.js';
import type { RpcClient } from '../../src/rpc/client.js';
import { XdrReader, encodeValue } from '../../src/xdr/index.js';
import { REMOTE_PROC_DOMAIN_EVENT_CALLBACK_TUNABLE, REMOTE_PROGRAM, RemoteDomainEventCallbackTunableMsgCodec } from '../../protocol/remote.js';

describe('EventHub', () => {
  it('hands out typed parameters of events as objects', async () => {
    const calls: string[] = [];
    const rpc = { isOpen: true, call: async (p: { method: string }) => (calls.push(p.method), 5) } as unknown as RpcClient;
    const hub = new EventHub(rpc);
    const seen: unknown[] = [];
    await hub.subscribe('domain', 'tunable', (e) => seen.push(e));
    expect(calls).toEqual(['connectDomainEventCallbackRegisterAny']);
    const payload = encodeValue(RemoteDomainEventCallbackTunableMsgCodec, {
      callbackID: 5,
      dom: { name: 'g', uuid: new Uint8Array(16), id: 1 },
      params: [
        { field: 'cputune.vcpu_quota', value: { type: 3, l: -1n } },
        { field: 'cputune.emulatorpin', value: { type: 7, s: '0-1' } },
      ],
    });
    const handled = hub.handleMessage(
      { prog: REMOTE_PROGRAM, vers: 1, proc: REMOTE_PROC_DOMAIN_EVENT_CALLBACK_TUNABLE, type: 2, serial: 0, status: 0 },
      new XdrReader(payload),
    );
    expect(handled).toBe(true);
    expect(seen).toEqual([{ dom: { name: 'g', uuid: new Uint8Array(16), id: 1 }, params: { 'cputune.vcpu_quota': -1n, 'cputune.emulatorpin': '0-1' } }]);
  });

  it('counts events for no registration and malformed ones, without failing', () => {
    const hub = new EventHub({ isOpen: true } as unknown as RpcClient);
    const payload = encodeValue(RemoteDomainEventCallbackTunableMsgCodec, { callbackID: 9, dom: { name: 'g', uuid: new Uint8Array(16), id: 1 }, params: [] });
    const h = { prog: REMOTE_PROGRAM, vers: 1, proc: REMOTE_PROC_DOMAIN_EVENT_CALLBACK_TUNABLE, type: 2, serial: 0, status: 0 };
    hub.handleMessage(h, new XdrReader(payload));
    hub.handleMessage(h, new XdrReader(payload.subarray(0, 6)));
    expect(hub.dropped).toBe(2);
  });
});
