import { describe, expect, it } from 'vitest';
import { GenerationAbortedError, runToResult } from '../generation/generator';
import type { ScaleAccumulator } from '../generation/step-model';
import { NextScaleGenerator, type NextScaleRequest } from './next-scale-generator';
import { ScaleFusion, type RowBlock, type RowScaleStepModel } from './scale-fusion';

const scales = [1, 2, 3];
const side = 3;
const channels = 2;
const vocab = 8;
const nullClass = 10;

/**
 * Analytic VAR backbone: the logits of a position are a fixed function of its row's class label,
 * everything the row was fed before (its "KV cache": a running sum per row) and its own input, so
 * a row computes the same values in any batch, and a wrong re-pack of the cache shows.
 */
class AnalyticScaleModel implements RowScaleStepModel {
  readonly vocabSize = vocab;
  private history: number[] = [];
  readonly batches: number[] = [];
  readonly kept: RowBlock[][] = [];

  reset(batch: number): void {
    this.history = new Array<number>(batch).fill(0);
  }
  keepRows(blocks: readonly RowBlock[]): void {
    this.kept.push([...blocks]);
    this.history = blocks.flatMap((b) => this.history.slice(b.first, b.first + b.rows));
  }
  async forward(
    inputs: Float32Array,
    newLength: number,
    labels: Int32Array,
  ): Promise<Float32Array> {
    const batch = this.history.length;
    this.batches.push(batch);
    const out = new Float32Array(batch * newLength * vocab);
    for (let r = 0; r < batch; r++) {
      let fed = 0;
      for (let p = 0; p < newLength; p++) {
        const x =
          inputs[(r * newLength + p) * channels] + 2 * inputs[(r * newLength + p) * channels + 1];
        fed += x;
        for (let t = 0; t < vocab; t++)
          out[(r * newLength + p) * vocab + t] =
            2 * Math.sin(labels[r] * 1.7 + t * 0.9 + this.history[r] * 0.3 + x + p * 0.11);
      }
      this.history[r] += fed + newLength;
    }
    return out;
  }
}

/** f̂ += a function of the codes (per image), next inputs are a function of f̂: batch-independent. */
class AnalyticAccumulator implements ScaleAccumulator {
  readonly channels = channels;
  calls: number[] = [];
  empty(batch: number): Float32Array {
    return new Float32Array(batch * channels * side * side);
  }
  async update(fHat: Float32Array, codes: Int32Array, batch: number, scaleIndex: number) {
    this.calls.push(batch);
    const tokens = codes.length / batch;
    const size = channels * side * side;
    const out = fHat.slice();
    const next = scaleIndex + 1 < scales.length ? scales[scaleIndex + 1] ** 2 : 0;
    const nextInputs = new Float32Array(batch * next * channels);
    for (let i = 0; i < batch; i++) {
      for (let j = 0; j < size; j++) out[i * size + j] += codes[i * tokens + (j % tokens)] * 0.25;
      for (let j = 0; j < next * channels; j++)
        nextInputs[i * next * channels + j] = Math.cos(out[i * size + (j % size)] + j);
    }
    return { fHat: out, nextInputs };
  }
}

interface Media {
  pixels: Float32Array;
  images: number;
}
const decoder = {
  calls: [] as number[],
  async decode({ fHat, images }: { fHat: Float32Array; images: number }): Promise<Media> {
    this.calls.push(images);
    return { pixels: fHat.map((v) => Math.tanh(v)), images };
  },
};
const sliceMedia = (m: Media, first: number, images: number): Media => {
  const size = m.pixels.length / m.images;
  return { pixels: m.pixels.slice(first * size, (first + images) * size), images };
};

const request = (labels: number[], cfg: number, temperature = 1): NextScaleRequest => ({
  classLabels: labels,
  cfg,
  sampling: { temperature, topK: 0, topP: 1 },
  previews: true,
});

const alone = (q: NextScaleRequest, seed: number) => {
  const model = new AnalyticScaleModel();
  return runToResult(
    new NextScaleGenerator(model, new AnalyticAccumulator(), decoder, scales, nullClass).generate(
      q,
      { seed },
    ),
  );
};

const fusion = (maxRows = 64) => {
  const model = new AnalyticScaleModel();
  const accumulator = new AnalyticAccumulator();
  decoder.calls = [];
  const f = new ScaleFusion<Media>({ model, accumulator, decoder, sliceMedia, maxRows });
  const run = (
    q: NextScaleRequest,
    seed: number,
    signal?: AbortSignal,
    onStep?: (s: number) => void,
  ) => {
    const m = f.member(signal);
    return runToResult(
      new NextScaleGenerator(m.model, m.accumulator, m.decoder, scales, nullClass).generate(q, {
        seed,
        signal,
      }),
      (e) => onStep?.(e.step),
    );
  };
  return { f, model, accumulator, run };
};

const requests = [
  request([3], 2),
  request([1, 7], 0),
  request([5], 1.5, 0.7),
  request([0, 0, 9], 3),
];

describe('ScaleFusion (cross-request batching of next-scale generations)', () => {
  it('a member alone computes exactly what the unfused generator computes', async () => {
    for (const [i, q] of requests.entries()) {
      const { run } = fusion();
      const [fused, own] = [await run(q, 11 + i), await alone(q, 11 + i)];
      expect(Array.from(fused.codes)).toEqual(Array.from(own.codes));
      expect(Array.from(fused.media.pixels)).toEqual(Array.from(own.media.pixels));
    }
  });

  it('concurrent members share one forward per scale and one f̂ update and decode per scale', async () => {
    const { f, model, accumulator, run } = fusion();
    const results = await Promise.all(requests.map((q, i) => run(q, 100 + i)));
    const decodes = [...decoder.calls];
    const rows = 2 * 1 + 2 + 2 * 1 + 2 * 3;
    expect(model.batches).toEqual(scales.map(() => rows));
    expect(accumulator.calls).toEqual(scales.map(() => 7));
    expect(decodes).toEqual(scales.map(() => 7));
    expect(f.stats).toMatchObject({ rounds: 1, forwards: 3, maxRows: rows });
    for (const [i, q] of requests.entries()) {
      const own = await alone(q, 100 + i);
      expect(Array.from(results[i]!.codes)).toEqual(Array.from(own.codes));
      expect(Array.from(results[i]!.media.pixels)).toEqual(Array.from(own.media.pixels));
    }
  });

  it('a request arriving while a round runs joins at scale 0 of the next round', async () => {
    const { f, model, run } = fusion();
    let late: Promise<unknown> | undefined;
    const first = run(requests[0]!, 1, undefined, (step) => {
      if (step === 1) late = run(requests[1]!, 2);
    });
    const [a] = await Promise.all([first, new Promise((r) => setTimeout(r, 20))]);
    const b = await late;
    expect(f.stats.rounds).toBe(2);
    expect(model.batches).toEqual([2, 2, 2, 2, 2, 2]);
    expect(Array.from((a as { codes: Int32Array }).codes)).toEqual(
      Array.from((await alone(requests[0]!, 1)).codes),
    );
    expect(Array.from((b as { codes: Int32Array }).codes)).toEqual(
      Array.from((await alone(requests[1]!, 2)).codes),
    );
  });

  it('an aborted member leaves within one scale; the others go on unchanged', async () => {
    const { f, model, run } = fusion();
    const controller = new AbortController();
    const runs = requests.map((q, i) =>
      run(q, 40 + i, i === 1 ? controller.signal : undefined, (step) => {
        if (i === 1 && step === 1) controller.abort();
      }),
    );
    const settled = await Promise.allSettled(runs);
    expect(settled[1]!.status).toBe('rejected');
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(GenerationAbortedError);
    for (const i of [0, 2, 3]) {
      const own = await alone(requests[i]!, 40 + i);
      const r = (settled[i] as PromiseFulfilledResult<{ codes: Int32Array }>).value;
      expect(Array.from(r.codes)).toEqual(Array.from(own.codes));
    }
    // Its two rows left before the second scale's forward.
    expect(model.batches).toEqual([12, 10, 10]);
    expect(model.kept[0]).toEqual([
      { first: 0, rows: 2 },
      { first: 4, rows: 2 },
      { first: 6, rows: 6 },
    ]);
    expect(f.rows).toBe(0);
  });

  it('a request aborted while it waits for the next round fails at once', async () => {
    const { f, run } = fusion();
    const controller = new AbortController();
    let queued: Promise<unknown> | undefined;
    const first = run(requests[0]!, 1, undefined, (step) => {
      if (step === 1) {
        queued = run(requests[1]!, 2, controller.signal).catch((e: unknown) => e);
        controller.abort();
      }
    });
    await first;
    expect(await queued).toBeInstanceOf(GenerationAbortedError);
    expect(f.stats.rounds).toBe(1);
  });

  it('members beyond the row budget wait for the next round', async () => {
    const { f, model, run } = fusion(4);
    const results = await Promise.all([0, 1, 2].map((i) => run(request([i], 2), i)));
    expect(f.stats.rounds).toBe(2);
    expect(model.batches).toEqual([4, 4, 4, 2, 2, 2]);
    for (const i of [0, 1, 2])
      expect(Array.from(results[i]!.codes)).toEqual(
        Array.from((await alone(request([i], 2), i)).codes),
      );
    expect(() => f.member().model.reset(6)).toThrow(RangeError);
  });
});
