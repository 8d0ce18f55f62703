/**
 * The k-th largest value (1-based) of `values`, found by quickselect on `scratch`, which must hold
 * at least `values.length` entries and is overwritten. Average O(n), no allocation.
 */
export function kthLargest(values: Float32Array, k: number, scratch: Float32Array): number {
  const n = values.length;
  if (k < 1 || k > n) {
    throw new RangeError(`k must be in [1, ${n}], got ${k}`);
  }
  scratch.set(values);
  // Selecting the (n - k)-th smallest keeps the partition loop in ascending order.
  const target = n - k;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = scratch[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (scratch[i] < pivot) i++;
      while (scratch[j] > pivot) j--;
      if (i <= j) {
        const t = scratch[i];
        scratch[i] = scratch[j];
        scratch[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return scratch[target];
}

/** Returns `buffer` when it holds at least `length` entries, else a new, larger one. */
export function ensureCapacity(buffer: Float32Array, length: number): Float32Array {
  return buffer.length >= length ? buffer : new Float32Array(length);
}
