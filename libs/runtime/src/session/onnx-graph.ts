import ort from 'onnxruntime-node';
import { countLayers } from '../kv/optimum-names';
import { expandLayers } from '../manifest/family-contracts';
import type { GraphSpec, TensorSpec } from '../manifest/model-manifest';

/** Thread and optimisation settings of every session (explicit, never ORT's machine-wide default). */
export interface SessionSettings {
  /** Threads inside one operator. */
  readonly intraOpThreads: number;
  /** Threads across independent operators (1 = sequential execution). */
  readonly interOpThreads: number;
  readonly graphOptimization: 'disabled' | 'basic' | 'extended' | 'all';
}

export const DEFAULT_SESSION_SETTINGS: SessionSettings = {
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
};

/** Tensor types the engine exchanges with graphs. */
export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array;
/** A named input or output: data plus dims. */
export interface TensorValue {
  readonly data: TensorData;
  readonly dims: readonly number[];
}

const TYPE_OF: Record<string, ort.Tensor.Type> = {
  Float32Array: 'float32',
  BigInt64Array: 'int64',
  Int32Array: 'int32',
  Uint8Array: 'uint8',
};

/** Where a {@link reusableValue} keeps its onnxruntime tensor. */
const TENSOR = Symbol('onnxruntime tensor');
type Reusable = TensorValue & { [TENSOR]?: ort.Tensor };

/**
 * A value that will be passed to {@link OnnxGraph.run} again and again (a step model's view of
 * its preallocated buffers): its onnxruntime tensor is made on first use and kept with it, so
 * later runs wrap nothing. Other values are wrapped afresh on every run, at no extra cost.
 */
export function reusableValue(data: TensorData, dims: readonly number[]): TensorValue {
  return { data, dims, [TENSOR]: undefined } as Reusable;
}

/** Wraps a value as an ORT tensor without copying. */
export function toTensor(value: TensorValue): ort.Tensor {
  return new ort.Tensor(TYPE_OF[value.data.constructor.name], value.data, value.dims);
}

/** One loaded ONNX graph: the only place sessions are created and run. */
export class OnnxGraph {
  /** Runs and milliseconds spent inside onnxruntime's `run` (for engine-overhead figures). */
  readonly stats = { runs: 0, runMs: 0 };

  private constructor(
    readonly name: string,
    private readonly session: ort.InferenceSession,
  ) {}

  /** Creates the session with explicit settings. */
  static async load(
    name: string,
    path: string,
    settings: SessionSettings = DEFAULT_SESSION_SETTINGS,
  ): Promise<OnnxGraph> {
    const session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: settings.intraOpThreads,
      interOpNumThreads: settings.interOpThreads,
      executionMode: settings.interOpThreads > 1 ? 'parallel' : 'sequential',
      graphOptimizationLevel: settings.graphOptimization,
    });
    return new OnnxGraph(name, session);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Declared inputs/outputs of the graph file (name, element type, shape with symbolic dims). */
  metadata(): { inputs: GraphTensorInfo[]; outputs: GraphTensorInfo[] } {
    const read = (list: readonly ort.InferenceSession.ValueMetadata[]) =>
      list.map((m) => ({
        name: m.name,
        type: m.isTensor ? m.type : 'non-tensor',
        shape: m.isTensor ? m.shape : [],
      }));
    return { inputs: read(this.session.inputMetadata), outputs: read(this.session.outputMetadata) };
  }

  /**
   * Runs the graph. Outputs given in `preallocated` are written by onnxruntime straight into
   * their buffers (this is how KV caches avoid a copy and an allocation per step). A
   * {@link reusableValue} passed again reuses its onnxruntime tensor.
   */
  async run(
    feeds: Record<string, TensorValue>,
    preallocated: Record<string, TensorValue> = {},
    wanted: readonly string[] = this.session.outputNames,
  ): Promise<Record<string, TensorValue>> {
    const inputs: Record<string, ort.Tensor> = {};
    for (const name in feeds) inputs[name] = this.tensorOf(feeds[name]);
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const name of wanted) {
      const value = preallocated[name];
      fetches[name] = value ? this.tensorOf(value) : null;
    }
    const started = performance.now();
    const results = await this.session.run(inputs, fetches);
    this.stats.runMs += performance.now() - started;
    this.stats.runs++;
    const out: Record<string, TensorValue> = {};
    for (const name of wanted) {
      out[name] = preallocated[name] ?? {
        data: results[name].data as TensorData,
        dims: results[name].dims,
      };
    }
    return out;
  }

  /** The onnxruntime tensor of `value`: kept with a {@link reusableValue}, else made now. */
  private tensorOf(value: TensorValue): ort.Tensor {
    const reusable = value as Reusable;
    const kept = reusable[TENSOR];
    if (kept) return kept;
    const tensor = toTensor(value);
    if (TENSOR in reusable) reusable[TENSOR] = tensor;
    return tensor;
  }

  /** Warm-up: one run on zero inputs sized from the contract (symbolic dims → 1, past → 0). */
  async warmUp(spec: GraphSpec): Promise<void> {
    const feeds: Record<string, TensorValue> = {};
    const layers = countLayers(this.inputNames);
    for (const [template, tensor] of Object.entries(spec.inputs)) {
      for (const name of expandLayers([template], layers)) feeds[name] = zeros(name, tensor);
    }
    await this.run(feeds);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** A graph tensor as the ONNX file declares it. */
export interface GraphTensorInfo {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

/** Size of a dim for the warm-up: symbolic past/cache lengths are 0, other symbols 1, sums add up. */
function warmUpDim(dim: number | string): number {
  if (typeof dim === 'number') return dim;
  return dim.split('+').reduce((sum, term) => sum + (/past|cache/i.test(term) ? 0 : 1), 0);
}

function zeros(name: string, tensor: TensorSpec): TensorValue {
  // A graph whose smallest valid input is larger than 1 (a strided audio encoder needs whole
  // frames) states its warm-up shape in the contract.
  const stated = (tensor as { warmup_shape?: unknown }).warmup_shape;
  const dims = Array.isArray(stated) ? (stated as number[]) : tensor.shape.map(warmUpDim);
  const size = dims.reduce((a, b) => a * b, 1);
  switch (tensor.dtype) {
    case 'int64':
      return { data: new BigInt64Array(size).fill(name.includes('mask') ? 1n : 0n), dims };
    case 'int32':
      return { data: new Int32Array(size).fill(name.includes('mask') ? 1 : 0), dims };
    case 'uint8':
    case 'bool':
      return { data: new Uint8Array(size), dims };
    default:
      return { data: new Float32Array(size), dims };
  }
}
