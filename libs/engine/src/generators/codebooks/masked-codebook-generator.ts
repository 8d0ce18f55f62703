import type { CodebookCodes, Decoder } from '../../generation/decoder';
import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../../generation/generator';
import type { CodebookCanvasModel } from '../../generation/step-model';
import { MagnetAnnealedGuidance } from '../../guidance/magnet-annealed-guidance';
import { CategoricalHead } from '../../heads/categorical-head';
import { createRng } from '../../random/rng';
import { softmax } from '../../sampling/softmax';
import { MagnetSchedule } from '../../schedules/magnet-schedule';
import { stepsOf } from '../../schedules/schedule';
import { conditionRows, type CodebookConditions, type CodebookResult } from './codebook-generation';

/** One MAGNeT generation: a batch of conditional clips of the same length. */
export interface MaskedCodebookRequest extends CodebookConditions {
  /** Frames T per codebook, a multiple of the span length. */
  readonly frames: number;
  /** Iterations per codebook (MAGNeT: [20, 10, 10, 10]). */
  readonly decodingSteps: readonly number[];
  /** Annealed guidance from `maxCfg` (all masked) to `minCfg`; both 1 disables guidance. */
  readonly maxCfg: number;
  readonly minCfg: number;
  /** Initial temperature, annealed linearly to 0 within each stage when `annealTemperature`. */
  readonly temperature: number;
  readonly annealTemperature: boolean;
  /** Nucleus mass (1 = off) and top-k (0 = off), as the processor chain reads them. */
  readonly topP: number;
  readonly topK: number;
}

/** Token layout of a MAGNeT model. */
export interface MaskedCodebookLayout {
  readonly maskToken: number;
  /** Frames per masking span (MAGNeT: 3). */
  readonly spanLength: number;
}

/** audiocraft's DONT_REMASK_ME_SCORE: spans that were not masked this step stay decoded. */
const KEEP_SCORE = -1e4;

/**
 * MAGNeT's iterative decoding (audiocraft `lm_magnet.py`, non-overlapping spans, span score =
 * 1 − max probability of its tokens): over the {@link MagnetSchedule}, per codebook and
 * iteration, the least confident spans are masked, the canvas is re-read on a `[cond; null]`
 * batch, the {@link CategoricalHead} guides with {@link MagnetAnnealedGuidance} and samples at
 * the stage's annealed temperature, and the masked spans take the drawn tokens. The canvas is
 * final only after the last codebook, so nothing streams before the end.
 */
export class MaskedCodebookGenerator<Media> implements Generator<
  MaskedCodebookRequest,
  CodebookResult<Media>
> {
  constructor(
    private readonly model: CodebookCanvasModel,
    private readonly layout: MaskedCodebookLayout,
    private readonly decoder: Decoder<CodebookCodes, Media>,
  ) {}

  async *generate(
    request: MaskedCodebookRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<CodebookResult<Media>>> {
    const { numCodebooks: k, vocabSize: vocab } = this.model;
    const { frames } = request;
    const { maskToken, spanLength } = this.layout;
    const batch = request.conditions.length;
    const schedule = new MagnetSchedule({
      frames,
      spanLength,
      stepsPerCodebook: request.decodingSteps,
    });
    if (request.decodingSteps.length !== k)
      throw new RangeError(`decoding steps for ${request.decodingSteps.length} of ${k} codebooks`);
    const guidance =
      request.maxCfg !== 1 || request.minCfg !== 1
        ? new MagnetAnnealedGuidance(request.maxCfg, request.minCfg)
        : undefined;
    const branches = guidance ? 2 : 1;
    const rows = branches * batch;
    const rng = createRng(options.seed);
    const width = k * frames;
    // The model reads the doubled canvas; both halves always hold the same tokens.
    const canvas = new Int32Array(rows * width).fill(maskToken);
    const conditions = conditionRows(request, branches === 2);
    const spans = frames / spanLength;
    const scores = new Float64Array(batch * spans);
    const masked = new Uint8Array(batch * spans);
    const rowWidth = frames * vocab;
    const stageLogits = new Float32Array(rows * rowWidth);
    const guided = new Float32Array(batch * rowWidth);
    const probs = new Float32Array(vocab);
    const order = Array.from({ length: spans }, (_, i) => i);

    for (const plan of stepsOf(schedule)) {
      throwIfAborted(options.signal, plan.index);
      const { stage } = plan;
      if (plan.stageStep === 0) scores.fill(0);
      // Mask the `maskedSpans` highest-scored (least confident) spans of each row.
      masked.fill(0);
      for (let b = 0; b < batch; b++) {
        const s = scores.subarray(b * spans, (b + 1) * spans);
        // Stable: ties keep the lower span first (torch.topk on equal scores, as specified).
        const ranked = [...order].sort((x, y) => s[y] - s[x]);
        for (let j = 0; j < plan.maskedSpans; j++) {
          const span = ranked[j];
          masked[b * spans + span] = 1;
          for (let r = 0; r < branches; r++) {
            const base = (r * batch + b) * width + stage * frames + span * spanLength;
            canvas.fill(maskToken, base, base + spanLength);
          }
        }
      }
      const logits = await this.model.forward(canvas, conditions, rows, frames);
      // Only the stage's codebook is drawn: gather its rows [cond…; null…] for the head.
      for (let r = 0; r < rows; r++) {
        const from = (r * k + stage) * rowWidth;
        stageLogits.set(logits.subarray(from, from + rowWidth), r * rowWidth);
      }
      const temperature = Math.max(
        request.annealTemperature
          ? request.temperature * plan.temperatureRatio
          : request.temperature,
        0.01,
      );
      const head = new CategoricalHead({
        sampling: { temperature, topK: request.topK, topP: request.topP },
        guidance,
      });
      head.guide(
        stageLogits,
        batch,
        rowWidth,
        { step: plan.stageStep, totalSteps: plan.stageSteps },
        guided,
      );
      for (let b = 0; b < batch; b++) {
        for (let span = 0; span < spans; span++) {
          if (!masked[b * spans + span]) {
            scores[b * spans + span] = KEEP_SCORE;
            continue;
          }
          let best = 0;
          for (let f = span * spanLength; f < (span + 1) * spanLength; f++) {
            const row = guided.subarray((b * frames + f) * vocab, (b * frames + f + 1) * vocab);
            // The span score reads the tempered softmax before top-k/top-p (audiocraft `probs`).
            for (let v = 0; v < vocab; v++) probs[v] = row[v] / temperature;
            softmax(probs, probs);
            const id = head.sample(row, { step: plan.index, generated: new Int32Array(0) }, rng);
            best = Math.max(best, probs[id]);
            for (let r = 0; r < branches; r++)
              canvas[(r * batch + b) * width + stage * frames + f] = id;
          }
          scores[b * spans + span] = 1 - best;
        }
      }
      yield {
        type: 'progress',
        step: plan.index + 1,
        total: schedule.totalSteps,
        stage: `codebook ${stage}`,
      };
    }
    throwIfAborted(options.signal, schedule.totalSteps);
    const codes = canvas.slice(0, batch * width);
    const media = await this.decoder.decode({ codes, batch, numCodebooks: k, frames });
    yield { type: 'result', result: { codes, media } };
  }
}
