import { readFile } from 'node:fs/promises';
import {
  InvalidArgumentError,
  runToResult,
  LanternAcceptance,
  DraftHeadRasterGenerator,
  JacobiRasterGenerator,
  SpeculativeRasterGenerator,
  StandardAcceptance,
  type GenerationEvent,
  type NeighbourTable,
  type ProgressEvent,
} from '@nextx/engine';
import { encodePng } from '@nextx/media';
import type { ImageBatch } from '../models/code-decoder';
import { findDraft } from '../models/companion-models';
import {
  CachedLoader,
  type ModelRepository,
  type Task,
  type TaskContext,
  type TaskHandlers,
} from '@nextx/runtime';
import { keptTokens } from '../models/var-models';
import {
  JACOBI_WINDOW,
  loadDraftHeads,
  loadRasterPipeline,
  type RasterPipeline,
} from '../pipelines/raster-pipeline';
import { varCfg } from '../pipelines/var-guidance';
import { loadVarPipeline } from '../pipelines/var-pipeline';
import { loadXarPipeline } from '../pipelines/xar-pipeline';
import { loadMarPipeline } from '../pipelines/mar-pipeline';

/** Model, class, seed and sampling of an image task (defaults already resolved by the service). */
export interface ImageTaskBase {
  readonly model: string;
  readonly classLabel: number;
  readonly seed: number;
  /** The API's guidance scale (1 = off, > 1 = guided); each family converts it to its formula. */
  readonly guidanceScale: number;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly minP: number;
}

/** A generate task as the service hands it to a worker. */
export interface ImageGenerateTask extends ImageTaskBase {
  readonly numImages: number;
  /**
   * Raster: speculative decoding with the model's draft ('lantern' uses its relaxed rule), or
   * Speculative Jacobi decoding without one ('jacobi'). MAR: 'standard' is continuous
   * speculative decoding (CSpD) with the model's draft. Raster: 'heads' drafts with the heads
   * inside the model's graph (Medusa), 'heads-lantern' verifies them with LANTERN's rule.
   */
  readonly speculative: 'off' | 'standard' | 'lantern' | 'jacobi' | 'heads' | 'heads-lantern';
}

/** An in-painting task: one image and its mask, both [32 × 32] grey in [0, 1] (mask 1 = regenerate). */
export interface ImageInpaintTask extends ImageTaskBase {
  readonly image: Float32Array;
  readonly mask: Float32Array;
  readonly size: number;
}

/** What a generate task returns. */
export interface ImageGenerateOutput {
  readonly png: Uint8Array[];
  readonly steps: number;
  readonly acceptanceRate: number;
}

/** Progress as sent to the main thread (preview as PNG bytes). */
export interface ImageProgress {
  readonly step: number;
  readonly total: number;
  readonly stage: string;
  readonly previewPng?: Uint8Array;
}

/** The image tasks of a generation worker, by kind. */
export interface ImageTasks {
  readonly generate: Task<ImageGenerateTask, ImageProgress, ImageGenerateOutput>;
  readonly inpaint: Task<ImageInpaintTask, never, { png: Uint8Array }>;
}

/** Worker-side settings. */
export interface ImageTaskOptions {
  /**
   * Rows (images, doubled by CFG) of the shared fused batch of each raster model, and of each
   * fused round of a VAR model.
   */
  readonly fusedRows: number;
  /**
   * Batch concurrent requests: raster ones into one forward per step, VAR ones into rounds with
   * one forward (and one f̂ update and decode) per scale, xAR ones into rounds with one forward
   * per solver step, MAR ones by dynamic batching of backbone and head calls.
   */
  readonly fusion: boolean;
}

/**
 * The image tasks a generation worker serves: pipelines are built once per model and kept;
 * concurrent raster requests share one {@link FusedDecoder} (temporal fusion), concurrent VAR
 * generate requests one {@link ScaleFusion} (rounds of batched scales).
 */
export function imageTaskHandlers(
  repository: ModelRepository,
  options: ImageTaskOptions,
): TaskHandlers<ImageTasks> {
  // Families never change while a worker runs: read each manifest once, not per request.
  const families = new CachedLoader((name: string) =>
    repository.manifest(name).then((m) => m.family),
  );
  const xars = new CachedLoader((name: string) => loadXarPipeline(repository, name));
  // One fusion per xAR model: concurrent requests share one forward per solver step.
  const xarFusions = new CachedLoader((name: string) =>
    xars.get(name).then((pipeline) => pipeline.fused(options.fusedRows)),
  );
  // MAR graphs are stateless: with fusion on, concurrent requests' calls share forwards.
  const marRows = options.fusion ? { fusedRows: options.fusedRows } : {};
  const mars = new CachedLoader((name: string) => loadMarPipeline(repository, name, marRows));
  // The MAR draft of a target (see findDraft), for CSpD.
  const marDrafts = new CachedLoader(async (target: string) => {
    const draft = findDraft(await repository.list(), await repository.manifest(target));
    if (!draft)
      throw new InvalidArgumentError(
        'speculative',
        'models with a draft',
        `model ${target} has no draft model`,
      );
    return loadMarPipeline(repository, draft.name, marRows);
  });
  const raster = new CachedLoader((name: string) =>
    loadRasterPipeline(repository, name, { maxBatch: options.fusedRows }).then((pipeline) => ({
      pipeline,
      fused: options.fusion ? pipeline.fused() : undefined,
    })),
  );
  const vars = new CachedLoader((name: string) => loadVarPipeline(repository, name));
  // One fusion per VAR model: concurrent requests share rounds of batched scales.
  const varFusions = new CachedLoader((name: string) =>
    vars.get(name).then((pipeline) => pipeline.fused(options.fusedRows)),
  );
  // Draft pipeline and LANTERN table of a target model, each loaded on the first request that
  // needs it: standard speculative decoding runs without a table.
  const drafts = new CachedLoader(async (pipeline: RasterPipeline) => {
    const draftName = pipeline.draftName;
    if (!draftName)
      throw new InvalidArgumentError(
        'speculative',
        'raster models with a draft',
        `model ${pipeline.model.manifest.name} has no draft model`,
      );
    return loadRasterPipeline(repository, draftName, { maxBatch: 2, decoderFrom: pipeline.model });
  });
  const neighbours = new CachedLoader(loadNeighbours);
  // The graph with draft heads of a target, loaded on the first request that asks for it.
  const draftHeads = new CachedLoader((pipeline: RasterPipeline) =>
    loadDraftHeads(repository, pipeline),
  );
  const lantern = async (pipeline: RasterPipeline) =>
    new LanternAcceptance({
      neighbours: await neighbours.get(pipeline),
      k: pipeline.speculative.lanternK,
      delta: pipeline.speculative.lanternDelta,
    });

  const generate = async (
    task: ImageGenerateTask,
    context: TaskContext<ImageProgress>,
  ): Promise<ImageGenerateOutput> => {
    const classLabels = new Array<number>(task.numImages).fill(task.classLabel);
    const sampling = {
      temperature: task.temperature,
      topK: task.topK,
      topP: task.topP,
      minP: task.minP,
    };
    const forward = (e: ProgressEvent) => {
      const preview = e.preview as ImageBatch | undefined;
      context.progress({
        step: e.step,
        total: e.total,
        stage: e.stage,
        previewPng: preview ? new Uint8Array(encodePng(preview, 0)) : undefined,
      } satisfies ImageProgress);
    };
    let events: AsyncIterable<GenerationEvent<{ media: ImageBatch; acceptanceRate?: number }>>;
    const family = await families.get(task.model);
    const guided = task.guidanceScale !== 1;
    if (family === 'xar') {
      const pipeline = await xars.get(task.model);
      const rows = (guided ? 2 : 1) * task.numImages;
      // A request larger than a whole round runs on a model of its own.
      const fusion = options.fusion ? await xarFusions.get(task.model) : undefined;
      const generator =
        fusion && rows <= fusion.maxRows
          ? pipeline.fusedGenerator(fusion.member(context.signal))
          : pipeline.generator(rows);
      events = generator.generate(
        {
          classLabels,
          guidanceScale: task.guidanceScale,
          flowSteps: pipeline.defaults.flowSteps,
          previews: true,
        },
        { seed: task.seed, signal: context.signal },
      );
    } else if (family === 'mar') {
      const pipeline = await mars.get(task.model);
      const draft = task.speculative === 'standard' ? await marDrafts.get(task.model) : undefined;
      events = pipeline.generator(pipeline.defaults.numSamplingSteps, draft).generate(
        {
          classLabels,
          guidanceScale: task.guidanceScale,
          temperature: task.temperature,
          numIter: pipeline.defaults.numIter,
          previews: true,
        },
        { seed: task.seed, signal: context.signal },
      );
    } else if (family === 'var') {
      const pipeline = await vars.get(task.model);
      const cfg = varCfg(task.guidanceScale);
      const rows = (cfg !== 0 ? 2 : 1) * task.numImages;
      // A request larger than a whole round runs on a step model of its own.
      const fusion = options.fusion ? await varFusions.get(task.model) : undefined;
      const generator =
        fusion && rows <= fusion.maxRows
          ? pipeline.fusedGenerator(fusion.member(context.signal))
          : pipeline.generator(rows);
      events = generator.generate(
        { classLabels, cfg, sampling, previews: true },
        { seed: task.seed, signal: context.signal },
      );
    } else {
      const { pipeline, fused } = await raster.get(task.model);
      const request = { classLabels, guidanceScale: task.guidanceScale, sampling };
      if (task.speculative === 'jacobi') {
        const generator = new JacobiRasterGenerator(
          pipeline.stepModel(2),
          pipeline.layout,
          pipeline.decoder,
          { window: JACOBI_WINDOW, rule: new StandardAcceptance() },
        );
        events = generator.generate(request, { seed: task.seed, signal: context.signal });
      } else if (task.speculative === 'heads' || task.speculative === 'heads-lantern') {
        const heads = await draftHeads.get(pipeline);
        const generator = new DraftHeadRasterGenerator(
          heads.stepModel(2),
          pipeline.layout,
          pipeline.decoder,
          {
            draftTokens: heads.draftTokens,
            rule:
              task.speculative === 'heads-lantern'
                ? await lantern(pipeline)
                : new StandardAcceptance(),
          },
        );
        events = generator.generate(request, { seed: task.seed, signal: context.signal });
      } else if (task.speculative !== 'off') {
        const draft = await drafts.get(pipeline);
        const rule =
          task.speculative === 'lantern' ? await lantern(pipeline) : new StandardAcceptance();
        const generator = new SpeculativeRasterGenerator(
          pipeline.stepModel(2),
          draft.stepModel(2),
          pipeline.layout,
          pipeline.decoder,
          {
            draftTokens: pipeline.speculative.draftTokens,
            rule,
          },
        );
        events = generator.generate(request, { seed: task.seed, signal: context.signal });
      } else {
        // A request that does not fit the shared batch runs on a step model of its own.
        const rows = (task.guidanceScale !== 1 ? 2 : 1) * task.numImages;
        const model =
          fused && fused.rows + rows <= options.fusedRows
            ? fused.sequence()
            : pipeline.stepModel(rows);
        events = pipeline
          .generator(model)
          .generate(request, { seed: task.seed, signal: context.signal });
      }
    }
    let steps = 0;
    for await (const event of events) {
      if (event.type === 'progress') {
        steps = event.step;
        forward(event);
        continue;
      }
      const media = event.result.media;
      return {
        png: Array.from({ length: media.images }, (_, i) => new Uint8Array(encodePng(media, i))),
        steps,
        acceptanceRate: event.result.acceptanceRate ?? 0,
      };
    }
    throw new Error('generation ended without a result');
  };
  const inpaint = async (
    task: ImageInpaintTask,
    context: TaskContext<never>,
  ): Promise<{ png: Uint8Array }> => {
    if ((await families.get(task.model)) === 'mar') return inpaintMar(task, context);
    const pipeline = await vars.get(task.model);
    if (!pipeline.encoder) throw new Error(`model ${task.model} exports no encoder graph`);
    const input = {
      pixels: task.image,
      images: 1,
      channels: 1,
      height: task.size,
      width: task.size,
    };
    const codes = await pipeline.encoder.encode(input);
    const keep = keptTokens(task.mask, task.size, task.size, pipeline.scales);
    const sampling = {
      temperature: task.temperature,
      topK: task.topK,
      topP: task.topP,
      minP: task.minP,
    };
    const cfg = varCfg(task.guidanceScale);
    const result = await runToResult(
      pipeline.generator(cfg !== 0 ? 2 : 1).generate(
        {
          classLabels: [task.classLabel],
          cfg,
          sampling,
          teacherForcing: { codes, keep },
        },
        { seed: task.seed, signal: context.signal },
      ),
    );
    return { png: new Uint8Array(encodePng(composite(result.media, task))) };
  };
  /** MAR in-painting: the tokens whose patch the mask touches are the unknown set. */
  const inpaintMar = async (
    task: ImageInpaintTask,
    context: TaskContext<never>,
  ): Promise<{ png: Uint8Array }> => {
    const pipeline = await mars.get(task.model);
    const { decoder } = pipeline;
    const result = await runToResult(
      pipeline.generator(pipeline.defaults.numSamplingSteps).generate(
        {
          classLabels: [task.classLabel],
          guidanceScale: task.guidanceScale,
          temperature: task.temperature,
          numIter: Math.min(
            pipeline.defaults.numIter,
            Math.max(1, decoder.knownTokens(task.mask).filter((k) => k === 0).length),
          ),
          known: { tokens: decoder.encode(task.image), known: decoder.knownTokens(task.mask) },
        },
        { seed: task.seed, signal: context.signal },
      ),
    );
    return { png: new Uint8Array(encodePng(composite(result.media, task))) };
  };
  return { generate, inpaint };
}

/** Unmasked pixels are the input's own; the masked region is the model's. */
function composite(media: ImageBatch, task: ImageInpaintTask): ImageBatch {
  const pixels = media.pixels.map((v, i) => task.mask[i] * v + (1 - task.mask[i]) * task.image[i]);
  return { pixels, images: 1, channels: 1, height: task.size, width: task.size };
}

async function loadNeighbours(pipeline: RasterPipeline): Promise<NeighbourTable> {
  const file = pipeline.neighboursFile;
  if (!file)
    throw new InvalidArgumentError(
      'lantern',
      'models with a LANTERN neighbour table',
      `model ${pipeline.model.manifest.name} has no LANTERN neighbour table`,
    );
  const json = JSON.parse(await readFile(pipeline.model.file(file), 'utf8')) as {
    k: number;
    neighbours: number[][];
  };
  return { indices: Int32Array.from(json.neighbours.flat()), width: json.k };
}
