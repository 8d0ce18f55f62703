import type { Rng } from '../../random/rng';
import {
  buildLogitsProcessors,
  type SamplingOptions,
} from '../../sampling/build-logits-processors';
import { CategoricalSampler } from '../../sampling/categorical-sampler';

/** Samples one code per logits row with the request's processor chain (rows are edited in place). */
export interface FrameRowSampler {
  /**
   * Code drawn from row `row` of `logits` ([entries, vocab]); `step` and `generated` are what the
   * processors see (the step index and the codes of the frame so far).
   */
  sample(logits: Float32Array, row: number, step: number, generated: Int32Array, rng: Rng): number;
}

/** Builds the per-row sampler of a video generation. */
export class FrameTokenSampler {
  private readonly sampler = new CategoricalSampler();

  rows(sampling: SamplingOptions, vocab: number): FrameRowSampler {
    const processors = buildLogitsProcessors(sampling);
    return {
      sample: (logits, row, step, generated, rng) => {
        const values = logits.subarray(row * vocab, (row + 1) * vocab);
        processors.process(values, { step, generated });
        return this.sampler.sample(values, rng);
      },
    };
  }
}
