import {
  ContinuousSpeculativeSampler,
  DdpmScheduler,
  DiffusionTokenHead,
  MaskedDiffusionGenerator,
  type BetaScheduleName,
} from '@nextx/engine';
import type { LoadedModel, ModelRepository } from '@nextx/runtime';
import type { ImageBatch } from '../models/code-decoder';
import { OnnxMaskedBackbone, OnnxTokenDenoiser } from '../models/mar-models';
import { PatchTokenDecoder, readPatchTokenLayout } from '../models/patch-tokens';

/** Default sampling of a MAR model, from its `model.json`. */
export interface MarDefaults {
  readonly guidanceScale: number;
  readonly temperature: number;
  /** Masking rounds. */
  readonly numIter: number;
  /** Diffusion steps of the head per round. */
  readonly numSamplingSteps: number;
}

/** Everything needed to generate with one MAR model (and its draft, for CSpD). */
export interface MarPipeline {
  readonly model: LoadedModel;
  readonly defaults: MarDefaults;
  readonly decoder: PatchTokenDecoder;
  readonly backbone: OnnxMaskedBackbone;
  /** A head on this model's denoiser with `steps` diffusion steps. */
  head(steps: number): DiffusionTokenHead;
  /** A generator; with `draft`, continuous speculative decoding verified by this model. */
  generator(steps: number, draft?: MarPipeline): MaskedDiffusionGenerator<ImageBatch>;
}

interface MarContract {
  graphs: { head: { z_dim: number } };
  tokens: {
    image_size: number;
    patch_size: number;
    grid: number;
    token_dim: number;
    seq_len: number;
  };
  null_class: number;
  diffusion: {
    beta_schedule: BetaScheduleName;
    num_train_timesteps: number;
    variance: 'fixedLarge' | 'fixedSmall';
    /** x₀ clipped to the token range [−1, 1] before each posterior mean. */
    clip_denoised?: boolean;
  };
}

/**
 * Builds a MAR pipeline (backbone and head graphs, DDPM scheduler, decoder) from the manifest;
 * `fusedRows` turns on dynamic batching of concurrent requests up to that many rows per forward.
 */
export async function loadMarPipeline(
  repository: ModelRepository,
  name: string,
  options: { fusedRows?: number } = {},
): Promise<MarPipeline> {
  const model = await repository.load(name);
  const c = model.manifest.contract as unknown as MarContract;
  const d = model.manifest.defaults as {
    cfg_scale: number;
    temperature: number;
    num_iter: number;
    num_sampling_steps: number;
  };
  const dim = c.tokens.token_dim;
  const zDim = c.graphs.head.z_dim;
  // With a row budget, concurrent requests share backbone and head forwards (dynamic batching).
  const backbone = new OnnxMaskedBackbone(
    model.graph('backbone'),
    c.tokens.seq_len,
    dim,
    zDim,
    options.fusedRows,
  );
  const denoiser = new OnnxTokenDenoiser(model.graph('head'), dim, zDim, options.fusedRows);
  const decoder = new PatchTokenDecoder(readPatchTokenLayout(c.tokens));
  const head = (steps: number) => {
    const scheduler = new DdpmScheduler({
      betaSchedule: c.diffusion.beta_schedule,
      numTrainTimesteps: c.diffusion.num_train_timesteps,
      varianceType: c.diffusion.variance,
      clipSample: c.diffusion.clip_denoised ? 1 : undefined,
    });
    scheduler.setTimesteps(steps);
    return new DiffusionTokenHead(denoiser, scheduler);
  };
  const pipeline: MarPipeline = {
    model,
    defaults: {
      guidanceScale: d.cfg_scale,
      temperature: d.temperature,
      numIter: d.num_iter,
      numSamplingSteps: d.num_sampling_steps,
    },
    decoder,
    backbone,
    head,
    generator: (steps, draft) => {
      const target = head(steps);
      return new MaskedDiffusionGenerator(
        backbone,
        target,
        decoder,
        c.null_class,
        draft
          ? {
              backbone: draft.backbone,
              sampler: new ContinuousSpeculativeSampler(target, draft.head(steps)),
            }
          : undefined,
      );
    },
  };
  return pipeline;
}
