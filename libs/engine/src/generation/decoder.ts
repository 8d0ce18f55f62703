/** Turns what a generation produced (codes, latents) into media tensors, e.g. a VQ decoder graph. */
export interface Decoder<Input, Output> {
  decode(input: Input): Promise<Output>;
}

/** Codes of parallel streams (codebooks), row-major [batch, K, frames]. */
export interface CodebookCodes {
  readonly codes: Int32Array;
  readonly batch: number;
  readonly numCodebooks: number;
  readonly frames: number;
}

/**
 * A decoder that can turn the frames [from, to) of a partly generated canvas into media before
 * the rest exists (a causal codec decoder with enough left context): what streaming needs.
 */
export interface IncrementalDecoder<Chunk> {
  decodeRange(input: CodebookCodes, from: number, to: number): Promise<Chunk>;
}

/** Continuous tokens of a batch, row-major [images, tokens, tokenDim], in the model's sequence order. */
export interface ContinuousTokens {
  readonly tokens: Float32Array;
  readonly images: number;
}
