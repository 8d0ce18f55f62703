import type { OnnxGraph } from '../session/onnx-graph';
import type { ImageBatch } from './code-decoder';

/** Predictions of the reference classifier for a batch. */
export interface Classification {
  /** Arg-max class per image. */
  readonly labels: Int32Array;
  /** Penultimate features [images, dims] (for Fréchet distances). */
  readonly features: Float32Array;
  readonly featureDims: number;
}

/** The reference MNIST classifier (`models/mnist-classifier`): scores generated digits. */
export class DigitClassifier {
  constructor(private readonly graph: OnnxGraph) {}

  async classify(batch: ImageBatch): Promise<Classification> {
    const out = await this.graph.run({
      image: {
        data: batch.pixels,
        dims: [batch.images, batch.channels, batch.height, batch.width],
      },
    });
    const logits = out.logits.data as Float32Array;
    const classes = out.logits.dims[1];
    const labels = new Int32Array(batch.images);
    for (let i = 0; i < batch.images; i++) {
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

  /** Share of images whose predicted class equals the class they were generated for. */
  async agreement(batch: ImageBatch, wanted: readonly number[]): Promise<number> {
    const { labels } = await this.classify(batch);
    return wanted.reduce((hits, c, i) => hits + (labels[i] === c ? 1 : 0), 0) / wanted.length;
  }
}
