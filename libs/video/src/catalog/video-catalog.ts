import { NotFoundError } from '@nextx/engine';
import type { ModelRepository } from '@nextx/runtime';
import { VIDEO_FAMILIES, videoModelInfo, type VideoModelInfo } from '../pipelines/video-pipeline';

/** A video model as the service lists it. */
export interface VideoCatalogEntry extends VideoModelInfo {
  /** What the model does (model.json `task`). */
  readonly description: string;
}

/** The video models of the repository, read from their manifests (no sessions on this thread). */
export class VideoCatalog {
  private constructor(private readonly entries: ReadonlyMap<string, VideoCatalogEntry>) {}

  static async load(repository: ModelRepository): Promise<VideoCatalog> {
    const entries = new Map<string, VideoCatalogEntry>();
    for (const manifest of await repository.list()) {
      if (!(VIDEO_FAMILIES as readonly string[]).includes(manifest.family)) continue;
      entries.set(manifest.name, {
        ...videoModelInfo(manifest),
        description: String(manifest['task'] ?? ''),
      });
    }
    return new VideoCatalog(entries);
  }

  list(): VideoCatalogEntry[] {
    return [...this.entries.values()];
  }

  get(name: string, version = ''): VideoCatalogEntry {
    const entry = this.entries.get(name);
    if (!entry || (version && entry.version !== version))
      throw new NotFoundError('video model', version ? `${name}@${version}` : name);
    return entry;
  }
}
