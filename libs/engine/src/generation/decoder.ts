/** Turns what a generation produced (codes, latents) into media tensors, e.g. a VQ decoder graph. */
export interface Decoder<Input, Output> {
  decode(input: Input): Promise<Output>;
}
