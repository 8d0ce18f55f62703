import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../../generation/generator';
import type { VideoStepModel } from '../../generation/step-model';
import { CategoricalHead } from '../../heads/categorical-head';
import { createRng } from '../../random/rng';
import { RasterSchedule } from '../../schedules/raster-schedule';
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

/**
 * The next-token baseline over the same frame tokens, walking a {@link RasterSchedule} and
 * sampling with the {@link CategoricalHead}: step 0 prefills BOV (or the prompt, frame by frame),
 * then one token per step in raster order, frame after frame. Entries belong to the frame whose token
 * they feed (BOV to frame 0); past the context the oldest frames leave the front of the KV cache,
 * as in the block loop.
 */
export class NextTokenVideoGenerator<Conditions, Frame> implements Generator<
  VideoRequest<Conditions>,
  VideoResult<Frame>
> {
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
    const { codes: prompt, firstFrame } = promptFrames(request, b, maxCachedFrames);
    const primed = prompt.length / b;
    const end = (primed + request.frames) * b;
    const all = new Int32Array(end);
    all.set(prompt);
    const rng = createRng(options.seed);
    const head = new CategoricalHead({ sampling: request.sampling });
    const vocab = this.model.vocabSize;
    const schedule = new RasterSchedule({
      length: request.frames * b,
      prefixLength: primed === 0 ? 1 : primed * b,
    });
    const ids = new Int32Array(b);
    const spatial = new Int32Array(b);
    const window = new FrameWindow(this.model);
    const stream = new FrameStream(this.decoder, all, b, primed, request.frames);
    // The BOV is entry 0, so token f·b of the clip is fed as entry f·b + 1.
    this.model.reset(1, request.conditions, primed === 0 ? 0 : firstFrame * b + 1);
    let steps = 0;
    let logits: Float32Array = new Float32Array(0);
    for (const plan of stepsOf(schedule)) {
      const t = primed * b + plan.positions[0];
      const frame = Math.floor(t / b);
      const k = t % b;
      let row = 0;
      if (plan.index === 0 && primed > 0) {
        // A prompt goes in one frame per forward (causal among the fed entries); its last
        // entry's logits give the first new token.
        for (let p = 0; p < primed; p++) {
          throwIfAborted(options.signal, steps);
          window.keepFrom(p - maxCachedFrames + 1);
          ids.set(all.subarray(p * b, (p + 1) * b));
          for (let j = 0; j < b; j++) spatial[j] = (j + 1) % b;
          logits = await this.model.forward(ids, spatial, b);
          window.fed(p, b);
          steps++;
        }
        throwIfAborted(options.signal, steps);
        row = b - 1;
      } else {
        throwIfAborted(options.signal, steps);
        // The entry feeding token t − 1 (BOV at t = 0) belongs to that token's frame.
        const inputFrame = t === 0 ? 0 : Math.floor((t - 1) / b);
        window.keepFrom(inputFrame - maxCachedFrames + 1);
        ids[0] = t === 0 ? bovId : all[t - 1];
        spatial[0] = k;
        logits = await this.model.forward(ids.subarray(0, 1), spatial.subarray(0, 1), 1);
        window.fed(inputFrame, 1);
        steps++;
      }
      all[t] = head.sample(
        logits.subarray(row * vocab, (row + 1) * vocab),
        { step: t, generated: all.subarray(frame * b, t) },
        rng,
      );
      if (k === b - 1) yield await stream.emit(frame);
    }
    throwIfAborted(options.signal, steps);
    yield {
      type: 'result',
      result: { codes: all.slice(primed * b), frames: stream.frames, steps },
    };
  }
}
