import type { ContinuousTokens, Decoder } from '../generation/decoder';
import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../generation/generator';
import type { MaskedTokenBackbone } from '../generation/step-model';
import { MarRampGuidance } from '../guidance/mar-ramp-guidance';
import type { DiffusionTokenHead } from '../heads/diffusion-token-head';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { createRng } from '../random/rng';
import { MaskedSetSchedule } from '../schedules/masked-set-schedule';
import {
  ContinuousAcceptanceStats,
  type ContinuousSpeculativeSampler,
} from '../speculative/continuous-speculation';

/** One MAR generation. */
export interface MaskedDiffusionRequest {
  /** One class label per image. */
  readonly classLabels: readonly number[];
  /** MAR's cfg: the guidance on ε ramps 1 + (cfg − 1)·(L − mask_len)/L. 1 = off. */
  readonly guidanceScale: number;
  /** Multiplies the noise of each diffusion step. */
  readonly temperature: number;
  /** Masking rounds (MAR's num_iter). */
  readonly numIter: number;
  /** Decode the canvas after every round for progress previews. */
  readonly previews?: boolean;
  /**
   * In-painting: tokens of every image ([images, L, dim]) of which those flagged 1 in `known`
   * ([L], the same for every image) stay as given; the others are generated.
   */
  readonly known?: { readonly tokens: Float32Array; readonly known: Uint8Array };
}

/** The tokens, the decoded media and, with a draft, the share of draft tokens kept. */
export interface MaskedDiffusionResult<Media> {
  readonly tokens: Float32Array;
  readonly media: Media;
  readonly acceptanceRate?: number;
}

/** The draft side of continuous speculative decoding: its backbone and the sampler. */
export interface MaskedDiffusionDraft {
  readonly backbone: MaskedTokenBackbone;
  readonly sampler: ContinuousSpeculativeSampler;
}

/**
 * MAR's `sample_tokens` over the {@link MaskedSetSchedule}: a random order per image; each round
 * the backbone re-reads the canvas (CFG on a doubled batch), and the {@link DiffusionTokenHead}
 * draws the round's tokens from their z with MAR's linear guidance ramp ({@link MarRampGuidance})
 * and temperature. With a draft, each round's tokens come from the
 * {@link ContinuousSpeculativeSampler} instead (draft paths verified by the target, exact).
 * Unknown tokens show as −1 (background) in previews.
 */
export class MaskedDiffusionGenerator<Media> implements Generator<
  MaskedDiffusionRequest,
  MaskedDiffusionResult<Media>
> {
  constructor(
    private readonly backbone: MaskedTokenBackbone,
    private readonly head: DiffusionTokenHead,
    private readonly decoder: Decoder<ContinuousTokens, Media>,
    private readonly nullClass: number,
    private readonly draft?: MaskedDiffusionDraft,
  ) {}

  async *generate(
    request: MaskedDiffusionRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<MaskedDiffusionResult<Media>>> {
    const { backbone, head, draft } = this;
    const images = request.classLabels.length;
    const L = backbone.seqLen;
    const dim = backbone.tokenDim;
    const width = backbone.conditionDim;
    const draw = { guidanceScale: request.guidanceScale, temperature: request.temperature };
    const branches = head.branches(draw);
    const rows = branches * images;
    const rng = createRng(options.seed);
    const labels = Int32Array.from({ length: rows }, (_, r) =>
      r < images ? request.classLabels[r] : this.nullClass,
    );
    const canvas = new Float32Array(rows * L * dim);
    const mask = new Float32Array(rows * L).fill(1);
    const unknown: number[] = [];
    for (let p = 0; p < L; p++) if (!request.known?.known[p]) unknown.push(p);
    if (request.known) {
      for (let i = 0; i < images; i++)
        for (let p = 0; p < L; p++) {
          if (!request.known.known[p]) continue;
          const value = request.known.tokens.subarray((i * L + p) * dim, (i * L + p + 1) * dim);
          for (let b = 0; b < branches; b++) {
            canvas.set(value, ((b * images + i) * L + p) * dim);
            mask[(b * images + i) * L + p] = 0;
          }
        }
    }
    if (unknown.length > 0 && request.numIter > unknown.length)
      throw new InvalidArgumentError(
        'num_iter',
        `<= the ${unknown.length} tokens to generate`,
        `got ${request.numIter}`,
      );
    // One order per image (MAR `sample_orders`), all over the same unknown positions.
    const schedules = Array.from(
      { length: images },
      () => new MaskedSetSchedule({ seqLen: unknown.length, numIter: request.numIter, rng }),
    );
    const total = unknown.length > 0 ? request.numIter : 0;
    const guidance = new MarRampGuidance(request.guidanceScale, Math.max(1, unknown.length));
    const stats = new ContinuousAcceptanceStats();
    let preview: Media | undefined;
    for (let k = 0; k < total; k++) {
      throwIfAborted(options.signal, k);
      const z = await backbone.encode(canvas, mask, labels, rows);
      const zDraft = draft ? await draft.backbone.encode(canvas, mask, labels, rows) : undefined;
      const positions = schedules.map((s) => s.stepAt(k).positions);
      const n = positions[0].length;
      const gather = (source: Float32Array) => {
        const out = new Float32Array(branches * images * n * width);
        for (let b = 0; b < branches; b++)
          for (let i = 0; i < images; i++)
            positions[i].forEach((slot, j) => {
              const from = ((b * images + i) * L + unknown[slot]) * width;
              out.set(source.subarray(from, from + width), ((b * images + i) * n + j) * width);
            });
        return out;
      };
      const scaled = { ...draw, guidanceScale: guidance.scaleAt(k, total) };
      const drawn =
        draft && zDraft
          ? await draft.sampler.sample(gather(z), gather(zDraft), images * n, scaled, rng, stats)
          : await head.sample(gather(z), images * n, scaled, rng);
      for (let i = 0; i < images; i++)
        positions[i].forEach((slot, j) => {
          const p = unknown[slot];
          const value = drawn.subarray((i * n + j) * dim, (i * n + j + 1) * dim);
          for (let b = 0; b < branches; b++) {
            canvas.set(value, ((b * images + i) * L + p) * dim);
            mask[(b * images + i) * L + p] = 0;
          }
        });
      preview = request.previews
        ? await this.decoder.decode({ tokens: this.shown(canvas, mask, images), images })
        : undefined;
      yield { type: 'progress', step: k + 1, total, stage: 'round', preview };
    }
    throwIfAborted(options.signal, total);
    const tokens = canvas.slice(0, images * L * dim);
    const media = preview ?? (await this.decoder.decode({ tokens, images }));
    yield {
      type: 'result',
      result: { tokens, media, acceptanceRate: draft ? stats.acceptanceRate : undefined },
    };
  }

  /** The conditional half of the canvas with unknown tokens at −1. */
  private shown(canvas: Float32Array, mask: Float32Array, images: number): Float32Array {
    const dim = this.backbone.tokenDim;
    const out = canvas.slice(0, images * this.backbone.seqLen * dim);
    for (let p = 0; p < images * this.backbone.seqLen; p++)
      if (mask[p] === 1) out.fill(-1, p * dim, (p + 1) * dim);
    return out;
  }
}
