import { NonRetriableJobError, type JobContext } from '@nextx/jobs';
import { describe, expect, it } from 'vitest';
import { handlerByKind } from './job-kinds';

const job = (kind: string) => ({ spec: { kind } }) as unknown as JobContext;

describe('handlerByKind', () => {
  it('runs the handler of the job kind; an unknown kind fails without retries', async () => {
    const handler = handlerByKind({ video: async () => ({ outputUri: 'file:///clip.mp4' }) });
    await expect(handler(job('video'))).resolves.toEqual({ outputUri: 'file:///clip.mp4' });
    await expect(handler(job('audio'))).rejects.toThrow(NonRetriableJobError);
    await expect(handler(job('toString'))).rejects.toThrow(
      'this worker runs "video" jobs, got "toString"',
    );
  });
});
