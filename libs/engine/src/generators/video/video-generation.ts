import { InvalidArgumentError } from '../../errors/invalid-argument';
import type { Decoder } from '../../generation/decoder';
import type { SamplingOptions } from '../../sampling/build-logits-processors';

/** How a video model lays out frame tokens and its special ids. */
export interface VideoTokenLayout {
  /** Tokens per frame (the latent grid, row-major). */
  readonly tokensPerFrame: number;
  /** Codes 0 … codebookSize − 1; logits cover exactly these. */
  readonly codebookSize: number;
  /** Begin-of-video id: the first entry, which predicts token 0 of frame 0. */
  readonly bovId: number;
  /**
   * Frames whose entries may be cached while a step runs (the frame being fed included). Older
   * frames are dropped from the front of the cache first, so memory and per-frame cost stay flat.
   */
  readonly maxCachedFrames: number;
}

/** One clip to generate. */
export interface VideoRequest<Conditions> {
  /** Frames to generate, ≥ 1. */
  readonly frames: number;
  /** What the model is conditioned on (model-specific, e.g. digit classes and motion). */
  readonly conditions: Conditions;
  readonly sampling: SamplingOptions;
  /**
   * Codes of whole frames that precede the clip, [frames, tokensPerFrame] row-major: the model
   * continues from them (a long clip generated chunk by chunk primes each chunk with the last
   * frames of the previous one). Only the last `maxCachedFrames` frames matter (a step never sees more).
   */
  readonly prompt?: Int32Array;
  /**
   * Index in the whole clip of the first frame to generate; the prompt frames are the ones just
   * before it. Default: the prompt starts the clip (the number of prompt frames, 0 without one).
   */
  readonly firstFrame?: number;
}

/** A decoded frame, streamed as the `preview` of a `frame` progress event. */
export interface FramePreview<Frame> {
  /** Zero-based frame index. */
  readonly index: number;
  readonly frame: Frame;
  /** Milliseconds spent on this frame (steps, sampling and decoding). */
  readonly ms: number;
}

/** Codes of the generated frames (prompt excluded), row-major [frames, tokensPerFrame], the decoded frames and step count. */
export interface VideoResult<Frame> {
  readonly codes: Int32Array;
  readonly frames: Frame[];
  /** Backbone forward passes run. */
  readonly steps: number;
}

/** Decodes the codes of one frame. */
export type FrameDecoder<Frame> = Decoder<Int32Array, Frame>;

/** The prompt frames a loop feeds and where they sit in the whole clip. */
export interface FedPrompt {
  /** Codes of the fed prompt frames: whole frames only, the last `keep` of the prompt. */
  readonly codes: Int32Array;
  /** Clip index of the first fed prompt frame (0 without a prompt). */
  readonly firstFrame: number;
}

/** The prompt frames a loop feeds: whole frames only, the last `keep` of them. */
export function promptFrames(
  request: Pick<VideoRequest<unknown>, 'prompt' | 'firstFrame'>,
  tokensPerFrame: number,
  keep: number,
): FedPrompt {
  const prompt = request.prompt ?? new Int32Array(0);
  if (prompt.length % tokensPerFrame !== 0) {
    throw new InvalidArgumentError(
      'prompt',
      `whole frames of ${tokensPerFrame} codes`,
      `got ${prompt.length} codes`,
    );
  }
  const frames = prompt.length / tokensPerFrame;
  const first = request.firstFrame ?? frames;
  // Without a prompt a loop starts the clip from its begin-of-video entry: frame 0.
  const valid = Number.isInteger(first) && (frames === 0 ? first === 0 : first >= frames);
  if (!valid) {
    throw new InvalidArgumentError(
      'first_frame',
      frames === 0
        ? '0 without prompt frames'
        : `an integer >= the ${frames} prompt frames before it`,
      `got ${first}`,
    );
  }
  const fed = Math.min(frames, keep);
  return {
    codes: prompt.subarray((frames - fed) * tokensPerFrame),
    firstFrame: first - fed,
  };
}
