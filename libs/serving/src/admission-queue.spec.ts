import { ResourceExhaustedError } from '@nextx/engine';
import { describe, expect, it } from 'vitest';
import { AdmissionQueue } from './admission-queue';

describe('AdmissionQueue', () => {
  it('runs up to maxRunning, queues up to maxWaiting, refuses the rest', async () => {
    const queue = new AdmissionQueue('image', 2, 1);
    const a = await queue.acquire();
    await queue.acquire();
    const third = queue.acquire();
    await expect(queue.acquire()).rejects.toBeInstanceOf(ResourceExhaustedError);
    expect([queue.runningCount, queue.waitingCount]).toEqual([2, 1]);
    a();
    await third;
    expect([queue.runningCount, queue.waitingCount]).toEqual([2, 0]);
  });

  it('drops a waiting request whose signal fires, and a release is idempotent', async () => {
    const queue = new AdmissionQueue('image', 1, 2);
    const release = await queue.acquire();
    const controller = new AbortController();
    const waiting = queue.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(queue.waitingCount).toBe(0);
    release();
    release();
    expect(queue.runningCount).toBe(0);
  });

  it('refuses with a retry hint: 1 s before any run finished, then the mean hold time per slot', async () => {
    let clock = 0;
    const queue = new AdmissionQueue('image', 2, 0, () => clock);
    const a = await queue.acquire();
    const b = await queue.acquire();
    await expect(queue.acquire()).rejects.toMatchObject({ retryAfterMs: 1000 });
    clock = 3000;
    a();
    b();
    await queue.acquire();
    await queue.acquire();
    // Both held their slot 3 s; with 2 running, one frees about every 1.5 s.
    await expect(queue.acquire()).rejects.toMatchObject({ retryAfterMs: 1500 });
  });
});
