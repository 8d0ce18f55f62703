/**
 * Backbone of token-based methods: one forward over new positions of every sequence in the
 * batch, with the KV cache owned by the implementation (preallocated, advanced in place).
 * Knows nothing about sampling.
 */
export interface TokenStepModel {
  /** Size of the output distribution. */
  readonly vocabSize: number;
  /** Longest sequence (cache capacity). */
  readonly maxLength: number;
  /** Positions already in the cache. */
  readonly length: number;
  /** Rows in the current batch. */
  readonly batch: number;
  /** Starts `batch` empty sequences. */
  reset(batch: number): void;
  /**
   * Feeds `tokens` (row-major [batch, newLength]) after the cached positions and returns the
   * logits [batch, newLength, vocab]. The returned array is reused by the next call.
   */
  forward(tokens: Int32Array, newLength: number): Promise<Float32Array>;
  /** Keeps only the first `length` cached positions (speculative decoding rolls back rejected drafts). */
  truncate(length: number): void;
  /** The generation is done with the model (a fused batch frees its rows). */
  release(): void;
}

/**
 * A {@link TokenStepModel} whose graph also carries draft heads (Medusa, Cai et al. 2024): head k
 * reads the hidden state of each fed position and predicts the token k + 1 places after the one the
 * model's own logits predict. One forward thus gives the target's distributions and drafts for
 * the next round, with no second model and no extra `run()`.
 */
export interface DraftHeadStepModel extends TokenStepModel {
  /** Draft heads in the graph. */
  readonly draftHeads: number;
  /**
   * The draft heads' logits of the last {@link forward}, [batch, newLength, draftHeads, vocab]
   * (valid until the next call).
   */
  draftLogits(): Float32Array;
}

/**
 * A {@link TokenStepModel} that starts many rows from one prompt computed once: the prompt's
 * cache entries are copied to every row (Chronos' sample paths all continue one context), so a
 * 20-path forecast pays one prompt forward, not twenty.
 */
export interface SharedPromptStepModel extends TokenStepModel {
  /**
   * Starts `batch` sequences that all begin with `prompt`; returns the logits [vocab] after its
   * last token (valid until the next call).
   */
  startShared(prompt: Int32Array, batch: number): Promise<Float32Array>;
}

/**
 * A backbone that re-reads the whole prefix of entries at every step, without a cache, and
 * returns logits for each of them (the entry at position p predicts the token at p): next-scale
 * models over a few hundred entries (octree levels), where one forward per level is cheap and a
 * cache would save little.
 */
export interface PrefixStepModel {
  /** Size of each output distribution. */
  readonly vocabSize: number;
  /** Longest prefix. */
  readonly maxLength: number;
  /** Reads ids [batch, length]; returns logits [batch, length, vocab], valid until the next call. */
  forward(inputs: Int32Array, batch: number, length: number): Promise<Float32Array>;
}

/**
 * Backbone of next-scale (VAR) methods: one forward over a whole scale of continuous inputs
 * (embeddings of the downsampled f̂), conditioned on class labels, with its own KV cache.
 */
export interface ScaleStepModel {
  readonly vocabSize: number;
  /** Starts `batch` empty sequences. */
  reset(batch: number): void;
  /**
   * Feeds `inputs` [batch, newLength, channels] (ignored at global position 0, where the model
   * uses its class start token) and returns logits [batch, newLength, vocab].
   */
  forward(inputs: Float32Array, newLength: number, classLabels: Int32Array): Promise<Float32Array>;
  /** The generation is done with the model (a fused round frees its rows). */
  release?(): void;
}

/**
 * VAR's multi-scale f̂ accumulation (`get_next_autoregressive_input`): adds the φ-refined,
 * upsampled embedding of this scale's codes to f̂ and returns the area-downsampled input of the
 * next scale.
 */
export interface ScaleAccumulator {
  /** Channels of f̂ / of each next-scale input token. */
  readonly channels: number;
  /** A zero f̂ for `batch` images. */
  empty(batch: number): Float32Array;
  update(
    fHat: Float32Array,
    codes: Int32Array,
    batch: number,
    scaleIndex: number,
  ): Promise<{ fHat: Float32Array; nextInputs: Float32Array }>;
}

/**
 * A video backbone over frame tokens (NBP next-block or next-token): every fed entry carries the
 * token id and the spatial position (within its frame) of the token it predicts; conditions are
 * fixed per sequence and never occupy cache entries, so the cache holds only token entries and
 * can be trimmed from the front as the clip slides past the model's context. Positions count
 * entries from the clip's first one and keep increasing across a trim: attention (RoPE) uses only
 * their differences, so distances stay exact, and a model may read the frame of the predicted
 * token from them (the Moving-MNIST models place each digit on its path that way).
 */
export interface VideoStepModel<Conditions> {
  /** Logits per entry (the codebook size). */
  readonly vocabSize: number;
  /** Most entries the cache holds. */
  readonly capacity: number;
  /** Entries cached now. */
  readonly length: number;
  /**
   * Empties the cache for `batch` sequences generated under `conditions`; the next fed entry gets
   * position `firstPosition` (0: the clip's first entry; a loop continuing from prompt frames
   * passes the position those frames' entries have in the whole clip).
   */
  reset(batch: number, conditions: Conditions, firstPosition?: number): void;
  /**
   * Feeds `count` entries per row ([batch, count] ids and target positions); returns logits
   * [batch, count, vocabSize], valid until the next call.
   */
  forward(ids: Int32Array, spatial: Int32Array, count: number): Promise<Float32Array>;
  /** Drops the oldest `entries` cached entries (kept entries are not recomputed). */
  dropOldest(entries: number): void;
}

/**
 * Backbone of multi-stream token methods (MusicGen's codebooks): every step feeds one token per
 * stream per row after the cached entries, and returns one distribution per stream. Conditions
 * (integer ids, fixed per sequence) never occupy cache entries.
 */
export interface CodebookStepModel {
  /** Streams K fed and predicted per step. */
  readonly numCodebooks: number;
  /** Logits per stream (the codebook size). */
  readonly vocabSize: number;
  /** Most entries a sequence can hold. */
  readonly maxLength: number;
  /** Entries cached now. */
  readonly length: number;
  /** Rows in the current batch. */
  readonly batch: number;
  /**
   * Starts `batch` empty sequences under `conditions`, row-major [batch, conditionWidth] (the
   * second half of a guided batch carries the null condition).
   */
  reset(batch: number, conditions: Int32Array): void;
  /** Feeds `tokens` [batch, K]; returns logits [batch, K, vocabSize], valid until the next call. */
  forward(tokens: Int32Array): Promise<Float32Array>;
  /** The generation is done with the model (a fused batch frees its rows). */
  release(): void;
}

/**
 * A bidirectional multi-stream model (MAGNeT): re-reads the whole [K, frames] canvas, masked
 * entries included, and returns logits for every entry. No cache.
 */
export interface CodebookCanvasModel {
  readonly numCodebooks: number;
  readonly vocabSize: number;
  /** Longest canvas (frames) the model was trained on. */
  readonly maxFrames: number;
  /**
   * @param tokens [batch, K, frames] (mask token where not yet decoded)
   * @param conditions [batch, conditionWidth]
   * @returns logits [batch, K, frames, vocabSize], valid until the next call
   */
  forward(
    tokens: Int32Array,
    conditions: Int32Array,
    batch: number,
    frames: number,
  ): Promise<Float32Array>;
}

/**
 * Backbone of next-cell flow matching (xAR): block-causal over cells of continuous tokens, with
 * its own KV cache of the clean cells. One call is one solver step of one cell.
 */
export interface CellVelocityModel {
  /** Values per token. */
  readonly tokenDim: number;
  /** Tokens per cell. */
  readonly cellSize: number;
  /** Cells per image. */
  readonly cellCount: number;
  /** Starts `batch` empty sequences (rows of a guided batch included). */
  reset(batch: number): void;
  /**
   * Velocity of the noisy cell `cell` ([batch, cellSize, tokenDim]) at time `t`. `context`, at the
   * first step of a cell after the first, is the clean previous cell: its K/V join the cache
   * and serve every later step. Returns [batch, cellSize, tokenDim], valid until the next call.
   */
  velocity(
    noisy: Float32Array,
    t: number,
    cell: number,
    classLabels: Int32Array,
    context?: Float32Array,
  ): Promise<Float32Array>;
  /** The generation is done with the model. */
  release?(): void;
}

/**
 * Backbone of masked autoregression over continuous tokens (MAR's encoder–decoder): re-reads
 * the whole canvas every round, known tokens and mask, and returns one condition vector per
 * position for the diffusion head. No cache.
 */
export interface MaskedTokenBackbone {
  readonly seqLen: number;
  readonly tokenDim: number;
  /** Width of each condition vector z. */
  readonly conditionDim: number;
  /**
   * @param tokens [batch, seqLen, tokenDim] (values of unknown tokens are ignored)
   * @param mask [batch, seqLen], 1 = unknown
   * @returns z [batch, seqLen, conditionDim], valid until the next call
   */
  encode(
    tokens: Float32Array,
    mask: Float32Array,
    classLabels: Int32Array,
    batch: number,
  ): Promise<Float32Array>;
}

/** The per-token denoiser of a diffusion head (MAR's MLP): ε of noisy tokens given their z. */
export interface TokenDenoiser {
  readonly tokenDim: number;
  readonly conditionDim: number;
  /**
   * @param x [rows, tokenDim] noisy tokens
   * @param t [rows] training timesteps (each row may sit at another step)
   * @param z [rows, conditionDim]
   * @returns ε [rows, tokenDim], valid until the next call
   */
  epsilon(x: Float32Array, t: Int32Array, z: Float32Array, rows: number): Promise<Float32Array>;
}
