import { jobs } from '@nextx/proto';
import type { ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { codecs } from '../codec/job-codec';
import { jobIdFor } from '../ids';
import { IdempotencyConflictError, InvalidJobError, JobSubmitter } from './job-submitter';

const config = {
  topics: { jobs: 'jobs', status: 'status', commands: 'commands', deadLetter: 'dlq' },
};

function fakes() {
  const sent: ProducerRecord[] = [];
  const known = new Map<string, jobs.JobStatus>();
  const submitter = new JobSubmitter({
    producer: {
      send: async (record) => {
        sent.push(record);
        return [];
      },
    },
    store: { get: (id) => known.get(id), caughtUp: async () => undefined },
    config,
    now: () => 1000,
  });
  return { sent, known, submitter };
}

describe('JobSubmitter', () => {
  it('writes the QUEUED status before the spec, both keyed by the job id derived from the key', async () => {
    const { sent, submitter } = fakes();
    const { job, created } = await submitter.submit({
      idempotencyKey: 'k1',
      kind: 'video',
      params: { typeUrl: 'type.googleapis.com/example.Clip', value: Buffer.from('x') },
    });
    expect(created).toBe(true);
    expect(job).toMatchObject({
      jobId: jobIdFor('k1'),
      state: jobs.JobState.JOB_STATE_QUEUED,
      submittedAtMs: 1000,
    });
    expect(sent.map((r) => [r.topic, r.messages[0]!.key])).toEqual([
      ['status', jobIdFor('k1')],
      ['jobs', jobIdFor('k1')],
    ]);
    expect(codecs.spec.decode(sent[1]!.messages[0]!.value as Buffer)).toMatchObject({
      idempotencyKey: 'k1',
      kind: 'video',
    });
  });

  it('returns a known job for a repeated key without writing', async () => {
    const { sent, known, submitter } = fakes();
    known.set(jobIdFor('k1'), {
      jobId: jobIdFor('k1'),
      state: jobs.JobState.JOB_STATE_RUNNING,
    } as jobs.JobStatus);
    const result = await submitter.submit({ idempotencyKey: 'k1', kind: 'video' });
    expect(result.created).toBe(false);
    expect(result.job.state).toBe(jobs.JobState.JOB_STATE_RUNNING);
    expect(sent).toEqual([]);
  });

  it('refuses a repeated key with another spec (also while the first is in flight), writing nothing more', async () => {
    const { sent, submitter } = fakes();
    const a = { typeUrl: 'type.googleapis.com/x.A', value: Buffer.from([1]) };
    const b = { typeUrl: 'type.googleapis.com/x.A', value: Buffer.from([2]) };
    const [first, second] = await Promise.allSettled([
      submitter.submit({ idempotencyKey: 'k1', kind: 'video', params: a }),
      submitter.submit({ idempotencyKey: 'k1', kind: 'video', params: b }),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second).toMatchObject({
      status: 'rejected',
      reason: expect.any(IdempotencyConflictError),
    });
    expect(sent).toHaveLength(2);
  });

  it('names the bad field', () => {
    const { submitter } = fakes();
    expect(() => submitter.submit({ idempotencyKey: '', kind: 'video' })).toThrow(InvalidJobError);
    expect(() => submitter.submit({ idempotencyKey: 'x'.repeat(300), kind: 'video' })).toThrow(
      /idempotency_key: at most 200/,
    );
    expect(() => submitter.submit({ idempotencyKey: 'k', kind: 'Video!' })).toThrow(
      /kind: expected a lower-case name/,
    );
  });

  it('cancels a queued job at once and only sends a command for a running one', async () => {
    const { sent, known, submitter } = fakes();
    known.set('q', { jobId: 'q', state: jobs.JobState.JOB_STATE_QUEUED } as jobs.JobStatus);
    known.set('r', { jobId: 'r', state: jobs.JobState.JOB_STATE_RUNNING } as jobs.JobStatus);
    expect((await submitter.cancel('q', 'no'))?.state).toBe(jobs.JobState.JOB_STATE_CANCELLED);
    expect((await submitter.cancel('r'))?.state).toBe(jobs.JobState.JOB_STATE_RUNNING);
    expect(await submitter.cancel('unknown')).toBeUndefined();
    expect(sent.map((r) => r.topic)).toEqual(['commands', 'status', 'commands']);
  });
});
