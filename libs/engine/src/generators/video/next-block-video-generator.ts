import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../../generation/generator';
import type { VideoStepModel } from '../../generation/step-model';
import { InvalidArgumentError } from '../../errors/invalid-argument';
import { createRng } from '../../random/rng';
import { FrameStream } from './frame-stream';
import { FrameWindow } from './frame-window';
import { FrameTokenSampler } from './frame-token-sampler';
import {
  promptFrames,
  type FrameDecoder,
  type VideoRequest,
  type VideoResult,
  type VideoTokenLayout,
} from './video-generation';

/** NBP's layout: a middle-BOS id completes the first fed block. */
export interface NextBlockVideoLayout extends VideoTokenLayout {
  readonly middleBosId: number;
}

/**
 * NBP's semi-autoregressive loop (`hybrid_sample_with_past`, the {@link NextBlockSchedule} order)
 * with one frame per block: frame 0 token by token from the begin-of-video id, then one step per
 * frame — the fed block (frame f − 1; for f = 1 the last token of frame 0 followed by middle-BOS
 * ids) attends bidirectionally to itself and causally to the cache, and entry j's logits give
 * token j of frame f, each position sampled independently. With a prompt, its frames are fed as
 * blocks and the first new frame comes from the last of them. Each frame is decoded and streamed
 * as soon as it is sampled. Past the model's context the oldest frames leave the front of the KV
 * cache (kept entries are reused, not recomputed), so the cost per frame stays flat.
 */
export class NextBlockVideoGenerator<Conditions, Frame> implements Generator<
  VideoRequest<Conditions>,
  VideoResult<Frame>
> {
  private readonly sampler = new FrameTokenSampler();

  constructor(
    private readonly model: VideoStepModel<Conditions>,
    private readonly layout: NextBlockVideoLayout,
    private readonly decoder: FrameDecoder<Frame>,
  ) {
    if (layout.maxCachedFrames < 2)
      throw new InvalidArgumentError('max_cached_frames', '>= 2', `got ${layout.maxCachedFrames}`);
  }

  async *generate(
    request: VideoRequest<Conditions>,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<VideoResult<Frame>>> {
    const { tokensPerFrame: b, bovId, middleBosId, maxCachedFrames } = this.layout;
    const { codes: prompt, firstFrame } = promptFrames(request, b, maxCachedFrames);
    const primed = prompt.length / b;
    const total = primed + request.frames;
    const all = new Int32Array(total * b);
    all.set(prompt);
    const rng = createRng(options.seed);
    const rows = this.sampler.rows(request.sampling, this.model.vocabSize);
    const ids = new Int32Array(b);
    const spatial = Int32Array.from({ length: b }, (_, j) => j);
    const window = new FrameWindow(this.model);
    const stream = new FrameStream(this.decoder, all, b, primed, request.frames);
    // Frame 0 owns 2 blocks of entries (its tokens, then [f0_63, MBOS…]), so the block that feeds
    // frame f (and predicts f + 1) starts at entry (f + 1)·b.
    this.model.reset(1, request.conditions, primed === 0 ? 0 : (firstFrame + 1) * b);
    let steps = 0;

    if (primed === 0) {
      // Frame 0, token k: fed BOV (k = 0) or token k − 1, predicting token k.
      for (let k = 0; k < b; k++) {
        throwIfAborted(options.signal, steps);
        ids[0] = k === 0 ? bovId : all[k - 1];
        const logits = await this.model.forward(ids.subarray(0, 1), spatial.subarray(k, k + 1), 1);
        window.fed(0, 1);
        all[k] = rows.sample(logits, 0, k, all.subarray(0, k), rng);
        steps++;
      }
      yield await stream.emit(0);
    }
    for (let frame = 1; frame < total; frame++) {
      throwIfAborted(options.signal, steps);
      const input = frame - 1;
      window.keepFrom(input - maxCachedFrames + 1);
      if (primed === 0 && frame === 1) {
        ids[0] = all[b - 1];
        ids.fill(middleBosId, 1);
      } else {
        ids.set(all.subarray(input * b, frame * b));
      }
      const logits = await this.model.forward(ids, spatial, b);
      window.fed(input, b);
      steps++;
      if (frame < primed) continue;
      const out = all.subarray(frame * b, (frame + 1) * b);
      for (let j = 0; j < b; j++) out[j] = rows.sample(logits, j, j, out.subarray(0, j), rng);
      yield await stream.emit(frame);
    }
    throwIfAborted(options.signal, steps);
    yield {
      type: 'result',
      result: { codes: all.slice(primed * b), frames: stream.frames, steps },
    };
  }
}
