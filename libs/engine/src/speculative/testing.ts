import type { AcceptanceRule } from './acceptance-rule';
import type { NeighbourTable } from './neighbour-table';

// Test support of the speculative specs: tables built from toy codebooks and the closed forms
// the measured acceptance is compared with. Models ship their neighbour tables (LANTERN's
// `generate_codebook.py` output), so nothing here runs in production.

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

/**
 * Probability that one draft token x ~ q is kept: `α = Σₓ q(x)·a(x)`. For
 * {@link StandardAcceptance} this is `Σ min(p, q) = 1 − TV(p, q)` (Leviathan et al., §3.3).
 */
export function expectedAcceptanceRate(
  target: Float32Array,
  draft: Float32Array,
  rule: AcceptanceRule,
): number {
  let alpha = 0;
  for (let x = 0; x < draft.length; x++) {
    if (draft[x] > 0) alpha += draft[x] * rule.acceptanceProbability(target, draft, x);
  }
  return alpha;
}

/**
 * Expected tokens per round for i.i.d. acceptance rate α and γ drafts:
 * `(1 − α^{γ+1}) / (1 − α)` (Leviathan et al., eq. 1), `γ + 1` when α = 1.
 */
export function expectedTokensPerRound(alpha: number, gamma: number): number {
  if (alpha >= 1) return gamma + 1;
  return (1 - alpha ** (gamma + 1)) / (1 - alpha);
}
