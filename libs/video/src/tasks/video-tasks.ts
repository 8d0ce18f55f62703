import { encodeClip, encodePng, type ClipFormat } from '@nextx/media';
import type { VideoFrame } from '../models/video-models';
import {
  CachedLoader,
  type ModelRepository,
  type Task,
  type TaskContext,
  type TaskHandlers,
} from '@nextx/runtime';
import type { ResolvedClip } from '../pipelines/clip-spec';
import { loadVideoPipeline } from '../pipelines/video-pipeline';

/** A clip task as the service hands it to a worker (checked, defaults filled in). */
export interface VideoClipTask extends ResolvedClip {
  /** Container of the final clip. */
  readonly format: ClipFormat;
}

/** A frame as sent to the main thread while the clip is generated. */
export interface VideoFrameProgress {
  readonly index: number;
  readonly total: number;
  readonly png: Uint8Array;
  readonly ms: number;
}

/** What a clip task returns. */
export interface VideoClipOutput {
  readonly data: Uint8Array;
  readonly format: ClipFormat;
  readonly mimeType: string;
  readonly steps: number;
  /** Milliseconds spent generating frames (not encoding). */
  readonly generationMs: number;
}

/** The tasks of a video service's generation worker, by kind. */
export interface VideoTasks {
  readonly clip: Task<VideoClipTask, VideoFrameProgress, VideoClipOutput>;
}

/** PNG of one grey frame. */
export function framePng(frame: VideoFrame): Uint8Array {
  return new Uint8Array(
    encodePng({
      pixels: frame.pixels,
      images: 1,
      channels: 1,
      height: frame.size,
      width: frame.size,
    }),
  );
}

/**
 * The video tasks a generation worker serves: one pipeline per model (sessions shared), one
 * generator (own KV cache) per clip, every frame sent as PNG as soon as it is decoded, the
 * clip encoded at the end.
 */
export function videoTaskHandlers(repository: ModelRepository): TaskHandlers<VideoTasks> {
  const pipelines = new CachedLoader((name: string) => loadVideoPipeline(repository, name));

  const clip = async (
    task: VideoClipTask,
    context: TaskContext<VideoFrameProgress>,
  ): Promise<VideoClipOutput> => {
    const pipeline = await pipelines.get(task.model);
    const started = performance.now();
    const events = pipeline.generator().generate(
      {
        frames: task.frames,
        conditions: pipeline.conditions(task.digits, task.motions),
        sampling: {
          temperature: task.temperature,
          topK: task.topK,
          topP: task.topP,
          minP: task.minP,
        },
      },
      { seed: task.seed, signal: context.signal },
    );
    for await (const event of events) {
      if (event.type === 'progress') {
        const preview = event.preview as { index: number; frame: VideoFrame; ms: number };
        context.progress({
          index: preview.index,
          total: event.total,
          png: framePng(preview.frame),
          ms: preview.ms,
        } satisfies VideoFrameProgress);
        continue;
      }
      const generationMs = performance.now() - started;
      const { frames, steps } = event.result;
      const encoded = await encodeClip(
        { frames: frames.map((f) => f.pixels), size: pipeline.info.frameSize, fps: task.fps },
        task.format,
      );
      return {
        data: new Uint8Array(encoded.data),
        format: encoded.format,
        mimeType: encoded.mimeType,
        steps,
        generationMs,
      };
    }
    throw new Error('generation ended without a result');
  };
  return { clip };
}
