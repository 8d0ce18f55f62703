import { NotFoundError } from '@nextx/engine';
import { findDraft, findDraftHeads, isCompanionOnly } from '../models/companion-models';
import { readImageModelFacts, type ImageModelFacts } from '../models/image-manifest';
import type { ModelManifest, ModelRepository } from '@nextx/runtime';

/**
 * A draft proposes token ids the target verifies: both must read ids the same way. Stops the
 * service at start, naming both models, when their `contract.token_layout` differ.
 */
function sameTokenLayout(target: ModelManifest, draft: ModelManifest): void {
  const layout = (m: ModelManifest) =>
    JSON.stringify((m.contract as { token_layout?: unknown }).token_layout ?? null);
  if (layout(target) !== layout(draft))
    throw new Error(
      `${target.name}: its draft ${draft.name} has another contract.token_layout; a draft must read token ids as its target does`,
    );
}

/** What the service needs to know about an image model without loading it. */
export interface ImageModelEntry extends ImageModelFacts {
  readonly manifest: ModelManifest;
  readonly draft?: string;
  /** The model carrying this one's graph with draft heads (its manifest says `draft_heads_for`). */
  readonly draftHeads?: string;
  /** Whether the manifest names a LANTERN neighbour table (needed by `lantern`). */
  readonly lanternTable: boolean;
}

/** The image models of the repository, read from their manifests (no sessions on this thread). */
export class ImageCatalog {
  private constructor(private readonly entries: ReadonlyMap<string, ImageModelEntry>) {}

  /**
   * Reads every image model's manifest. An image manifest without its size or sampling
   * defaults stops the service at start with a message naming the model and field. A draft
   * model (its manifest says `draft_for` another) has no decoder graph and serves no request on
   * its own: it is not an entry (so not listed, and NOT_FOUND by name), only its target's
   * `draft`. A draft-heads model (`draft_heads_for`) is its target's graph with heads added: it
   * is not an entry either, only its target's `draftHeads`. A served model may also draft for
   * another: the target's manifest names it (`defaults.speculative.draft`).
   */
  static async load(repository: ModelRepository): Promise<ImageCatalog> {
    const manifests = await repository.list();
    const entries = new Map<string, ImageModelEntry>();
    for (const manifest of manifests) {
      if (isCompanionOnly(manifest)) continue;
      const facts = readImageModelFacts(manifest);
      if (!facts) continue;
      const draft = findDraft(manifests, manifest);
      if (draft) sameTokenLayout(manifest, draft);
      entries.set(manifest.name, {
        manifest,
        ...facts,
        draft: draft?.name,
        draftHeads: findDraftHeads(manifests, manifest.name)?.name,
        lanternTable:
          typeof (manifest.contract as { lantern_neighbours?: { file?: unknown } })
            .lantern_neighbours?.file === 'string',
      });
    }
    return new ImageCatalog(entries);
  }

  list(): ImageModelEntry[] {
    return [...this.entries.values()];
  }

  get(name: string, version = ''): ImageModelEntry {
    const entry = this.entries.get(name);
    if (!entry || (version && entry.manifest.version !== version))
      throw new NotFoundError('image model', version ? `${name}@${version}` : name);
    return entry;
  }
}
