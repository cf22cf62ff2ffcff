/**
 * Fuzzing: every REMOTE reply and event decoder fed random and mutated frames gives a value
 * or XdrDecodeError, nothing else, and never hangs; the frame splitter gives the same frames
 * however valid traffic is cut. FUZZ_CASES scales the run (`npm run soak` uses millions).
 */
import fc from 'fast-check';
import { tsName } from '../../codegen/model.js';
import * as remote from '../../protocol/remote.js';
import { FrameSplitter } from '../../src/rpc/frame.js';
import { frame } from '../../src/testing/fake-daemon.js';
import { type Codec, XdrDecodeError, decodeValue, encodeValue } from '../../src/xdr/index.js';
import { ArbitraryBuilder } from '../helpers/arbitraries.js';
import { generatedModel } from '../helpers/generated-model.js';
import { describeWithLibvirtSrc } from '../harness/libvirt-inputs.js';

const CASES = Number(process.env.FUZZ_CASES ?? 200_000);

describeWithLibvirtSrc('fuzzing the decoders of every REMOTE reply and event', () => {
  const { generated, model } = generatedModel();
  const arbs = new ArbitraryBuilder(model);
  const procs = generated.procedures.get('remote')!;
  const targets = [...new Set(procs.flatMap((p) => [p.ret, p.msg]).filter((n): n is string => !!n))];
  const codecs = remote as unknown as Record<string, Codec<unknown>>;
  const perType = Math.max(20, Math.ceil(CASES / targets.length / 2));
  let total = 0;

  const decodeOnly = (codec: Codec<unknown>, bytes: Uint8Array) => {
    try {
      decodeValue(codec, bytes);
    } catch (e) {
      if (!(e instanceof XdrDecodeError)) throw e;
    }
    total++;
  };

  it(`decodes ${CASES.toLocaleString('en-US')}+ random and mutated payloads with only XdrDecodeError`, () => {
    expect(targets.length).toBeGreaterThan(300);
    for (const name of targets) {
      const codec = codecs[`${tsName(name)}Codec`]!;
      const def = generated.asts.get('remote')!.definitions.find((d) => d.name === name)!;
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => decodeOnly(codec, bytes)),
        { numRuns: perType, seed: 7 ^ def.line },
      );
      // Valid encodings with a few bytes changed: the interesting near-misses.
      fc.assert(
        fc.property(arbs.forDefinition(def), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (value, edits) => {
          const bytes = encodeValue(codec, value);
          if (!bytes.length) return;
          for (const [at, b] of edits) bytes[at % bytes.length] = b;
          decodeOnly(codec, bytes);
        }),
        { numRuns: perType, seed: 11 ^ def.line },
      );
    }
    expect(total).toBeGreaterThanOrEqual(CASES);
  });
});

describe('the frame splitter', () => {
  it('gives identical frames however valid traffic is cut', () => {
    const frames = Array.from({ length: 40 }, (_, i) =>
      frame({ prog: remote.REMOTE_PROGRAM, vers: 1, proc: 4, type: 1, serial: i, status: 0 }, remote.RemoteConnectGetHostnameRetCodec, { hostname: 'h'.repeat((i * 977) % 70_000) }),
    );
    const stream = Buffer.concat(frames);
    const expected = frames.map((f) => Buffer.from(f).toString('base64'));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 30 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const s = new FrameSplitter();
        const got: string[] = [];
        let at = 0;
        for (const p of [...points, stream.length]) {
          s.push(stream.subarray(at, p), (f) => got.push(Buffer.from(f).toString('base64')));
          at = p;
        }
        expect(got).toEqual(expected);
      }),
      { numRuns: 300, seed: 3 },
    );
  });
});
