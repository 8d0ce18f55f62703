import type { Decoder } from '../generation/decoder';
import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../generation/generator';
import type { SharedPromptStepModel } from '../generation/step-model';
import { CategoricalHead } from '../heads/categorical-head';
import { createRng } from '../random/rng';
import type { SamplingOptions } from '../sampling/build-logits-processors';

/** Many sampled continuations of one prompt. */
export interface ContinuationRequest {
  /** Token ids of the prompt (e.g. a tokenized series context). */
  readonly prompt: Int32Array;
  /** Rows drawn independently after the same prompt (sample paths). */
  readonly continuations: number;
  /** Tokens drawn per row. */
  readonly length: number;
  readonly sampling: SamplingOptions;
  /** Ids that may be drawn, `[start, end)` (special tokens are outside). */
  readonly allowed?: readonly [number, number];
}

/** Drawn ids, row-major [continuations, length], plus what the decoder made of them. */
export interface ContinuationResult<Media> {
  readonly tokens: Int32Array;
  readonly media: Media;
}

/**
 * Chronos' sampling loop (`ChronosModel.generate`: `num_return_sequences` rows after one
 * context, HF `generate` with `do_sample`): the prompt runs once and its cache is shared by every
 * row, then each step draws one token per row through the {@link CategoricalHead} and feeds the
 * drawn tokens back as one batched step. The last step's forward is skipped (its logits are not
 * needed).
 */
export class ContinuationGenerator<Media> implements Generator<
  ContinuationRequest,
  ContinuationResult<Media>
> {
  constructor(
    private readonly model: SharedPromptStepModel,
    private readonly decoder: Decoder<
      { tokens: Int32Array; continuations: number; length: number },
      Media
    >,
  ) {}

  async *generate(
    request: ContinuationRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<ContinuationResult<Media>>> {
    const { continuations: rows, length } = request;
    const vocab = this.model.vocabSize;
    const head = new CategoricalHead({ sampling: request.sampling, allowed: request.allowed });
    const rng = createRng(options.seed);
    const tokens = new Int32Array(rows * length);
    const input = new Int32Array(rows);
    const row = new Float32Array(vocab);
    try {
      throwIfAborted(options.signal, 0);
      let logits = await this.model.startShared(request.prompt, rows);
      for (let t = 0; t < length; t++) {
        throwIfAborted(options.signal, t);
        for (let r = 0; r < rows; r++) {
          // After the prompt every row sees the same distribution; later rows have their own.
          row.set(
            t === 0 ? logits.subarray(0, vocab) : logits.subarray(r * vocab, (r + 1) * vocab),
          );
          const id = head.sample(
            row,
            { step: t, generated: tokens.subarray(r * length, r * length + t) },
            rng,
          );
          tokens[r * length + t] = id;
          input[r] = id;
        }
        yield { type: 'progress', step: t + 1, total: length, stage: 'token' };
        if (t + 1 < length) logits = await this.model.forward(input, 1);
      }
    } finally {
      this.model.release();
    }
    const media = await this.decoder.decode({ tokens, continuations: rows, length });
    yield { type: 'result', result: { tokens, media } };
  }
}
