import type { CodebookCanvasModel } from '@nextx/engine';
import { ContractError, FusedDecoder, type DecoderDims, type OnnxGraph } from '@nextx/runtime';

/** Heads and head size of a KV-cached graph, from its contract's `past_key_values.{i}.key` [batch, heads, past, head_dim]. */
export function kvDims(
  contract: { inputs: Record<string, { shape: readonly (number | string)[] }> },
  model: string,
): { heads: number; headDim: number } {
  const shape = contract.inputs['past_key_values.{i}.key']?.shape;
  const [, heads, , headDim] = shape ?? [];
  if (typeof heads !== 'number' || typeof headDim !== 'number')
    throw new ContractError(
      `model ${model}: contract past_key_values.{i}.key needs numeric heads and head_dim, got [${shape?.join(', ') ?? ''}]`,
    );
  return { heads, headDim };
}

/**
 * A MusicGen-style step graph (Optimum names, `input_ids` [batch, K, 1], `condition`
 * [batch, width] → `logits` [batch, K, 1, card]) as a fused decoder: concurrent generations
 * each get a `codebookSequence()`, and every step of all of them runs as one batched forward.
 */
export function musicgenFusedDecoder(
  graph: OnnxGraph,
  dims: DecoderDims,
  numCodebooks: number,
  conditionWidth: number,
): FusedDecoder {
  return new FusedDecoder(graph, dims, {
    streams: numCodebooks,
    rowInput: { name: 'condition', width: conditionWidth },
  });
}

/** A MAGNeT graph (`input_ids` [batch, K, frames], `condition` → `logits` [batch, K, frames, card]). */
export class MagnetCanvasModel implements CodebookCanvasModel {
  constructor(
    private readonly graph: OnnxGraph,
    readonly numCodebooks: number,
    readonly vocabSize: number,
    readonly maxFrames: number,
  ) {}

  async forward(
    tokens: Int32Array,
    conditions: Int32Array,
    batch: number,
    frames: number,
  ): Promise<Float32Array> {
    const k = this.numCodebooks;
    const out = await this.graph.run({
      input_ids: {
        data: BigInt64Array.from(tokens.subarray(0, batch * k * frames), (v) => BigInt(v)),
        dims: [batch, k, frames],
      },
      condition: {
        data: BigInt64Array.from(conditions, (v) => BigInt(v)),
        dims: [batch, conditions.length / batch],
      },
    });
    return out['logits'].data as Float32Array;
  }
}
