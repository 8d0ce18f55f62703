import { ResourceExhaustedError } from '@nextx/engine';

/** Frees an admitted slot. */
export type Release = () => void;

/** Retry hint of a refusal before any request has finished, ms. */
const DEFAULT_RETRY_MS = 1000;
/** Bounds of the retry hint, ms: never a busy loop, never minutes. */
const MIN_RETRY_MS = 100;
const MAX_RETRY_MS = 60_000;
/** Weight of the newest run in the running mean of slot hold times. */
const HOLD_SMOOTHING = 0.2;

/**
 * Triton-style model queue policy: up to `maxRunning` requests run at once, up to `maxWaiting`
 * wait in FIFO order, and anything beyond is refused at once with RESOURCE_EXHAUSTED. A waiting
 * request whose call is cancelled leaves the queue; a finished one frees its slot for the next.
 * A refusal carries a retry hint: about when the next running request should finish, from the
 * smoothed time requests have held a slot.
 */
export class AdmissionQueue {
  private running = 0;
  private readonly waiting: { admit: () => void; fail: (e: unknown) => void }[] = [];
  private meanHoldMs?: number;

  /**
   * @param now clock in ms (tests pass their own)
   */
  constructor(
    readonly name: string,
    readonly maxRunning: number,
    readonly maxWaiting: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** How long a refused client should wait before retrying, ms. */
  get retryAfterMs(): number {
    if (this.meanHoldMs === undefined) return DEFAULT_RETRY_MS;
    // Running requests are at random points of their run, so one frees a slot after about
    // a mean hold time divided by how many run side by side.
    const estimate = Math.round(this.meanHoldMs / this.maxRunning);
    return Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, estimate));
  }

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
          this.retryAfterMs,
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
    const since = this.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const held = this.now() - since;
      this.meanHoldMs =
        this.meanHoldMs === undefined
          ? held
          : this.meanHoldMs + HOLD_SMOOTHING * (held - this.meanHoldMs);
      const next = this.waiting.shift();
      next?.admit();
    };
  }
}
