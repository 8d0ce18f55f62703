import type { Decoder } from '../generation/decoder';
import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../generation/generator';
import type { PrefixStepModel } from '../generation/step-model';
import { ConstantGuidance } from '../guidance/constant-guidance';
import { CategoricalHead } from '../heads/categorical-head';
import { createRng } from '../random/rng';
import type { SamplingOptions } from '../sampling/build-logits-processors';
import { NextScaleSchedule } from '../schedules/next-scale-schedule';
import { stepsOf } from '../schedules/schedule';

/**
 * How an octree next-scale model numbers its inputs. Every node of level k (resolution 2^k,
 * raster order x + r·(y + r·z)) has one token: the 8-bit occupancy pattern of its 2×2×2
 * children, bit dx + 2·dy + 4·dz. A node's input id says what its parent knew of it.
 */
export interface OctreeTokenLayout {
  /** Octree levels (model calls): 4 gives a 16³ grid. */
  readonly levels: number;
  /** Input id of the root entry for class c. */
  classInput(classLabel: number): number;
  /** Input id of the root entry of the unconditional branch (classifier-free guidance). */
  readonly nullClassInput: number;
  /** Input id of child `child` (0..7) of a node whose token is `parentToken`. */
  childInput(parentToken: number, child: number): number;
}

/** One octree generation: a batch of class-conditional shapes. */
export interface OctreeRequest {
  readonly classLabels: readonly number[];
  /** Classifier-free guidance scale s (logits u + (c − u)·s); 1 disables guidance. */
  readonly guidanceScale: number;
  readonly sampling: SamplingOptions;
  /** Levels to generate (fewer gives a coarser grid in fewer forwards); default all. */
  readonly levels?: number;
}

/** A level's tokens as it is finished: `tokens` [shapes, (2^level)³]. */
export interface OctreeLevel {
  readonly level: number;
  readonly tokens: Int32Array;
}

/** Tokens of every generated level, row-major [shapes, nodes of those levels], and the decoded media. */
export interface OctreeResult<Media> {
  readonly tokens: Int32Array;
  readonly levels: number;
  readonly media: Media;
}

/** Node index of the parent of node (x, y, z) of resolution r, and the child index within it. */
function parentOf(r: number, node: number): { parent: number; child: number } {
  const x = node % r;
  const y = Math.floor(node / r) % r;
  const z = Math.floor(node / (r * r));
  const h = r / 2;
  return {
    parent: (x >> 1) + h * ((y >> 1) + h * (z >> 1)),
    child: (x & 1) + 2 * (y & 1) + 4 * (z & 1),
  };
}

/**
 * Next-scale prediction over octree levels (OctGPT / Octree Transformer's coarse-to-fine order,
 * VAR's one-forward-per-scale loop on a {@link NextScaleSchedule} with `dims` 3): level k's
 * nodes are all predicted by one forward over the prefix of levels ≤ k. Occupancy is kept
 * consistent by masking, as an octree implies: a node its parent left empty can only be 0, a
 * node its parent marked occupied cannot be 0. Guidance doubles the batch ([cond; uncond]); the
 * {@link CategoricalHead} guides, runs the processors and samples.
 */
export class OctreeScaleGenerator<Media> implements Generator<OctreeRequest, OctreeResult<Media>> {
  constructor(
    private readonly model: PrefixStepModel,
    private readonly layout: OctreeTokenLayout,
    private readonly decoder: Decoder<
      { tokens: Int32Array; shapes: number; levels: number },
      Media
    >,
  ) {}

  async *generate(
    request: OctreeRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<OctreeResult<Media>>> {
    const levels = request.levels ?? this.layout.levels;
    const schedule = new NextScaleSchedule({
      patchNums: Array.from({ length: levels }, (_, k) => 2 ** k),
      dims: 3,
      phiCount: 1,
    });
    const shapes = request.classLabels.length;
    const head = new CategoricalHead({
      sampling: request.sampling,
      guidance:
        request.guidanceScale !== 1 ? new ConstantGuidance(request.guidanceScale) : undefined,
    });
    const guided = head.branches === 2;
    const rows = head.branches * shapes;
    const total = schedule.totalTokens;
    const vocab = this.model.vocabSize;
    const rng = createRng(options.seed);
    const inputs = new Int32Array(rows * total);
    const tokens = new Int32Array(shapes * total);
    request.classLabels.forEach((label, b) => {
      inputs[b * total] = this.layout.classInput(label);
      if (guided) inputs[(shapes + b) * total] = this.layout.nullClassInput;
    });
    for (const plan of stepsOf(schedule)) {
      throwIfAborted(options.signal, plan.index);
      const { begin, end, patchNum: r } = plan;
      const width = (end - begin) * vocab;
      // The model reads the prefix [rows, end] packed row after row.
      const feed = new Int32Array(rows * end);
      for (let row = 0; row < rows; row++)
        feed.set(inputs.subarray(row * total, row * total + end), row * end);
      const logits = await this.model.forward(feed, rows, end);
      const level = new Float32Array(rows * width);
      for (let row = 0; row < rows; row++)
        level.set(
          logits.subarray((row * end + begin) * vocab, (row * end + end) * vocab),
          row * width,
        );
      const scores = head.guide(
        level,
        shapes,
        width,
        { step: plan.index, totalSteps: levels },
        new Float32Array(shapes * width),
      );
      const levelTokens = new Int32Array(shapes * (end - begin));
      for (let b = 0; b < shapes; b++) {
        for (let node = 0; node < end - begin; node++) {
          const row = scores.subarray(
            (b * (end - begin) + node) * vocab,
            (b * (end - begin) + node + 1) * vocab,
          );
          // The root is occupied by definition; a child is occupied when its parent's bit is set.
          let occupied = true;
          if (plan.index > 0) {
            const { parent, child } = parentOf(r, node);
            const parentBegin = schedule.beginEnds[plan.index - 1][0];
            occupied = ((tokens[b * total + parentBegin + parent] >> child) & 1) === 1;
          }
          if (occupied) row[0] = Number.NEGATIVE_INFINITY;
          else row.fill(Number.NEGATIVE_INFINITY, 1);
          const id = head.sample(
            row,
            { step: plan.index, generated: tokens.subarray(b * total, b * total + begin + node) },
            rng,
          );
          tokens[b * total + begin + node] = id;
          levelTokens[b * (end - begin) + node] = id;
        }
      }
      // The next level's entries: what each parent (just drawn) says of its children.
      if (plan.index + 1 < levels) {
        const [nextBegin, nextEnd] = schedule.beginEnds[plan.index + 1];
        for (let row = 0; row < rows; row++) {
          const b = row % shapes;
          for (let node = 0; node < nextEnd - nextBegin; node++) {
            const { parent, child } = parentOf(2 * r, node);
            inputs[row * total + nextBegin + node] = this.layout.childInput(
              tokens[b * total + begin + parent],
              child,
            );
          }
        }
      }
      yield {
        type: 'progress',
        step: plan.index + 1,
        total: levels,
        stage: 'scale',
        preview: { level: plan.index, tokens: levelTokens } satisfies OctreeLevel,
      };
    }
    throwIfAborted(options.signal, levels);
    const media = await this.decoder.decode({ tokens, shapes, levels });
    yield { type: 'result', result: { tokens, levels, media } };
  }
}
