import { KV_KINDS, pastName, presentName } from '../kv/optimum-names';

/**
 * Tensors each model family must have, beyond what its own manifest declares: a model that
 * claims a family but lacks one of these is refused at load with the missing name.
 * `{i}` expands over layers (counted from the graph's `past_key_values.*.key` inputs).
 */
export const FAMILY_CONTRACTS: Record<
  string,
  Record<string, { inputs: string[]; outputs: string[] }>
> = {
  classifier: { classifier: { inputs: ['image'], outputs: ['logits'] } },
  'audio-classifier': { classifier: { inputs: ['audio'], outputs: ['logits', 'features'] } },
  'audio-codec': { codec_decoder: { inputs: ['codes', 'first_frame'], outputs: ['audio'] } },
  // Beyond the Optimum names every KV-cached graph must have: the per-row condition ids.
  musicgen: { lm_step: { inputs: ['condition'], outputs: [] } },
  magnet: { magnet: { inputs: ['input_ids', 'condition'], outputs: ['logits'] } },
  // Continuous-token image models: one xAR solver step of one cell; MAR's backbone and head.
  xar: {
    step: {
      inputs: ['tokens', 'timesteps', 'position_ids', 'class_labels', pastName('{i}', 'key')],
      outputs: ['velocity', presentName('{i}', 'key')],
    },
  },
  mar: {
    backbone: { inputs: ['tokens', 'mask', 'class_labels'], outputs: ['z'] },
    head: { inputs: ['x', 't', 'z'], outputs: ['eps'] },
  },
};

/** Hugging Face Optimum decoder names (what transformers.js and onnxruntime-genai load). */
export const OPTIMUM_DECODER = {
  inputs: [
    'input_ids',
    'attention_mask',
    'position_ids',
    ...KV_KINDS.map((kind) => pastName('{i}', kind)),
  ],
  outputs: ['logits', ...KV_KINDS.map((kind) => presentName('{i}', kind))],
};

/** Expands `{i}` over `layers` layers. */
export function expandLayers(names: readonly string[], layers: number): string[] {
  return names.flatMap((name) =>
    name.includes('{i}')
      ? Array.from({ length: layers }, (_, i) => name.replace('{i}', String(i)))
      : [name],
  );
}
