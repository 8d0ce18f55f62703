import { ReferenceClassifier, type Classification, type OnnxGraph } from '@nextx/runtime';
import type { ImageBatch } from '../models/code-decoder';

/** The reference MNIST classifier (`models/mnist-classifier`) over decoded image batches. */
export class DigitClassifier {
  private readonly classifier: ReferenceClassifier;

  constructor(graph: OnnxGraph) {
    this.classifier = new ReferenceClassifier(graph);
  }

  classify(batch: ImageBatch): Promise<Classification> {
    return this.classifier.classify(imageTensor(batch));
  }

  /** Share of images whose predicted class equals the class they were generated for. */
  agreement(batch: ImageBatch, wanted: readonly number[]): Promise<number> {
    return this.classifier.agreement(imageTensor(batch), wanted);
  }
}

/** An image batch as the classifier's [images, channels, height, width] input. */
function imageTensor(batch: ImageBatch) {
  return { data: batch.pixels, dims: [batch.images, batch.channels, batch.height, batch.width] };
}
