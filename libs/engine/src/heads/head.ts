import type { Rng } from '../random/rng';
import type { LogitsContext } from '../sampling/logits-processor';

/** Which step of a generation a head serves: guidance schedules ramp with it. */
export interface HeadStep {
  /** Zero-based step (token position, VAR scale, NBP block, …). */
  readonly step: number;
  /** Steps in the generation. */
  readonly totalSteps: number;
}

/**
 * The head of a Next-X loop: what turns the backbone's output rows of one step into the step's
 * entities. A guided head asks for a doubled batch laid out `[cond; uncond]` and folds it back
 * with its guidance schedule; then each output row is drawn on its own. Generators own the
 * loop (which rows, which step, which context) and compose a head; they never write guidance,
 * processors or sampling out themselves.
 */
export interface Head {
  /** Backbone rows per output row: 2 with classifier-free guidance (`[cond; uncond]`), else 1. */
  readonly branches: 1 | 2;
  /**
   * Folds `branches · rows` backbone rows of `width` values into `rows` guided rows in `out`
   * (with one branch it copies the rows).
   * @returns `out`
   */
  guide(
    values: Float32Array,
    rows: number,
    width: number,
    at: HeadStep,
    out: Float32Array,
  ): Float32Array;
  /** Draws one entity id from a guided row (edited in place). */
  sample(row: Float32Array, context: LogitsContext, rng: Rng): number;
  /**
   * The distribution a draw from `row` follows (written into `row` and returned): what
   * speculative decoding compares between target and draft.
   */
  probabilities(row: Float32Array, context: LogitsContext): Float32Array;
}
