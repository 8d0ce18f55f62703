import { InvalidArgumentError, MAX_SEED, randomSeed } from '@nextx/engine';
import { checkMotions, drawMotions, type ObjectMotion } from './object-motion';
import type { VideoModelInfo } from './video-pipeline';

/** A clip request as it arrives (the proto `ClipSpec` shape, defaults not filled in). */
export interface ClipSpecInput {
  readonly digits: readonly number[];
  readonly motions: readonly ObjectMotion[];
  readonly frames: number;
  readonly fps: number;
  readonly seed: number;
  /** Unset fields (and no sampling at all) take the model's defaults. */
  readonly sampling?: {
    readonly temperature?: number;
    readonly topK?: number;
    readonly topP?: number;
    readonly minP?: number;
    readonly guidanceScale?: number;
  } | null;
}

/** A checked clip with every default filled in: what a generation (or a job) runs. */
export interface ResolvedClip {
  readonly model: string;
  readonly digits: number[];
  readonly motions: ObjectMotion[];
  readonly frames: number;
  readonly fps: number;
  readonly seed: number;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly minP: number;
}

/** Limits a service or worker puts on clips. */
export interface ClipLimits {
  readonly maxFrames: number;
}

const DEFAULT_FPS = 8;

/**
 * `value` within [min, max]. Non-integer fields are proto `float`s and compared in float32, so the
 * documented minimum top_p 0.01 (arriving as 0.009999999776) is accepted; NaN never is.
 */
function inRange(field: string, value: number, min: number, max: number, integer = false): number {
  const v = integer ? value : Math.fround(value);
  if (
    !Number.isFinite(v) ||
    v < (integer ? min : Math.fround(min)) ||
    v > (integer ? max : Math.fround(max)) ||
    (integer && !Number.isInteger(value))
  )
    throw new InvalidArgumentError(
      field,
      `${integer ? 'an integer ' : ''}in [${min}, ${max}]`,
      `got ${value}`,
    );
  return value;
}

/**
 * Checks a clip against the model and the limits and fills the defaults: seed 0 → a fresh seed,
 * no motions → drawn from the seed, unset sampling fields → the model's defaults (set ones are
 * used as given: temperature 0 = greedy, top_k 0 = off). Errors name
 * the field under `prefix` (e.g. `clip.frames`) and the limit.
 */
export function resolveClip(
  spec: ClipSpecInput,
  info: VideoModelInfo,
  limits: ClipLimits,
  prefix = 'clip',
): ResolvedClip {
  const field = (name: string) => `${prefix}.${name}`;
  const digits = [...spec.digits];
  if (digits.length < 1 || digits.length > info.maxObjects)
    throw new InvalidArgumentError(
      field('digits'),
      `1 … ${info.maxObjects} digits`,
      `got ${digits.length}`,
    );
  digits.forEach((d, i) => inRange(`${field('digits')}[${i}]`, d, 0, info.numClasses - 1, true));
  const frames = inRange(field('frames'), spec.frames, 1, limits.maxFrames, true);
  const fps = inRange(field('fps'), spec.fps || DEFAULT_FPS, 1, 60, true);
  const seed = inRange(field('seed'), spec.seed || randomSeed(), 0, MAX_SEED, true);
  let motions = spec.motions.map(({ x, y, vx, vy }) => ({ x, y, vx, vy }));
  if (motions.length === 0) motions = drawMotions(digits.length, seed, info.motion);
  else if (motions.length !== digits.length)
    throw new InvalidArgumentError(
      field('motions'),
      `none, or one per digit (${digits.length})`,
      `got ${motions.length}`,
    );
  checkMotions(motions, info.motion, field('motions'));
  const s = spec.sampling ?? {};
  if (s.guidanceScale !== undefined && s.guidanceScale !== 1)
    throw new InvalidArgumentError(
      field('sampling.guidance_scale'),
      'unset or 1 (video models have no unconditional branch)',
      `got ${s.guidanceScale}`,
    );
  const d = info.defaults;
  return {
    model: info.name,
    digits,
    motions,
    frames,
    fps,
    seed,
    temperature: inRange(field('sampling.temperature'), s.temperature ?? d.temperature, 0, 10),
    topK: inRange(field('sampling.top_k'), s.topK ?? d.topK, 0, 1 << 20, true),
    topP: inRange(field('sampling.top_p'), s.topP ?? d.topP, 0.01, 1),
    minP: inRange(field('sampling.min_p'), s.minP ?? 0, 0, 0.99),
  };
}
