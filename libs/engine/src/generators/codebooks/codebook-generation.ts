/** A stretch of final frames decoded while the rest is still being generated. */
export interface FrameChunk<Chunk> {
  /** First frame of the chunk. */
  readonly fromFrame: number;
  /** One past its last frame. */
  readonly toFrame: number;
  /** Frames of the whole generation. */
  readonly frames: number;
  readonly chunk: Chunk;
}

/** Conditions of a batch of codebook generations. */
export interface CodebookConditions {
  /** One condition vector (integer ids) per output row, all of the same width. */
  readonly conditions: readonly (readonly number[])[];
  /** The null condition of the unconditional branch (classifier-free guidance). */
  readonly nullCondition: readonly number[];
}

/** Codes of a finished codebook generation and what the decoder made of them. */
export interface CodebookResult<Media> {
  /** [batch, K, frames] */
  readonly codes: Int32Array;
  readonly media: Media;
}

/** Rows `[cond; null]` (guided) or `[cond]` of conditions, row-major. */
export function conditionRows(request: CodebookConditions, guided: boolean): Int32Array {
  const width = request.nullCondition.length;
  const batch = request.conditions.length;
  const rows = new Int32Array((guided ? 2 : 1) * batch * width);
  request.conditions.forEach((c, b) => {
    if (c.length !== width)
      throw new RangeError(`condition ${b} has ${c.length} ids, the null condition ${width}`);
    rows.set(c, b * width);
    if (guided) rows.set(request.nullCondition, (batch + b) * width);
  });
  return rows;
}
