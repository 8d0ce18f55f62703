import type { Decoder } from '../generation/decoder';
import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../generation/generator';
import type { DraftHeadStepModel } from '../generation/step-model';
import { CategoricalSampler } from '../sampling/categorical-sampler';
import type { AcceptanceRule } from '../speculative/acceptance-rule';
import { rowDistribution, speculativeRequest, verifySelfDraftRound } from './raster-rows';
import type { RasterRequest, RasterTokenLayout } from './raster-generator';
import type { SpeculativeRasterResult } from './speculative-raster-generator';

/** Settings of speculative decoding with draft heads. */
export interface DraftHeadSettings {
  /** Draft tokens per round (≤ the graph's heads): head k drafts the k-th token of a round. */
  readonly draftTokens: number;
  /** Acceptance rule; the standard rule keeps the output law exactly the target's. */
  readonly rule: AcceptanceRule;
}

/**
 * Raster generation with speculative decoding whose drafts come from heads inside the target's
 * own graph (Medusa-1, FasterDecoding/Medusa, chain verification). Each round is ONE forward over
 * the last emitted token and γ drafts: its logits give the γ + 1 target distributions that
 * {@link verifyDraft} checks the drafts against, and its draft heads, read at the last kept
 * position, propose the next round's γ drafts (head k at position t drafts token t + k + 1). The
 * drafts are drawn from the heads' distributions after the same guidance and processors as the
 * target's, and verified by the rule: with the standard rule the output follows the target's
 * processed distribution exactly, whatever the heads predict; LANTERN's relaxed rule trades that
 * for acceptance. On a model whose forward costs the same for one token or for γ + 1 (`run()`
 * overhead dominates), every accepted draft is a forward saved. One image at a time, like the
 * other speculative loops: rows of a batch would accept different numbers of tokens.
 */
export class DraftHeadRasterGenerator<Media> implements Generator<
  RasterRequest,
  SpeculativeRasterResult<Media>
> {
  private readonly sampler = new CategoricalSampler();

  constructor(
    private readonly target: DraftHeadStepModel,
    private readonly layout: RasterTokenLayout,
    private readonly decoder: Decoder<{ codes: Int32Array; images: number }, Media>,
    private readonly settings: DraftHeadSettings,
  ) {
    if (
      !Number.isInteger(settings.draftTokens) ||
      settings.draftTokens < 1 ||
      settings.draftTokens > target.draftHeads
    )
      throw new RangeError(
        `draftTokens must be an integer in 1..${target.draftHeads} (the graph's draft heads), got ${settings.draftTokens}`,
      );
  }

  async *generate(
    request: RasterRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<SpeculativeRasterResult<Media>>> {
    const { tokensPerImage } = this.layout;
    const vocab = this.target.vocabSize;
    const heads = this.target.draftHeads;
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
        this.target.reset(rows);
        let drafts: number[] = [];
        let draftProbs: Float32Array[] = [];
        let done = 0;
        while (done < tokensPerImage) {
          throwIfAborted(options.signal, i * tokensPerImage + done);
          // The round never reaches past the image: its last token is the bonus draw.
          const gamma = Math.min(drafts.length, tokensPerImage - done - 1);
          drafts = drafts.slice(0, gamma);
          draftProbs = draftProbs.slice(0, gamma);
          const { verdict, firstRow } = await verifySelfDraftRound({
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
          // The heads at the last kept position draft the tokens after the one just emitted.
          const kept = firstRow + verdict.accepted;
          const headLogits = this.target.draftLogits();
          const next = Math.min(this.settings.draftTokens, tokensPerImage - done - 1);
          drafts = [];
          draftProbs = [];
          const generated = sequence.slice(1);
          for (let k = 1; k <= next; k++) {
            const q = rowDistribution(
              head,
              headLogits,
              vocab,
              kept * heads + k - 1,
              rows,
              plans[done + k - 1],
              tokensPerImage,
              generated,
            );
            drafts.push(this.sampler.sampleWeights(q, rng));
            draftProbs.push(q);
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
    }
    const media = await this.decoder.decode({ codes, images });
    yield {
      type: 'result',
      result: { codes, media, acceptanceRate: stats.acceptanceRate, targetForwards },
    };
  }
}
