import { InvalidArgumentError } from '@nextx/engine';
import type { jobs, videoJob } from '@nextx/proto';
import { motionRanges, type VideoModelInfo } from '@nextx/video';
import { describe, expect, it } from 'vitest';
import {
  chunkRange,
  chunkSeed,
  planVideoJob,
  seedForJob,
  type VideoJobLimits,
} from './video-job-plan';
import { videoJobParams } from './video-job-spec';

// The facts planning reads from a manifest (what videoModelInfo returns for nbp-mmnist).
const info: VideoModelInfo = {
  name: 'nbp-mmnist',
  version: '1',
  family: 'nbp',
  frameSize: 64,
  tokensPerFrame: 64,
  contextFrames: 4,
  maxObjects: 2,
  numClasses: 10,
  motion: motionRanges(36, 3),
  defaults: { temperature: 0.9, topK: 0, topP: 0.95 },
  eval: {},
};
const limits: VideoJobLimits = { maxFrames: 4096, mp4: true };

function spec(
  video: Partial<videoJob.VideoJobSpec> = {},
  clip: Partial<videoJob.VideoJobSpec['clip']> = {},
): jobs.JobSpec {
  return {
    jobId: 'job-abc',
    idempotencyKey: 'k',
    kind: 'video',
    submittedAtMs: 1,
    params: videoJobParams.pack({
      clip: {
        model: { name: 'nbp-mmnist', version: '' },
        digits: [3, 7],
        motions: [],
        frames: 10,
        fps: 0,
        seed: 42,
        ...clip,
      },
      chunkFrames: 0,
      outputFormat: '',
      ...video,
    }),
  };
}

function problem(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return `${error.field}: ${error.limit}`;
    throw error;
  }
  return 'accepted';
}

describe('planVideoJob', () => {
  it('fills defaults: chunks of the model context, mp4 when possible, motions from the seed, model sampling', () => {
    const plan = planVideoJob(spec(), info, limits);
    expect(plan).toMatchObject({
      jobId: 'job-abc',
      chunkFrames: 4,
      chunkCount: 3,
      tokensPerFrame: 64,
      promptFrames: 3,
      format: 'mp4',
      modelVersion: '',
      modelId: 'nbp-mmnist@1',
    });
    expect(plan.clip).toMatchObject({ frames: 10, fps: 8, seed: 42, temperature: 0.9, topP: 0.95 });
    expect(plan.clip.motions).toHaveLength(2);
    expect(planVideoJob(spec(), info, limits).clip.motions).toEqual(plan.clip.motions);
    expect(planVideoJob(spec(), info, { ...limits, mp4: false }).format).toBe('gif');
    expect(planVideoJob(spec({ chunkFrames: 16 }), info, limits).chunkCount).toBe(1);
  });

  it('seed 0 becomes a seed of the job id: every attempt of a job draws the same frames', () => {
    const a = planVideoJob(spec({}, { seed: 0 }), info, limits);
    const b = planVideoJob(spec({}, { seed: 0 }), info, limits);
    expect(a.clip.seed).toBe(seedForJob('job-abc'));
    expect(a.clip.seed).toBeGreaterThan(0);
    expect(b.clip).toEqual(a.clip);
    expect(seedForJob('job-abd')).not.toBe(a.clip.seed);
  });

  it('names the field and the limit of every invalid spec', () => {
    expect(problem(() => planVideoJob(spec({}, { digits: [] }), info, limits))).toBe(
      'video.clip.digits: 1 … 2 digits',
    );
    expect(problem(() => planVideoJob(spec({}, { digits: [1, 2, 3] }), info, limits))).toBe(
      'video.clip.digits: 1 … 2 digits',
    );
    expect(problem(() => planVideoJob(spec({}, { digits: [10] }), info, limits))).toBe(
      'video.clip.digits[0]: an integer in [0, 9]',
    );
    expect(problem(() => planVideoJob(spec({}, { frames: 0 }), info, limits))).toBe(
      'video.clip.frames: an integer in [1, 4096]',
    );
    expect(problem(() => planVideoJob(spec({}, { frames: 4097 }), info, limits))).toBe(
      'video.clip.frames: an integer in [1, 4096]',
    );
    expect(
      problem(() =>
        planVideoJob(
          spec({}, { motions: [{ x: 99, y: 0, vx: 1, vy: 1 }], digits: [4] }),
          info,
          limits,
        ),
      ),
    ).toBe('video.clip.motions[0].x: 0 … 36');
    expect(problem(() => planVideoJob(spec({ chunkFrames: 5000 }), info, limits))).toBe(
      "video.chunk_frames: 0 (the model's 4) or 1 … 4096",
    );
    expect(problem(() => planVideoJob(spec({ outputFormat: 'avi' }), info, limits))).toBe(
      'video.output_format: "", "mp4" or "gif"',
    );
    expect(
      problem(() => planVideoJob(spec({ outputFormat: 'mp4' }), info, { ...limits, mp4: false })),
    ).toBe('video.output_format: "gif" on this worker (mp4 needs ffmpeg with libx264)');
    expect(problem(() => planVideoJob({ ...spec(), params: undefined }, info, limits))).toBe(
      'video: a VideoJobSpec',
    );
  });
});

describe('chunks', () => {
  it('chunk k covers frames [k·n, min((k+1)·n, frames))', () => {
    const plan = planVideoJob(spec({ chunkFrames: 4 }, { frames: 10 }), info, limits);
    expect([0, 1, 2].map((k) => chunkRange(plan, k))).toEqual([
      { first: 0, count: 4 },
      { first: 4, count: 4 },
      { first: 8, count: 2 },
    ]);
  });

  it('chunk seeds: the job seed for chunk 0, then distinct, deterministic safe integers', () => {
    expect(chunkSeed(42, 0)).toBe(42);
    const seeds = Array.from({ length: 1000 }, (_, k) => chunkSeed(42, k));
    expect(new Set(seeds).size).toBe(1000);
    expect(seeds.every(Number.isSafeInteger)).toBe(true);
    expect(chunkSeed(42, 7)).toBe(seeds[7]);
    expect(chunkSeed(43, 7)).not.toBe(seeds[7]);
  });
});
