import { describe, expect, it } from 'vitest';
import type { CodebookCodes } from '../../generation/decoder';
import { runToResult, type ProgressEvent } from '../../generation/generator';
import type { CodebookCanvasModel, CodebookStepModel } from '../../generation/step-model';
import { DelayPatternGenerator } from './delay-pattern-generator';
import type { FrameChunk } from './codebook-generation';
import { MaskedCodebookGenerator } from './masked-codebook-generator';

const K = 3;
const V = 8;
const SPECIAL = V;

/**
 * A step model whose logits favour token (last token of the stream + condition) mod V, so the
 * drawn codes depend on what was fed and on the row's condition; records every feed.
 */
class CountingStepModel implements CodebookStepModel {
  readonly numCodebooks = K;
  readonly vocabSize = V;
  readonly maxLength = 64;
  length = 0;
  batch = 0;
  conditions = new Int32Array(0);
  readonly fed: Int32Array[] = [];
  released = false;
  private readonly logits = new Float32Array(16 * K * V);

  reset(batch: number, conditions: Int32Array): void {
    this.batch = batch;
    this.length = 0;
    this.conditions = conditions.slice();
  }

  forward(tokens: Int32Array): Promise<Float32Array> {
    this.fed.push(tokens.slice());
    this.logits.fill(0);
    for (let r = 0; r < this.batch; r++) {
      for (let q = 0; q < K; q++) {
        const last = tokens[r * K + q];
        const favoured = ((last === SPECIAL ? 0 : last + 1) + this.conditions[r]) % V;
        this.logits[(r * K + q) * V + favoured] = 20;
      }
    }
    this.length++;
    return Promise.resolve(this.logits.subarray(0, this.batch * K * V));
  }

  release(): void {
    this.released = true;
  }
}

const codesDecoder = {
  decode: (input: CodebookCodes) => Promise.resolve(input.codes.slice()),
};

describe('DelayPatternGenerator', () => {
  it('feeds the all-special start, forces empty slots to special and fills every frame', async () => {
    const model = new CountingStepModel();
    const generator = new DelayPatternGenerator(
      model,
      { specialToken: SPECIAL, delays: [0, 1, 2] },
      codesDecoder,
    );
    const result = await runToResult(
      generator.generate(
        { conditions: [[2]], nullCondition: [7], frames: 5, guidanceScale: 1, sampling: {} },
        { seed: 1 },
      ),
    );
    // T + K − 1 = 7 steps; step 0 is all special.
    expect(model.fed).toHaveLength(7);
    expect(Array.from(model.fed[0])).toEqual([SPECIAL, SPECIAL, SPECIAL]);
    // Step 1 feeds codebook 0's first code and special for the delayed codebooks.
    expect(model.fed[1][1]).toBe(SPECIAL);
    expect(model.fed[1][2]).toBe(SPECIAL);
    expect(model.released).toBe(true);
    // Codebook 0: start → (0 + 2), then +1 each frame (mod 8), as the logits favour.
    expect(Array.from(result.codes.subarray(0, 5))).toEqual([2, 5, 0, 3, 6]);
    expect(result.codes.every((c) => c >= 0 && c < V)).toBe(true);
  });

  it('doubles the batch with the null condition under guidance', async () => {
    const model = new CountingStepModel();
    const generator = new DelayPatternGenerator(
      model,
      { specialToken: SPECIAL, delays: [0, 1, 2] },
      codesDecoder,
    );
    await runToResult(
      generator.generate(
        { conditions: [[1], [3]], nullCondition: [0], frames: 4, guidanceScale: 3, sampling: {} },
        { seed: 1 },
      ),
    );
    expect(Array.from(model.conditions)).toEqual([1, 3, 0, 0]);
    expect(model.batch).toBe(4);
    // Both branches of a row are fed the same drawn tokens.
    const last = model.fed[model.fed.length - 1];
    expect(Array.from(last.subarray(0, 2 * K))).toEqual(Array.from(last.subarray(2 * K)));
  });

  it('streams contiguous chunks of final frames, each before later steps run', async () => {
    const model = new CountingStepModel();
    const ranges: Array<[number, number, number]> = [];
    const generator = new DelayPatternGenerator(
      model,
      { specialToken: SPECIAL, delays: [0, 1, 2] },
      codesDecoder,
      {
        chunkFrames: 2,
        decoder: {
          decodeRange: (input: CodebookCodes, from: number, to: number) => {
            // Every codebook of the frames handed over is already drawn.
            for (let q = 0; q < K; q++)
              for (let t = from; t < to; t++)
                expect(input.codes[q * input.frames + t]).toBeLessThan(V);
            ranges.push([from, to, model.fed.length]);
            return Promise.resolve(to - from);
          },
        },
      },
    );
    const chunks: FrameChunk<number>[] = [];
    const result = await runToResult(
      generator.generate(
        { conditions: [[0]], nullCondition: [0], frames: 5, guidanceScale: 1, sampling: {} },
        { seed: 3 },
      ),
      (e: ProgressEvent) => {
        if (e.preview) chunks.push(e.preview as FrameChunk<number>);
      },
    );
    expect(result.codes).toHaveLength(15);
    expect(ranges.map(([a, b]) => [a, b])).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
    // The first chunk is decoded after step 4 of 7 (frame 1's last codebook is drawn at step 1 + 2).
    expect(ranges[0][2]).toBe(4);
    expect(chunks.map((c) => c.chunk)).toEqual([2, 2, 1]);
  });

  it('same seed, same codes; stops at a step boundary when aborted', async () => {
    const run = (seed: number) =>
      runToResult(
        new DelayPatternGenerator(
          new CountingStepModel(),
          { specialToken: SPECIAL, delays: [0, 1, 2] },
          codesDecoder,
        ).generate(
          {
            conditions: [[0]],
            nullCondition: [0],
            frames: 6,
            guidanceScale: 1,
            sampling: { temperature: 50 },
          },
          { seed },
        ),
      );
    const [a, b] = [await run(9), await run(9)];
    expect(Array.from(a.codes)).toEqual(Array.from(b.codes));
    const controller = new AbortController();
    const model = new CountingStepModel();
    const events = new DelayPatternGenerator(
      model,
      { specialToken: SPECIAL, delays: [0, 1, 2] },
      codesDecoder,
    ).generate(
      { conditions: [[0]], nullCondition: [0], frames: 6, guidanceScale: 1, sampling: {} },
      { seed: 1, signal: controller.signal },
    );
    await expect(
      runToResult(events, (e) => {
        if (e.step === 2) controller.abort();
      }),
    ).rejects.toThrow(/aborted after step 2/);
    expect(model.fed).toHaveLength(2);
    expect(model.released).toBe(true);
  });
});

/** A canvas model that favours token (frame + condition) mod V everywhere; records the masks it saw. */
class FrameCanvasModel implements CodebookCanvasModel {
  readonly numCodebooks = K;
  readonly vocabSize = V;
  readonly maxFrames = 12;
  readonly maskedSeen: number[] = [];
  private logits = new Float32Array(0);

  forward(
    tokens: Int32Array,
    conditions: Int32Array,
    batch: number,
    frames: number,
  ): Promise<Float32Array> {
    this.maskedSeen.push(tokens.reduce((n, t) => n + (t === SPECIAL ? 1 : 0), 0));
    this.logits = new Float32Array(batch * K * frames * V);
    for (let r = 0; r < batch; r++)
      for (let q = 0; q < K; q++)
        for (let f = 0; f < frames; f++)
          this.logits[((r * K + q) * frames + f) * V + ((f + conditions[r]) % V)] = 30;
    return Promise.resolve(this.logits);
  }
}

describe('MaskedCodebookGenerator', () => {
  const request = {
    conditions: [[1]],
    nullCondition: [0],
    frames: 6,
    decodingSteps: [4, 2, 2],
    maxCfg: 1,
    minCfg: 1,
    temperature: 1,
    annealTemperature: true,
    topP: 1,
    topK: 0,
  };

  it('decodes codebook by codebook until no mask is left', async () => {
    const model = new FrameCanvasModel();
    const generator = new MaskedCodebookGenerator(
      model,
      { maskToken: SPECIAL, spanLength: 3 },
      codesDecoder,
    );
    const result = await runToResult(generator.generate(request, { seed: 2 }));
    expect(model.maskedSeen).toHaveLength(8);
    // First step: every token of every codebook masked (18); stage 1 starts with 2 codebooks masked.
    expect(model.maskedSeen[0]).toBe(18);
    expect(model.maskedSeen[4]).toBe(12);
    expect(result.codes.every((c) => c < V)).toBe(true);
    // The confident model's choice everywhere: (frame + 1) mod V.
    expect(Array.from(result.codes.subarray(0, 6))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('guides on a [cond; null] batch and same seed gives the same canvas', async () => {
    const model = new FrameCanvasModel();
    const guidedRequest = { ...request, maxCfg: 10, minCfg: 1, temperature: 3 };
    const generator = new MaskedCodebookGenerator(
      model,
      { maskToken: SPECIAL, spanLength: 3 },
      codesDecoder,
    );
    const a = await runToResult(generator.generate(guidedRequest, { seed: 5 }));
    const b = await runToResult(generator.generate(guidedRequest, { seed: 5 }));
    expect(Array.from(a.codes)).toEqual(Array.from(b.codes));
    // Both branches are fed the same canvas: masked counts are even.
    expect(model.maskedSeen.every((n) => n % 2 === 0)).toBe(true);
  });
});
