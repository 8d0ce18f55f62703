/**
 * The Hugging Face Optimum names of a decoder's KV tensors (what transformers.js and
 * onnxruntime-genai load): the one place they are spelled out.
 */

/** Key or value tensor of one layer. */
export type KvKind = 'key' | 'value';

/** Input prefix of the cached keys/values, `past_key_values.{i}.key|value`. */
export const PAST_PREFIX = 'past_key_values';
/** Output prefix of the keys/values after a step, `present.{i}.key|value`. */
export const PRESENT_PREFIX = 'present';
/** Both KV tensors of a layer, in the order the caches store them. */
export const KV_KINDS: readonly KvKind[] = ['key', 'value'];

/** `past_key_values.{layer}.{kind}`. */
export function pastName(layer: number | '{i}', kind: KvKind): string {
  return `${PAST_PREFIX}.${layer}.${kind}`;
}

/** `present.{layer}.{kind}`. */
export function presentName(layer: number | '{i}', kind: KvKind): string {
  return `${PRESENT_PREFIX}.${layer}.${kind}`;
}

const PAST_KEY = new RegExp(`^${PAST_PREFIX}\\.\\d+\\.key$`);

/** Number of layers of a decoder graph, from its `past_key_values.{i}.key` inputs. */
export function countLayers(inputNames: readonly string[]): number {
  return inputNames.filter((n) => PAST_KEY.test(n)).length;
}
