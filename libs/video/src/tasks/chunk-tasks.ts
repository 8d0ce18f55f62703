import { GenerationAbortedError } from '@nextx/engine';
import { encodeClip } from '@nextx/media';
import {
  CachedLoader,
  type ModelRepository,
  type Task,
  type TaskContext,
  type TaskHandlers,
} from '@nextx/runtime';
import { OnnxFrameDecoder } from '../models/video-models';
import { loadVideoPipeline } from '../pipelines/video-pipeline';
import type {
  ChunkFrameProgress,
  ChunkRequest,
  GeneratedChunk,
  RenderedClip,
  RenderRequest,
} from './video-engine';

/** The tasks of a video worker's generation thread, by kind. */
export interface ChunkTasks {
  readonly generateChunk: Task<ChunkRequest, ChunkFrameProgress, GeneratedChunk>;
  readonly renderClip: Task<RenderRequest, never, RenderedClip>;
}

/**
 * The tasks of a video worker's generation thread: one pipeline (sessions) per model, loaded on
 * first use and again after a failed load; a fresh generator (own KV cache) per chunk.
 */
export function chunkTaskHandlers(
  repository: ModelRepository,
  options: { cachedFrames: number },
): TaskHandlers<ChunkTasks> {
  const decoded = new DecodedFrames(options.cachedFrames);
  // A model that failed to load (a file still being copied, a broken export) is retried by the
  // next attempt instead of failing every later job from the cache.
  const pipelines = new CachedLoader((name: string) => loadVideoPipeline(repository, name));

  const generateChunk = async (
    request: ChunkRequest,
    context: TaskContext<ChunkFrameProgress>,
  ): Promise<GeneratedChunk> => {
    const pipeline = await pipelines.get(request.model);
    const frameMs: number[] = [];
    const events = pipeline.generator().generate(
      {
        frames: request.frames,
        conditions: pipeline.conditions(request.digits, request.motions),
        sampling: request.sampling,
        prompt: request.prompt,
        firstFrame: request.firstFrame,
      },
      { seed: request.seed, signal: context.signal },
    );
    for await (const event of events) {
      if (event.type === 'result') {
        const { codes, frames } = event.result;
        const b = pipeline.info.tokensPerFrame;
        frames.forEach((frame, i) => decoded.put(codes.subarray(i * b, (i + 1) * b), frame.pixels));
        return { codes, frameMs };
      }
      const preview = event.preview as { index: number; ms: number };
      frameMs.push(preview.ms);
      context.progress({ index: preview.index, ms: preview.ms } satisfies ChunkFrameProgress);
    }
    throw new Error('generation ended without a result');
  };

  const renderClip = async (
    request: RenderRequest,
    context: TaskContext<never>,
  ): Promise<RenderedClip> => {
    const pipeline = await pipelines.get(request.model);
    const { tokensPerFrame, frameSize } = pipeline.info;
    if (request.codes.length % tokensPerFrame !== 0)
      throw new RangeError(
        `${request.codes.length} codes are not whole frames of ${tokensPerFrame}`,
      );
    const decoder = new OnnxFrameDecoder(pipeline.model.graph('frame_decoder'), tokensPerFrame);
    const frames: Float32Array[] = [];
    const count = request.codes.length / tokensPerFrame;
    let decodedFrames = 0;
    for (let f = 0; f < count; f++) {
      if (context.signal.aborted) throw new GenerationAbortedError(f);
      const codes = request.codes.subarray(f * tokensPerFrame, (f + 1) * tokensPerFrame);
      let pixels = decoded.get(codes);
      if (!pixels) {
        pixels = (await decoder.decode(codes)).pixels;
        decodedFrames++;
      }
      frames.push(pixels);
    }
    decoded.clear();
    const encoded = await encodeClip({ frames, size: frameSize, fps: request.fps }, request.format);
    return {
      data: new Uint8Array(encoded.data),
      format: encoded.format,
      mimeType: encoded.mimeType,
      frames: count,
      decodedFrames,
    };
  };

  return { generateChunk, renderClip };
}

/**
 * Frames the generator already decoded, by their codes, until the next render. Decoding is
 * about half of a frame's cost, so a job that ran uninterrupted on this worker renders without
 * decoding again; frames of chunks stored by another worker are decoded from their codes. Keyed
 * by content, so a cached frame is always the decoding of exactly those codes.
 */
class DecodedFrames {
  private readonly frames = new Map<string, Float32Array>();

  constructor(private readonly capacity: number) {}

  put(codes: Int32Array, pixels: Float32Array): void {
    if (this.frames.size >= this.capacity) {
      // Oldest first: a chunk needs the frames generated most recently.
      const oldest = this.frames.keys().next();
      if (!oldest.done) this.frames.delete(oldest.value);
    }
    this.frames.set(keyOf(codes), pixels);
  }

  get(codes: Int32Array): Float32Array | undefined {
    return this.frames.get(keyOf(codes));
  }

  clear(): void {
    this.frames.clear();
  }
}

function keyOf(codes: Int32Array): string {
  return Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength).toString('base64');
}
