import { Controller, Inject } from '@nestjs/common';
import { check, modelQuality } from '@nextx/grpc';
import { models, shape } from '@nextx/proto';
import type { GenerationService } from '@nextx/serving';
import type { ShapeCatalog, ShapeModelEntry, ShapeTasks } from '@nextx/shape';
import { Observable } from 'rxjs';
import { FORMAT_OF, validateGenerate } from './request-validation';
import { SHAPE_CATALOG, SHAPE_GENERATION } from './tokens';

const FAMILIES = {
  'shape-scale': models.ModelFamily.MODEL_FAMILY_SHAPE_SCALE,
  'shape-raster': models.ModelFamily.MODEL_FAMILY_SHAPE_RASTER,
} as const;

/** The common `ModelInfo` of a shape model, with its shape details. */
function modelInfo(entry: ShapeModelEntry): models.ModelInfo {
  const d = entry.defaults;
  return {
    model: { name: entry.manifest.name, version: entry.manifest.version },
    family: FAMILIES[entry.family],
    description: String(entry.manifest['task'] ?? ''),
    defaults: {
      temperature: d.temperature,
      topK: d.topK,
      topP: d.topP,
      guidanceScale: d.guidanceScale,
    },
    quality: modelQuality(entry.manifest.eval),
    shape: {
      classes: [...entry.classes],
      resolutions: [...entry.resolutions],
      levels: entry.levels,
    },
  };
}

/** gRPC `nextx.shape.v1.ShapeGeneration`. */
@Controller()
@shape.ShapeGenerationControllerMethods()
export class ShapeController implements shape.ShapeGenerationController {
  constructor(
    @Inject(SHAPE_CATALOG) private readonly catalog: ShapeCatalog,
    @Inject(SHAPE_GENERATION) private readonly generation: GenerationService<ShapeTasks>,
  ) {}

  generate(request: shape.GenerateRequest): Observable<shape.GenerateResponse> {
    // Validation throws here, before the stream starts, so bad input ends the call at once.
    const { task, entry } = validateGenerate(request, this.catalog);
    return new Observable<shape.GenerateResponse>((subscriber) => {
      const controller = new AbortController();
      const accepted = performance.now();
      this.generation
        .run('generate', task, {
          signal: controller.signal,
          onProgress: (p) => {
            subscriber.next({
              progress: {
                step: p.step,
                total: p.total,
                stage: p.stage,
                elapsedMs: performance.now() - accepted,
                previewPng: p.level?.png ?? new Uint8Array(),
              },
            });
            if (p.level)
              subscriber.next({ level: { level: p.level.level, occupancy: p.level.occupancy } });
          },
        })
        .then((out) => {
          subscriber.next({
            shape: {
              occupancy: out.occupancy,
              mesh: out.mesh,
              format: FORMAT_OF[task.format],
              triangles: out.triangles,
              vertices: out.vertices,
              previewPng: out.png,
              settings: {
                model: { name: entry.manifest.name, version: entry.manifest.version },
                sampling: { ...task.sampling, guidanceScale: task.guidanceScale },
                seed: task.seed,
                className: entry.classes[task.classLabel],
              },
              steps: out.steps,
              elapsedMs: performance.now() - accepted,
            },
          });
          subscriber.complete();
        })
        .catch((error: unknown) => subscriber.error(error));
      // The client cancelled or its deadline passed: stop the generation within one step.
      return () => controller.abort();
    });
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
