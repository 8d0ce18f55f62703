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
};

/** Hugging Face Optimum decoder names (what transformers.js and onnxruntime-genai load). */
export const OPTIMUM_DECODER = {
  inputs: [
    'input_ids',
    'attention_mask',
    'position_ids',
    'past_key_values.{i}.key',
    'past_key_values.{i}.value',
  ],
  outputs: ['logits', 'present.{i}.key', 'present.{i}.value'],
};

/** Expands `{i}` over `layers` layers. */
export function expandLayers(names: readonly string[], layers: number): string[] {
  return names.flatMap((name) =>
    name.includes('{i}')
      ? Array.from({ length: layers }, (_, i) => name.replace('{i}', String(i)))
      : [name],
  );
}

/** Number of layers of a decoder graph, from its `past_key_values.{i}.key` inputs. */
export function countLayers(inputNames: readonly string[]): number {
  return inputNames.filter((n) => /^past_key_values\.\d+\.key$/.test(n)).length;
}
