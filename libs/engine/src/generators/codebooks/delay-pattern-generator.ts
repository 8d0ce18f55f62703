import type { CodebookCodes, Decoder, IncrementalDecoder } from '../../generation/decoder';
import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../../generation/generator';
import type { CodebookStepModel } from '../../generation/step-model';
import { ConstantGuidance } from '../../guidance/constant-guidance';
import { CategoricalHead } from '../../heads/categorical-head';
import { createRng } from '../../random/rng';
import type { SamplingOptions } from '../../sampling/build-logits-processors';
import { DelayPatternSchedule } from '../../schedules/delay-pattern-schedule';
import { stepsOf } from '../../schedules/schedule';
import {
  conditionRows,
  type CodebookConditions,
  type CodebookResult,
  type FrameChunk,
} from './codebook-generation';

/** One delay-pattern generation: a batch of conditional clips of the same length. */
export interface DelayPatternRequest extends CodebookConditions {
  /** Frames T per codebook. */
  readonly frames: number;
  /** Classifier-free guidance scale (audiocraft `cfg_coef`): u + (c − u)·s; 1 disables it. */
  readonly guidanceScale: number;
  readonly sampling: SamplingOptions;
}

/** Token layout of a delay-pattern model. */
export interface DelayPatternLayout {
  /** The special token of empty pattern slots (audiocraft: the codebook size). */
  readonly specialToken: number;
  /** Delay per codebook (MusicGen: 0 … K − 1). */
  readonly delays: readonly number[];
}

/** Streaming of final frames while a generation runs. */
export interface DelayPatternStreaming<Chunk> {
  readonly decoder: IncrementalDecoder<Chunk>;
  /** Frames per streamed chunk (the last chunk may be shorter). */
  readonly chunkFrames: number;
}

/**
 * MusicGen's loop (audiocraft `LMModel.generate` with the `DelayedPatternProvider`) over the
 * {@link DelayPatternSchedule}: step 0 feeds the all-special first pattern step, every later step
 * the tokens just drawn; per codebook the {@link CategoricalHead} guides (`[cond; null]` batch),
 * runs the processor chain and samples, and empty slots are forced to the special token. Frame
 * t is final once its last codebook is drawn (step t + max delay): with streaming, chunks of
 * final frames are decoded and sent as `frame` progress while later frames are generated.
 */
export class DelayPatternGenerator<Media, Chunk = never> implements Generator<
  DelayPatternRequest,
  CodebookResult<Media>
> {
  constructor(
    private readonly model: CodebookStepModel,
    private readonly layout: DelayPatternLayout,
    private readonly decoder: Decoder<CodebookCodes, Media>,
    private readonly streaming?: DelayPatternStreaming<Chunk>,
  ) {}

  async *generate(
    request: DelayPatternRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<CodebookResult<Media>>> {
    const { numCodebooks: k, vocabSize: vocab } = this.model;
    const { frames } = request;
    const batch = request.conditions.length;
    const schedule = new DelayPatternSchedule({
      numCodebooks: k,
      timesteps: frames,
      delays: this.layout.delays,
    });
    const head = new CategoricalHead({
      sampling: request.sampling,
      guidance:
        request.guidanceScale !== 1 ? new ConstantGuidance(request.guidanceScale) : undefined,
    });
    const guided = head.branches === 2;
    const rows = head.branches * batch;
    const rng = createRng(options.seed);
    const codes = new Int32Array(batch * k * frames);
    const input = new Int32Array(rows * k).fill(this.layout.specialToken);
    const guidedLogits = new Float32Array(batch * k * vocab);
    const maxDelay = Math.max(...schedule.delays);
    const canvas: CodebookCodes = { codes, batch, numCodebooks: k, frames };
    let streamed = 0;

    this.model.reset(rows, conditionRows(request, guided));
    try {
      for (const plan of stepsOf(schedule)) {
        throwIfAborted(options.signal, plan.index);
        const logits = await this.model.forward(input);
        head.guide(
          logits,
          batch,
          k * vocab,
          { step: plan.index, totalSteps: schedule.totalSteps },
          guidedLogits,
        );
        for (let b = 0; b < batch; b++) {
          for (let q = 0; q < k; q++) {
            const t = plan.timestepOfCodebook[q];
            let id = this.layout.specialToken;
            if (t >= 0) {
              const row = guidedLogits.subarray((b * k + q) * vocab, (b * k + q + 1) * vocab);
              const at = (b * k + q) * frames;
              id = head.sample(row, { step: t, generated: codes.subarray(at, at + t) }, rng);
              codes[at + t] = id;
            }
            input[b * k + q] = id;
            if (guided) input[(batch + b) * k + q] = id;
          }
        }
        // Frames [0, final) have every codebook drawn.
        const final = Math.min(frames, Math.max(0, plan.index + 1 - maxDelay));
        let preview: FrameChunk<Chunk> | undefined;
        const { streaming } = this;
        if (
          streaming &&
          final > streamed &&
          (final - streamed >= streaming.chunkFrames || final === frames)
        ) {
          const chunk = await streaming.decoder.decodeRange(canvas, streamed, final);
          preview = { fromFrame: streamed, toFrame: final, frames, chunk };
          streamed = final;
        }
        yield {
          type: 'progress',
          step: plan.index + 1,
          total: schedule.totalSteps,
          stage: 'frame',
          preview,
        };
      }
    } finally {
      this.model.release();
    }
    throwIfAborted(options.signal, schedule.totalSteps);
    const media = await this.decoder.decode(canvas);
    yield { type: 'result', result: { codes, media } };
  }
}
