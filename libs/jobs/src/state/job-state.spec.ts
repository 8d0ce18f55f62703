import { jobs } from '@nextx/proto';
import { describe, expect, it } from 'vitest';
import { countsAfter } from './job-state';

const S = jobs.JobState;
const status = (state: jobs.JobState, workerId: string) =>
  ({ jobId: 'j', state, workerId }) as jobs.JobStatus;

describe('countsAfter', () => {
  it('takes every record until the job is final', () => {
    expect(countsAfter(undefined, status(S.JOB_STATE_QUEUED, ''))).toBe(true);
    expect(countsAfter(status(S.JOB_STATE_RUNNING, 'a'), status(S.JOB_STATE_RUNNING, 'b'))).toBe(
      true,
    );
    expect(countsAfter(status(S.JOB_STATE_RUNNING, 'b'), status(S.JOB_STATE_SUCCEEDED, 'a'))).toBe(
      true,
    );
  });

  it("ignores another worker's record after the final one, keeps the same worker's", () => {
    const done = status(S.JOB_STATE_SUCCEEDED, 'b');
    expect(countsAfter(done, status(S.JOB_STATE_SUCCEEDED, 'a'))).toBe(false);
    expect(countsAfter(done, status(S.JOB_STATE_RUNNING, 'a'))).toBe(false);
    expect(countsAfter(status(S.JOB_STATE_CANCELLED, ''), status(S.JOB_STATE_SUCCEEDED, 'a'))).toBe(
      false,
    );
    expect(
      countsAfter(status(S.JOB_STATE_FAILED, 'a'), status(S.JOB_STATE_DEAD_LETTERED, 'a')),
    ).toBe(true);
  });
});
