import { Controller, Inject } from '@nestjs/common';
import { InvalidArgumentError } from '@nextx/engine';
import { check, modelQuality } from '@nextx/grpc';
import { decodePageToken, encodePageToken, MAX_IDEMPOTENCY_KEY_LENGTH } from '@nextx/jobs';
import { commonJob, models, video } from '@nextx/proto';
import type { GenerationService } from '@nextx/serving';
import type { VideoTasks, VideoCatalog, VideoCatalogEntry } from '@nextx/video';
import { Observable } from 'rxjs';
import { checkClip, checkFormat, clipSpecOf } from './clip-requests';
import type { VideoServiceSettings } from './config';
import { VideoJobsService } from './video-jobs.service';
import { VIDEO_CATALOG, VIDEO_GENERATION, VIDEO_SETTINGS } from './tokens';

const MAX_PAGE_SIZE = 1000;
/** The job states a ListJobs filter may name (UNSPECIFIED = any); others are refused. */
const JOB_STATES = Object.values(commonJob.JobState).filter((s) => s !== 'UNRECOGNIZED');
/** Longest page token accepted (the tokens ListJobs hands out are short decimal numbers). */
const MAX_PAGE_TOKEN_CHARS = 256;

const FAMILIES = {
  nbp: models.ModelFamily.MODEL_FAMILY_NBP,
  'ntp-video': models.ModelFamily.MODEL_FAMILY_NTP_VIDEO,
} as const;

/** The common `ModelInfo` of a video model, with its frame and motion details. */
function modelInfo(info: VideoCatalogEntry): models.ModelInfo {
  return {
    model: { name: info.name, version: info.version },
    family: FAMILIES[info.family],
    description: info.description,
    defaults: { ...info.defaults, minP: 0, guidanceScale: 1 },
    quality: modelQuality(info.eval),
    video: {
      frameSize: info.frameSize,
      contextFrames: info.contextFrames,
      maxObjects: info.maxObjects,
      tokensPerFrame: info.tokensPerFrame,
      maxPosition: info.motion.maxPosition,
      positionStep: info.motion.positionStep,
      velocities: [...info.motion.velocities],
    },
  };
}

/** Turns an async generator into the Observable Nest streams, stopping it when the call ends. */
function streamOf<T>(produce: (signal: AbortSignal) => AsyncIterable<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    (async () => {
      for await (const item of produce(controller.signal)) subscriber.next(item);
      subscriber.complete();
    })().catch((error: unknown) => subscriber.error(error));
    return () => controller.abort();
  });
}

/** gRPC `nextx.video.v1.VideoGeneration`. */
@Controller()
@video.VideoGenerationControllerMethods()
export class VideoController implements video.VideoGenerationController {
  constructor(
    @Inject(VIDEO_CATALOG) private readonly catalog: VideoCatalog,
    @Inject(VIDEO_SETTINGS) private readonly settings: VideoServiceSettings,
    @Inject(VIDEO_GENERATION) private readonly generation: GenerationService<VideoTasks>,
    @Inject(VideoJobsService) private readonly jobs: VideoJobsService,
  ) {}

  generateClip(request: video.GenerateClipRequest): Observable<video.GenerateClipResponse> {
    // Validation throws here, before the stream starts, so bad input ends the call at once.
    const { clip, info } = checkClip(request.clip, this.catalog, this.settings.maxFrames, 'clip');
    const format = checkFormat('format', request.format, true) as 'mp4' | 'gif';
    return new Observable<video.GenerateClipResponse>((subscriber) => {
      const controller = new AbortController();
      const accepted = performance.now();
      this.generation
        .run(
          'clip',
          { ...clip, format },
          {
            signal: controller.signal,
            onProgress: (frame) => {
              subscriber.next({
                frame: { index: frame.index, png: frame.png, generationMs: frame.ms },
              });
              subscriber.next({
                progress: {
                  step: frame.index + 1,
                  total: frame.total,
                  stage: 'frame',
                  elapsedMs: performance.now() - accepted,
                  previewPng: new Uint8Array(),
                },
              });
            },
          },
        )
        .then((out) => {
          subscriber.next({
            clip: {
              data: out.data,
              format: out.format,
              mimeType: out.mimeType,
              frames: clip.frames,
              fps: clip.fps,
              used: clipSpecOf(clip, info),
              steps: out.steps,
              elapsedMs: performance.now() - accepted,
              framesPerSecond: clip.frames / (out.generationMs / 1000),
            },
          });
          subscriber.complete();
        })
        .catch((error: unknown) => subscriber.error(error));
      // The client cancelled or its deadline passed: stop the generation within one step.
      return () => controller.abort();
    });
  }

  listModels(): models.ListModelsResponse {
    return { models: this.catalog.list().map(modelInfo) };
  }

  getModel(request: models.GetModelRequest): models.GetModelResponse {
    check.modelRef('model', request.model);
    return {
      model: modelInfo(this.catalog.get(request.model?.name ?? '', request.model?.version)),
    };
  }

  async submitVideoJob(
    request: video.SubmitVideoJobRequest,
  ): Promise<video.SubmitVideoJobResponse> {
    const key = request.idempotencyKey;
    if (key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key))
      throw new InvalidArgumentError(
        'idempotency_key',
        `1 … ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters without spaces`,
        `got ${JSON.stringify(key.slice(0, 40))}${key.length > 40 ? '…' : ''} (${key.length} characters)`,
      );
    const { clip, info } = checkClip(
      request.clip,
      this.catalog,
      this.settings.maxJobFrames,
      'clip',
    );
    const chunkFrames = request.chunkFrames || info.contextFrames;
    if (chunkFrames < 1 || chunkFrames > clip.frames)
      throw new InvalidArgumentError(
        'chunk_frames',
        `0 or 1 … clip.frames (${clip.frames})`,
        `got ${chunkFrames}`,
      );
    // Workers pick the container when it is left empty (they know whether they have ffmpeg).
    const outputFormat = checkFormat('output_format', request.outputFormat, false);
    const result = await this.jobs.submit(key, {
      clip: clipSpecOf(clip, info),
      chunkFrames,
      outputFormat,
    });
    return { job: result.job, created: result.created };
  }

  async getJob(request: video.GetJobRequest): Promise<video.GetJobResponse> {
    return { job: await this.jobs.get(this.jobId(request.jobId)) };
  }

  watchJob(request: video.WatchJobRequest): Observable<video.WatchJobResponse> {
    const jobId = this.jobId(request.jobId);
    const after = request.afterSequence;
    if (!Number.isSafeInteger(after) || after < 0)
      throw new InvalidArgumentError(
        'after_sequence',
        'a sequence from a previous WatchJob, or 0',
        `got ${after}`,
      );
    const jobsService = this.jobs;
    return streamOf((signal) => jobsService.watch(jobId, after, signal));
  }

  async cancelJob(request: video.CancelJobRequest): Promise<video.CancelJobResponse> {
    if (request.reason.length > 1000)
      throw new InvalidArgumentError(
        'reason',
        '<= 1000 characters',
        `got ${request.reason.length}`,
      );
    return { job: await this.jobs.cancel(this.jobId(request.jobId), request.reason) };
  }

  async listJobs(request: video.ListJobsRequest): Promise<video.ListJobsResponse> {
    const pageSize = request.pageSize || 100;
    if (pageSize > MAX_PAGE_SIZE)
      throw new InvalidArgumentError('page_size', `0 … ${MAX_PAGE_SIZE}`, `got ${pageSize}`);
    // An unknown enum value is refused, as the time-series service does for its enums.
    check.oneOf('state', String(request.state), JOB_STATES);
    check.text('page_token', request.pageToken, MAX_PAGE_TOKEN_CHARS);
    const after = request.pageToken === '' ? undefined : decodePageToken(request.pageToken);
    if (request.pageToken !== '' && !after)
      throw new InvalidArgumentError(
        'page_token',
        'a token from a previous ListJobs',
        `got ${JSON.stringify(request.pageToken.slice(0, 40))}${request.pageToken.length > 40 ? '…' : ''} (${request.pageToken.length} characters)`,
      );
    const page = await this.jobs.list(request.state, pageSize, after);
    return { jobs: page.jobs, nextPageToken: page.next ? encodePageToken(page.next) : '' };
  }

  getJobOutput(request: video.GetJobOutputRequest): Observable<video.GetJobOutputResponse> {
    const jobId = this.jobId(request.jobId);
    const offset = request.offset;
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new InvalidArgumentError('offset', '0 … the output size', `got ${offset}`);
    const jobsService = this.jobs;
    return streamOf(async function* () {
      const { name, size, pieces } = await jobsService.output(jobId, offset);
      const format = name.endsWith('.mp4') ? 'mp4' : 'gif';
      let first = true;
      for await (const data of pieces) {
        yield { data, format: first ? format : '', totalBytes: first ? size : 0 };
        first = false;
      }
      // Nothing left from this offset (or an empty file): one message still names the file.
      if (first) yield { data: new Uint8Array(), format, totalBytes: size };
    });
  }

  private jobId(id: string): string {
    if (!/^job-[0-9a-f]{32}$/.test(id))
      throw new InvalidArgumentError(
        'job_id',
        'a job id as returned by SubmitVideoJob (job-<32 hex>)',
        `got ${JSON.stringify(id.slice(0, 60))}`,
      );
    return id;
  }
}
