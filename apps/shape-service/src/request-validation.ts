import { InvalidArgumentError, MAX_SEED, randomSeed } from '@nextx/engine';
import { check } from '@nextx/grpc';
import { shape, type common } from '@nextx/proto';
import type { ShapeCatalog, ShapeGenerateTask, ShapeModelEntry } from '@nextx/shape';

/** Longest class name a request may carry (checked before the look-up or any echo). */
const MAX_CLASS_CHARS = 64;

const FORMATS = {
  [shape.MeshFormat.MESH_FORMAT_UNSPECIFIED]: 'glb',
  [shape.MeshFormat.MESH_FORMAT_GLB]: 'glb',
  [shape.MeshFormat.MESH_FORMAT_OBJ]: 'obj',
  [shape.MeshFormat.MESH_FORMAT_PLY]: 'ply',
} as const;

/** The API value of a mesh format. */
export const FORMAT_OF = {
  glb: shape.MeshFormat.MESH_FORMAT_GLB,
  obj: shape.MeshFormat.MESH_FORMAT_OBJ,
  ply: shape.MeshFormat.MESH_FORMAT_PLY,
} as const;

/**
 * Resolves the model and checks every field of a Generate request against its limits, before
 * any work starts (a shape's work is fixed by the model: its levels or tokens).
 */
export function validateGenerate(
  request: shape.GenerateRequest,
  catalog: ShapeCatalog,
): { task: ShapeGenerateTask; entry: ShapeModelEntry } {
  check.modelRef('model', request.model);
  if (!request.model?.name) throw new InvalidArgumentError('model.name', 'required', 'missing');
  const entry = catalog.get(request.model.name, request.model.version);
  const className = check.text('class_name', request.className, MAX_CLASS_CHARS);
  check.oneOf('class_name', className, entry.classes);
  const resolution = request.resolution || entry.grid;
  if (!entry.resolutions.includes(resolution))
    throw new InvalidArgumentError(
      'resolution',
      `one of ${entry.resolutions.join(', ')} for model ${entry.manifest.name}`,
      `got ${resolution}`,
    );
  const seed = request.seed || randomSeed();
  check.range('seed', seed, 0, MAX_SEED, true);
  const format = FORMATS[request.format as keyof typeof FORMATS];
  if (!format) throw new InvalidArgumentError('format', 'GLB, OBJ or PLY', `got ${request.format}`);
  const s: common.SamplingSettings = request.sampling ?? {};
  if (s.minP !== undefined && s.minP !== 0)
    throw new InvalidArgumentError('sampling.min_p', 'unset or 0 (shape models)', `got ${s.minP}`);
  const d = entry.defaults;
  return {
    entry,
    task: {
      model: entry.manifest.name,
      classLabel: entry.classes.indexOf(className),
      seed,
      sampling: {
        temperature: check.floatRange(
          'sampling.temperature',
          s.temperature ?? d.temperature,
          0,
          10,
        ),
        topK: check.range('sampling.top_k', s.topK ?? d.topK, 0, 256, true),
        topP: check.floatRange('sampling.top_p', s.topP ?? d.topP, 0.01, 1),
      },
      guidanceScale: check.floatRange(
        'sampling.guidance_scale',
        s.guidanceScale ?? d.guidanceScale,
        1,
        20,
      ),
      resolution,
      format,
    },
  };
}
