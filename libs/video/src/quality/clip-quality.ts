import type { ReferenceClassifier } from '@nextx/runtime';
import { bouncingPath, type ObjectMotion } from '../pipelines/object-motion';

/** Per-frame quality of a generated object clip. */
export interface ClipQuality {
  /** Share of counted (digit, frame) crops the classifier reads as the conditioned digit. */
  readonly agreement: number;
  /** Crops read as the conditioned digit. */
  readonly agreed: number;
  /** Crops counted, and crops left out because another digit's box covered too much of them. */
  readonly counted: number;
  readonly excluded: number;
  /** Agreement per frame index (NaN where every crop was excluded). */
  readonly perFrame: number[];
  /** Mean distance (px) between a counted crop's intensity centroid and the centre of its path box. */
  readonly centroidErrorPx: number;
}

/** What {@link clipQuality} needs to know about the clip. */
export interface ClipConditions {
  readonly digits: readonly number[];
  readonly motions: readonly ObjectMotion[];
  readonly frameSize: number;
  readonly maxPosition: number;
  /** Side of a digit's box (28 for MNIST). */
  readonly objectSize?: number;
}

const CLASSIFIER_SIZE = 32;

/**
 * Scores a clip the way the model card does: each digit's box on the straight bouncing path is
 * cut out of every frame (28 × 28 padded to the classifier's 32 × 32) and classified; crops whose
 * box overlaps another digit's box by more than `maxOverlap` of its area are left out. The
 * centroid of the intensity in a window 2 px wider than the box on each side measures the motion.
 */
export async function clipQuality(
  frames: readonly Float32Array[],
  clip: ClipConditions,
  classifier: ReferenceClassifier,
  maxOverlap = 0.25,
): Promise<ClipQuality> {
  const size = clip.frameSize;
  const box = clip.objectSize ?? 28;
  const pad = (CLASSIFIER_SIZE - box) / 2;
  const paths = clip.motions.map((m) => bouncingPath(m, frames.length, clip.maxPosition));
  const crops: { frame: number; digit: number }[] = [];
  const pixels: number[] = [];
  let excluded = 0;
  let centroidError = 0;
  let centroids = 0;
  frames.forEach((frame, f) => {
    clip.digits.forEach((digit, i) => {
      const { x, y } = paths[i][f];
      const covered = Math.max(
        0,
        ...paths.map((other, j) => {
          if (j === i) return 0;
          const o = other[f];
          const w = Math.max(0, Math.min(x, o.x) + box - Math.max(x, o.x));
          const h = Math.max(0, Math.min(y, o.y) + box - Math.max(y, o.y));
          return (w * h) / (box * box);
        }),
      );
      if (covered > maxOverlap) {
        excluded++;
        return;
      }
      const [cx, cy] = centroid(frame, size, x - 2, y - 2, box + 4);
      if (Number.isFinite(cx)) {
        centroidError += Math.hypot(cx - (x + box / 2), cy - (y + box / 2));
        centroids++;
      }
      const crop = new Array<number>(CLASSIFIER_SIZE * CLASSIFIER_SIZE).fill(0);
      for (let r = 0; r < box; r++)
        for (let c = 0; c < box; c++)
          crop[(r + pad) * CLASSIFIER_SIZE + c + pad] = frame[(y + r) * size + x + c];
      pixels.push(...crop);
      crops.push({ frame: f, digit });
    });
  });
  const hits = new Array<number>(frames.length).fill(0);
  const counts = new Array<number>(frames.length).fill(0);
  let agreed = 0;
  if (crops.length > 0) {
    const { labels } = await classifier.classify({
      data: Float32Array.from(pixels),
      dims: [crops.length, 1, CLASSIFIER_SIZE, CLASSIFIER_SIZE],
    });
    crops.forEach((crop, k) => {
      counts[crop.frame]++;
      if (labels[k] === crop.digit) {
        hits[crop.frame]++;
        agreed++;
      }
    });
  }
  return {
    agreement: crops.length ? agreed / crops.length : Number.NaN,
    agreed,
    counted: crops.length,
    excluded,
    perFrame: counts.map((n, f) => (n ? hits[f] / n : Number.NaN)),
    centroidErrorPx: centroids ? centroidError / centroids : Number.NaN,
  };
}

function centroid(
  frame: Float32Array,
  size: number,
  x0: number,
  y0: number,
  side: number,
): [number, number] {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let y = Math.max(0, y0); y < Math.min(size, y0 + side); y++) {
    for (let x = Math.max(0, x0); x < Math.min(size, x0 + side); x++) {
      const v = frame[y * size + x];
      mass += v;
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
    }
  }
  return mass > 0 ? [sx / mass, sy / mass] : [Number.NaN, Number.NaN];
}

/** {@link ClipQuality} of several clips taken together. */
export interface PooledClipQuality {
  /** Agreed crops over counted crops, all clips together. */
  readonly agreement: number;
  readonly counted: number;
  /** Clips with at least one counted crop. */
  readonly clips: number;
  /**
   * Standard error of `agreement`: the spread of per-clip agreement over √clips (the crops of one
   * clip share its digits, so they are not independent), and never below the binomial error of
   * `expected` over the counted crops.
   */
  readonly standardError: number;
  /** Mean centroid error over the clips that had one (NaN if none). */
  readonly centroidErrorPx: number;
}

/** Pools per-clip quality; `expected` is the agreement the pooled figure is compared with. */
export function poolClipQuality(
  qualities: readonly ClipQuality[],
  expected: number,
): PooledClipQuality {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const agreed = qualities.reduce((a, q) => a + q.agreed, 0);
  const counted = qualities.reduce((a, q) => a + q.counted, 0);
  const perClip = qualities.filter((q) => q.counted > 0).map((q) => q.agreement);
  const m = mean(perClip);
  const sd = Math.sqrt(perClip.reduce((a, x) => a + (x - m) ** 2, 0) / (perClip.length - 1));
  return {
    agreement: agreed / counted,
    counted,
    clips: perClip.length,
    standardError: Math.max(
      sd / Math.sqrt(perClip.length),
      Math.sqrt((expected * (1 - expected)) / counted),
    ),
    centroidErrorPx: mean(
      qualities.map((q) => q.centroidErrorPx).filter((e) => Number.isFinite(e)),
    ),
  };
}
