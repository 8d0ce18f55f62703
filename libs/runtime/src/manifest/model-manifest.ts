import { z } from 'zod';

const dim = z.union([z.number().int().nonnegative(), z.string().min(1)]);

/** One tensor of a graph's contract: dtype and shape (numbers are fixed dims, strings symbolic). */
export const tensorSpecSchema = z
  .object({ dtype: z.string().min(1), shape: z.array(dim) })
  .passthrough();

/** One ONNX graph of a model. */
export const graphSpecSchema = z
  .object({
    file: z.string().min(1),
    inputs: z.record(z.string(), tensorSpecSchema),
    outputs: z.record(z.string(), tensorSpecSchema),
  })
  .passthrough();

/**
 * `models/<name>/model.json`: what the runtime needs (family, version, graphs and their tensor
 * contract) plus free-form sections (defaults, schedule, eval, data provenance) passed through.
 */
export const modelManifestSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    family: z.string().min(1),
    version: z.union([z.number().int().positive(), z.string().min(1)]).transform(String),
    contract: z.object({ graphs: z.record(z.string(), graphSpecSchema) }).passthrough(),
    defaults: z.record(z.string(), z.unknown()).optional(),
    eval: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

/** A validated manifest. */
export type ModelManifest = z.infer<typeof modelManifestSchema>;
/** A graph's contract. */
export type GraphSpec = z.infer<typeof graphSpecSchema>;
/** A tensor's contract. */
export type TensorSpec = z.infer<typeof tensorSpecSchema>;
