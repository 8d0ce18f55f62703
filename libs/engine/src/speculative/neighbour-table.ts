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

/**
 * Builds a {@link NeighbourTable} by brute force (O(codes² · dim), done once per codebook offline or
 * at model load). Equal distances are ordered by code id.
 * @param codebook `codes × dim` embedding vectors, row-major
 * @param dim embedding dimension
 * @param width neighbours kept per code (LANTERN's `k` cannot exceed it)
 */
export function buildNeighbourTable(
  codebook: Float32Array,
  dim: number,
  width: number,
): NeighbourTable {
  if (!Number.isInteger(dim) || dim < 1 || codebook.length % dim !== 0) {
    throw new RangeError(`codebook length ${codebook.length} is not a multiple of dim ${dim}`);
  }
  if (!Number.isInteger(width) || width < 1) {
    throw new RangeError(`width must be an integer >= 1, got ${width}`);
  }
  const codes = codebook.length / dim;
  const indices = new Int32Array(codes * width).fill(-1);
  const best = new Float64Array(width);
  for (let c = 0; c < codes; c++) {
    const row = indices.subarray(c * width, (c + 1) * width);
    best.fill(Infinity);
    for (let o = 0; o < codes; o++) {
      if (o === c) continue;
      let d = 0;
      for (let j = 0; j < dim; j++) {
        const diff = codebook[c * dim + j] - codebook[o * dim + j];
        d += diff * diff;
      }
      if (d >= best[width - 1]) continue;
      // Insertion into the short sorted list; strict < keeps the earlier code first on ties.
      let slot = width - 1;
      while (slot > 0 && d < best[slot - 1]) {
        best[slot] = best[slot - 1];
        row[slot] = row[slot - 1];
        slot--;
      }
      best[slot] = d;
      row[slot] = o;
    }
  }
  return { indices, width };
}
