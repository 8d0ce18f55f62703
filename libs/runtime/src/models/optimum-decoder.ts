import type { DraftHeadStepModel, SharedPromptStepModel } from '@nextx/engine';
import { KvCache } from '../kv/kv-cache';
import { reusableValue, type OnnxGraph, type TensorValue } from '../session/onnx-graph';

/** Shape facts of a decoder, from its manifest. */
export interface DecoderDims {
  readonly heads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly maxBatch: number;
}

/** The per-step tensors of {@link OptimumDecoderStepModel} (views of its buffers). */
interface StepViews {
  readonly ids: TensorValue;
  readonly positions: TensorValue;
  readonly mask: TensorValue;
  readonly logits: TensorValue;
}

/** Most step-view records a step model keeps (batch sizes × lengths it has seen). */
const MAX_STEP_VIEWS = 4096;

/**
 * A Hugging Face Optimum decoder graph (`input_ids`, `attention_mask`, `position_ids`,
 * `past_key_values.*` → `logits`, `present.*`) as a {@link TokenStepModel}. All per-step tensors
 * (ids, mask, positions, logits, KV) live in buffers allocated once; a step only writes the new
 * ids and positions and hands views to onnxruntime — nothing is concatenated or rebuilt.
 */
export class OptimumDecoderStepModel implements SharedPromptStepModel {
  readonly vocabSize: number;
  readonly maxLength: number;
  /** The cache (a fused decoder copies a prefilled prompt out of it). */
  readonly cache: KvCache;
  private readonly ids: BigInt64Array;
  private readonly positions: BigInt64Array;
  private readonly mask: BigInt64Array;
  private readonly logits: Float32Array;
  private readonly views = new Map<number, StepViews>();

  constructor(
    private readonly graph: OnnxGraph,
    dims: DecoderDims,
  ) {
    this.vocabSize = dims.vocabSize;
    this.maxLength = dims.maxLength;
    this.cache = KvCache.forGraph(graph, dims);
    this.ids = new BigInt64Array(dims.maxBatch * dims.maxLength);
    this.positions = new BigInt64Array(dims.maxBatch * dims.maxLength);
    // All ones: every sequence in a batch has the same length (no padding), so the mask is static.
    this.mask = new BigInt64Array(dims.maxBatch * dims.maxLength).fill(1n);
    this.logits = new Float32Array(dims.maxBatch * dims.maxLength * dims.vocabSize);
  }

  get length(): number {
    return this.cache.length;
  }
  get batch(): number {
    return this.cache.batch;
  }

  reset(batch: number): void {
    this.cache.reset(batch);
  }

  truncate(length: number): void {
    this.cache.truncate(length);
  }

  release(): void {
    // Nothing to free: the buffers are reused by the next generation.
  }

  /** The prompt runs as one row; its cache rows are then copied to `batch` rows. */
  async startShared(prompt: Int32Array, batch: number): Promise<Float32Array> {
    this.cache.reset(1);
    const logits = await this.forward(prompt, prompt.length);
    this.cache.tile(batch);
    return logits.subarray((prompt.length - 1) * this.vocabSize, prompt.length * this.vocabSize);
  }

  async forward(tokens: Int32Array, newLength: number): Promise<Float32Array> {
    const batch = this.cache.batch;
    const past = this.cache.length;
    const count = batch * newLength;
    for (let i = 0; i < count; i++) {
      this.ids[i] = BigInt(tokens[i]);
      this.positions[i] = BigInt(past + (i % newLength));
    }
    const { ids, positions, mask, logits } = this.stepViews(batch, newLength, past + newLength);
    await this.graph.run(
      {
        input_ids: ids,
        attention_mask: mask,
        position_ids: positions,
        ...this.cache.pastFeeds(),
      },
      { logits, ...this.extraOutputs(batch, newLength), ...this.cache.presentOutputs(newLength) },
    );
    this.cache.advance(newLength);
    return logits.data as Float32Array;
  }

  /**
   * The step's id, position, mask and logits views, made once per (batch, new length, total) and
   * reused, so a decode step allocates none (and the graph reuses their onnxruntime tensors).
   */
  private stepViews(batch: number, newLength: number, total: number): StepViews {
    const key = (batch * (this.maxLength + 1) + newLength) * (this.maxLength + 1) + total;
    const hit = this.views.get(key);
    if (hit) return hit;
    const count = batch * newLength;
    const views: StepViews = {
      ids: reusableValue(this.ids.subarray(0, count), [batch, newLength]),
      positions: reusableValue(this.positions.subarray(0, count), [batch, newLength]),
      mask: reusableValue(this.mask.subarray(0, batch * total), [batch, total]),
      logits: reusableValue(this.logits.subarray(0, count * this.vocabSize), [
        batch,
        newLength,
        this.vocabSize,
      ]),
    };
    if (this.views.size >= MAX_STEP_VIEWS) this.views.clear();
    this.views.set(key, views);
    return views;
  }

  /** Outputs a subclass fetches beside the logits and the presents, into its own buffers. */
  protected extraOutputs(_batch: number, _newLength: number): Record<string, TensorValue> {
    return {};
  }
}

/**
 * An Optimum decoder graph that also outputs `draft_logits` [batch, seq, heads, vocab] (Medusa
 * heads exported with the target): a {@link DraftHeadStepModel}, written into one preallocated
 * buffer like the logits.
 */
export class OptimumDraftHeadStepModel
  extends OptimumDecoderStepModel
  implements DraftHeadStepModel
{
  private readonly draft: Float32Array;
  private last: Float32Array = new Float32Array(0);
  /** `draft_logits` views per (batch, new length), reused like the step's other tensors. */
  private readonly outputs = new Map<number, Record<string, TensorValue>>();

  constructor(
    graph: OnnxGraph,
    dims: DecoderDims,
    readonly draftHeads: number,
  ) {
    super(graph, dims);
    this.draft = new Float32Array(dims.maxBatch * dims.maxLength * draftHeads * dims.vocabSize);
  }

  draftLogits(): Float32Array {
    return this.last;
  }

  protected override extraOutputs(batch: number, newLength: number): Record<string, TensorValue> {
    const key = batch * (this.maxLength + 1) + newLength;
    let outputs = this.outputs.get(key);
    if (!outputs) {
      const data = this.draft.subarray(0, batch * newLength * this.draftHeads * this.vocabSize);
      const dims = [batch, newLength, this.draftHeads, this.vocabSize];
      outputs = { draft_logits: reusableValue(data, dims) };
      this.outputs.set(key, outputs);
    }
    this.last = outputs['draft_logits'].data as Float32Array;
    return outputs;
  }
}
