import type { MaskedTokenBackbone, TokenDenoiser } from '@nextx/engine';
import { CallCoalescer, type OnnxGraph } from '@nextx/runtime';

interface BackboneCall {
  readonly tokens: Float32Array;
  readonly mask: Float32Array;
  readonly classLabels: Int32Array;
  readonly batch: number;
}

interface DenoiserCall {
  readonly x: Float32Array;
  readonly t: Int32Array;
  readonly z: Float32Array;
  readonly rows: number;
}

/**
 * The `mar_backbone` graph: canvas, mask and class → one condition vector z per position. With
 * `fusedRows`, concurrent generations' calls share forwards ({@link CallCoalescer}); the graph
 * has no state, so a row's z does not depend on who shares its forward.
 */
export class OnnxMaskedBackbone implements MaskedTokenBackbone {
  private readonly coalescer?: CallCoalescer<BackboneCall, Float32Array>;

  constructor(
    private readonly graph: OnnxGraph,
    readonly seqLen: number,
    readonly tokenDim: number,
    readonly conditionDim: number,
    fusedRows?: number,
  ) {
    if (fusedRows)
      this.coalescer = new CallCoalescer((calls) => this.run(calls), (c) => c.batch, fusedRows);
  }

  async encode(
    tokens: Float32Array,
    mask: Float32Array,
    classLabels: Int32Array,
    batch: number,
  ): Promise<Float32Array> {
    const call = { tokens, mask, classLabels, batch };
    return this.coalescer ? this.coalescer.submit(call) : (await this.run([call]))[0];
  }

  private async run(calls: readonly BackboneCall[]): Promise<Float32Array[]> {
    const { seqLen, tokenDim, conditionDim } = this;
    const batch = calls.reduce((sum, c) => sum + c.batch, 0);
    const tokens = new Float32Array(batch * seqLen * tokenDim);
    const mask = new Float32Array(batch * seqLen);
    const labels = new BigInt64Array(batch);
    let row = 0;
    for (const c of calls) {
      tokens.set(c.tokens.subarray(0, c.batch * seqLen * tokenDim), row * seqLen * tokenDim);
      mask.set(c.mask.subarray(0, c.batch * seqLen), row * seqLen);
      for (let r = 0; r < c.batch; r++) labels[row + r] = BigInt(c.classLabels[r]);
      row += c.batch;
    }
    const out = await this.graph.run(
      {
        tokens: { data: tokens, dims: [batch, seqLen, tokenDim] },
        mask: { data: mask, dims: [batch, seqLen] },
        class_labels: { data: labels, dims: [batch] },
      },
      {},
      ['z'],
    );
    return splitRows(out.z.data as Float32Array, calls, (c) => c.batch * seqLen * conditionDim);
  }
}

/**
 * The `mar_head` graph: the per-token MLP denoiser, ε of x at training timestep t given z. With
 * `fusedRows`, concurrent generations' diffusion steps share forwards (rows may sit at different
 * timesteps: t is per row).
 */
export class OnnxTokenDenoiser implements TokenDenoiser {
  private readonly coalescer?: CallCoalescer<DenoiserCall, Float32Array>;

  constructor(
    private readonly graph: OnnxGraph,
    readonly tokenDim: number,
    readonly conditionDim: number,
    fusedRows?: number,
  ) {
    if (fusedRows)
      this.coalescer = new CallCoalescer((calls) => this.run(calls), (c) => c.rows, fusedRows);
  }

  async epsilon(x: Float32Array, t: Int32Array, z: Float32Array, rows: number): Promise<Float32Array> {
    const call = { x, t, z, rows };
    return this.coalescer ? this.coalescer.submit(call) : (await this.run([call]))[0];
  }

  private async run(calls: readonly DenoiserCall[]): Promise<Float32Array[]> {
    const { tokenDim, conditionDim } = this;
    const rows = calls.reduce((sum, c) => sum + c.rows, 0);
    const x = new Float32Array(rows * tokenDim);
    const t = new BigInt64Array(rows);
    const z = new Float32Array(rows * conditionDim);
    let row = 0;
    for (const c of calls) {
      x.set(c.x.subarray(0, c.rows * tokenDim), row * tokenDim);
      z.set(c.z.subarray(0, c.rows * conditionDim), row * conditionDim);
      for (let r = 0; r < c.rows; r++) t[row + r] = BigInt(c.t[r]);
      row += c.rows;
    }
    const out = await this.graph.run(
      {
        x: { data: x, dims: [rows, tokenDim] },
        t: { data: t, dims: [rows] },
        z: { data: z, dims: [rows, conditionDim] },
      },
      {},
      ['eps'],
    );
    return splitRows(out.eps.data as Float32Array, calls, (c) => c.rows * tokenDim);
  }
}

/** Cuts a batched output back into one view per call. */
function splitRows<C>(data: Float32Array, calls: readonly C[], size: (c: C) => number): Float32Array[] {
  let at = 0;
  return calls.map((c) => {
    const part = data.subarray(at, at + size(c));
    at += size(c);
    return part;
  });
}
