import type { Decoder } from '../generation/decoder';
import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../generation/generator';
import type { ScaleAccumulator, ScaleStepModel } from '../generation/step-model';
import { LinearRampGuidance } from '../guidance/linear-ramp-guidance';
import { CategoricalHead } from '../heads/categorical-head';
import { createRng } from '../random/rng';
import type { SamplingOptions } from '../sampling/build-logits-processors';
import { NextScaleSchedule } from '../schedules/next-scale-schedule';
import { stepsOf } from '../schedules/schedule';

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
 * VAR's `autoregressive_infer_cfg` over the {@link NextScaleSchedule}: for each scale, one forward
 * over all its positions (the first scale is the class start token), then the
 * {@link CategoricalHead} with VAR's linear guidance ramp samples every position independently
 * with the processor chain, then f̂ accumulation gives the next scale's input; the decoder turns
 * the final f̂ into images (and, if asked, each partial f̂ into a preview).
 */
export class NextScaleGenerator<Media> implements Generator<
  NextScaleRequest,
  NextScaleResult<Media>
> {
  private readonly schedule: NextScaleSchedule;

  constructor(
    private readonly model: ScaleStepModel,
    private readonly accumulator: ScaleAccumulator,
    private readonly decoder: Decoder<{ fHat: Float32Array; images: number }, Media>,
    /** Side lengths of the token maps, e.g. [1, 2, 3, 4, 6, 8]. */
    scales: readonly number[],
    private readonly nullClass: number,
  ) {
    this.schedule = new NextScaleSchedule({ patchNums: scales });
  }

  async *generate(
    request: NextScaleRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<NextScaleResult<Media>>> {
    try {
      yield* this.run(request, options);
    } finally {
      this.model.release?.();
    }
  }

  private async *run(
    request: NextScaleRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<NextScaleResult<Media>>> {
    const images = request.classLabels.length;
    const { schedule } = this;
    const head = new CategoricalHead({
      sampling: request.sampling,
      guidance: request.cfg !== 0 ? new LinearRampGuidance(request.cfg) : undefined,
    });
    const rows = head.branches * images;
    const vocab = this.model.vocabSize;
    const channels = this.accumulator.channels;
    const rng = createRng(options.seed);
    const labels = Int32Array.from({ length: rows }, (_, r) =>
      r < images ? request.classLabels[r] : this.nullClass,
    );
    const tokensPerImage = schedule.totalTokens;
    const codes = new Int32Array(images * tokensPerImage);
    const maxTokens = schedule.stepAt(schedule.totalSteps - 1).inputLength;
    const guidedLogits = new Float32Array(images * maxTokens * vocab);
    const scaleCodes = new Int32Array(images * maxTokens);
    const inputs = new Float32Array(rows * maxTokens * channels);
    let fHat = this.accumulator.empty(images);
    let lastPreview: Media | undefined;
    this.model.reset(rows);
    for (const plan of stepsOf(schedule)) {
      const si = plan.index;
      throwIfAborted(options.signal, si);
      const tokens = plan.inputLength;
      const logits = await this.model.forward(
        inputs.subarray(0, rows * tokens * channels),
        tokens,
        labels,
      );
      const block = guidedLogits.subarray(0, images * tokens * vocab);
      head.guide(
        logits,
        images * tokens,
        vocab,
        { step: si, totalSteps: schedule.totalSteps },
        block,
      );
      for (let p = 0; p < images * tokens; p++) {
        const row = block.subarray(p * vocab, (p + 1) * vocab);
        scaleCodes[p] = head.sample(row, { step: si, generated: scaleCodes.subarray(0, 0) }, rng);
      }
      const forced = request.teacherForcing;
      if (forced) {
        for (let i = 0; i < images; i++) {
          for (let p = 0; p < tokens; p++) {
            const at = i * tokensPerImage + plan.begin + p;
            if (forced.keep[at]) scaleCodes[i * tokens + p] = forced.codes[at];
          }
        }
      }
      for (let i = 0; i < images; i++)
        codes.set(
          scaleCodes.subarray(i * tokens, (i + 1) * tokens),
          i * tokensPerImage + plan.begin,
        );
      const next = await this.accumulator.update(
        fHat,
        scaleCodes.subarray(0, images * tokens),
        images,
        si,
      );
      fHat = next.fHat;
      if (si + 1 < schedule.totalSteps) {
        // Both halves of the CFG batch see the same next-scale input.
        const size = images * schedule.stepAt(si + 1).inputLength * channels;
        inputs.set(next.nextInputs.subarray(0, size), 0);
        if (head.branches === 2) inputs.set(next.nextInputs.subarray(0, size), size);
      }
      const preview = request.previews ? await this.decoder.decode({ fHat, images }) : undefined;
      lastPreview = preview;
      yield { type: 'progress', step: si + 1, total: schedule.totalSteps, stage: 'scale', preview };
    }
    throwIfAborted(options.signal, this.schedule.totalSteps);
    // With previews on, the last scale's preview already is the final image.
    const media = lastPreview ?? (await this.decoder.decode({ fHat, images }));
    yield { type: 'result', result: { codes, media } };
  }
}
