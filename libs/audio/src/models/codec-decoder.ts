import type { CodebookCodes, Decoder, IncrementalDecoder } from '@nextx/engine';
import type { OnnxGraph } from '@nextx/runtime';

/** Decoded mono clips of one length, row-major [batch, samples]. */
export interface AudioBatch {
  readonly samples: Float32Array;
  readonly batch: number;
  /** Samples per clip. */
  readonly length: number;
  readonly sampleRate: number;
}

/** Shape facts of a codec (its manifest's `audio`). */
export interface CodecFacts {
  readonly sampleRate: number;
  /** Samples per frame. */
  readonly hop: number;
  readonly numCodebooks: number;
  readonly codebookSize: number;
  /** Frames of left context the causal decoder needs for a sample to be exact. */
  readonly contextFrames: number;
}

/**
 * The codec's decoder graph (`codes` [batch, K, frames] int64 and `first_frame` [1], the index of
 * the window's first frame in the clip → `audio` [batch, frames·hop]).
 * The decoder is causal with a receptive field of `contextFrames` frames, so frames [from, to)
 * decoded with that much left context equal the same samples of a one-shot decode: streaming
 * sends exactly the clip the final decode gives (within float error).
 */
export class CodecDecoder
  implements Decoder<CodebookCodes, AudioBatch>, IncrementalDecoder<AudioBatch>
{
  constructor(
    private readonly graph: OnnxGraph,
    readonly facts: CodecFacts,
  ) {}

  decode(input: CodebookCodes): Promise<AudioBatch> {
    return this.decodeRange(input, 0, input.frames);
  }

  async decodeRange(input: CodebookCodes, from: number, to: number): Promise<AudioBatch> {
    const { batch, numCodebooks: k, frames, codes } = input;
    if (!(0 <= from && from < to && to <= frames))
      throw new RangeError(`frames [${from}, ${to}) outside [0, ${frames})`);
    const start = Math.max(0, from - this.facts.contextFrames);
    const width = to - start;
    const window = new BigInt64Array(batch * k * width);
    for (let r = 0; r < batch * k; r++)
      for (let t = 0; t < width; t++) window[r * width + t] = BigInt(codes[r * frames + start + t]);
    const out = await this.graph.run({
      codes: { data: window, dims: [batch, k, width] },
      // The oscillators' phase reference: where the window starts in the clip.
      first_frame: { data: BigInt64Array.of(BigInt(start)), dims: [1] },
    });
    const audio = out['audio'].data as Float32Array;
    const { hop } = this.facts;
    const keep = (to - from) * hop;
    const skip = (from - start) * hop;
    const samples = new Float32Array(batch * keep);
    for (let b = 0; b < batch; b++)
      samples.set(
        audio.subarray(b * width * hop + skip, b * width * hop + skip + keep),
        b * keep,
      );
    return { samples, batch, length: keep, sampleRate: this.facts.sampleRate };
  }
}
