import type { Decoder } from '../generation/decoder';
import { applyCfg } from '../guidance/apply-cfg';
import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../generation/generator';
import type { TokenStepModel } from '../generation/step-model';
import { createRng } from '../random/rng';
import { buildLogitsProcessors, type SamplingOptions } from '../sampling/build-logits-processors';
import { CategoricalSampler } from '../sampling/categorical-sampler';

/** How a class-conditional raster model lays out its vocabulary. */
export interface RasterTokenLayout {
  /** Image tokens per image (h × w latent grid). */
  readonly tokensPerImage: number;
  /** Id of code 0; codes occupy [codeOffset, codeOffset + codebookSize). */
  readonly codeOffset: number;
  readonly codebookSize: number;
  /** Id of the prefix token of class c. */
  classToken(classLabel: number): number;
  /** Id of the null class (unconditional branch of classifier-free guidance). */
  readonly nullClassToken: number;
}

/** One raster generation: a batch of class-conditional images. */
export interface RasterRequest {
  /** One class label per image. */
  readonly classLabels: readonly number[];
  /** Classifier-free guidance scale s (logits u + (c − u)·s); 1 disables guidance. */
  readonly guidanceScale: number;
  readonly sampling: SamplingOptions;
}

/** Codes per image, row-major [images, tokensPerImage], plus what the decoder made of them. */
export interface RasterResult<Media> {
  readonly codes: Int32Array;
  readonly media: Media;
}

/**
 * LlamaGen's loop (`autoregressive/models/generate.py`): prefill the class token (null class in
 * the second half of a doubled batch for CFG), then one token per step in raster order with
 * guidance on the logits, the processor chain, and categorical sampling; codes go to the decoder.
 */
export class RasterGenerator<Media> implements Generator<RasterRequest, RasterResult<Media>> {
  private readonly sampler = new CategoricalSampler();

  constructor(
    private readonly model: TokenStepModel,
    private readonly layout: RasterTokenLayout,
    private readonly decoder: Decoder<{ codes: Int32Array; images: number }, Media>,
  ) {}

  async *generate(
    request: RasterRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<RasterResult<Media>>> {
    const { tokensPerImage, codeOffset, codebookSize } = this.layout;
    const images = request.classLabels.length;
    const guided = request.guidanceScale !== 1;
    const rows = guided ? 2 * images : images;
    const vocab = this.model.vocabSize;
    const rng = createRng(options.seed);
    const processors = buildLogitsProcessors(request.sampling);
    const codes = new Int32Array(images * tokensPerImage);
    const input = new Int32Array(rows);
    const guidedLogits = new Float32Array(images * vocab);

    request.classLabels.forEach((label, i) => {
      input[i] = this.layout.classToken(label);
      if (guided) input[images + i] = this.layout.nullClassToken;
    });
    this.model.reset(rows);
    try {
      for (let t = 0; t < tokensPerImage; t++) {
        throwIfAborted(options.signal, t);
        const logits = await this.model.forward(input, 1);
        if (guided) applyCfg(logits, images, vocab, request.guidanceScale, guidedLogits);
        else guidedLogits.set(logits.subarray(0, images * vocab));
        for (let i = 0; i < images; i++) {
          const row = guidedLogits.subarray(i * vocab, (i + 1) * vocab);
          // Only image codes may follow; class ids live in the same vocabulary.
          row.fill(Number.NEGATIVE_INFINITY, 0, codeOffset);
          row.fill(Number.NEGATIVE_INFINITY, codeOffset + codebookSize);
          processors.process(row, {
            step: t,
            generated: codes.subarray(i * tokensPerImage, i * tokensPerImage + t),
          });
          const id = this.sampler.sample(row, rng);
          codes[i * tokensPerImage + t] = id - codeOffset;
          input[i] = id;
          if (guided) input[images + i] = id;
        }
        yield { type: 'progress', step: t + 1, total: tokensPerImage, stage: 'token' };
      }
    } finally {
      this.model.release();
    }
    throwIfAborted(options.signal, tokensPerImage);
    const media = await this.decoder.decode({ codes, images });
    yield { type: 'result', result: { codes, media } };
  }
}
