import { NotFoundError } from '@nextx/engine';
import type { ModelManifest, ModelRepository } from '@nextx/runtime';

/** What the service needs to know about an image model without loading it. */
export interface ImageModelEntry {
  readonly manifest: ModelManifest;
  readonly family: 'var' | 'raster';
  readonly numClasses: number;
  readonly imageSize: number;
  readonly vocabSize: number;
  /** Model defaults mapped to the API's sampling fields. */
  readonly defaults: {
    guidanceScale: number;
    temperature: number;
    topK: number;
    topP: number;
    minP: number;
  };
  readonly draft?: string;
}

const IMAGE_FAMILIES: Record<string, 'var' | 'raster'> = { var: 'var', llamagen: 'raster' };

/** The image models of the repository, read from their manifests (no sessions on this thread). */
export class ImageCatalog {
  private constructor(private readonly entries: ReadonlyMap<string, ImageModelEntry>) {}

  static async load(repository: ModelRepository): Promise<ImageCatalog> {
    const manifests = await repository.list();
    const entries = new Map<string, ImageModelEntry>();
    for (const manifest of manifests) {
      const family = IMAGE_FAMILIES[manifest.family];
      if (!family) continue;
      const contract = manifest.contract as Record<string, Record<string, number>>;
      const d = (manifest.defaults ?? {}) as Record<string, number>;
      const layout = contract['token_layout'] ?? {};
      const v = contract as unknown as Record<string, number>;
      entries.set(manifest.name, {
        manifest,
        family,
        numClasses: family === 'var' ? v['num_classes'] : layout['num_classes'],
        imageSize: 32,
        vocabSize: family === 'var' ? v['codebook_size'] : layout['codebook_size'],
        defaults: {
          guidanceScale: d['cfg_scale'] ?? (family === 'var' ? 1.5 : 1),
          temperature: d['temperature'] ?? 1,
          topK: d['top_k'] ?? 0,
          topP: d['top_p'] ?? 1,
          minP: 0,
        },
        draft: manifests.find((m) => (m as Record<string, unknown>)['draft_for'] === manifest.name)
          ?.name,
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
