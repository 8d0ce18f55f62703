import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@nextx/engine';
import type { jobs, videoClip } from '@nextx/proto';
import type { ClipFormat } from '@nextx/media';
import { resolveClip, type ClipLimits, type ResolvedClip, type VideoModelInfo } from '@nextx/video';
import { videoJobSpecOf } from './video-job-spec';

/** A checked video job with every default filled in: what the handler runs, chunk by chunk. */
export interface VideoJobPlan {
  readonly jobId: string;
  /** The clip (model, digits, motions, frames, fps, seed, sampling), defaults filled in. */
  readonly clip: ResolvedClip;
  /** Model version asked for ('' = whatever the repository holds). */
  readonly modelVersion: string;
  /** The model as found in the repository, `name@version` (recorded in every chunk). */
  readonly modelId: string;
  /** Frames per chunk. */
  readonly chunkFrames: number;
  /** Chunks in the job: ⌈frames / chunkFrames⌉. */
  readonly chunkCount: number;
  /** Codes per frame. */
  readonly tokensPerFrame: number;
  /**
   * Frames of earlier chunks a chunk is primed with: the model's context minus the frame being
   * predicted (the generator itself keeps only as many as its window holds).
   */
  readonly promptFrames: number;
  /** Container of the final clip. */
  readonly format: ClipFormat;
}

/** What the worker allows and can produce. */
export interface VideoJobLimits extends ClipLimits {
  /** Whether MP4 can be written here (ffmpeg with libx264). */
  readonly mp4: boolean;
}

/** Frames [first, first + count) of chunk `chunk`. */
export interface ChunkRange {
  readonly first: number;
  readonly count: number;
}

const OUTPUT_FORMATS = ['mp4', 'gif'] as const;

/**
 * The seed of a job submitted with seed 0. Every attempt of a job must use the same seed (a
 * resumed job has to continue the frames already stored), so it comes from the job id rather
 * than from a random draw.
 */
export function seedForJob(jobId: string): number {
  return createHash('sha256').update(`nextx.video-job:${jobId}`).digest().readUInt32BE(0) || 1;
}

/**
 * Seed of chunk `chunk`: the job's seed for chunk 0 (a one-chunk job equals a one-call clip of
 * the same spec), a hash of (seed, chunk) for the others so chunks draw independent samples.
 */
export function chunkSeed(seed: number, chunk: number): number {
  if (chunk === 0) return seed;
  // 48 bits: a safe integer, far more seeds than chunks.
  return createHash('sha256')
    .update(`nextx.video-chunk:${seed}:${chunk}`)
    .digest()
    .readUIntBE(0, 6);
}

/** Frames of chunk `chunk` of `plan`. */
export function chunkRange(
  plan: Pick<VideoJobPlan, 'chunkFrames' | 'clip'>,
  chunk: number,
): ChunkRange {
  const first = chunk * plan.chunkFrames;
  return { first, count: Math.min(plan.chunkFrames, plan.clip.frames - first) };
}

/** The model a video job names (checked before the repository is asked for it). */
export function videoJobModel(spec: jobs.JobSpec): { name: string; version: string } {
  const video = videoJobSpecOf(spec);
  const model = video.clip?.model;
  if (!video.clip) throw new InvalidArgumentError('video.clip', 'a ClipSpec', 'missing');
  if (!model?.name)
    throw new InvalidArgumentError('video.clip.model.name', 'a model name', 'empty');
  return { name: model.name, version: model.version };
}

/**
 * Checks a video job against its model and the worker's limits and fills the defaults: seed 0
 * → {@link seedForJob}, chunk_frames 0 → the model's context, output_format '' → mp4 when it can
 * be written, else gif; the clip itself through `resolveClip` (digits, motions drawn from the
 * seed when none, frames ≤ `limits.maxFrames`, sampling defaults). Throws
 * `InvalidArgumentError` naming the field (`video.clip.frames`, …) and the limit.
 */
export function planVideoJob(
  spec: jobs.JobSpec,
  info: VideoModelInfo,
  limits: VideoJobLimits,
): VideoJobPlan {
  const { version } = videoJobModel(spec);
  const video = videoJobSpecOf(spec);
  const clipSpec = video.clip as videoClip.ClipSpec;
  const clip = resolveClip(
    {
      digits: clipSpec.digits,
      motions: clipSpec.motions,
      frames: clipSpec.frames,
      fps: clipSpec.fps,
      seed: clipSpec.seed || seedForJob(spec.jobId),
      sampling: clipSpec.sampling,
    },
    info,
    limits,
    'video.clip',
  );
  const chunkFrames = video.chunkFrames || info.contextFrames;
  if (!Number.isInteger(chunkFrames) || chunkFrames < 1 || chunkFrames > limits.maxFrames)
    throw new InvalidArgumentError(
      'video.chunk_frames',
      `0 (the model's ${info.contextFrames}) or 1 … ${limits.maxFrames}`,
      `got ${chunkFrames}`,
    );
  return {
    jobId: spec.jobId,
    clip,
    modelVersion: version,
    modelId: `${info.name}@${info.version}`,
    chunkFrames,
    chunkCount: Math.ceil(clip.frames / chunkFrames),
    tokensPerFrame: info.tokensPerFrame,
    promptFrames: Math.max(0, info.contextFrames - 1),
    format: outputFormat(video.outputFormat, limits.mp4),
  };
}

function outputFormat(requested: string, mp4: boolean): ClipFormat {
  if (requested === '') return mp4 ? 'mp4' : 'gif';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(requested))
    throw new InvalidArgumentError(
      'video.output_format',
      `"", ${OUTPUT_FORMATS.map((f) => `"${f}"`).join(' or ')}`,
      `got ${JSON.stringify(requested)}`,
    );
  if (requested === 'mp4' && !mp4)
    throw new InvalidArgumentError(
      'video.output_format',
      '"gif" on this worker (mp4 needs ffmpeg with libx264)',
      'got "mp4"',
    );
  return requested as ClipFormat;
}
