import { InvalidArgumentError, MAX_SEED, randomSeed } from '@nextx/engine';
import { check } from '@nextx/grpc';
import { isContinuousFamily } from '@nextx/image';
import type {
  ImageGenerateTask,
  ImageInpaintTask,
  ImageCatalog,
  ImageModelEntry,
} from '@nextx/image';
import type { common, image } from '@nextx/proto';
import { decodePng, readPngHeader } from '@nextx/media';
import type { ImageServiceSettings } from './config';

/** Resolves the model and checks every field of a Generate request against its limits. */
export function validateGenerate(
  request: image.GenerateRequest,
  catalog: ImageCatalog,
  settings: ImageServiceSettings,
): { task: ImageGenerateTask; entry: ImageModelEntry } {
  check.modelRef('model', request.model);
  if (!request.model?.name) throw new InvalidArgumentError('model.name', 'required', 'missing');
  const entry = catalog.get(request.model.name, request.model.version);
  check.range('class_label', request.classLabel, 0, entry.numClasses - 1, true);
  const numImages = check.range('num_images', request.numImages || 1, 1, settings.maxImages, true);
  const seed = request.seed || randomSeed();
  check.range('seed', seed, 0, MAX_SEED, true);
  const sampling = resolveSampling(request.sampling, entry);
  if (request.speculative && entry.family !== 'raster' && entry.family !== 'mar') {
    throw new InvalidArgumentError(
      'speculative',
      'raster or mar models with a draft',
      `model ${entry.manifest.name} is ${entry.family}`,
    );
  }
  if (request.speculative && !entry.draft) {
    throw new InvalidArgumentError(
      'speculative',
      'raster or mar models with a draft',
      `model ${entry.manifest.name} has no draft model`,
    );
  }
  if (request.speculative && entry.family === 'mar' && sampling.temperature === 0)
    throw new InvalidArgumentError(
      'sampling.temperature',
      '> 0 with speculative decoding of a mar model',
      'got 0',
    );
  if (request.lantern && !request.speculative && !request.draftHeads)
    throw new InvalidArgumentError(
      'lantern',
      'only with speculative = true or draft_heads = true',
      'both are false',
    );
  if (request.draftHeads && !entry.draftHeads)
    throw new InvalidArgumentError(
      'draft_heads',
      'raster models that ship draft heads',
      `model ${entry.manifest.name} has no draft heads`,
    );
  if (request.draftHeads && (request.speculative || request.jacobi))
    throw new InvalidArgumentError(
      'draft_heads',
      'not with speculative or jacobi',
      request.speculative ? 'speculative is set' : 'jacobi is set',
    );
  if (request.jacobi && entry.family !== 'raster')
    throw new InvalidArgumentError(
      'jacobi',
      'raster models',
      `model ${entry.manifest.name} is ${entry.family}`,
    );
  if (request.jacobi && request.speculative)
    throw new InvalidArgumentError('jacobi', 'not with speculative = true', 'both are set');
  if (request.lantern && !entry.lanternTable)
    throw new InvalidArgumentError(
      'lantern',
      'models with a LANTERN neighbour table',
      `model ${entry.manifest.name} has no LANTERN neighbour table`,
    );
  return {
    entry,
    task: {
      model: entry.manifest.name,
      classLabel: request.classLabel,
      numImages,
      seed,
      ...sampling,
      speculative: request.jacobi
        ? 'jacobi'
        : request.draftHeads
          ? request.lantern
            ? 'heads-lantern'
            : 'heads'
          : request.speculative
            ? request.lantern
              ? 'lantern'
              : 'standard'
            : 'off',
    },
  };
}

/**
 * Fills unset fields with the model's defaults and checks the ranges; a set field is used as
 * given (temperature 0 = greedy, top_k 0 = off, guidance 1 = off), as common.proto states.
 */
export function resolveSampling(
  sampling: common.SamplingSettings | null | undefined,
  entry: ImageModelEntry,
): { guidanceScale: number; temperature: number; topK: number; topP: number; minP: number } {
  const s = sampling ?? {};
  const d = entry.defaults;
  if (isContinuousFamily(entry.family)) refuseCodebookSampling(s, entry);
  return {
    guidanceScale: check.floatRange(
      'sampling.guidance_scale',
      s.guidanceScale ?? d.guidanceScale,
      1,
      20,
    ),
    temperature: check.floatRange('sampling.temperature', s.temperature ?? d.temperature, 0, 10),
    topK: check.range('sampling.top_k', s.topK ?? d.topK, 0, entry.vocabSize, true),
    topP: check.floatRange('sampling.top_p', s.topP ?? d.topP, 0.01, 1),
    minP: check.floatRange('sampling.min_p', s.minP ?? d.minP, 0, 0.99),
  };
}

/**
 * Continuous tokens have no codebook to filter: a set top-k, top-p or min-p is refused rather
 * than ignored, and xAR's sampler has no temperature (its noise is the SDE's own).
 */
function refuseCodebookSampling(s: common.SamplingSettings, entry: ImageModelEntry): void {
  const why = `model ${entry.manifest.name} is ${entry.family} (continuous tokens)`;
  if (s.topK !== undefined && s.topK !== 0)
    throw new InvalidArgumentError('sampling.top_k', 'unset or 0 for xar and mar models', why);
  if (s.topP !== undefined && s.topP !== 1)
    throw new InvalidArgumentError('sampling.top_p', 'unset or 1 for xar and mar models', why);
  if (s.minP !== undefined && s.minP !== 0)
    throw new InvalidArgumentError('sampling.min_p', 'unset or 0 for xar and mar models', why);
  if (entry.family === 'xar' && s.temperature !== undefined && s.temperature !== 1)
    throw new InvalidArgumentError('sampling.temperature', 'unset or 1 for xar models', why);
}

/** Checks an Inpaint request: a VAR model with an encoder or a MAR model, two PNGs of the model's size. */
export function validateInpaint(
  request: image.InpaintRequest,
  catalog: ImageCatalog,
): { task: ImageInpaintTask; entry: ImageModelEntry } {
  check.modelRef('model', request.model);
  if (!request.model?.name) throw new InvalidArgumentError('model.name', 'required', 'missing');
  const entry = catalog.get(request.model.name, request.model.version);
  const varWithEncoder = entry.family === 'var' && 'encoder' in entry.manifest.contract.graphs;
  if (!varWithEncoder && entry.family !== 'mar') {
    throw new InvalidArgumentError(
      'model.name',
      'a VAR model with an encoder graph, or a MAR model',
      `model ${entry.manifest.name} is ${entry.family}`,
    );
  }
  check.range('class_label', request.classLabel, 0, entry.numClasses - 1, true);
  const size = entry.imageSize;
  const read = (field: string, bytes: Uint8Array) => {
    const limit = `a ${size}×${size} PNG`;
    let header;
    try {
      // The header's dimensions are checked before a byte is inflated: a small file may declare
      // an image of gigabytes.
      header = readPngHeader(bytes);
    } catch {
      throw new InvalidArgumentError(field, limit, 'not a PNG');
    }
    if (header.width !== size || header.height !== size) {
      throw new InvalidArgumentError(field, limit, `got ${header.width}×${header.height}`);
    }
    try {
      return decodePng(bytes, 1, { maxSide: size, maxDecodedBytes: size * size * 4 }).pixels;
    } catch {
      throw new InvalidArgumentError(field, limit, 'not a PNG');
    }
  };
  const imagePixels = read('image_png', request.imagePng);
  const mask = read('mask_png', request.maskPng);
  const seed = request.seed || randomSeed();
  check.range('seed', seed, 0, MAX_SEED, true);
  return {
    entry,
    task: {
      model: entry.manifest.name,
      classLabel: request.classLabel,
      seed,
      ...resolveSampling(request.sampling, entry),
      image: imagePixels,
      mask,
      size,
    },
  };
}
