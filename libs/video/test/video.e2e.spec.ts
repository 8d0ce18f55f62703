import { runToResult } from '@nextx/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelRepository, ReferenceClassifier } from '@nextx/runtime';
import {
  clipQuality,
  drawMotions,
  loadVideoPipeline,
  poolClipQuality,
  type ClipQuality,
  type ObjectMotion,
  type VideoPipeline,
} from '../src';
import { referenceModelsDir } from '@nextx/runtime/testing';

const CLIPS = 12;
const CHUNK = 8;
const CHUNKS = 4;

describe('nbp-mmnist continued chunk by chunk from prompt frames', () => {
  const repository = new ModelRepository(referenceModelsDir());
  let pipeline: VideoPipeline;
  let classifier: ReferenceClassifier;

  beforeAll(async () => {
    pipeline = await loadVideoPipeline(repository, 'nbp-mmnist');
    classifier = new ReferenceClassifier(
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
    const placed: ClipQuality[] = [];
    const unplaced: ClipQuality[] = [];
    for (let i = 0; i < CLIPS; i++) {
      const digits = i % 2 === 0 ? [i % 10, (i * 3 + 1) % 10] : [i % 10];
      const motions = drawMotions(digits.length, 900 + i, pipeline.info.motion);
      placed.push(await chunked(digits, motions, 900 + i, true));
      // Control: the same chunks without their place in the clip; the model then draws the
      // digits where they were at the start of the clip, off the path.
      unplaced.push(await chunked(digits, motions, 900 + i, false));
    }
    const {
      agreement,
      counted,
      centroidErrorPx,
      standardError: se,
    } = poolClipQuality(placed, recorded);
    const control = poolClipQuality(unplaced, recorded);
    console.log(
      `32 frames in 4 chunks: agreement ${agreement.toFixed(3)} on ${counted} crops (model.json ${recorded}, 16 frames in one run), ` +
        `centroid error ${centroidErrorPx.toFixed(2)} px; without firstFrame: agreement ${control.agreement.toFixed(3)}, ` +
        `centroid error ${control.centroidErrorPx.toFixed(2)} px`,
    );
    expect(counted).toBeGreaterThan(200);
    expect(agreement).toBeGreaterThanOrEqual(recorded - 3 * se);
    expect(control.agreement).toBeLessThan(agreement - 3 * se);
  }, 300_000);
});
