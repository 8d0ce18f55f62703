/**
 * Nearest latent neighbours of every code of a VQ codebook, as LANTERN's `generate_codebook.py`:
 * the other codes sorted by L2 distance of their embedding vectors (the code itself excluded).
 */
export interface NeighbourTable {
  /** `codes × width` code ids, nearest first; `-1` pads rows of codebooks smaller than `width + 1`. */
  readonly indices: Int32Array;
  /** Neighbours stored per code. */
  readonly width: number;
}
