/**
 * Classifier-free guidance over a doubled batch laid out `[cond; uncond]`: `rows` conditional rows
 * of `width` values followed by the same number of unconditional rows. Writes
 * `uncond + (cond − uncond)·scale` (LlamaGen's form on logits, MAR's on ε) into `out[0 .. rows·width)`.
 *
 * The same function serves logits (`width` = vocabulary) and continuous outputs (`width` = channels
 * of a velocity or ε row). VAR and NBP write `(1 + t)·cond − t·uncond`, which is this with
 * `scale = 1 + t`. `out` may be `values` itself: each entry is read before it is written.
 *
 * A logit masked (`-Infinity`) in either half stays masked instead of becoming `NaN`.
 *
 * @param values `2·rows·width` values, conditional half first
 * @param rows number of conditional rows (the batch before doubling)
 * @param width values per row
 * @param scale guidance scale; 1 returns the conditional rows, 0 the unconditional ones
 * @param out receives `rows·width` guided values
 * @returns `out`
 */
export function applyCfg(
  values: Float32Array,
  rows: number,
  width: number,
  scale: number,
  out: Float32Array,
): Float32Array {
  const half = rows * width;
  if (values.length < 2 * half) {
    throw new RangeError(
      `values hold ${values.length} entries, need 2 × rows × width = ${2 * half}`,
    );
  }
  if (out.length < half) {
    throw new RangeError(`out holds ${out.length} entries, needs rows × width = ${half}`);
  }
  if (!Number.isFinite(scale)) {
    throw new RangeError(`guidance scale must be finite, got ${scale}`);
  }
  for (let i = 0; i < half; i++) {
    const cond = values[i];
    const uncond = values[i + half];
    out[i] =
      cond === -Infinity || uncond === -Infinity ? -Infinity : uncond + (cond - uncond) * scale;
  }
  return out;
}
