import type { VideoStepModel } from '../../generation/step-model';

/** One cached entry of {@link RecordingVideoStepModel}. */
export interface RecordedEntry {
  readonly id: number;
  readonly spatial: number;
  /** Entry index in the clip (what a RoPE backbone rotates by). */
  readonly position: number;
}

/**
 * Test double of a video backbone: its cache is the list of fed entries, so tests can read what
 * a loop fed, where, and what it trimmed; logits favour code (id · 7 + spatial + position of the
 * row in the step) mod vocab, with a spread that leaves other codes probable.
 */
export class RecordingVideoStepModel implements VideoStepModel<string> {
  cache: RecordedEntry[] = [];
  conditions = '';
  forwards = 0;
  longest = 0;
  dropped: number[] = [];
  private next = 0;

  constructor(
    readonly vocabSize: number,
    readonly capacity: number,
  ) {}

  get length(): number {
    return this.cache.length;
  }

  reset(_batch: number, conditions: string, firstPosition = 0): void {
    this.cache = [];
    this.next = firstPosition;
    this.conditions = conditions;
    this.dropped = [];
  }

  async forward(ids: Int32Array, spatial: Int32Array, count: number): Promise<Float32Array> {
    if (this.cache.length + count > this.capacity)
      throw new RangeError(`cache would hold ${this.cache.length + count} > ${this.capacity}`);
    this.forwards++;
    const v = this.vocabSize;
    const out = new Float32Array(count * v);
    for (let j = 0; j < count; j++) {
      this.cache.push({ id: ids[j], spatial: spatial[j], position: this.next++ });
      const favoured = (ids[j] * 7 + spatial[j] + this.conditions.length) % v;
      for (let c = 0; c < v; c++) out[j * v + c] = c === favoured ? 3 : -((c * 13) % 5) / 2;
    }
    this.longest = Math.max(this.longest, this.cache.length);
    return out;
  }

  dropOldest(entries: number): void {
    this.dropped.push(entries);
    this.cache.splice(0, entries);
  }
}
