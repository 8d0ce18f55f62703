import { status, type ServiceError } from '@grpc/grpc-js';
import { readStatusDetails, type RunningGrpcService } from '@nextx/grpc';
import {
  codecs,
  createIdempotentProducer,
  FsChunkStore,
  createKafka,
  jobIdFor,
  loadJobsConfig,
} from '@nextx/jobs';
import { deleteTestTopics, testEnv, until } from '@nextx/jobs/testing';
import { commonJob, jobs, type video } from '@nextx/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clip, startVideoService, type Client } from './support';

const S = commonJob.JobState;

function submit(client: Client, key: string, overrides: Partial<video.SubmitVideoJobRequest> = {}) {
  return client.unary('submitVideoJob', {
    idempotencyKey: key,
    clip: clip({ frames: 12, seed: 5 }),
    chunkFrames: 4,
    outputFormat: 'gif',
    ...overrides,
  });
}

async function failure(call: Promise<unknown>): Promise<ServiceError> {
  return (await call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: ServiceError) => e,
  )) as ServiceError;
}

describe('video-service job RPCs with the real broker (no worker: jobs stay queued)', () => {
  const env = {
    ...testEnv('video-service-jobs'),
    // Statuses below claim to have finished in 1970: no retention sweep while the suite runs.
    JOBS_RETENTION_SWEEP_INTERVAL_MS: String(24 * 3600 * 1000),
  } as Record<string, string>;
  let service: RunningGrpcService;
  let client: Client;

  beforeAll(async () => {
    ({ service, client } = await startVideoService(env));
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await service?.close();
    await deleteTestTopics(env);
  });

  it('the same idempotency key and spec twice names one job (another spec: ALREADY_EXISTS); get and list see it, with defaults filled in', async () => {
    const first = await submit(client, 'clip-a');
    const again = await submit(client, 'clip-a');
    const conflict = await failure(submit(client, 'clip-a', { clip: clip({ frames: 40 }) }));
    expect(conflict.code).toBe(status.ALREADY_EXISTS);
    expect(conflict.details).toContain('idempotency_key');
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.job!.jobId).toBe(first.job!.jobId);
    expect(first.job).toMatchObject({
      state: S.JOB_STATE_QUEUED,
      kind: 'video',
      idempotencyKey: 'clip-a',
    });
    const { job } = await client.unary('getJob', { jobId: first.job!.jobId });
    expect(job!.state).toBe(S.JOB_STATE_QUEUED);
    const other = await submit(client, 'clip-b');
    const { jobs: listed } = await client.unary('listJobs', {
      state: S.JOB_STATE_QUEUED,
      pageSize: 0,
      pageToken: '',
    });
    expect(listed.map((j) => j.jobId)).toEqual(
      expect.arrayContaining([first.job!.jobId, other.job!.jobId]),
    );
    const page = await client.unary('listJobs', {
      state: S.JOB_STATE_UNSPECIFIED,
      pageSize: 1,
      pageToken: '',
    });
    expect(page.jobs).toHaveLength(1);
    expect(page.nextPageToken).not.toBe('');
  });

  it('ListJobs pages by a stable cursor: jobs submitted between pages neither repeat nor skip one', async () => {
    const list = (pageSize: number, pageToken: string) =>
      client.unary('listJobs', { state: S.JOB_STATE_UNSPECIFIED, pageSize, pageToken });
    for (let i = 0; i < 5; i++) await submit(client, `page-${i}`);
    const before = (await list(1000, '')).jobs.map((j) => j.jobId);
    expect(before.length).toBeGreaterThanOrEqual(5);
    const first = await list(3, '');
    expect(first.jobs.map((j) => j.jobId)).toEqual(before.slice(0, 3));
    await new Promise((r) => setTimeout(r, 5));
    const added = [];
    for (let i = 0; i < 3; i++) added.push((await submit(client, `page-new-${i}`)).job!.jobId);
    const rest: string[] = [];
    for (let token = first.nextPageToken; token !== '';) {
      const page = await list(2, token);
      rest.push(...page.jobs.map((j) => j.jobId));
      token = page.nextPageToken;
    }
    expect([...first.jobs.map((j) => j.jobId), ...rest]).toEqual(before);
    expect((await list(3, '')).jobs.map((j) => j.jobId)).toEqual([...added].reverse());
    const bad = await failure(list(3, 'x'.repeat(1 << 16)));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.details.length).toBeLessThan(400);
  });

  it('watch streams the state until the job ends; cancel ends a queued job at once', async () => {
    const { job } = await submit(client, 'clip-cancel');
    const seen: commonJob.JobState[] = [];
    const watching = (async () => {
      for await (const m of client.stream('watchJob', { jobId: job!.jobId, afterSequence: 0 }))
        seen.push(m.job!.state);
    })();
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 20));
    const cancelled = await client.unary('cancelJob', {
      jobId: job!.jobId,
      reason: 'changed my mind',
    });
    expect(cancelled.job!.state).toBe(S.JOB_STATE_CANCELLED);
    await watching;
    expect(seen[0]).toBe(S.JOB_STATE_QUEUED);
    expect(seen[seen.length - 1]).toBe(S.JOB_STATE_CANCELLED);
    const { job: after } = await client.unary('getJob', { jobId: job!.jobId });
    expect(after).toMatchObject({ state: S.JOB_STATE_CANCELLED, error: 'changed my mind' });
    const drain = async () => {
      for await (const piece of client.stream('getJobOutput', { jobId: job!.jobId, offset: 0 }))
        void piece;
    };
    expect((await failure(drain())).code).toBe(status.FAILED_PRECONDITION);
  });

  it('WatchJob resumes after a given sequence: no state twice, none missed', async () => {
    const { job } = await submit(client, 'clip-resume');
    const jobId = job!.jobId;
    const watch = async (afterSequence: number, onFirst?: () => Promise<unknown>) => {
      const seen: { state: commonJob.JobState; sequence: number }[] = [];
      for await (const m of client.stream('watchJob', { jobId, afterSequence })) {
        seen.push({ state: m.job!.state, sequence: m.sequence });
        if (seen.length === 1) await onFirst?.();
      }
      return seen;
    };
    const all = await watch(0, () => client.unary('cancelJob', { jobId, reason: 'resume test' }));
    expect(all.map((m) => m.state)).toEqual([S.JOB_STATE_QUEUED, S.JOB_STATE_CANCELLED]);
    expect(all[0]!.sequence).toBeGreaterThan(0);
    expect(all[1]!.sequence).toBeGreaterThan(all[0]!.sequence);
    // A client whose stream dropped after the first state gets only what came after it.
    expect(await watch(all[0]!.sequence)).toEqual([all[1]]);
    expect(await watch(all[1]!.sequence)).toEqual([]);
  });

  it('GetJobOutput streams from storage in pieces, from an offset', async () => {
    const jobId = jobIdFor('clip-offset');
    const bytes = Buffer.from(
      Array.from({ length: 2.5 * (1 << 20) + 17 }, (_, i) => (i * 7) % 256),
    );
    const outputUri = await new FsChunkStore(env['JOBS_CHUNK_DIR']!).putOutput(
      jobId,
      'clip.gif',
      bytes,
    );
    const config = loadJobsConfig(env);
    const producer = createIdempotentProducer(createKafka(config));
    await producer.connect();
    await producer.send({
      topic: config.topics.status,
      messages: [
        {
          key: jobId,
          value: codecs.status.encode({
            jobId,
            idempotencyKey: 'clip-offset',
            kind: 'video',
            state: jobs.JobState.JOB_STATE_SUCCEEDED,
            chunksDone: 1,
            chunksTotal: 1,
            attempts: 0,
            error: '',
            workerId: 'w',
            outputUri,
            submittedAtMs: 1,
            updatedAtMs: 2,
            startedAtMs: 1,
            finishedAtMs: Date.now(),
            specDigest: '',
          }),
        },
      ],
    });
    await producer.disconnect();
    await until('the service to see the finished job', () =>
      client.unary('getJob', { jobId }).then(
        ({ job }) => job!.state === S.JOB_STATE_SUCCEEDED,
        () => false,
      ),
    );
    const download = async (offset: number) => {
      const pieces: video.GetJobOutputResponse[] = [];
      for await (const piece of client.stream('getJobOutput', { jobId, offset }))
        pieces.push(piece);
      return pieces;
    };
    for (const offset of [0, (1 << 20) + 3, bytes.length]) {
      const pieces = await download(offset);
      expect(pieces[0]).toMatchObject({ format: 'gif', totalBytes: bytes.length });
      expect(pieces.slice(1).every((p) => p.format === '' && p.totalBytes === 0)).toBe(true);
      expect(pieces.every((p) => p.data.length <= 1 << 20)).toBe(true);
      const data = Buffer.concat(pieces.map((p) => p.data));
      expect(data.equals(bytes.subarray(offset)), `offset ${offset}`).toBe(true);
    }
    const past = await failure(download(bytes.length + 1));
    expect(past.code).toBe(status.OUT_OF_RANGE);
  });

  it('refuses bad submissions naming the field, and unknown or malformed job ids', async () => {
    const expectInvalid = async (call: Promise<unknown>, field: string) => {
      const e = await failure(call);
      expect(e.code, field).toBe(status.INVALID_ARGUMENT);
      expect(e.details).toContain(field);
      expect(readStatusDetails(e)?.badRequest?.fieldViolations.map((v) => v.field)).toEqual([
        field.split(':')[0],
      ]);
    };
    await expectInvalid(submit(client, ''), 'idempotency_key');
    await expectInvalid(submit(client, 'x'.repeat(201)), 'idempotency_key');
    await expectInvalid(submit(client, 'k1', { chunkFrames: 13 }), 'chunk_frames');
    await expectInvalid(submit(client, 'k2', { outputFormat: 'avi' }), 'output_format');
    await expectInvalid(
      submit(client, 'k3', { clip: clip({ frames: 5000 }) }),
      'clip.frames: got 5000 (limit: an integer in [1, 4096])',
    );
    await expectInvalid(submit(client, 'k4', { clip: clip({ digits: [12] }) }), 'clip.digits[0]');
    await expectInvalid(client.unary('getJob', { jobId: 'nope' }), 'job_id');
    const unknown = await failure(client.unary('getJob', { jobId: `job-${'f'.repeat(32)}` }));
    expect(unknown.code).toBe(status.NOT_FOUND);
    expect(readStatusDetails(unknown)?.resourceInfo).toMatchObject({
      resourceType: 'job',
      resourceName: `job-${'f'.repeat(32)}`,
    });
    const { jobs: none } = await client.unary('listJobs', {
      state: S.JOB_STATE_UNSPECIFIED,
      pageSize: 0,
      pageToken: '',
    });
    expect(none.some((j) => j.idempotencyKey.startsWith('k'))).toBe(false);
  });

  it('job responses show no worker id and no storage path, even once a worker has set them', async () => {
    // What a worker publishes for a finished job whose output file has since gone missing.
    const workerId = 'render-host-7-4242-c0ffee';
    const dir = `${env['JOBS_CHUNK_DIR']}/job-internal`;
    const jobId = jobIdFor('clip-internal');
    const published: jobs.JobStatus = {
      jobId,
      idempotencyKey: 'clip-internal',
      kind: 'video',
      state: jobs.JobState.JOB_STATE_SUCCEEDED,
      chunksDone: 1,
      chunksTotal: 1,
      attempts: 0,
      error: '',
      workerId,
      outputUri: `file://${dir}/clip.gif`,
      lastCheckpoint: { jobId, chunkIndex: 0, uri: `file://${dir}/chunk-000000.bin`, sizeBytes: 9 },
      submittedAtMs: 1,
      updatedAtMs: 3,
      startedAtMs: 2,
      finishedAtMs: 3,
      specDigest: '',
    };
    const config = loadJobsConfig(env);
    const producer = createIdempotentProducer(createKafka(config));
    await producer.connect();
    await producer.send({
      topic: config.topics.status,
      messages: [{ key: jobId, value: codecs.status.encode(published) }],
    });
    await producer.disconnect();
    // NOT_FOUND until the service's state store has read the record.
    await until('the service to see the worker status', () =>
      client.unary('getJob', { jobId }).then(
        ({ job }) => job!.state === S.JOB_STATE_SUCCEEDED,
        () => false,
      ),
    );

    const { job } = await client.unary('getJob', { jobId });
    const { jobs: listed } = await client.unary('listJobs', {
      state: S.JOB_STATE_SUCCEEDED,
      pageSize: 0,
      pageToken: '',
    });
    const watched: commonJob.Job[] = [];
    for await (const m of client.stream('watchJob', { jobId, afterSequence: 0 }))
      watched.push(m.job!);
    const missing = async () => {
      for await (const piece of client.stream('getJobOutput', { jobId, offset: 0 })) void piece;
    };
    const outputError = await failure(missing());
    expect(outputError.code).toBe(status.DATA_LOSS);
    expect(job).toMatchObject({ jobId, state: S.JOB_STATE_SUCCEEDED, chunksDone: 1 });
    expect(listed.map((j) => j.jobId)).toContain(jobId);
    expect(watched.map((j) => j.state)).toEqual([S.JOB_STATE_SUCCEEDED]);
    for (const shown of [job, ...listed, ...watched]) {
      expect(Object.keys(shown!)).not.toEqual(
        expect.arrayContaining([expect.stringMatching(/worker|uri|checkpoint/i)]),
      );
    }
    const everything = JSON.stringify([job, listed, watched, outputError.details]);
    expect(everything).not.toContain(workerId);
    expect(everything).not.toContain(env['JOBS_CHUNK_DIR']);
    expect(everything).not.toContain('file:');
  });

  it('a restarted service knows every job (state rebuilt from the compacted status topic)', async () => {
    const before = await client.unary('listJobs', {
      state: S.JOB_STATE_UNSPECIFIED,
      pageSize: 0,
      pageToken: '',
    });
    const restarted = await startVideoService(env);
    try {
      const after = await restarted.client.unary('listJobs', {
        state: S.JOB_STATE_UNSPECIFIED,
        pageSize: 0,
        pageToken: '',
      });
      expect(after.jobs.map((j) => [j.jobId, j.state])).toEqual(
        before.jobs.map((j) => [j.jobId, j.state]),
      );
      expect(before.jobs.length).toBeGreaterThanOrEqual(3);
    } finally {
      restarted.client.close();
      await restarted.service.close();
    }
  });
});
