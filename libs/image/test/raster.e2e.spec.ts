import { runToResult, type TokenStepModel } from '@nextx/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { DigitClassifier, loadDraftHeads, loadRasterPipeline, type RasterPipeline } from '../src';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';

const CLASSES = 10;

/** Wraps a step model to record the logits of every step (for the cached-vs-uncached check). */
class RecordingStepModel implements TokenStepModel {
  readonly steps: Float32Array[] = [];
  constructor(private readonly inner: TokenStepModel) {}
  get vocabSize() {
    return this.inner.vocabSize;
  }
  get maxLength() {
    return this.inner.maxLength;
  }
  get length() {
    return this.inner.length;
  }
  get batch() {
    return this.inner.batch;
  }
  reset(batch: number) {
    this.inner.reset(batch);
  }
  truncate(length: number) {
    this.inner.truncate(length);
  }
  release() {
    this.inner.release();
  }
  async forward(tokens: Int32Array, newLength: number) {
    const logits = await this.inner.forward(tokens, newLength);
    this.steps.push(logits.slice());
    return logits;
  }
}

describe('raster (LlamaGen) generation on the reference model', () => {
  const repository = new ModelRepository(referenceModelsDir());
  let pipeline: RasterPipeline;
  let classifier: DigitClassifier;
  const request = (classLabels: number[]) => ({
    classLabels,
    guidanceScale: pipeline.defaults.guidanceScale,
    sampling: {
      temperature: pipeline.defaults.temperature,
      topK: pipeline.defaults.topK,
      topP: pipeline.defaults.topP,
    },
  });

  beforeAll(async () => {
    pipeline = await loadRasterPipeline(repository, 'llama-mnist', { maxBatch: 2000 });
    classifier = new DigitClassifier(
      (await repository.load('mnist-classifier')).graph('classifier'),
    );
  }, 60_000);

  it('reaches the class agreement recorded in model.json (1,000 samples at the defaults)', async () => {
    const labels = Array.from({ length: 100 * CLASSES }, (_, i) => Math.floor(i / 100));
    const result = await runToResult(pipeline.generator().generate(request(labels), { seed: 1 }));
    const agreement = await classifier.agreement(result.media, labels);
    const recorded = Number(
      (pipeline.model.manifest.eval as Record<string, unknown>)['class_agreement'],
    );
    console.log(`raster class agreement ${agreement.toFixed(3)} (model.json: ${recorded})`);
    expect(recorded).toBeGreaterThan(0);
    // 3 binomial standard errors below the recorded value at n = 1000.
    expect(agreement).toBeGreaterThanOrEqual(
      recorded - 3 * Math.sqrt((recorded * (1 - recorded)) / 1000),
    );
  }, 120_000);

  it('same seed ⇒ identical codes; another seed ⇒ different codes', async () => {
    const run = (seed: number) =>
      runToResult(pipeline.generator().generate(request([3, 7]), { seed }));
    const [a, b, c] = [await run(5), await run(5), await run(6)];
    expect(Array.from(b.codes)).toEqual(Array.from(a.codes));
    expect(Array.from(c.codes)).not.toEqual(Array.from(a.codes));
  });

  it('cached step logits equal a full-sequence forward without cache', async () => {
    const recorder = new RecordingStepModel(pipeline.stepModel());
    const result = await runToResult(
      pipeline.generator(recorder).generate({ ...request([4]), guidanceScale: 1 }, { seed: 2 }),
    );
    const vocab = pipeline.dims.vocabSize;
    const sequence = Int32Array.from([
      pipeline.layout.classToken(4),
      ...Array.from(result.codes.subarray(0, 63), (c) => c + pipeline.layout.codeOffset),
    ]);
    const uncached = pipeline.stepModel();
    uncached.reset(1);
    const full = await uncached.forward(sequence, sequence.length);
    let worst = 0;
    recorder.steps.forEach((step, t) => {
      for (let v = 0; v < vocab; v++)
        worst = Math.max(worst, Math.abs(step[v] - full[t * vocab + v]));
    });
    expect(recorder.steps).toHaveLength(64);
    expect(worst).toBeLessThan(1e-4);
  });

  it('the draft-heads graph gives the target its own logits, and heads that cached steps reproduce', async () => {
    const heads = await loadDraftHeads(repository, pipeline);
    const sequence = Int32Array.from([pipeline.layout.classToken(2), 5, 17, 200, 3, 99]);
    const target = pipeline.stepModel(1);
    target.reset(1);
    const want = (await target.forward(sequence, sequence.length)).slice();
    const withHeads = heads.stepModel(1);
    withHeads.reset(1);
    const got = await withHeads.forward(sequence, sequence.length);
    const fullHeads = withHeads.draftLogits().slice();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    // Same weights, so the same law: the heads' graph changes nothing the target computes.
    expect(worst).toBeLessThan(1e-5);
    const width = withHeads.draftHeads * withHeads.vocabSize;
    expect(fullHeads).toHaveLength(sequence.length * width);
    // Fed one token at a time (the KV cache in between), the heads read the same hidden states.
    withHeads.reset(1);
    let headWorst = 0;
    for (let t = 0; t < sequence.length; t++) {
      await withHeads.forward(sequence.subarray(t, t + 1), 1);
      const step = withHeads.draftLogits();
      for (let v = 0; v < width; v++)
        headWorst = Math.max(headWorst, Math.abs(step[v] - fullHeads[t * width + v]));
    }
    expect(headWorst).toBeLessThan(1e-4);
  });

  it('stops within one step of an abort', async () => {
    const controller = new AbortController();
    let last = 0;
    const events = pipeline
      .generator()
      .generate(request([1, 2]), { seed: 3, signal: controller.signal });
    const error = await runToResult(events, (e) => {
      last = e.step;
      if (e.step === 10) controller.abort();
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AbortError', step: 10 });
    expect(last).toBe(10);
  });

  it('temporal fusion: requests joining and leaving mid-flight get exactly their solo result', async () => {
    const solo = async (labels: number[], seed: number) =>
      (await runToResult(pipeline.generator().generate(request(labels), { seed }))).codes;
    const expected = [await solo([0, 1], 11), await solo([5], 12), await solo([9, 9, 9], 13)];
    const fused = pipeline.fused();
    const results: Promise<Int32Array>[] = [];
    const start = (labels: number[], seed: number) =>
      results.push(
        runToResult(pipeline.generator(fused.sequence()).generate(request(labels), { seed })).then(
          (r) => r.codes,
        ),
      );
    start([0, 1], 11);
    await new Promise<void>((resolve) => {
      // The second request joins after 5 steps of the first, the third after 20.
      const timer = setInterval(() => {
        if (fused.stats.steps >= 5 && results.length === 1) start([5], 12);
        if (fused.stats.steps >= 20 && results.length === 2) {
          start([9, 9, 9], 13);
          clearInterval(timer);
          resolve();
        }
      }, 0);
    });
    const got = await Promise.all(results);
    got.forEach((codes, i) => expect(Array.from(codes)).toEqual(Array.from(expected[i])));
    expect(fused.stats.maxRows).toBe(2 * (2 + 1 + 3));
    expect(fused.stats.steps).toBeLessThan(3 * 64);
  });
});
