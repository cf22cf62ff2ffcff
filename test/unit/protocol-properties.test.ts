import fc from 'fast-check';
import { tsName } from '../../codegen/model.js';
import * as remote from '../../protocol/remote.js';
import { type Codec, XdrDecodeError, XdrEncodeError, decodeValue, encodeValue } from '../../src/xdr/index.js';
import { ArbitraryBuilder } from '../helpers/arbitraries.js';
import { generatedModel } from '../helpers/generated-model.js';
import { describeWithLibvirtSrc } from '../harness/libvirt-inputs.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 20);

describeWithLibvirtSrc('every type of remote_protocol.x', () => {
  const { generated, model } = generatedModel();
  const arbs = new ArbitraryBuilder(model);
  const types = generated.asts.get('remote')!.definitions.filter((d) => d.kind !== 'const');
  const codecs = remote as unknown as Record<string, Codec<unknown>>;

  it('has a codec for every type', () => {
    expect(types.length).toBeGreaterThan(700);
    expect(types.filter((d) => !codecs[`${tsName(d.name)}Codec`]).map((d) => d.name)).toEqual([]);
  });

  it('decode(encode(v)) deep-equals v, and any truncation gives XdrDecodeError', () => {
    for (const def of types) {
      const codec = codecs[`${tsName(def.name)}Codec`]!;
      fc.assert(
        fc.property(arbs.forDefinition(def), fc.double({ min: 0, max: 1, noNaN: true }), (value, cut) => {
          const bytes = encodeValue(codec, value);
          expect(bytes.length % 4).toBe(0);
          expect(decodeValue(codec, bytes)).toEqual(value);
          if (bytes.length === 0) return;
          const at = Math.min(bytes.length - 1, Math.floor(cut * bytes.length));
          let error: unknown;
          try {
            decodeValue(codec, bytes.subarray(0, at));
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(XdrDecodeError);
          expect((error as XdrDecodeError).type).not.toBe('');
        }),
        { numRuns: RUNS, seed: 20261124 ^ def.line },
      );
    }
  });

  it('every cut of a real message fails with XdrDecodeError and nothing else', () => {
    const ret: remote.RemoteConnectGetAllDomainStatsRet = {
      retStats: [
        {
          dom: { name: 'guest', uuid: new Uint8Array(16).fill(7), id: 3 },
          params: [
            { field: 'state.state', value: { type: 1, i: 1 } },
            { field: 'cpu.time', value: { type: 4, ul: 123456789012345n } },
            { field: 'block.0.name', value: { type: 7, s: 'vda' } },
            { field: 'balloon.rss', value: { type: 5, d: 0.25 } },
          ],
        },
      ],
    };
    const bytes = encodeValue(remote.RemoteConnectGetAllDomainStatsRetCodec, ret);
    for (let at = 0; at < bytes.length; at++) {
      expect(() => decodeValue(remote.RemoteConnectGetAllDomainStatsRetCodec, bytes.subarray(0, at))).toThrow(XdrDecodeError);
    }
    const extra = new Uint8Array(bytes.length + 4);
    extra.set(bytes);
    expect(() => decodeValue(remote.RemoteConnectGetAllDomainStatsRetCodec, extra)).toThrow(/4 bytes left over/);
  });
});

describe('bounds from the .x are enforced before anything is sent', () => {
  const dom = { name: 'guest', uuid: new Uint8Array(16), id: 1 };

  it('a string over its bound names the field', () => {
    const xml = 'x'.repeat(remote.REMOTE_STRING_MAX + 1);
    expect(() => encodeValue(remote.RemoteDomainDefineXmlArgsCodec, { xml })).toThrow(XdrEncodeError);
    expect(() => encodeValue(remote.RemoteDomainDefineXmlArgsCodec, { xml })).toThrow(
      /remote_domain_define_xml_args\.xml: string of 4194305 bytes is over the bound of 4194304/,
    );
  });

  it('an array over its limit names the field', () => {
    const params = Array.from({ length: remote.REMOTE_DOMAIN_SCHEDULER_PARAMETERS_MAX + 1 }, (_, k) => ({
      field: `p${k}`,
      value: { type: 1 as const, i: k },
    }));
    expect(() => encodeValue(remote.RemoteDomainSetSchedulerParametersArgsCodec, { dom, params })).toThrow(
      /remote_domain_set_scheduler_parameters_args\.params: 17 elements is over the bound of 16/,
    );
  });

  it('an opaque of the wrong fixed size names the field', () => {
    expect(() => encodeValue(remote.RemoteDomainLookupByNameRetCodec, { dom: { ...dom, uuid: new Uint8Array(15) } })).toThrow(
      /remote_nonnull_domain\.uuid: expected exactly 16 bytes, got 15/,
    );
  });

  it('a wrong JavaScript type names the field instead of sending garbage', () => {
    expect(() => encodeValue(remote.RemoteDomainLookupByNameArgsCodec, {} as remote.RemoteDomainLookupByNameArgs)).toThrow(
      /remote_domain_lookup_by_name_args\.name: expected a string, got undefined/,
    );
    expect(() =>
      encodeValue(remote.RemoteTypedParamCodec, { field: 'x', value: { type: 99 } as unknown as remote.RemoteTypedParamValue }),
    ).toThrow(/remote_typed_param_value\.type: 99 is not a discriminant/);
  });

  it('a decoded length over its bound is refused before allocation', () => {
    const w = new Uint8Array([0x00, 0x40, 0x00, 0x01]); // 4194305 > REMOTE_STRING_MAX
    expect(() => decodeValue(remote.RemoteDomainLookupByNameArgsCodec, w)).toThrow(/over the bound of 4194304/);
  });
});
