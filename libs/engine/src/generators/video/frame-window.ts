import type { VideoStepModel } from '../../generation/step-model';

/**
 * Which frames' entries sit in a video model's cache, oldest first. Before a step feeds entries
 * of frame f, {@link keepFrom} drops whole older frames from the front of the cache, so a clip of
 * any length runs against a bounded cache whose kept entries are never recomputed.
 */
export class FrameWindow {
  private readonly frames: { frame: number; entries: number }[] = [];

  constructor(private readonly model: VideoStepModel<unknown>) {}

  /** Records `entries` just fed as belonging to `frame`. */
  fed(frame: number, entries: number): void {
    const last = this.frames[this.frames.length - 1];
    if (last?.frame === frame) last.entries += entries;
    else this.frames.push({ frame, entries });
  }

  /** Drops the entries of every frame before `frame`. */
  keepFrom(frame: number): void {
    while (this.frames.length > 0 && this.frames[0].frame < frame) {
      this.model.dropOldest(this.frames[0].entries);
      this.frames.shift();
    }
  }

  /** Frames with entries in the cache, oldest first. */
  get cachedFrames(): number[] {
    return this.frames.map((f) => f.frame);
  }
}
