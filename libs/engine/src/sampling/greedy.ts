import type { LogitsProcessor } from './logits-processor';

/**
 * Greedy decoding as a processor (what temperature 0 means in requests): keeps only the largest
 * logit — the lowest id among equal ones, as `argmax` — and masks the rest, so the sampler can
 * only draw it and the result no longer depends on the seed.
 */
export class GreedyLogitsWarper implements LogitsProcessor {
  process(logits: Float32Array): void {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    const kept = logits[best];
    logits.fill(-Infinity);
    logits[best] = kept;
  }
}
