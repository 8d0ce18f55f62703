import { encodeClip, encodePng, type ClipFormat } from '@nextx/media';
import type { VideoFrame } from '../models/video-models';
import type { ModelRepository, TaskContext, TaskHandler } from '@nextx/runtime';
import type { ResolvedClip } from '../pipelines/clip-spec';
import { loadVideoPipeline, type VideoPipeline } from '../pipelines/video-pipeline';

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
export function videoTaskHandlers(repository: ModelRepository): Record<string, TaskHandler> {
  const pipelines = new Map<string, Promise<VideoPipeline>>();
  const pipelineOf = (name: string) => {
    let entry = pipelines.get(name);
    if (!entry) {
      entry = loadVideoPipeline(repository, name);
      entry.catch(() => pipelines.delete(name));
      pipelines.set(name, entry);
    }
    return entry;
  };

  const clip = async (task: VideoClipTask, context: TaskContext): Promise<VideoClipOutput> => {
    const pipeline = await pipelineOf(task.model);
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
  return { clip: clip as TaskHandler };
}
