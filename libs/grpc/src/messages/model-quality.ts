import type { models } from '@nextx/proto';
import { toStruct } from './struct-json';

const numberOr = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/**
 * `nextx.common.v1.ModelQuality` from a model.json `eval` record: the figures every modality
 * records under the same key become typed fields, and the whole record travels as a Struct.
 * Undefined when the model has no recorded quality.
 */
export function modelQuality(evalRecord: unknown): models.ModelQuality | undefined {
  if (typeof evalRecord !== 'object' || evalRecord === null) return undefined;
  const record = evalRecord as Record<string, unknown>;
  return {
    // Audio evals call the class the instrument family.
    classAgreement: numberOr(record['class_agreement']) ?? numberOr(record['family_agreement']),
    frechetDistance: numberOr(record['frechet_distance']),
    // Image evals count images ("samples"), video evals clips ("clips"), audio evals notes ("n").
    samples: numberOr(record['samples']) ?? numberOr(record['clips']) ?? numberOr(record['n']) ?? 0,
    eval: toStruct(record),
  };
}
