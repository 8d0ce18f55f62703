import { NotFoundError } from '@nextx/engine';
import type { ModelManifest, ModelRepository } from '@nextx/runtime';
import { readShapeModelFacts, type ShapeModelFacts } from '../models/shape-manifest';

/** What the service needs to know about a shape generator without loading it. */
export interface ShapeModelEntry extends ShapeModelFacts {
  readonly manifest: ModelManifest;
}

/** The shape generators of the repository, read from their manifests (no sessions on this thread). */
export class ShapeCatalog {
  private constructor(private readonly entries: ReadonlyMap<string, ShapeModelEntry>) {}

  /** Reads every manifest; a malformed shape manifest stops the service at start, naming it. */
  static async load(repository: Pick<ModelRepository, 'list'>): Promise<ShapeCatalog> {
    const entries = new Map<string, ShapeModelEntry>();
    for (const manifest of await repository.list()) {
      const facts = readShapeModelFacts(manifest);
      if (facts) entries.set(manifest.name, { manifest, ...facts });
    }
    return new ShapeCatalog(entries);
  }

  list(): ShapeModelEntry[] {
    return [...this.entries.values()];
  }

  get(name: string, version = ''): ShapeModelEntry {
    const entry = this.entries.get(name);
    if (!entry || (version && entry.manifest.version !== version))
      throw new NotFoundError('shape model', version ? `${name}@${version}` : name);
    return entry;
  }
}
