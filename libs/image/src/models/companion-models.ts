import type { ModelManifest } from '@nextx/runtime';

/** Speculative settings a manifest may carry in `defaults.speculative`. */
export interface SpeculativeManifestSettings {
  /** On a target: the model that drafts for it (any model with the same token layout). */
  readonly draft?: string;
  readonly draft_tokens?: number;
  readonly lantern_k?: number;
  readonly lantern_delta?: number;
}

function speculativeOf(manifest: ModelManifest | undefined): SpeculativeManifestSettings {
  const defaults = manifest?.defaults as Record<string, unknown> | undefined;
  const spec = defaults?.['speculative'];
  return typeof spec === 'object' && spec !== null ? (spec as SpeculativeManifestSettings) : {};
}

function field(manifest: ModelManifest, key: string): unknown {
  return (manifest as Record<string, unknown>)[key];
}

/** Whether the manifest is a companion only (a draft model or a graph with draft heads). */
export function isCompanionOnly(manifest: ModelManifest): boolean {
  return typeof field(manifest, 'draft_for') === 'string' || typeof field(manifest, 'draft_heads_for') === 'string';
}

/**
 * The draft model of `target`: the model its manifest names (`defaults.speculative.draft`, e.g. a
 * small served model drafting for a large one), else the draft-only model whose manifest says
 * `draft_for` it. A named draft that is not in the repository is an error at start.
 */
export function findDraft(
  manifests: readonly ModelManifest[],
  target: ModelManifest,
): ModelManifest | undefined {
  const named = speculativeOf(target).draft;
  if (named === undefined) return manifests.find((m) => field(m, 'draft_for') === target.name);
  const draft = manifests.find((m) => m.name === named);
  if (!draft)
    throw new Error(
      `${target.name}: defaults.speculative.draft names ${named.slice(0, 64)}, which is not in the model repository`,
    );
  return draft;
}

/** The graph with draft heads of `target` (its manifest says `draft_heads_for` the target). */
export function findDraftHeads(
  manifests: readonly ModelManifest[],
  target: string,
): ModelManifest | undefined {
  return manifests.find((m) => field(m, 'draft_heads_for') === target);
}

/**
 * Speculative settings of a target with its draft: the target's own (when it names its draft)
 * over the draft's (a draft-only model carries the settings it was tuned with).
 */
export function speculativeSettings(
  target: ModelManifest,
  draft: ModelManifest | undefined,
): SpeculativeManifestSettings {
  return { ...speculativeOf(draft), ...speculativeOf(target) };
}
