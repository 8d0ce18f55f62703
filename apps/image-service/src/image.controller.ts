import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import type { ImageTaskBase, ImageTasks, ImageCatalog, ImageModelEntry } from '@nextx/image';
import { callSignal, check, modelQuality, type CancellableCall } from '@nextx/grpc';
import { image, models } from '@nextx/proto';
import type { GenerationService } from '@nextx/serving';
import { Observable } from 'rxjs';
import type { ImageServiceSettings } from './config';
import { validateGenerate, validateInpaint } from './request-validation';
import { IMAGE_CATALOG, IMAGE_GENERATION, IMAGE_SETTINGS } from './tokens';

const FAMILIES = {
  var: models.ModelFamily.MODEL_FAMILY_VAR,
  raster: models.ModelFamily.MODEL_FAMILY_RASTER,
  xar: models.ModelFamily.MODEL_FAMILY_XAR,
  mar: models.ModelFamily.MODEL_FAMILY_MAR,
} as const;

/** The common `ModelInfo` of an image model, with its image details. */
function modelInfo(entry: ImageModelEntry): models.ModelInfo {
  const d = entry.defaults;
  return {
    model: { name: entry.manifest.name, version: entry.manifest.version },
    family: FAMILIES[entry.family],
    description: String(entry.manifest['task'] ?? ''),
    defaults: {
      guidanceScale: d.guidanceScale,
      temperature: d.temperature,
      topK: d.topK,
      topP: d.topP,
      minP: d.minP,
    },
    quality: modelQuality(entry.manifest.eval),
    image: {
      numClasses: entry.numClasses,
      imageSize: entry.imageSize,
      hasDraft: !!entry.draft,
      hasDraftHeads: !!entry.draftHeads,
    },
  };
}

/** The settings a result was produced with (defaults filled in), echoed to the client. */
function usedSettings(
  entry: ImageModelEntry,
  task: ImageTaskBase,
  speculative: boolean,
): image.UsedSettings {
  const { guidanceScale, temperature, topK, topP, minP } = task;
  return {
    model: { name: entry.manifest.name, version: entry.manifest.version },
    sampling: { guidanceScale, temperature, topK, topP, minP },
    seed: task.seed,
    speculative,
  };
}

/** gRPC `nextx.image.v1.ImageGeneration`. */
@Controller()
@image.ImageGenerationControllerMethods()
export class ImageController implements image.ImageGenerationController {
  constructor(
    @Inject(IMAGE_CATALOG) private readonly catalog: ImageCatalog,
    @Inject(IMAGE_SETTINGS) private readonly settings: ImageServiceSettings,
    @Inject(IMAGE_GENERATION) private readonly generation: GenerationService<ImageTasks>,
  ) {}

  generate(request: image.GenerateRequest): Observable<image.GenerateResponse> {
    // Validation throws here, before the stream starts, so bad input ends the call at once.
    const { task, entry } = validateGenerate(request, this.catalog, this.settings);
    return new Observable<image.GenerateResponse>((subscriber) => {
      const controller = new AbortController();
      const accepted = performance.now();
      this.generation
        .run('generate', task, {
          signal: controller.signal,
          onProgress: (p) =>
            subscriber.next({
              progress: {
                step: p.step,
                total: p.total,
                stage: p.stage,
                elapsedMs: performance.now() - accepted,
                previewPng: p.previewPng ?? new Uint8Array(),
              },
            }),
        })
        .then((out) => {
          subscriber.next({
            images: {
              png: out.png,
              settings: usedSettings(entry, task, task.speculative !== 'off'),
              steps: out.steps,
              elapsedMs: performance.now() - accepted,
              acceptanceRate: out.acceptanceRate,
            },
          });
          subscriber.complete();
        })
        .catch((error: unknown) => subscriber.error(error));
      // The client cancelled or its deadline passed: stop the generation within one step.
      return () => controller.abort();
    });
  }

  async inpaint(
    request: image.InpaintRequest,
    _metadata?: Metadata,
    call?: CancellableCall,
  ): Promise<image.InpaintResponse> {
    const { task, entry } = validateInpaint(request, this.catalog);
    // Nest hands a unary handler the grpc-js call: its cancellation (client cancel, deadline)
    // aborts the generation within one step, as a cancelled Generate stream does.
    const { png } = await this.generation.run('inpaint', task, { signal: callSignal(call) });
    return {
      png,
      settings: usedSettings(entry, task, false),
    };
  }

  listModels(): models.ListModelsResponse {
    return { models: this.catalog.list().map(modelInfo) };
  }

  getModel(request: models.GetModelRequest): models.GetModelResponse {
    check.modelRef('model', request.model);
    return {
      model: modelInfo(this.catalog.get(request.model?.name ?? '', request.model?.version)),
    };
  }
}
