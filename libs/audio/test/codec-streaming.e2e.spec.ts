import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCodecDecoder, type CodecDecoder } from '../src';

/** A decaying harmonic tone: something the codec was trained to represent. */
function tone(midi: number, samples: number): Float32Array {
  const f = 440 * 2 ** ((midi - 69) / 12);
  return Float32Array.from({ length: samples }, (_, i) => {
    const t = i / 16000;
    return Math.exp(-3 * t) * (0.5 * Math.sin(2 * Math.PI * f * t) + 0.2 * Math.sin(4 * Math.PI * f * t));
  });
}

describe('fluid-codec: streaming decode equals the one-shot decode', () => {
  const repository = new ModelRepository(referenceModelsDir());
  let decoder: CodecDecoder;
  let codes: Int32Array;
  const frames = 50;

  beforeAll(async () => {
    decoder = await loadCodecDecoder(repository, 'fluid-codec');
    const encoder = (await repository.load('fluid-codec')).graph('codec_encoder');
    const out = await encoder.run({
      audio: { data: tone(60, frames * 320), dims: [1, frames * 320] },
    });
    codes = Int32Array.from(out['codes'].data as BigInt64Array, (v) => Number(v));
  }, 60_000);

  it.each([1, 3, 5, 8])('chunks of %i frames stitched = one-shot (within float error)', async (chunk) => {
    const input = { codes, batch: 1, numCodebooks: 4, frames };
    const whole = await decoder.decode(input);
    expect(whole.length).toBe(frames * 320);
    const stitched = new Float32Array(frames * 320);
    for (let from = 0; from < frames; from += chunk) {
      const to = Math.min(frames, from + chunk);
      const part = await decoder.decodeRange(input, from, to);
      stitched.set(part.samples, from * 320);
    }
    let worst = 0;
    for (let i = 0; i < stitched.length; i++)
      worst = Math.max(worst, Math.abs(stitched[i] - whole.samples[i]));
    expect(worst).toBeLessThan(1e-4);
    // The decode is not silent: the comparison means something.
    expect(whole.samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeGreaterThan(0.01);
  });

  it('with less left context than the receptive field the stitch is not exact (the context is needed)', async () => {
    const input = { codes, batch: 1, numCodebooks: 4, frames };
    const whole = await decoder.decode(input);
    const short = new (decoder.constructor as typeof CodecDecoder)(
      (await repository.load('fluid-codec')).graph('codec_decoder'),
      { ...decoder.facts, contextFrames: 0 },
    );
    const part = await short.decodeRange(input, 20, 25);
    let worst = 0;
    for (let i = 0; i < part.samples.length; i++)
      worst = Math.max(worst, Math.abs(part.samples[i] - whole.samples[20 * 320 + i]));
    expect(worst).toBeGreaterThan(1e-3);
  });
});
