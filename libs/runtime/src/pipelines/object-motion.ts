import { createRng, InvalidArgumentError } from '@nextx/engine';

/** Initial placement (top-left of the object's box) and velocity of one object, pixels. */
export interface ObjectMotion {
  readonly x: number;
  readonly y: number;
  readonly vx: number;
  readonly vy: number;
}

/** Ranges a Moving-MNIST-style model was trained on. */
export interface MotionRanges {
  /** Largest x / y of the box's top-left corner (frame size − object size). */
  readonly maxPosition: number;
  /** Largest |vx| / |vy|; 0 is excluded. */
  readonly maxSpeed: number;
}

/** Motions drawn from `seed` (uniform positions, uniform non-zero speeds). */
export function drawMotions(count: number, seed: number, ranges: MotionRanges): ObjectMotion[] {
  const rng = createRng(seed);
  const int = (n: number) => rng.int(n);
  const speed = () => (int(ranges.maxSpeed) + 1) * (rng.uniform() < 0.5 ? -1 : 1);
  return Array.from({ length: count }, () => ({
    x: int(ranges.maxPosition + 1),
    y: int(ranges.maxPosition + 1),
    vx: speed(),
    vy: speed(),
  }));
}

/** Checks each motion against the ranges; throws INVALID_ARGUMENT naming `field[i].x` etc. */
export function checkMotions(
  motions: readonly ObjectMotion[],
  ranges: MotionRanges,
  field: string,
): void {
  motions.forEach((m, i) => {
    for (const key of ['x', 'y'] as const) {
      if (!Number.isInteger(m[key]) || m[key] < 0 || m[key] > ranges.maxPosition)
        throw new InvalidArgumentError(
          `${field}[${i}].${key}`,
          `0 … ${ranges.maxPosition}`,
          `got ${m[key]}`,
        );
    }
    for (const key of ['vx', 'vy'] as const) {
      const v = m[key];
      if (!Number.isInteger(v) || v === 0 || Math.abs(v) > ranges.maxSpeed)
        throw new InvalidArgumentError(
          `${field}[${i}].${key}`,
          `a non-zero integer in −${ranges.maxSpeed} … ${ranges.maxSpeed}`,
          `got ${v}`,
        );
    }
  });
}

/**
 * Box positions over `frames` frames on the straight path with reflection at the walls (the
 * renderer of the training clips): position += velocity; past an edge, mirror and reverse.
 */
export function bouncingPath(
  motion: ObjectMotion,
  frames: number,
  maxPosition: number,
): { x: number; y: number }[] {
  let { x, y, vx, vy } = motion;
  const path = [];
  for (let f = 0; f < frames; f++) {
    path.push({ x, y });
    [x, vx] = reflect(x + vx, vx, maxPosition);
    [y, vy] = reflect(y + vy, vy, maxPosition);
  }
  return path;
}

function reflect(p: number, v: number, max: number): [number, number] {
  if (p < 0) return [-p, -v];
  if (p > max) return [2 * max - p, -v];
  return [p, v];
}
