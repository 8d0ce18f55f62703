import type { DraftHeadStepModel } from '../../generation/step-model';
import { BigramStepModel } from './bigram-step-model';

/**
 * A {@link BigramStepModel} with draft heads: head k's logits at a position depend only on the
 * token fed there (table k), so the heads can be made as good or as bad as a test needs while the
 * target law stays exactly computable.
 */
export class BigramDraftHeadStepModel extends BigramStepModel implements DraftHeadStepModel {
  private lastDraftLogits = new Float32Array(0);

  constructor(
    table: Float32Array,
    vocabSize: number,
    /** [vocab, vocab] row-major per head: head k's logits after token t are headTables[k][t]. */
    private readonly headTables: readonly Float32Array[],
  ) {
    super(table, vocabSize);
  }

  get draftHeads(): number {
    return this.headTables.length;
  }

  draftLogits(): Float32Array {
    return this.lastDraftLogits;
  }

  override async forward(tokens: Int32Array, newLength: number): Promise<Float32Array> {
    const v = this.vocabSize;
    const heads = this.headTables.length;
    const out = new Float32Array(tokens.length * heads * v);
    for (let i = 0; i < tokens.length; i++)
      this.headTables.forEach((table, k) =>
        out.set(table.subarray(tokens[i] * v, (tokens[i] + 1) * v), (i * heads + k) * v),
      );
    this.lastDraftLogits = out;
    return super.forward(tokens, newLength);
  }
}
