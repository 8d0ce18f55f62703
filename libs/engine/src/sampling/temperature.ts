import type { LogitsProcessor } from './logits-processor';

/** Smallest divisor used, as LlamaGen's `logits / max(temperature, 1e-5)`. */
export const MIN_TEMPERATURE = 1e-5;

/**
 * Divides logits by the temperature. A temperature of 0 is accepted and clamped to
 * {@link MIN_TEMPERATURE} (near-greedy), as LlamaGen does, rather than rejected as in HF.
 */
export class TemperatureLogitsWarper implements LogitsProcessor {
  private readonly inverse: number;

  /** @param temperature >= 0; 1 leaves the distribution unchanged */
  constructor(readonly temperature: number) {
    if (!(temperature >= 0) || !Number.isFinite(temperature)) {
      throw new RangeError(`temperature must be a finite number >= 0, got ${temperature}`);
    }
    this.inverse = 1 / Math.max(temperature, MIN_TEMPERATURE);
  }

  process(logits: Float32Array): void {
    if (this.inverse === 1) return;
    for (let i = 0; i < logits.length; i++) {
      logits[i] *= this.inverse;
    }
  }
}
