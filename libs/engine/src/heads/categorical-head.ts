import { applyCfg } from '../guidance/apply-cfg';
import type { GuidanceSchedule } from '../guidance/guidance-schedule';
import type { Rng } from '../random/rng';
import { buildLogitsProcessors, type SamplingOptions } from '../sampling/build-logits-processors';
import { CategoricalSampler } from '../sampling/categorical-sampler';
import type { LogitsContext, LogitsProcessor } from '../sampling/logits-processor';
import { softmax } from '../sampling/softmax';
import type { Head, HeadStep } from './head';

/** Options of {@link CategoricalHead}. */
export interface CategoricalHeadOptions {
  /** The request's processor chain (temperature, top-k, top-p, min-p, …). */
  readonly sampling?: SamplingOptions;
  /** Classifier-free guidance; omitted: unguided, one backbone row per output row. */
  readonly guidance?: GuidanceSchedule;
  /**
   * Ids that may be drawn, `[start, end)`; everything else is masked before the processors
   * (a raster LM's class ids share the vocabulary with its image codes). Default: all.
   */
  readonly allowed?: readonly [number, number];
}

/**
 * The categorical head (DESIGN "token" row): guidance on the logits (`applyCfg` with the
 * schedule's scale), then the processor chain, then an inverse-CDF draw — or, for speculative
 * decoding, the softmax of the processed row. Every categorical generator uses this one head,
 * so raster, speculative, next-scale and video loops sample exactly alike.
 */
export class CategoricalHead implements Head {
  readonly branches: 1 | 2;
  private readonly processors: LogitsProcessor;
  private readonly sampler = new CategoricalSampler();

  constructor(private readonly options: CategoricalHeadOptions = {}) {
    this.branches = options.guidance ? 2 : 1;
    this.processors = buildLogitsProcessors(options.sampling);
  }

  guide(
    values: Float32Array,
    rows: number,
    width: number,
    at: HeadStep,
    out: Float32Array,
  ): Float32Array {
    const { guidance } = this.options;
    if (guidance)
      return applyCfg(values, rows, width, guidance.scaleAt(at.step, at.totalSteps), out);
    out.set(values.subarray(0, rows * width));
    return out;
  }

  sample(row: Float32Array, context: LogitsContext, rng: Rng): number {
    this.process(row, context);
    return this.sampler.sample(row, rng);
  }

  probabilities(row: Float32Array, context: LogitsContext): Float32Array {
    this.process(row, context);
    return softmax(row, row);
  }

  private process(row: Float32Array, context: LogitsContext): void {
    const { allowed } = this.options;
    if (allowed) {
      row.fill(Number.NEGATIVE_INFINITY, 0, allowed[0]);
      row.fill(Number.NEGATIVE_INFINITY, allowed[1]);
    }
    this.processors.process(row, context);
  }
}
