import type { PrefixStepModel } from '@nextx/engine';
import type { OnnxGraph } from '@nextx/runtime';

/**
 * The `scale_model` graph of a next-scale shape model (`input_ids` [batch, prefix] →
 * `logits` [batch, prefix, 256], block-causal over octree levels inside the graph) as a
 * {@link PrefixStepModel}. The ids and logits live in buffers sized once for the largest batch.
 */
export class OctreePrefixModel implements PrefixStepModel {
  private readonly ids: BigInt64Array;
  private readonly logits: Float32Array;

  constructor(
    private readonly graph: OnnxGraph,
    readonly vocabSize: number,
    readonly maxLength: number,
    private readonly maxBatch: number,
  ) {
    this.ids = new BigInt64Array(maxBatch * maxLength);
    this.logits = new Float32Array(maxBatch * maxLength * vocabSize);
  }

  async forward(inputs: Int32Array, batch: number, length: number): Promise<Float32Array> {
    if (batch > this.maxBatch) throw new RangeError(`batch ${batch} > ${this.maxBatch}`);
    const count = batch * length;
    for (let i = 0; i < count; i++) this.ids[i] = BigInt(inputs[i]);
    const logits = this.logits.subarray(0, count * this.vocabSize);
    await this.graph.run(
      { input_ids: { data: this.ids.subarray(0, count), dims: [batch, length] } },
      { logits: { data: logits, dims: [batch, length, this.vocabSize] } },
    );
    return logits;
  }
}
