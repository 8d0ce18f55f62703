import type { ProgressEvent } from '../../generation/generator';
import type { FrameDecoder, FramePreview } from './video-generation';

/**
 * Decodes each finished frame of a clip, keeps it for the result and turns it into the `frame`
 * progress event both video loops stream (index counted after the prompt, time since the last
 * frame).
 */
export class FrameStream<Frame> {
  readonly frames: Frame[] = [];
  private last = performance.now();

  constructor(
    private readonly decoder: FrameDecoder<Frame>,
    /** Codes of prompt and generated frames, [frames, tokensPerFrame]. */
    private readonly codes: Int32Array,
    private readonly tokensPerFrame: number,
    /** Prompt frames before the first generated one. */
    private readonly primed: number,
    /** Frames the request asked for. */
    private readonly total: number,
  ) {}

  /** Decodes frame `frame` (an index into `codes`) and returns its progress event. */
  async emit(frame: number): Promise<ProgressEvent> {
    const b = this.tokensPerFrame;
    const decoded = await this.decoder.decode(this.codes.subarray(frame * b, (frame + 1) * b));
    this.frames.push(decoded);
    const now = performance.now();
    const index = frame - this.primed;
    const preview: FramePreview<Frame> = { index, frame: decoded, ms: now - this.last };
    this.last = now;
    return { type: 'progress', step: index + 1, total: this.total, stage: 'frame', preview };
  }
}
