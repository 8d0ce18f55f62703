import { GreedyLogitsWarper } from './greedy';
import { LogitsProcessorList } from './logits-processor';
import { MinPLogitsWarper } from './min-p';
import { TemperatureLogitsWarper } from './temperature';
import { TopKLogitsWarper } from './top-k';
import { TopPLogitsWarper } from './top-p';

/** Sampling options as requests carry them; an omitted field means "off". */
export interface SamplingOptions {
  /** Divides logits; 1 (or omitted) is a no-op, 0 is greedy ({@link GreedyLogitsWarper}). */
  readonly temperature?: number;
  /** Keep the k most likely tokens; 0 (or omitted) is off. */
  readonly topK?: number;
  /** Nucleus mass in [0, 1]; 1 (or omitted) is off. */
  readonly topP?: number;
  /** Relative probability floor in [0, 1]; 0 (or omitted) is off. */
  readonly minP?: number;
  /** Tokens the warpers never mask (HF `min_tokens_to_keep`), default 1. */
  readonly minTokensToKeep?: number;
}

/**
 * Builds the processor chain in Hugging Face's warper order temperature → top-k → top-p → min-p;
 * temperature 0 is greedy, which leaves the later warpers one token to keep.
 * Options at their neutral value add nothing, so the default chain is empty.
 */
export function buildLogitsProcessors(options: SamplingOptions = {}): LogitsProcessorList {
  const { temperature, topK, topP, minP } = options;
  const minTokensToKeep = options.minTokensToKeep ?? 1;
  const list = new LogitsProcessorList();
  if (temperature === 0) list.push(new GreedyLogitsWarper());
  else if (temperature !== undefined && temperature !== 1)
    list.push(new TemperatureLogitsWarper(temperature));
  if (topK !== undefined && topK !== 0) list.push(new TopKLogitsWarper(topK, minTokensToKeep));
  if (topP !== undefined && topP < 1) list.push(new TopPLogitsWarper(topP, minTokensToKeep));
  if (minP !== undefined && minP > 0) list.push(new MinPLogitsWarper(minP, minTokensToKeep));
  return list;
}
