import type { Decoder } from '../generation/decoder';
import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../generation/generator';
import type { ScaleAccumulator, ScaleStepModel } from '../generation/step-model';
import { applyCfg } from '../guidance/apply-cfg';
import { LinearRampGuidance } from '../guidance/linear-ramp-guidance';
import { createRng } from '../random/rng';
import { buildLogitsProcessors, type SamplingOptions } from '../sampling/build-logits-processors';
import { CategoricalSampler } from '../sampling/categorical-sampler';

/** One VAR generation. */
export interface NextScaleRequest {
  /** One class label per image. */
  readonly classLabels: readonly number[];
  /** VAR's `cfg`: guidance ramps from 1 at the first scale to 1 + cfg at the last; 0 disables. */
  readonly cfg: number;
  readonly sampling: SamplingOptions;
  /** Decode f̂ after every scale for progress previews. */
  readonly previews?: boolean;
  /**
   * Zero-shot in-/out-painting (VAR §"zero-shot generalisation"): per image and token (all scales
   * concatenated), codes where `keep` is 1 are teacher-forced instead of sampled.
   */
  readonly teacherForcing?: { readonly codes: Int32Array; readonly keep: Uint8Array };
}

/** Codes of every scale (concatenated per image, scale by scale) and the decoded media. */
export interface NextScaleResult<Media> {
  readonly codes: Int32Array;
  readonly media: Media;
}

/**
 * VAR's `autoregressive_infer_cfg`: for each scale, one forward over all its positions (the
 * first scale is the class start token), guidance ramping with the scale index, every position
 * sampled independently with the processor chain, then f̂ accumulation gives the next scale's
 * input; the decoder turns the final f̂ into images (and, if asked, each partial f̂ into a preview).
 */
export class NextScaleGenerator<Media> implements Generator<
  NextScaleRequest,
  NextScaleResult<Media>
> {
  private readonly sampler = new CategoricalSampler();

  constructor(
    private readonly model: ScaleStepModel,
    private readonly accumulator: ScaleAccumulator,
    private readonly decoder: Decoder<{ fHat: Float32Array; images: number }, Media>,
    /** Side lengths of the token maps, e.g. [1, 2, 3, 4, 6, 8]. */
    private readonly scales: readonly number[],
    private readonly nullClass: number,
  ) {}

  async *generate(
    request: NextScaleRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<NextScaleResult<Media>>> {
    const images = request.classLabels.length;
    const guided = request.cfg !== 0;
    const rows = guided ? 2 * images : images;
    const vocab = this.model.vocabSize;
    const channels = this.accumulator.channels;
    const guidance = new LinearRampGuidance(request.cfg);
    const rng = createRng(options.seed);
    const processors = buildLogitsProcessors(request.sampling);
    const labels = Int32Array.from({ length: rows }, (_, r) =>
      r < images ? request.classLabels[r] : this.nullClass,
    );
    const tokensPerImage = this.scales.reduce((sum, pn) => sum + pn * pn, 0);
    const codes = new Int32Array(images * tokensPerImage);
    const maxTokens = Math.max(...this.scales) ** 2;
    const guidedLogits = new Float32Array(images * maxTokens * vocab);
    const scaleCodes = new Int32Array(images * maxTokens);
    const inputs = new Float32Array(rows * maxTokens * channels);

    let fHat = this.accumulator.empty(images);
    let lastPreview: Media | undefined;
    let offset = 0;
    this.model.reset(rows);
    for (let si = 0; si < this.scales.length; si++) {
      throwIfAborted(options.signal, si);
      const tokens = this.scales[si] ** 2;
      const logits = await this.model.forward(
        inputs.subarray(0, rows * tokens * channels),
        tokens,
        labels,
      );
      const block = guidedLogits.subarray(0, images * tokens * vocab);
      if (guided)
        applyCfg(logits, images * tokens, vocab, guidance.scaleAt(si, this.scales.length), block);
      else block.set(logits.subarray(0, images * tokens * vocab));
      for (let p = 0; p < images * tokens; p++) {
        const row = block.subarray(p * vocab, (p + 1) * vocab);
        processors.process(row, { step: si, generated: scaleCodes.subarray(0, 0) });
        scaleCodes[p] = this.sampler.sample(row, rng);
      }
      const forced = request.teacherForcing;
      if (forced) {
        for (let i = 0; i < images; i++) {
          for (let p = 0; p < tokens; p++) {
            const at = i * tokensPerImage + offset + p;
            if (forced.keep[at]) scaleCodes[i * tokens + p] = forced.codes[at];
          }
        }
      }
      for (let i = 0; i < images; i++)
        codes.set(scaleCodes.subarray(i * tokens, (i + 1) * tokens), i * tokensPerImage + offset);
      offset += tokens;
      const next = await this.accumulator.update(
        fHat,
        scaleCodes.subarray(0, images * tokens),
        images,
        si,
      );
      fHat = next.fHat;
      if (si + 1 < this.scales.length) {
        // Both halves of the CFG batch see the same next-scale input.
        const size = images * this.scales[si + 1] ** 2 * channels;
        inputs.set(next.nextInputs.subarray(0, size), 0);
        if (guided) inputs.set(next.nextInputs.subarray(0, size), size);
      }
      const preview = request.previews ? await this.decoder.decode({ fHat, images }) : undefined;
      lastPreview = preview;
      yield { type: 'progress', step: si + 1, total: this.scales.length, stage: 'scale', preview };
    }
    throwIfAborted(options.signal, this.scales.length);
    // With previews on, the last scale's preview already is the final image.
    const media = lastPreview ?? (await this.decoder.decode({ fHat, images }));
    yield { type: 'result', result: { codes, media } };
  }
}
