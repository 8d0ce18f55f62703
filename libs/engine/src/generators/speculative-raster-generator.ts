import type { Decoder } from '../generation/decoder';
import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../generation/generator';
import type { TokenStepModel } from '../generation/step-model';
import type { Head } from '../heads/head';
import { CategoricalSampler } from '../sampling/categorical-sampler';
import type { StepPlan } from '../schedules/schedule';
import type { AcceptanceRule } from '../speculative/acceptance-rule';
import { verifyDraft } from '../speculative/verify-draft';
import { feedRows, rowDistribution, speculativeRequest } from './raster-rows';
import { type RasterRequest, type RasterResult, type RasterTokenLayout } from './raster-generator';

/** Speculative decoding settings. */
export interface SpeculativeSettings {
  /** Draft tokens per verification round (γ). */
  readonly draftTokens: number;
  /** Acceptance rule: standard, or LANTERN's relaxed rule. */
  readonly rule: AcceptanceRule;
}

/** A raster result plus how well the draft did. */
export interface SpeculativeRasterResult<Media> extends RasterResult<Media> {
  /** Share of drafted tokens the target accepted. */
  readonly acceptanceRate: number;
  /** Target forwards run (verification rounds plus the prefill). */
  readonly targetForwards: number;
}

/**
 * Raster generation with speculative decoding (Leviathan et al.; LANTERN's relaxed acceptance
 * for image tokens): a small draft proposes γ tokens one by one, the target scores all of them in
 * one forward, {@link verifyDraft} keeps a prefix and adds one corrected or bonus token, and both
 * KV caches roll back to what was kept. It walks the raster loop's {@link RasterSchedule},
 * several steps per target forward, and both models' distributions come from the raster loop's
 * {@link CategoricalHead} (guidance, processors), so the output follows the target's processed
 * distribution (exactly for the standard rule). Images are generated one at a time: rows of a
 * batch would accept different numbers of tokens and their caches would drift apart.
 */
export class SpeculativeRasterGenerator<Media> implements Generator<
  RasterRequest,
  SpeculativeRasterResult<Media>
> {
  private readonly sampler = new CategoricalSampler();

  constructor(
    private readonly target: TokenStepModel,
    private readonly draft: TokenStepModel,
    private readonly layout: RasterTokenLayout,
    private readonly decoder: Decoder<{ codes: Int32Array; images: number }, Media>,
    private readonly settings: SpeculativeSettings,
  ) {}

  async *generate(
    request: RasterRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<SpeculativeRasterResult<Media>>> {
    const { tokensPerImage } = this.layout;
    const images = request.classLabels.length;
    const { rng, head, rows, plans, codes, stats } = speculativeRequest(
      this.layout,
      request,
      options,
    );
    let targetForwards = 0;
    try {
      for (let i = 0; i < images; i++) {
        const sequence = [this.layout.classToken(request.classLabels[i])];
        const uncondPrefix = this.layout.nullClassToken;
        this.target.reset(rows);
        this.draft.reset(rows);
        let done = 0;
        while (done < tokensPerImage) {
          throwIfAborted(options.signal, i * tokensPerImage + done);
          const gamma = Math.min(this.settings.draftTokens, tokensPerImage - done - 1);
          // Draft: feed what it has not seen, then propose γ tokens one at a time.
          const draftProbs: Float32Array[] = [];
          const drafted: number[] = [];
          let draftLogits = await this.feed(this.draft, sequence, uncondPrefix, rows);
          for (let j = 0; j < gamma; j++) {
            const q = this.distribution(head, draftLogits, 0, rows, plans[done + j], sequence);
            const token = this.sampler.sampleWeights(q, rng);
            draftProbs.push(q);
            drafted.push(token);
            if (j + 1 < gamma)
              draftLogits = await this.feed(
                this.draft,
                [...sequence, ...drafted],
                uncondPrefix,
                rows,
              );
          }
          // Target: one forward over the unseen tokens and all drafts gives γ + 1 distributions.
          const before = this.target.length;
          const unseen = sequence.length - before;
          const targetLogits = await feedRows(
            this.target,
            [...sequence.slice(before), ...drafted],
            before === 0 ? uncondPrefix : undefined,
            rows,
          );
          targetForwards++;
          const targetProbs = Array.from({ length: gamma + 1 }, (_, j) =>
            this.distribution(head, targetLogits, unseen - 1 + j, rows, plans[done + j], sequence),
          );
          const verdict = verifyDraft({
            targetProbs,
            draftProbs,
            draftTokens: drafted,
            rule: this.settings.rule,
            rng,
          });
          stats.record(verdict, gamma);
          // Keep the cache entries of accepted tokens only; the last token is fed next round.
          this.target.truncate(before + unseen + verdict.accepted);
          this.draft.truncate(Math.min(this.draft.length, sequence.length + verdict.accepted));
          for (const token of verdict.tokens.slice(0, tokensPerImage - done)) {
            codes[i * tokensPerImage + plans[done].positions[0]] = token - this.layout.codeOffset;
            sequence.push(token);
            done++;
          }
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
      this.draft.release();
    }
    const media = await this.decoder.decode({ codes, images });
    yield {
      type: 'result',
      result: { codes, media, acceptanceRate: stats.acceptanceRate, targetForwards },
    };
  }

  /** Feeds the tokens of `sequence` the model has not seen; returns the logits of the last one. */
  private async feed(
    model: TokenStepModel,
    sequence: readonly number[],
    uncondPrefix: number,
    rows: number,
  ): Promise<Float32Array> {
    const unseen = sequence.slice(model.length);
    const logits = await feedRows(
      model,
      unseen,
      model.length === 0 ? uncondPrefix : undefined,
      rows,
    );
    const vocab = model.vocabSize;
    const last = unseen.length - 1;
    // Rows [cond; uncond] of the last position, packed for applyCfg.
    const out = new Float32Array(rows * vocab);
    for (let r = 0; r < rows; r++)
      out.set(
        logits.subarray((r * unseen.length + last) * vocab, (r * unseen.length + last + 1) * vocab),
        r * vocab,
      );
    return out;
  }

  /** The head's distribution at `position` of target/draft logits for the raster step `plan`. */
  private distribution(
    head: Head,
    logits: Float32Array,
    position: number,
    rows: number,
    plan: StepPlan,
    sequence: readonly number[],
  ): Float32Array {
    const { vocabSize } = this.target;
    const total = this.layout.tokensPerImage;
    return rowDistribution(head, logits, vocabSize, position, rows, plan, total, sequence.slice(1));
  }
}
