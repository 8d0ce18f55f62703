import { NotFoundError } from '@nextx/engine';
import type { ModelRepository } from '@nextx/runtime';
import { VIDEO_FAMILIES, videoModelInfo, type VideoModelInfo } from '../pipelines/video-pipeline';

/** The video models of the repository, read from their manifests (no sessions on this thread). */
export class VideoCatalog {
  private constructor(private readonly entries: ReadonlyMap<string, VideoModelInfo>) {}

  static async load(repository: ModelRepository): Promise<VideoCatalog> {
    const entries = new Map<string, VideoModelInfo>();
    for (const manifest of await repository.list()) {
      if (!(VIDEO_FAMILIES as readonly string[]).includes(manifest.family)) continue;
      entries.set(manifest.name, videoModelInfo(manifest));
    }
    return new VideoCatalog(entries);
  }

  list(): VideoModelInfo[] {
    return [...this.entries.values()];
  }

  get(name: string, version = ''): VideoModelInfo {
    const entry = this.entries.get(name);
    if (!entry || (version && entry.version !== version))
      throw new NotFoundError('video model', version ? `${name}@${version}` : name);
    return entry;
  }
}
