import { createRng, InvalidArgumentError } from '@nextx/engine';

/** Initial placement (top-left of the object's box) and velocity of one object, pixels. */
export interface ObjectMotion {
  readonly x: number;
  readonly y: number;
  readonly vx: number;
  readonly vy: number;
}

/** Motions a Moving-MNIST-style model was trained on. */
export interface MotionRanges {
  /** Largest x / y of the box's top-left corner; the walls reflect there and at 0. */
  readonly maxPosition: number;
  /** x / y are multiples of this (8 when motion runs on the 8-px token grid). */
  readonly positionStep: number;
  /** Largest |vx| / |vy| (normalises the motion input). */
  readonly maxSpeed: number;
  /** Allowed values of vx and of vy; (0, 0) is never allowed. */
  readonly velocities: readonly number[];
}

/** Motion ranges with the model card's optional fields filled in (step 1, every non-zero speed). */
export function motionRanges(
  maxPosition: number,
  maxSpeed: number,
  positionStep = 1,
  velocities?: readonly number[],
): MotionRanges {
  const nonZero = Array.from({ length: 2 * maxSpeed + 1 }, (_, i) => i - maxSpeed).filter(
    (v) => v !== 0,
  );
  return { maxPosition, maxSpeed, positionStep, velocities: velocities ?? nonZero };
}

/** Motions drawn from `seed`: uniform grid positions, uniform allowed velocities (not both 0). */
export function drawMotions(count: number, seed: number, ranges: MotionRanges): ObjectMotion[] {
  const rng = createRng(seed);
  const positions = Math.floor(ranges.maxPosition / ranges.positionStep) + 1;
  const position = () => rng.int(positions) * ranges.positionStep;
  const velocity = () => ranges.velocities[rng.int(ranges.velocities.length)];
  return Array.from({ length: count }, () => {
    const x = position();
    const y = position();
    let vx = velocity();
    let vy = velocity();
    while (vx === 0 && vy === 0) [vx, vy] = [velocity(), velocity()];
    return { x, y, vx, vy };
  });
}

/** Checks each motion against the ranges; throws INVALID_ARGUMENT naming `field[i].x` etc. */
export function checkMotions(
  motions: readonly ObjectMotion[],
  ranges: MotionRanges,
  field: string,
): void {
  const step = ranges.positionStep;
  const positionLimit =
    step === 1 ? `0 … ${ranges.maxPosition}` : `a multiple of ${step} in 0 … ${ranges.maxPosition}`;
  const velocityLimit = `one of ${ranges.velocities.join(', ')}`;
  motions.forEach((m, i) => {
    for (const key of ['x', 'y'] as const) {
      const p = m[key];
      if (!Number.isInteger(p) || p < 0 || p > ranges.maxPosition || p % step !== 0)
        throw new InvalidArgumentError(`${field}[${i}].${key}`, positionLimit, `got ${p}`);
    }
    for (const key of ['vx', 'vy'] as const) {
      if (!ranges.velocities.includes(m[key]))
        throw new InvalidArgumentError(`${field}[${i}].${key}`, velocityLimit, `got ${m[key]}`);
    }
    if (m.vx === 0 && m.vy === 0)
      throw new InvalidArgumentError(`${field}[${i}]`, 'vx and vy not both 0', 'got 0, 0');
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
