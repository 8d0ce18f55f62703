import type { ClipFormat } from '@nextx/media';
import type { ObjectMotion } from '../pipelines/object-motion';

/** One chunk of frames to generate. */
export interface ChunkRequest {
  /** Model name and version ('' = any). */
  readonly model: string;
  readonly version: string;
  readonly digits: readonly number[];
  readonly motions: readonly ObjectMotion[];
  readonly sampling: {
    readonly temperature: number;
    readonly topK: number;
    readonly topP: number;
    readonly minP: number;
  };
  /** Frames to generate. */
  readonly frames: number;
  readonly seed: number;
  /** Codes of the frames before the chunk, [frames, tokensPerFrame]; none for the first chunk. */
  readonly prompt?: Int32Array;
  /** Index in the whole clip of the chunk's first frame (the model places the digits on their paths by it). */
  readonly firstFrame: number;
}

/** The generated chunk. */
export interface GeneratedChunk {
  /** Codes of the chunk's frames (prompt excluded), [frames, tokensPerFrame]. */
  readonly codes: Int32Array;
  /** Milliseconds per frame. */
  readonly frameMs: number[];
}

/** A whole clip to decode and encode from its codes. */
export interface RenderRequest {
  readonly model: string;
  readonly version: string;
  /** Codes of every frame, [frames, tokensPerFrame]. */
  readonly codes: Int32Array;
  readonly fps: number;
  readonly format: ClipFormat;
}

/** The encoded clip. */
export interface RenderedClip {
  readonly data: Uint8Array;
  readonly format: ClipFormat;
  readonly mimeType: string;
  readonly frames: number;
  /** Frames decoded for the render (the rest were still decoded from generating them). */
  readonly decodedFrames: number;
}

/** Per-frame progress of a chunk. */
export interface ChunkFrameProgress {
  /** Zero-based frame index inside the chunk. */
  readonly index: number;
  readonly ms: number;
}

/** Options of one engine call. */
export interface EngineCallOptions {
  /** Stops the call between two frames. */
  readonly signal?: AbortSignal;
  readonly onFrame?: (progress: ChunkFrameProgress) => void;
}

/**
 * What the video job handler needs from the models: generate a chunk of frame codes (primed with
 * earlier frames), and turn all codes of a clip into an MP4/GIF.
 */
export interface VideoEngine {
  generateChunk(request: ChunkRequest, options?: EngineCallOptions): Promise<GeneratedChunk>;
  renderClip(request: RenderRequest, options?: EngineCallOptions): Promise<RenderedClip>;
}
