import type { MaskedTokenBackbone, TokenDenoiser } from '@nextx/engine';
import type { OnnxGraph } from '@nextx/runtime';

/** The `mar_backbone` graph: canvas, mask and class → one condition vector z per position. */
export class OnnxMaskedBackbone implements MaskedTokenBackbone {
  private labels = new BigInt64Array(0);

  constructor(
    private readonly graph: OnnxGraph,
    readonly seqLen: number,
    readonly tokenDim: number,
    readonly conditionDim: number,
  ) {}

  async encode(
    tokens: Float32Array,
    mask: Float32Array,
    classLabels: Int32Array,
    batch: number,
  ): Promise<Float32Array> {
    if (this.labels.length < batch) this.labels = new BigInt64Array(batch);
    for (let r = 0; r < batch; r++) this.labels[r] = BigInt(classLabels[r]);
    const { seqLen, tokenDim } = this;
    const out = await this.graph.run(
      {
        tokens: { data: tokens.subarray(0, batch * seqLen * tokenDim), dims: [batch, seqLen, tokenDim] },
        mask: { data: mask.subarray(0, batch * seqLen), dims: [batch, seqLen] },
        class_labels: { data: this.labels.subarray(0, batch), dims: [batch] },
      },
      {},
      ['z'],
    );
    return out.z.data as Float32Array;
  }
}

/** The `mar_head` graph: the per-token MLP denoiser, ε of x at training timestep t given z. */
export class OnnxTokenDenoiser implements TokenDenoiser {
  private times = new BigInt64Array(0);

  constructor(
    private readonly graph: OnnxGraph,
    readonly tokenDim: number,
    readonly conditionDim: number,
  ) {}

  async epsilon(x: Float32Array, t: Int32Array, z: Float32Array, rows: number): Promise<Float32Array> {
    if (this.times.length < rows) this.times = new BigInt64Array(rows);
    for (let r = 0; r < rows; r++) this.times[r] = BigInt(t[r]);
    const out = await this.graph.run(
      {
        x: { data: x.subarray(0, rows * this.tokenDim), dims: [rows, this.tokenDim] },
        t: { data: this.times.subarray(0, rows), dims: [rows] },
        z: { data: z.subarray(0, rows * this.conditionDim), dims: [rows, this.conditionDim] },
      },
      {},
      ['eps'],
    );
    return out.eps.data as Float32Array;
  }
}
