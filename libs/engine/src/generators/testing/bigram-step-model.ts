import type { SharedPromptStepModel } from '../../generation/step-model';

/**
 * Test double of a backbone: the logits of a position depend only on the token fed there
 * (a bigram table), which makes exact output distributions computable. Its "cache" is the list
 * of fed tokens per row, so truncation and roll-back behave as with a real KV cache.
 */
export class BigramStepModel implements SharedPromptStepModel {
  readonly maxLength = 1024;
  private rows: number[][] = [];
  forwards = 0;

  constructor(
    /** [vocab, vocab] row-major: logits after token t are table[t]. */
    private readonly table: Float32Array,
    readonly vocabSize: number,
  ) {}

  get length(): number {
    return this.rows[0]?.length ?? 0;
  }
  get batch(): number {
    return this.rows.length;
  }
  reset(batch: number): void {
    this.rows = Array.from({ length: batch }, () => []);
  }
  truncate(length: number): void {
    for (const row of this.rows) row.length = Math.min(row.length, length);
  }
  release(): void {
    this.rows = [];
  }
  /** One forward over the prompt in a single row, then every row starts as a copy of it. */
  async startShared(prompt: Int32Array, batch: number): Promise<Float32Array> {
    this.reset(1);
    const logits = await this.forward(prompt, prompt.length);
    this.rows = Array.from({ length: batch }, () => [...this.rows[0]!]);
    return logits.subarray((prompt.length - 1) * this.vocabSize);
  }

  async forward(tokens: Int32Array, newLength: number): Promise<Float32Array> {
    this.forwards++;
    const v = this.vocabSize;
    const out = new Float32Array(this.rows.length * newLength * v);
    this.rows.forEach((row, r) => {
      for (let j = 0; j < newLength; j++) {
        const token = tokens[r * newLength + j];
        row.push(token);
        out.set(this.table.subarray(token * v, (token + 1) * v), (r * newLength + j) * v);
      }
    });
    return out;
  }
}
