import {
  InvalidArgumentError,
  NextBlockVideoGenerator,
  NextTokenVideoGenerator,
  type Generator,
  type VideoRequest,
  type VideoResult,
} from '@nextx/engine';
import {
  OnnxFrameDecoder,
  OnnxVideoStepModel,
  type ObjectConditions,
  type VideoFrame,
} from '../models/video-models';
import type { ModelManifest, LoadedModel, ModelRepository } from '@nextx/runtime';
import { checkMotions, motionRanges, type MotionRanges, type ObjectMotion } from './object-motion';

/** Video model families: NBP next-block, and the next-token baseline on the same tokens. */
export const VIDEO_FAMILIES = ['nbp', 'ntp-video'] as const;

/** What a service needs to know about a video model (from its `model.json`). */
export interface VideoModelInfo {
  readonly name: string;
  readonly version: string;
  readonly family: (typeof VIDEO_FAMILIES)[number];
  readonly frameSize: number;
  readonly tokensPerFrame: number;
  /** Frames of one training window; longer clips slide over the most recent frames. */
  readonly contextFrames: number;
  /** Object slots (digits) per clip. */
  readonly maxObjects: number;
  readonly numClasses: number;
  readonly motion: MotionRanges;
  readonly defaults: { readonly temperature: number; readonly topK: number; readonly topP: number };
  /** Recorded quality (`eval` of model.json). */
  readonly eval: unknown;
}

/** Everything needed to generate clips with one video model. */
export interface VideoPipeline {
  readonly info: VideoModelInfo;
  readonly model: LoadedModel;
  /** Model inputs for digits and (already checked) motions. */
  conditions(digits: readonly number[], motions: readonly ObjectMotion[]): ObjectConditions;
  /** A generator with its own KV cache (one per concurrent clip). */
  generator(): Generator<VideoRequest<ObjectConditions>, VideoResult<VideoFrame>>;
}

interface VideoSection {
  frame_size: number;
  tokens_per_frame: number;
  context_frames: number;
  codebook_size: number;
  bov_id: number;
  mbos_id?: number;
  max_digits: number;
  no_digit: number;
  num_classes?: number;
  object_size?: number;
  max_position?: number;
  max_speed?: number;
  position_step?: number;
  velocities?: number[];
  motion_dims?: number;
}

/** The video facts of a manifest (no sessions): what catalogs and request checks need. */
export function videoModelInfo(manifest: ModelManifest): VideoModelInfo {
  const family = manifest.family as VideoModelInfo['family'];
  if (!VIDEO_FAMILIES.includes(family))
    throw new InvalidArgumentError(
      'model',
      `a video model (${VIDEO_FAMILIES.join(', ')})`,
      `${manifest.name} is ${family}`,
    );
  const v = videoSection(manifest);
  const objectSize = v.object_size ?? 28;
  const d = (manifest.defaults ?? {}) as Record<string, number>;
  return {
    name: manifest.name,
    version: manifest.version,
    family,
    frameSize: v.frame_size,
    tokensPerFrame: v.tokens_per_frame,
    contextFrames: v.context_frames,
    maxObjects: v.max_digits,
    numClasses: v.num_classes ?? 10,
    motion: motionRanges(
      v.max_position ?? v.frame_size - objectSize,
      v.max_speed ?? 3,
      v.position_step,
      v.velocities,
    ),
    defaults: { temperature: d['temperature'] ?? 1, topK: d['top_k'] ?? 0, topP: d['top_p'] ?? 1 },
    eval: manifest.eval,
  };
}

function videoSection(manifest: ModelManifest): VideoSection {
  return (manifest as unknown as { video: VideoSection }).video;
}

/** Builds a video pipeline (step graph + frame decoder) from the manifest. */
export async function loadVideoPipeline(
  repository: ModelRepository,
  name: string,
): Promise<VideoPipeline> {
  const model = await repository.load(name);
  const info = videoModelInfo(model.manifest);
  const v = videoSection(model.manifest);
  const stepSpec = model.manifest.contract.graphs['step'] as unknown as {
    num_heads: number;
    head_dim: number;
  };
  const b = info.tokensPerFrame;
  const motion = info.motion;
  const motionDims = v.motion_dims ?? 4;
  // NBP feeds the frame before the one it predicts (window = context − 1 fed frames); the
  // next-token model feeds every frame of its window.
  const maxCachedFrames = info.family === 'nbp' ? v.context_frames - 1 : v.context_frames;
  const decoder = new OnnxFrameDecoder(model.graph('frame_decoder'), b);
  const step = model.graph('step');
  const layout = {
    tokensPerFrame: b,
    codebookSize: v.codebook_size,
    bovId: v.bov_id,
    middleBosId: v.mbos_id ?? v.bov_id + 1,
    maxCachedFrames,
  };
  return {
    info,
    model,
    conditions(digits, motions) {
      const slots = v.max_digits;
      const ids = new Int32Array(slots).fill(v.no_digit);
      const values = new Float32Array(slots * motionDims);
      checkMotions(motions, motion, 'clip.motions');
      digits.forEach((digit, i) => {
        ids[i] = digit;
        const m = motions[i];
        values.set(
          [
            m.x / motion.maxPosition,
            m.y / motion.maxPosition,
            m.vx / motion.maxSpeed,
            m.vy / motion.maxSpeed,
          ],
          i * motionDims,
        );
      });
      return { digits: ids, motion: values };
    },
    generator() {
      const stepModel = new OnnxVideoStepModel(step, {
        heads: stepSpec.num_heads,
        headDim: stepSpec.head_dim,
        vocabSize: v.codebook_size,
        capacity: (maxCachedFrames + 1) * b,
        slots: v.max_digits,
        motionDims,
      });
      return info.family === 'nbp'
        ? new NextBlockVideoGenerator(stepModel, layout, decoder)
        : new NextTokenVideoGenerator(stepModel, layout, decoder);
    },
  };
}
