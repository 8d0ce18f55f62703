import type { TokenStepModel } from '../generation/step-model';
import type { Head } from '../heads/head';
import type { StepPlan } from '../schedules/schedule';

// The multi-token forwards and per-position distributions that the speculative raster loops
// (draft model, Jacobi) share: rows are [cond; uncond] when guidance is on.

/** One forward of `tokens` on every row; the unconditional row starts with the null class. */
export function feedRows(
  model: TokenStepModel,
  tokens: readonly number[],
  uncondFirst: number | undefined,
  rows: number,
): Promise<Float32Array> {
  const input = new Int32Array(rows * tokens.length);
  input.set(tokens, 0);
  if (rows === 2) {
    input.set(tokens, tokens.length);
    if (uncondFirst !== undefined) input[tokens.length] = uncondFirst;
  }
  return model.forward(input, tokens.length);
}

/**
 * The head's probabilities at `position` of [rows, positions, vocab] logits, for the raster step
 * `plan` (guidance, then the processor chain), in a new array.
 */
export function rowDistribution(
  head: Head,
  logits: Float32Array,
  vocab: number,
  position: number,
  rows: number,
  plan: StepPlan,
  totalSteps: number,
  generated: readonly number[],
): Float32Array {
  const positions = logits.length / (rows * vocab);
  const pair = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++)
    pair.set(
      logits.subarray((r * positions + position) * vocab, (r * positions + position + 1) * vocab),
      r * vocab,
    );
  const step = plan.positions[0];
  const row = head.guide(pair, 1, vocab, { step, totalSteps }, new Float32Array(vocab));
  return head.probabilities(row, { step, generated });
}
