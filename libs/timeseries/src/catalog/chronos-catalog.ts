import { NotFoundError } from '@nextx/engine';
import type { ModelManifest, ModelRepository } from '@nextx/runtime';
import { readChronosFacts, type ChronosModelFacts } from '../chronos/chronos-manifest';

/** A pretrained forecaster of the repository, as the service lists it (no session loaded). */
export interface ChronosModelEntry {
  readonly manifest: ModelManifest;
  readonly facts: ChronosModelFacts;
}

/** The `chronos` models of the repository, read from their manifests on the service's main thread. */
export class ChronosCatalog {
  private constructor(private readonly entries: readonly ChronosModelEntry[]) {}

  /** Reads every manifest; a malformed chronos manifest stops the service at start, naming it. */
  static async load(repository: Pick<ModelRepository, 'list'>): Promise<ChronosCatalog> {
    const entries: ChronosModelEntry[] = [];
    for (const manifest of await repository.list()) {
      const facts = readChronosFacts(manifest);
      if (facts) entries.push({ manifest, facts });
    }
    return new ChronosCatalog(entries);
  }

  list(): readonly ChronosModelEntry[] {
    return this.entries;
  }

  /** The model named (or the first one for an empty name); NOT_FOUND otherwise. */
  get(name: string, version = ''): ChronosModelEntry {
    const entry = name ? this.entries.find((e) => e.manifest.name === name) : this.entries[0];
    if (!entry || (version && entry.manifest.version !== version))
      throw new NotFoundError('pretrained time-series model', name || '(any chronos model)');
    return entry;
  }
}
