import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../../generation/generator';
import type { VideoStepModel } from '../../generation/step-model';
import { InvalidArgumentError } from '../../errors/invalid-argument';
import { createRng } from '../../random/rng';
import { NextBlockSchedule } from '../../schedules/next-block-schedule';
import { stepsOf } from '../../schedules/schedule';
import { FrameWindow } from './frame-window';
import { FrameTokenSampler } from './frame-token-sampler';
import type {
  FrameDecoder,
  FramePreview,
  VideoRequest,
  VideoResult,
  VideoTokenLayout,
} from './video-generation';

/** NBP's layout: a middle-BOS id completes the first fed block. */
export interface NextBlockVideoLayout extends VideoTokenLayout {
  readonly middleBosId: number;
}

/**
 * NBP's semi-autoregressive loop (`hybrid_sample_with_past`) with one frame per block: frame 0
 * token by token from the begin-of-video id, then one step per frame — the fed block (frame
 * f − 1; for f = 1 the last token of frame 0 and middle-BOS ids) attends bidirectionally to
 * itself and causally to the cache, and entry j's logits give token j of frame f, each position
 * sampled independently. Each frame is decoded and streamed as soon as it is sampled. Past the
 * model's context the oldest frames leave the front of the KV cache (kept entries are reused,
 * not recomputed), so the cost per frame stays flat however long the clip.
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
    const schedule = new NextBlockSchedule({
      totalTokens: request.frames * b,
      blockSize: b,
      prefixLength: 1,
    });
    const rng = createRng(options.seed);
    const rows = this.sampler.rows(request.sampling, this.model.vocabSize);
    const codes = new Int32Array(request.frames * b);
    const frames: Frame[] = [];
    const ids = new Int32Array(b);
    const spatial = Int32Array.from({ length: b }, (_, j) => j);
    const one = new Int32Array(1);
    const window = new FrameWindow(this.model);
    this.model.reset(1, request.conditions);
    let frameStart = performance.now();
    let steps = 0;

    for (const plan of stepsOf(schedule)) {
      throwIfAborted(options.signal, plan.index);
      let frame: number;
      if (plan.kind === 'token') {
        // Frame 0, token k: fed BOV (k = 0) or token k − 1, predicting token k.
        const k = plan.index;
        ids[0] = k === 0 ? bovId : codes[k - 1];
        one[0] = k;
        const logits = await this.model.forward(ids.subarray(0, 1), one, 1);
        window.fed(0, 1);
        codes[k] = rows.sample(logits, 0, k, codes.subarray(0, k), rng);
        frame = k === b - 1 ? 0 : -1;
      } else {
        frame = plan.block;
        const input = frame - 1;
        window.keepFrom(input - maxCachedFrames + 1);
        if (plan.middleBosCount > 0) {
          ids[0] = codes[b - 1];
          ids.fill(middleBosId, 1);
        } else {
          ids.set(codes.subarray(input * b, frame * b));
        }
        const logits = await this.model.forward(ids, spatial, b);
        window.fed(input, b);
        const out = codes.subarray(frame * b, (frame + 1) * b);
        for (let j = 0; j < b; j++) out[j] = rows.sample(logits, j, j, out.subarray(0, j), rng);
      }
      steps++;
      if (frame < 0) continue;
      const decoded = await this.decoder.decode(codes.subarray(frame * b, (frame + 1) * b));
      frames.push(decoded);
      const now = performance.now();
      const preview: FramePreview<Frame> = { index: frame, frame: decoded, ms: now - frameStart };
      frameStart = now;
      yield { type: 'progress', step: frame + 1, total: request.frames, stage: 'frame', preview };
    }
    throwIfAborted(options.signal, schedule.totalSteps);
    yield { type: 'result', result: { codes, frames, steps } };
  }
}
