import type { Decoder } from '../generation/decoder';
import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../generation/generator';
import type { TokenStepModel } from '../generation/step-model';
import type { Rng } from '../random/rng';
import { CategoricalSampler } from '../sampling/categorical-sampler';
import { writeResidual, type AcceptanceRule } from '../speculative/acceptance-rule';
import { ratio } from '../speculative/standard-acceptance';
import { speculativeRequest, verifySelfDraftRound } from './raster-rows';
import type { RasterRequest, RasterTokenLayout } from './raster-generator';
import type { SpeculativeRasterResult } from './speculative-raster-generator';

/** Speculative Jacobi decoding settings. */
export interface JacobiSettings {
  /** Draft tokens kept after the accepted prefix, verified by each target forward (L). */
  readonly window: number;
  /** Acceptance rule; the standard rule keeps the output law exactly the target's. */
  readonly rule: AcceptanceRule;
}

/**
 * Raster generation with Speculative Jacobi Decoding (Teng et al. 2024, arXiv 2410.01699;
 * tyshiwo1/Accelerating-T2I-AR-with-SJD): no draft model. The target keeps a window of L draft
 * tokens after the accepted prefix, and each iteration is ONE target forward over the window:
 * draft i, drawn last iteration from the target's own distribution p_old at its position (or
 * uniformly over the codes when new), is kept while u ≤ min(1, p_new(xᵢ)/p_old(xᵢ)); the first
 * refused one is redrawn from norm(max(p_new − p_old, 0)) ({@link verifyDraft}); the rest of the
 * window is redrawn from p_new, each maximally coupled with its old draft (MC-SJD) so that settled
 * drafts stay, and the window is topped up from the furthest distribution the forward gave. On models
 * whose forward costs the same for one token or for L (small models, where `run()` overhead
 * dominates), every accepted draft is a forward saved. With the standard rule the output follows
 * the target's processed distribution exactly. One image at a time, like draft-model
 * speculative decoding: rows of a batch would accept different numbers of tokens.
 */
export class JacobiRasterGenerator<Media> implements Generator<
  RasterRequest,
  SpeculativeRasterResult<Media>
> {
  private readonly sampler = new CategoricalSampler();
  /** Scratch of {@link redraw}'s residual (read at once by the draw). */
  private residual = new Float32Array(0);

  constructor(
    private readonly target: TokenStepModel,
    private readonly layout: RasterTokenLayout,
    private readonly decoder: Decoder<{ codes: Int32Array; images: number }, Media>,
    private readonly settings: JacobiSettings,
  ) {
    if (!Number.isInteger(settings.window) || settings.window < 1)
      throw new RangeError(`window must be an integer >= 1, got ${settings.window}`);
  }

  async *generate(
    request: RasterRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<SpeculativeRasterResult<Media>>> {
    const { tokensPerImage, codeOffset, codebookSize } = this.layout;
    const vocab = this.target.vocabSize;
    const images = request.classLabels.length;
    const { rng, head, rows, plans, codes, stats } = speculativeRequest(
      this.layout,
      request,
      options,
    );
    // New drafts are drawn uniformly over the codes: their p_old.
    const uniform = new Float32Array(vocab);
    uniform.fill(1 / codebookSize, codeOffset, codeOffset + codebookSize);
    let targetForwards = 0;
    try {
      for (let i = 0; i < images; i++) {
        const sequence = [this.layout.classToken(request.classLabels[i])];
        this.target.reset(rows);
        let drafts: number[] = [];
        let draftProbs: Float32Array[] = [];
        let fill: Float32Array | undefined;
        let done = 0;
        while (done < tokensPerImage) {
          throwIfAborted(options.signal, i * tokensPerImage + done);
          // The window never reaches past the image: its last token is the bonus draw.
          const window = Math.min(this.settings.window, tokensPerImage - done - 1);
          drafts = drafts.slice(0, window);
          draftProbs = draftProbs.slice(0, window);
          // Slots past what the last forward saw: drawn from the furthest distribution it gave
          // (the next token after the window), else uniformly over the codes.
          while (drafts.length < window) {
            const q = fill ?? uniform;
            drafts.push(this.sampler.sampleWeights(q, rng));
            draftProbs.push(q);
          }
          const { verdict, targetProbs } = await verifySelfDraftRound({
            target: this.target,
            head,
            layout: this.layout,
            plans,
            rows,
            sequence,
            codes: codes.subarray(i * tokensPerImage, (i + 1) * tokensPerImage),
            drafts,
            draftProbs,
            rule: this.settings.rule,
            rng,
            stats,
          });
          targetForwards++;
          done = sequence.length - 1;
          // The refused draft's successors were conditioned on it: redraw them from p_new at
          // their positions, which becomes their p_old in the next iteration.
          const next: number[] = [];
          const nextProbs: Float32Array[] = [];
          for (let j = verdict.accepted + 1; j <= window && verdict.accepted < window; j++) {
            next.push(this.redraw(targetProbs[j], drafts[j], draftProbs[j], rng));
            nextProbs.push(targetProbs[j]);
          }
          drafts = next;
          draftProbs = nextProbs;
          fill = targetProbs[window];
          yield {
            type: 'progress',
            step: i * tokensPerImage + done,
            total: images * tokensPerImage,
            stage: 'token',
          };
        }
      }
    } finally {
      this.target.release();
    }
    const media = await this.decoder.decode({ codes, images });
    yield {
      type: 'result',
      result: { codes, media, acceptanceRate: stats.acceptanceRate, targetForwards },
    };
  }

  /**
   * A draft for a position whose distribution moved from `previous` to `current`: maximally
   * coupled with the old draft (MC-SJD, arXiv 2510.24211), so it is kept with probability
   * min(1, current/previous) and otherwise drawn from norm(max(current − previous, 0)). Either way
   * it follows `current`, and a draft whose context has settled stays put from one iteration to
   * the next instead of being redrawn, which is what lets a window converge. Positions with no old
   * draft (past the last window) are drawn from `current`.
   */
  private redraw(
    current: Float32Array,
    old: number | undefined,
    previous: Float32Array | undefined,
    rng: Rng,
  ): number {
    if (old === undefined || !previous) return this.sampler.sampleWeights(current, rng);
    // The speculative rule's own pieces: min(1, p/q), and max(p − q, 0) with its fallback to p.
    if (rng.uniform() < ratio(current[old], previous[old])) return old;
    if (this.residual.length !== current.length) this.residual = new Float32Array(current.length);
    writeResidual(current, previous, this.residual);
    return this.sampler.sampleWeights(this.residual, rng);
  }
}
