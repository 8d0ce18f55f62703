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
}

/** A decoded frame, streamed as the `preview` of a `frame` progress event. */
export interface FramePreview<Frame> {
  /** Zero-based frame index. */
  readonly index: number;
  readonly frame: Frame;
  /** Milliseconds spent on this frame (steps, sampling and decoding). */
  readonly ms: number;
}

/** Codes of every frame, row-major [frames, tokensPerFrame], the decoded frames and step count. */
export interface VideoResult<Frame> {
  readonly codes: Int32Array;
  readonly frames: Frame[];
  /** Backbone forward passes run. */
  readonly steps: number;
}

/** Decodes the codes of one frame. */
export type FrameDecoder<Frame> = Decoder<Int32Array, Frame>;
