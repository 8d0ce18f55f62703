import type { OnnxGraph } from '../session/onnx-graph';

/** A batch for a classifier graph: row-major float data whose first dimension is the batch. */
export interface ClassifierInput {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Predictions of a reference classifier for a batch. */
export interface Classification {
  /** Arg-max class per item. */
  readonly labels: Int32Array;
  /** Penultimate features [items, dims] (for Fréchet distances). */
  readonly features: Float32Array;
  readonly featureDims: number;
}

/**
 * A reference classifier graph (one input — `image`, `audio`, … —, outputs `logits` and
 * `features`) that scores
 * generated media: each modality shapes its outputs into the graph's input and compares the
 * predicted class with the one it conditioned on (e.g. `models/mnist-classifier` for digits).
 */
export class ReferenceClassifier {
  constructor(private readonly graph: OnnxGraph) {}

  async classify(input: ClassifierInput): Promise<Classification> {
    const [name] = this.graph.inputNames;
    const out = await this.graph.run({ [name]: { data: input.data, dims: input.dims } });
    const logits = out.logits.data as Float32Array;
    const classes = out.logits.dims[1];
    const items = input.dims[0];
    const labels = new Int32Array(items);
    for (let i = 0; i < items; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++)
        if (logits[i * classes + c] > logits[i * classes + best]) best = c;
      labels[i] = best;
    }
    return {
      labels,
      features: out.features.data as Float32Array,
      featureDims: out.features.dims[1],
    };
  }

  /** Share of items whose predicted class equals the class they were generated for. */
  async agreement(input: ClassifierInput, wanted: readonly number[]): Promise<number> {
    const { labels } = await this.classify(input);
    return wanted.reduce((hits, c, i) => hits + (labels[i] === c ? 1 : 0), 0) / wanted.length;
  }
}
