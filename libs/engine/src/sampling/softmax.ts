/**
 * Numerically stable softmax of one row. `-Infinity` entries get probability 0. `out` may be
 * `logits` itself (in place); without it a new array is returned.
 * @throws RangeError when every entry is `-Infinity` (nothing can be sampled)
 */
export function softmax(
  logits: ArrayLike<number>,
  out: Float32Array = new Float32Array(logits.length),
): Float32Array {
  const n = logits.length;
  if (out.length < n) {
    throw new RangeError(`out holds ${out.length} entries, needs ${n}`);
  }
  const max = maxOf(logits, 0, n);
  if (max === -Infinity) {
    throw new RangeError('every logit is -Infinity');
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(logits[i] - max);
    out[i] = e;
    total += e;
  }
  const inverse = 1 / total;
  for (let i = 0; i < n; i++) out[i] *= inverse;
  return out;
}

/** Largest of `values[offset .. offset + length)`; `-Infinity` when all are. */
export function maxOf(values: ArrayLike<number>, offset: number, length: number): number {
  let max = -Infinity;
  for (let i = offset, end = offset + length; i < end; i++) {
    if (values[i] > max) max = values[i];
  }
  return max;
}
