import { commonJob, jobs } from '@nextx/proto';
import { describe, expect, it } from 'vitest';
import { internalJobState, publicJob } from './public-job';

const running: jobs.JobStatus = {
  jobId: 'job-1',
  idempotencyKey: 'k',
  kind: 'video',
  state: jobs.JobState.JOB_STATE_SUCCEEDED,
  chunksDone: 3,
  chunksTotal: 3,
  attempts: 1,
  error: '',
  workerId: 'host-4242-a1b2c3',
  outputUri: 'file:///var/lib/nextx/chunks/job-1/clip.mp4',
  lastCheckpoint: {
    jobId: 'job-1',
    chunkIndex: 2,
    uri: 'file:///var/lib/nextx/chunks/job-1/chunk-000002.bin',
    sizeBytes: 10,
  },
  submittedAtMs: 1,
  updatedAtMs: 4,
  startedAtMs: 2,
  finishedAtMs: 4,
  specDigest: 'd',
};

describe('publicJob', () => {
  it('keeps the lifecycle fields and leaves out the worker id and every storage location', () => {
    const job = publicJob(running);
    expect(job).toEqual({
      jobId: 'job-1',
      idempotencyKey: 'k',
      kind: 'video',
      state: commonJob.JobState.JOB_STATE_SUCCEEDED,
      chunksDone: 3,
      chunksTotal: 3,
      attempts: 1,
      error: '',
      submittedAtMs: 1,
      updatedAtMs: 4,
      startedAtMs: 2,
      finishedAtMs: 4,
    });
    expect(JSON.stringify(job)).not.toMatch(/host-4242|file:|\/var\/lib/);
  });

  it('keeps the error but not the directories of the files it names', () => {
    const error = (text: string) => publicJob({ ...running, error: text }).error;
    expect(
      error(
        'Load model from /tmp/nextx-models-Tm/nbp-broken/step.onnx failed:Protobuf parsing failed.',
      ),
    ).toBe('Load model from …/step.onnx failed:Protobuf parsing failed.');
    expect(
      error("ENOENT: no such file or directory, open '/srv/chunks/job-1/chunk-000002.bin'"),
    ).toBe("ENOENT: no such file or directory, open '…/chunk-000002.bin'");
    expect(error('output file:///srv/chunks/job-1/clip.mp4 is missing')).toBe(
      'output …/clip.mp4 is missing',
    );
    expect(error('video.clip.frames: got 5000 (limit: 1 … 4096); chunk 3/4, a/b')).toBe(
      'video.clip.frames: got 5000 (limit: 1 … 4096); chunk 3/4, a/b',
    );
  });

  it('maps every state both ways', () => {
    for (const state of Object.values(jobs.JobState)) {
      const mapped = publicJob({ ...running, state }).state;
      expect(mapped).toBe(String(state));
      expect(internalJobState(mapped)).toBe(state);
    }
  });
});
