import { ResourceExhaustedError } from '@nextx/engine';

/** Frees an admitted slot. */
export type Release = () => void;

/**
 * Triton-style model queue policy: up to `maxRunning` requests run at once, up to `maxWaiting`
 * wait in FIFO order, and anything beyond is refused at once with RESOURCE_EXHAUSTED. A waiting
 * request whose call is cancelled leaves the queue; a finished one frees its slot for the next.
 */
export class AdmissionQueue {
  private running = 0;
  private readonly waiting: { admit: () => void; fail: (e: unknown) => void }[] = [];

  constructor(
    readonly name: string,
    readonly maxRunning: number,
    readonly maxWaiting: number,
  ) {}

  get runningCount(): number {
    return this.running;
  }
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Waits for a slot; throws ResourceExhaustedError when the queue is full. */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (this.running < this.maxRunning) return Promise.resolve(this.slot());
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(
        new ResourceExhaustedError(
          `${this.name} queue`,
          `${this.maxRunning} running + ${this.maxWaiting} waiting`,
        ),
      );
    }
    return new Promise<Release>((resolve, reject) => {
      const entry = {
        admit: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.slot());
        },
        fail: reject,
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(entry);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(Object.assign(new Error('cancelled while queued'), { name: 'AbortError' }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private slot(): Release {
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const next = this.waiting.shift();
      next?.admit();
    };
  }
}
