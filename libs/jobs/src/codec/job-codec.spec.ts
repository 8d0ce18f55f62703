import { jobs } from '@nextx/proto';
import { describe, expect, it } from 'vitest';
import { codecs } from './job-codec';

/** A google.protobuf.UInt64Value of 2^40: field 1, varint. */
const seedBytes = Buffer.from([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);

describe('codecs (protobufjs reflection over proto/nextx/jobs/v1/jobs.proto)', () => {
  it('round-trips a spec with packed params and 64-bit fields as numbers', () => {
    const spec: jobs.JobSpec = {
      jobId: 'job-1',
      idempotencyKey: 'k',
      kind: 'video',
      submittedAtMs: 1_764_000_000_123,
      params: { typeUrl: 'type.googleapis.com/google.protobuf.UInt64Value', value: seedBytes },
    };
    const decoded = codecs.spec.decode(codecs.spec.encode(spec));
    expect(decoded).toEqual(spec);
    expect(
      codecs.spec.decode(codecs.spec.encode({ ...spec, params: undefined })).params,
    ).toBeUndefined();
  });

  it('round-trips a status with enum names and leaves an unset checkpoint out', () => {
    const status = codecs.status.decode(
      codecs.status.encode({
        jobId: 'j',
        state: jobs.JobState.JOB_STATE_RUNNING,
        chunksDone: 2,
      } as jobs.JobStatus),
    );
    expect(status).toMatchObject({
      jobId: 'j',
      state: 'JOB_STATE_RUNNING',
      chunksDone: 2,
      attempts: 0,
      error: '',
    });
    expect(status.lastCheckpoint).toBeUndefined();
  });

  it('round-trips commands and dead letters', () => {
    const command = { jobId: 'j', issuedAtMs: 5, cancel: { reason: 'stop' } };
    expect(codecs.command.decode(codecs.command.encode(command))).toEqual(command);
    const letter = codecs.deadLetter.decode(
      codecs.deadLetter.encode({
        error: 'boom',
        attempts: 3,
        workerId: 'w',
        deadLetteredAtMs: 9,
        spec: { jobId: 'j' } as jobs.JobSpec,
      }),
    );
    expect(letter).toMatchObject({ error: 'boom', attempts: 3, spec: { jobId: 'j', kind: '' } });
  });
});
