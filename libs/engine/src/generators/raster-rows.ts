import type { TokenStepModel } from '../generation/step-model';
import type { Head } from '../heads/head';
import type { Rng } from '../random/rng';
import type { StepPlan } from '../schedules/schedule';
import type { AcceptanceRule } from '../speculative/acceptance-rule';
import { AcceptanceStats } from '../speculative/acceptance-stats';
import { verifyDraft } from '../speculative/verify-draft';
import type { GenerationOptions } from '../generation/generator';
import { createRng } from '../random/rng';
import { RasterSchedule } from '../schedules/raster-schedule';
import { stepsOf } from '../schedules/schedule';
import { rasterHead, type RasterRequest, type RasterTokenLayout } from './raster-generator';

// The multi-token forwards and per-position distributions that the speculative raster loops
// (draft model, Jacobi) share: rows are [cond; uncond] when guidance is on.

/** One forward of `tokens` on every row; the unconditional row starts with the null class. */
export function feedRows(
  model: TokenStepModel,
  tokens: readonly number[],
  uncondFirst: number | undefined,
  rows: number,
): Promise<Float32Array> {
  const input = new Int32Array(rows * tokens.length);
  input.set(tokens, 0);
  if (rows === 2) {
    input.set(tokens, tokens.length);
    if (uncondFirst !== undefined) input[tokens.length] = uncondFirst;
  }
  return model.forward(input, tokens.length);
}

let pairScratch = new Float32Array(0);

/**
 * The head's probabilities at `position` of [rows, positions, vocab] logits, for the raster step
 * `plan` (guidance, then the processor chain), in a new array.
 */
export function rowDistribution(
  head: Head,
  logits: Float32Array,
  vocab: number,
  position: number,
  rows: number,
  plan: StepPlan,
  totalSteps: number,
  generated: readonly number[],
): Float32Array {
  const positions = logits.length / (rows * vocab);
  // The [cond; uncond] rows of the position go to a scratch the guidance reads at once.
  if (pairScratch.length < rows * vocab) pairScratch = new Float32Array(rows * vocab);
  const pair = pairScratch.subarray(0, rows * vocab);
  for (let r = 0; r < rows; r++)
    pair.set(
      logits.subarray((r * positions + position) * vocab, (r * positions + position + 1) * vocab),
      r * vocab,
    );
  const step = plan.positions[0];
  const row = head.guide(pair, 1, vocab, { step, totalSteps }, new Float32Array(vocab));
  return head.probabilities(row, { step, generated });
}

/** One verification forward of a loop whose drafts need no model of their own. */
export interface SelfDraftRound {
  readonly target: TokenStepModel;
  readonly head: Head;
  readonly layout: RasterTokenLayout;
  /** The raster steps of one image. */
  readonly plans: readonly StepPlan[];
  readonly rows: number;
  /** The image so far: class token, then the emitted ids; the round appends what it emits. */
  readonly sequence: number[];
  /** The image's codes; the round writes what it emits. */
  readonly codes: Int32Array;
  readonly drafts: readonly number[];
  readonly draftProbs: readonly Float32Array[];
  readonly rule: AcceptanceRule;
  readonly rng: Rng;
  readonly stats: AcceptanceStats;
}

/**
 * Feeds the tokens the target has not seen plus the drafts in ONE forward, verifies the drafts
 * against the target's distributions there ({@link verifyDraft}), keeps the cache entries of the
 * kept drafts, and emits the kept drafts and the corrected (or bonus) token into `sequence` and
 * `codes`. Returns the verdict, the γ + 1 target distributions, and the forward's logits and the
 * row of its first fed token (what a loop reads its next drafts from).
 */
export async function verifySelfDraftRound(round: SelfDraftRound) {
  const { target, head, layout, plans, rows, sequence, codes, drafts } = round;
  const tokensPerImage = layout.tokensPerImage;
  const done = sequence.length - 1;
  const before = target.length;
  const unseen = sequence.length - before;
  const logits = await feedRows(
    target,
    [...sequence.slice(before), ...drafts],
    before === 0 ? layout.nullClassToken : undefined,
    rows,
  );
  // Row j: the distribution at position done + j, given the prefix and drafts 0 … j−1.
  const generated = sequence.slice(1);
  const targetProbs = Array.from({ length: drafts.length + 1 }, (_, j) =>
    rowDistribution(
      head,
      logits,
      target.vocabSize,
      unseen - 1 + j,
      rows,
      plans[done + j],
      tokensPerImage,
      generated,
    ),
  );
  const verdict = verifyDraft({
    targetProbs,
    draftProbs: round.draftProbs,
    draftTokens: drafts,
    rule: round.rule,
    rng: round.rng,
  });
  if (drafts.length > 0) round.stats.record(verdict, drafts.length);
  // Cache entries of the kept drafts stay; the corrected (or bonus) token is fed next.
  target.truncate(before + unseen + verdict.accepted);
  verdict.tokens.forEach((token, k) => {
    codes[plans[done + k].positions[0]] = token - layout.codeOffset;
    sequence.push(token);
  });
  return { verdict, targetProbs, logits, firstRow: unseen - 1 };
}

/**
 * What every speculative raster loop sets up per request: its random stream, the raster head
 * (guidance, processors), the rows per image, the raster steps of one image, the codes of all
 * images and the acceptance counters.
 */
export function speculativeRequest(
  layout: RasterTokenLayout,
  request: RasterRequest,
  options: GenerationOptions,
) {
  const head = rasterHead(layout, request);
  return {
    rng: createRng(options.seed),
    head,
    rows: head.branches,
    plans: [
      ...stepsOf(new RasterSchedule({ length: layout.tokensPerImage, prefixLength: 1 })),
    ] as readonly StepPlan[],
    codes: new Int32Array(request.classLabels.length * layout.tokensPerImage),
    stats: new AcceptanceStats(),
  };
}
