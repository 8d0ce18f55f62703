import type { Decoder } from '../generation/decoder';
import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../generation/generator';
import type { TokenStepModel } from '../generation/step-model';
import { ConstantGuidance } from '../guidance/constant-guidance';
import { CategoricalHead } from '../heads/categorical-head';
import { createRng } from '../random/rng';
import type { SamplingOptions } from '../sampling/build-logits-processors';
import { RasterSchedule } from '../schedules/raster-schedule';
import { stepsOf } from '../schedules/schedule';

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
 * LlamaGen's loop (`autoregressive/models/generate.py`) over the {@link RasterSchedule}: step 0
 * prefills the class token (null class in the second half of a doubled batch for CFG), every
 * later step feeds the token just drawn; the {@link CategoricalHead} guides the logits, runs the
 * processor chain and samples; codes go to the decoder.
 */
export class RasterGenerator<Media> implements Generator<RasterRequest, RasterResult<Media>> {
  constructor(
    private readonly model: TokenStepModel,
    private readonly layout: RasterTokenLayout,
    private readonly decoder: Decoder<{ codes: Int32Array; images: number }, Media>,
  ) {}

  async *generate(
    request: RasterRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<RasterResult<Media>>> {
    const { tokensPerImage, codeOffset } = this.layout;
    const images = request.classLabels.length;
    const head = rasterHead(this.layout, request);
    const guided = head.branches === 2;
    const schedule = new RasterSchedule({ length: tokensPerImage, prefixLength: 1 });
    const rows = head.branches * images;
    const vocab = this.model.vocabSize;
    const rng = createRng(options.seed);
    const codes = new Int32Array(images * tokensPerImage);
    const input = new Int32Array(rows);
    const guidedLogits = new Float32Array(images * vocab);

    request.classLabels.forEach((label, i) => {
      input[i] = this.layout.classToken(label);
      if (guided) input[images + i] = this.layout.nullClassToken;
    });
    this.model.reset(rows);
    try {
      for (const plan of stepsOf(schedule)) {
        const t = plan.positions[0];
        throwIfAborted(options.signal, plan.index);
        const logits = await this.model.forward(input, plan.inputLength);
        head.guide(logits, images, vocab, { step: t, totalSteps: tokensPerImage }, guidedLogits);
        for (let i = 0; i < images; i++) {
          const row = guidedLogits.subarray(i * vocab, (i + 1) * vocab);
          const id = head.sample(
            row,
            { step: t, generated: codes.subarray(i * tokensPerImage, i * tokensPerImage + t) },
            rng,
          );
          codes[i * tokensPerImage + t] = id - codeOffset;
          input[i] = id;
          if (guided) input[images + i] = id;
        }
        yield {
          type: 'progress',
          step: plan.index + 1,
          total: schedule.totalSteps,
          stage: 'token',
        };
      }
    } finally {
      this.model.release();
    }
    throwIfAborted(options.signal, tokensPerImage);
    const media = await this.decoder.decode({ codes, images });
    yield { type: 'result', result: { codes, media } };
  }
}

/**
 * The categorical head of a raster request: LlamaGen's constant guidance `u + (c − u)·s` unless
 * the scale is 1, the request's processors, and only image codes drawable (class ids live in the
 * same vocabulary).
 */
export function rasterHead(layout: RasterTokenLayout, request: RasterRequest): CategoricalHead {
  return new CategoricalHead({
    sampling: request.sampling,
    guidance: request.guidanceScale !== 1 ? new ConstantGuidance(request.guidanceScale) : undefined,
    allowed: [layout.codeOffset, layout.codeOffset + layout.codebookSize],
  });
}
