import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../../generation/generator';
import type { VideoStepModel } from '../../generation/step-model';
import { createRng } from '../../random/rng';
import { FrameWindow } from './frame-window';
import { FrameTokenSampler } from './frame-token-sampler';
import type {
  FrameDecoder,
  FramePreview,
  VideoRequest,
  VideoResult,
  VideoTokenLayout,
} from './video-generation';

/**
 * The next-token baseline over the same frame tokens: BOV, then one token per step in raster
 * order, frame after frame. Entries belong to the frame whose token they feed (BOV to frame 0);
 * past the context the oldest frames leave the front of the KV cache, as in the block loop.
 */
export class NextTokenVideoGenerator<Conditions, Frame> implements Generator<
  VideoRequest<Conditions>,
  VideoResult<Frame>
> {
  private readonly sampler = new FrameTokenSampler();

  constructor(
    private readonly model: VideoStepModel<Conditions>,
    private readonly layout: VideoTokenLayout,
    private readonly decoder: FrameDecoder<Frame>,
  ) {}

  async *generate(
    request: VideoRequest<Conditions>,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<VideoResult<Frame>>> {
    const { tokensPerFrame: b, bovId, maxCachedFrames } = this.layout;
    const total = request.frames * b;
    const rng = createRng(options.seed);
    const rows = this.sampler.rows(request.sampling, this.model.vocabSize);
    const codes = new Int32Array(total);
    const frames: Frame[] = [];
    const id = new Int32Array(1);
    const spatial = new Int32Array(1);
    const window = new FrameWindow(this.model);
    this.model.reset(1, request.conditions);
    let frameStart = performance.now();

    for (let t = 0; t < total; t++) {
      throwIfAborted(options.signal, t);
      const frame = Math.floor(t / b);
      const k = t % b;
      // The entry feeding token t − 1 (BOV at t = 0) belongs to that token's frame.
      const inputFrame = t === 0 ? 0 : Math.floor((t - 1) / b);
      window.keepFrom(inputFrame - maxCachedFrames + 1);
      id[0] = t === 0 ? bovId : codes[t - 1];
      spatial[0] = k;
      const logits = await this.model.forward(id, spatial, 1);
      window.fed(inputFrame, 1);
      codes[t] = rows.sample(logits, 0, t, codes.subarray(frame * b, t), rng);
      if (k !== b - 1) continue;
      const decoded = await this.decoder.decode(codes.subarray(frame * b, (frame + 1) * b));
      frames.push(decoded);
      const now = performance.now();
      const preview: FramePreview<Frame> = { index: frame, frame: decoded, ms: now - frameStart };
      frameStart = now;
      yield { type: 'progress', step: frame + 1, total: request.frames, stage: 'frame', preview };
    }
    throwIfAborted(options.signal, total);
    yield { type: 'result', result: { codes, frames, steps: total } };
  }
}
