import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../../generation/generator';
import type { VideoStepModel } from '../../generation/step-model';
import { InvalidArgumentError } from '../../errors/invalid-argument';
import { CategoricalHead } from '../../heads/categorical-head';
import { createRng } from '../../random/rng';
import { NextBlockSchedule } from '../../schedules/next-block-schedule';
import { stepsOf } from '../../schedules/schedule';
import { FrameStream } from './frame-stream';
import { FrameWindow } from './frame-window';
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
 * NBP's semi-autoregressive loop (`hybrid_sample_with_past`), walking the {@link NextBlockSchedule}
 * with one frame per block and sampling with the {@link CategoricalHead}: frame 0 token by token from the begin-of-video id, then one step per
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
    const head = new CategoricalHead({ sampling: request.sampling });
    const vocab = this.model.vocabSize;
    const sample = (logits: Float32Array, row: number, step: number, generated: Int32Array) =>
      head.sample(logits.subarray(row * vocab, (row + 1) * vocab), { step, generated }, rng);
    const schedule = new NextBlockSchedule({
      totalTokens: request.frames * b,
      blockSize: b,
      prefixLength: primed === 0 ? 1 : 0,
      promptBlocks: primed,
    });
    const ids = new Int32Array(b);
    const spatial = Int32Array.from({ length: b }, (_, j) => j);
    const window = new FrameWindow(this.model);
    const stream = new FrameStream(this.decoder, all, b, primed, request.frames);
    // Frame 0 owns 2 blocks of entries (its tokens, then [f0_63, MBOS…]), so the block that feeds
    // frame f (and predicts f + 1) starts at entry (f + 1)·b.
    this.model.reset(1, request.conditions, primed === 0 ? 0 : (firstFrame + 1) * b);
    let steps = 0;
    // Step 0 after a prompt also prefills the prompt frames before its last one.
    for (let frame = 1; frame < primed; frame++) {
      throwIfAborted(options.signal, steps);
      window.keepFrom(frame - maxCachedFrames);
      ids.set(all.subarray((frame - 1) * b, frame * b));
      await this.model.forward(ids, spatial, b);
      window.fed(frame - 1, b);
      steps++;
    }
    for (const plan of stepsOf(schedule)) {
      throwIfAborted(options.signal, steps);
      if (plan.kind === 'token') {
        // Frame 0, token k: fed BOV (k = 0) or token k − 1, predicting token k.
        const k = plan.positions[0];
        ids[0] = k === 0 ? bovId : all[k - 1];
        const logits = await this.model.forward(ids.subarray(0, 1), spatial.subarray(k, k + 1), 1);
        window.fed(0, 1);
        all[k] = sample(logits, 0, k, all.subarray(0, k));
        steps++;
        if (k === b - 1) yield await stream.emit(0);
        continue;
      }
      const frame = primed + plan.block;
      const input = frame - 1;
      window.keepFrom(input - maxCachedFrames + 1);
      if (plan.middleBosCount > 0) {
        ids[0] = all[b - 1];
        ids.fill(middleBosId, 1);
      } else {
        ids.set(all.subarray(input * b, frame * b));
      }
      const logits = await this.model.forward(ids, spatial, b);
      window.fed(input, b);
      steps++;
      const out = all.subarray(frame * b, (frame + 1) * b);
      for (let j = 0; j < b; j++) out[j] = sample(logits, j, j, out.subarray(0, j));
      yield await stream.emit(frame);
    }
    throwIfAborted(options.signal, steps);
    yield {
      type: 'result',
      result: { codes: all.slice(primed * b), frames: stream.frames, steps },
    };
  }
}
