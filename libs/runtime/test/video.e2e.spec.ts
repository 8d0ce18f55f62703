import { runToResult } from '@nextx/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DigitClassifier,
  ModelRepository,
  clipQuality,
  drawMotions,
  loadVideoPipeline,
  type ObjectMotion,
  type VideoPipeline,
} from '../src';
import { referenceModelsDir } from '../src/testing/reference-models';

const CLIPS = 12;
const CHUNK = 8;
const CHUNKS = 4;

describe('nbp-mmnist continued chunk by chunk from prompt frames', () => {
  const repository = new ModelRepository(referenceModelsDir());
  let pipeline: VideoPipeline;
  let classifier: DigitClassifier;

  beforeAll(async () => {
    pipeline = await loadVideoPipeline(repository, 'nbp-mmnist');
    classifier = new DigitClassifier(
      (await repository.load('mnist-classifier')).graph('classifier'),
    );
  }, 60_000);

  /**
   * A 32-frame clip as 4 chunks of 8 frames, each primed with the last frames of the previous
   * chunk, as the video worker runs a job; `placed` says whether each chunk is told where it
   * starts in the clip.
   */
  async function chunked(digits: number[], motions: ObjectMotion[], seed: number, placed: boolean) {
    const b = pipeline.info.tokensPerFrame;
    const keep = pipeline.info.contextFrames - 1;
    const conditions = pipeline.conditions(digits, motions);
    const { temperature, topK, topP } = pipeline.info.defaults;
    const codes = new Int32Array(CHUNK * CHUNKS * b);
    const frames: Float32Array[] = [];
    for (let k = 0; k < CHUNKS; k++) {
      const first = k * CHUNK;
      const result = await runToResult(
        pipeline.generator().generate(
          {
            frames: CHUNK,
            conditions,
            sampling: { temperature, topK, topP },
            prompt: k === 0 ? undefined : codes.subarray((first - keep) * b, first * b),
            firstFrame: placed ? first : undefined,
          },
          { seed: seed * 31 + k },
        ),
      );
      codes.set(result.codes, first * b);
      frames.push(...result.frames.map((f) => f.pixels));
    }
    return clipQuality(
      frames,
      {
        digits,
        motions,
        frameSize: pipeline.info.frameSize,
        maxPosition: pipeline.info.motion.maxPosition,
      },
      classifier,
    );
  }

  it('keeps the digits legible and on their paths when each chunk knows its first frame', async () => {
    const recorded = Number(
      (pipeline.model.manifest.eval as Record<string, unknown>)['class_agreement'],
    );
    let agreed = 0;
    let counted = 0;
    let unplacedAgreed = 0;
    let unplacedCounted = 0;
    const placedErrors: number[] = [];
    const unplacedErrors: number[] = [];
    const perClip: number[] = [];
    for (let i = 0; i < CLIPS; i++) {
      const digits = i % 2 === 0 ? [i % 10, (i * 3 + 1) % 10] : [i % 10];
      const motions = drawMotions(digits.length, 900 + i, pipeline.info.motion);
      const placed = await chunked(digits, motions, 900 + i, true);
      // Control: the same chunks without their place in the clip; the model then draws the
      // digits where they were at the start of the clip, off the path.
      const unplaced = await chunked(digits, motions, 900 + i, false);
      agreed += placed.agreed;
      counted += placed.counted;
      if (placed.counted > 0) perClip.push(placed.agreement);
      unplacedAgreed += unplaced.agreed;
      unplacedCounted += unplaced.counted;
      // NaN where no crop of the clip had ink near its path box.
      if (Number.isFinite(placed.centroidErrorPx)) placedErrors.push(placed.centroidErrorPx);
      if (Number.isFinite(unplaced.centroidErrorPx)) unplacedErrors.push(unplaced.centroidErrorPx);
    }
    const agreement = agreed / counted;
    const unplacedAgreement = unplacedAgreed / unplacedCounted;
    const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const mean = perClip.reduce((a, b) => a + b, 0) / perClip.length;
    const sd = Math.sqrt(perClip.reduce((a, b) => a + (b - mean) ** 2, 0) / (perClip.length - 1));
    const se = Math.max(
      sd / Math.sqrt(perClip.length),
      Math.sqrt((recorded * (1 - recorded)) / counted),
    );
    console.log(
      `32 frames in 4 chunks: agreement ${agreement.toFixed(3)} on ${counted} crops (model.json ${recorded}, 16 frames in one run), ` +
        `centroid error ${meanOf(placedErrors).toFixed(2)} px; without firstFrame: agreement ${unplacedAgreement.toFixed(3)}, ` +
        `centroid error ${meanOf(unplacedErrors).toFixed(2)} px`,
    );
    expect(counted).toBeGreaterThan(200);
    expect(agreement).toBeGreaterThanOrEqual(recorded - 3 * se);
    expect(unplacedAgreement).toBeLessThan(agreement - 3 * se);
  }, 300_000);
});
