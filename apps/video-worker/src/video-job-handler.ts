import { InvalidArgumentError, NotFoundError } from '@nextx/engine';
import {
  NonRetriableJobError,
  type JobContext,
  type JobHandler,
  type JobResult,
} from '@nextx/jobs';
import type { Span } from '@opentelemetry/api';
import { ContractError, type ModelRepository } from '@nextx/runtime';
import { inSpan } from '@nextx/telemetry';
import { videoModelInfo, type VideoEngine } from '@nextx/video';
import type { Logger } from 'pino';
import { encodeChunk, readExpectedChunk, type VideoChunk } from './chunk-codec';
import {
  chunkRange,
  chunkSeed,
  planVideoJob,
  videoJobModel,
  type VideoJobLimits,
  type VideoJobPlan,
} from './video-job-plan';
import type { VideoWorkerMetrics } from './worker-metrics';

/** What the video job handler works with. */
export interface VideoJobHandlerOptions {
  /** Model manifests (the spec is checked against the model before anything runs). */
  readonly repository: Pick<ModelRepository, 'manifest'>;
  /** Generates chunks and renders the clip. */
  readonly engine: VideoEngine;
  /** Frame limit and whether MP4 can be written. */
  readonly limits: VideoJobLimits;
  readonly logger?: Logger;
  readonly metrics?: VideoWorkerMetrics;
}

/** Errors that no retry can fix: the spec is wrong for this model or the model does not exist. */
function isSpecError(error: unknown): error is Error {
  return (
    error instanceof InvalidArgumentError ||
    error instanceof NotFoundError ||
    error instanceof ContractError
  );
}

/**
 * The handler of "video" jobs. Checks the spec (invalid ⇒ {@link NonRetriableJobError}, the job
 * ends FAILED at once), then generates chunk k = frames [k·n, min((k+1)·n, frames)) with
 * {@link chunkSeed}(seed, k), primed with the last frames of the chunks before it read back
 * from the chunk store, and checkpoints it. Everything a chunk depends on is either in the spec
 * or in the store, so a job resumed by another worker after a crash produces exactly the frames
 * an uninterrupted run would. After the last chunk it decodes every chunk's codes and writes
 * `clip.mp4` / `clip.gif` next to the chunks. Each chunk is a span (`video.chunk`: its index,
 * frames and tokens), and so is the render (`video.render`), children of the job's span.
 */
export function createVideoJobHandler(options: VideoJobHandlerOptions): JobHandler {
  const { logger } = options;
  return async (job: JobContext): Promise<JobResult> => {
    const plan = await planOrFail(job, options);
    const jobId = job.spec.jobId;
    logger?.info(
      {
        jobId,
        attempt: job.attempt,
        frames: plan.clip.frames,
        chunkFrames: plan.chunkFrames,
        chunks: plan.chunkCount,
        resumeAt: job.nextChunk,
        seed: plan.clip.seed,
        format: plan.format,
      },
      job.nextChunk > 0 ? 'video job resumed' : 'video job started',
    );
    await job.progress(job.nextChunk, plan.chunkCount);

    for (let k = job.nextChunk; k < plan.chunkCount; k++) {
      job.signal.throwIfAborted();
      const range = chunkRange(plan, k);
      const attributes = {
        'nextx.job.id': jobId,
        'nextx.chunk.index': k,
        'nextx.chunk.first_frame': range.first,
        'nextx.chunk.frames': range.count,
        'nextx.generation.model': plan.modelId,
      };
      await inSpan('video.chunk', { attributes, signal: job.signal }, (span) =>
        generateChunk(job, plan, k, options, span),
      );
    }
    return inSpan(
      'video.render',
      { attributes: { 'nextx.job.id': jobId }, signal: job.signal },
      (span) => renderClip(job, plan, options, span),
    );
  };
}

/** Generates chunk `k` of the plan (primed with the frames before it) and checkpoints it. */
async function generateChunk(
  job: JobContext,
  plan: VideoJobPlan,
  k: number,
  options: VideoJobHandlerOptions,
  span: Span,
): Promise<void> {
  const { engine, logger, metrics } = options;
  const jobId = plan.jobId;
  const range = chunkRange(plan, k);
  const seed = chunkSeed(plan.clip.seed, k);
  const prompt = await promptBefore(job, plan, k);
  const started = performance.now();
  const { codes } = await engine.generateChunk(
    {
      model: plan.clip.model,
      version: plan.modelVersion,
      digits: plan.clip.digits,
      motions: plan.clip.motions,
      sampling: {
        temperature: plan.clip.temperature,
        topK: plan.clip.topK,
        topP: plan.clip.topP,
        minP: plan.clip.minP,
      },
      frames: range.count,
      seed,
      prompt,
      // Without prompt frames a chunk can only start a clip afresh (frame 0).
      firstFrame: prompt ? range.first : 0,
    },
    { signal: job.signal },
  );
  const ms = performance.now() - started;
  const chunk: VideoChunk = {
    jobId,
    chunk: k,
    firstFrame: range.first,
    frames: range.count,
    tokensPerFrame: plan.tokensPerFrame,
    model: plan.modelId,
    seed,
    codes,
  };
  // Publishes the checkpoint and the progress (chunks done of the total set above) at once.
  await job.checkpoint(k, encodeChunk(chunk));
  metrics?.chunkSeconds.observe({ model: plan.clip.model }, ms / 1000);
  metrics?.frames.inc({ model: plan.clip.model }, range.count);
  logger?.info(
    {
      jobId,
      chunk: k,
      firstFrame: range.first,
      frames: range.count,
      ms: Math.round(ms),
      workerId: job.workerId,
    },
    'chunk stored',
  );
  span.setAttributes({ 'nextx.chunk.tokens': codes.length, 'nextx.chunk.seed': seed });
}

/** Decodes every stored chunk into the clip and writes it to the store. */
async function renderClip(
  job: JobContext,
  plan: VideoJobPlan,
  options: VideoJobHandlerOptions,
  span: Span,
): Promise<JobResult> {
  const { engine, logger, metrics } = options;
  const jobId = plan.jobId;
  const started = performance.now();
  const codes = await allCodes(job, plan);
  const clip = await engine.renderClip(
    {
      model: plan.clip.model,
      version: plan.modelVersion,
      codes,
      fps: plan.clip.fps,
      format: plan.format,
    },
    { signal: job.signal },
  );
  job.signal.throwIfAborted();
  const outputUri = await job.chunks.putOutput(jobId, `clip.${clip.format}`, clip.data);
  const ms = performance.now() - started;
  metrics?.renderSeconds.observe({ format: clip.format }, ms / 1000);
  logger?.info(
    {
      jobId,
      frames: clip.frames,
      decodedFrames: clip.decodedFrames,
      bytes: clip.data.byteLength,
      ms: Math.round(ms),
      outputUri,
    },
    'clip written',
  );
  span.setAttributes({ 'nextx.clip.format': clip.format, 'nextx.clip.frames': clip.frames });
  return { outputUri };
}

/** The job's plan; a spec that cannot run on any attempt fails the job without retries. */
async function planOrFail(job: JobContext, options: VideoJobHandlerOptions): Promise<VideoJobPlan> {
  try {
    if (job.spec.kind !== 'video')
      throw new InvalidArgumentError('kind', '"video"', `got ${JSON.stringify(job.spec.kind)}`);
    const model = videoJobModel(job.spec);
    const info = await underField('video.clip.model', async () =>
      videoModelInfo(await options.repository.manifest(model.name, model.version)),
    );
    return planVideoJob(job.spec, info, options.limits);
  } catch (error) {
    if (isSpecError(error)) throw new NonRetriableJobError(error.message);
    throw error;
  }
}

/** Runs `lookup`, reporting a missing or unsuitable model under the spec's field name. */
async function underField<T>(field: string, lookup: () => Promise<T>): Promise<T> {
  try {
    return await lookup();
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new InvalidArgumentError(field, 'a model in the repository', error.message);
    if (error instanceof InvalidArgumentError)
      throw new InvalidArgumentError(field, error.limit, error.detail);
    throw error;
  }
}

/** Reads chunk `k` of the plan back from the store, checking it is the chunk expected. */
async function storedChunk(job: JobContext, plan: VideoJobPlan, k: number): Promise<VideoChunk> {
  const bytes = await job.chunks.get(plan.jobId, k);
  if (!bytes) throw new Error(`chunk ${k} of ${plan.jobId} is missing from the chunk store`);
  const range = chunkRange(plan, k);
  return readExpectedChunk(bytes, {
    jobId: plan.jobId,
    chunk: k,
    firstFrame: range.first,
    frames: range.count,
    tokensPerFrame: plan.tokensPerFrame,
  });
}

/**
 * Codes of the last `plan.promptFrames` frames before chunk `k`, from the stored chunks (several
 * when chunks are shorter than the prompt); undefined for chunk 0.
 */
async function promptBefore(
  job: JobContext,
  plan: VideoJobPlan,
  k: number,
): Promise<Int32Array | undefined> {
  if (k === 0 || plan.promptFrames === 0) return undefined;
  const parts: Int32Array[] = [];
  let frames = 0;
  for (let j = k - 1; j >= 0 && frames < plan.promptFrames; j--) {
    const chunk = await storedChunk(job, plan, j);
    parts.unshift(chunk.codes);
    frames += chunk.frames;
  }
  const codes = concat(parts);
  return codes.slice(codes.length - Math.min(frames, plan.promptFrames) * plan.tokensPerFrame);
}

/** Codes of every frame of the clip, chunk after chunk, from the store. */
async function allCodes(job: JobContext, plan: VideoJobPlan): Promise<Int32Array> {
  const parts: Int32Array[] = [];
  for (let k = 0; k < plan.chunkCount; k++) parts.push((await storedChunk(job, plan, k)).codes);
  return concat(parts);
}

function concat(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
