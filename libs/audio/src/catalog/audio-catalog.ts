import { NotFoundError } from '@nextx/engine';
import { ContractError, type ModelManifest, type ModelRepository } from '@nextx/runtime';
import { readAudioModelFacts, type AudioModelFacts } from '../models/audio-manifest';

/** What the service needs to know about an audio generator without loading it. */
export interface AudioModelEntry extends AudioModelFacts {
  readonly manifest: ModelManifest;
  /** Samples per codec frame (from the codec's manifest). */
  readonly hop: number;
  /** Longest clip a request may ask for, seconds (whole spans for MAGNeT). */
  readonly maxSeconds: number;
}

/** The audio generators of the repository, read from their manifests (no sessions on this thread). */
export class AudioCatalog {
  private constructor(private readonly entries: ReadonlyMap<string, AudioModelEntry>) {}

  /**
   * Reads every audio generator's manifest and its codec's. A generator whose codec is missing
   * or disagrees on sample rate or codebooks stops the service at start with a message naming
   * both models.
   */
  static async load(repository: ModelRepository): Promise<AudioCatalog> {
    const manifests = await repository.list();
    const entries = new Map<string, AudioModelEntry>();
    for (const manifest of manifests) {
      const facts = readAudioModelFacts(manifest);
      if (!facts) continue;
      const codec = manifests.find((m) => m.name === facts.codec);
      const audio = (codec as Record<string, unknown> | undefined)?.['audio'] as
        | { sample_rate?: number; hop?: number; num_codebooks?: number; codebook_size?: number }
        | undefined;
      if (!codec || !audio)
        throw new ContractError(
          `model ${manifest.name}: its codec ${facts.codec} is not in the repository (or has no audio section)`,
        );
      if (
        audio.sample_rate !== facts.sampleRate ||
        audio.num_codebooks !== facts.numCodebooks ||
        audio.codebook_size !== facts.codebookSize ||
        typeof audio.hop !== 'number'
      )
        throw new ContractError(
          `model ${manifest.name}: codec ${facts.codec} disagrees on sample rate, codebooks or hop`,
        );
      const usableFrames = facts.maxFrames - (facts.maxFrames % facts.spanLength);
      entries.set(manifest.name, {
        manifest,
        ...facts,
        hop: audio.hop,
        maxSeconds: (usableFrames * audio.hop) / facts.sampleRate,
      });
    }
    return new AudioCatalog(entries);
  }

  list(): AudioModelEntry[] {
    return [...this.entries.values()];
  }

  get(name: string, version = ''): AudioModelEntry {
    const entry = this.entries.get(name);
    if (!entry || (version && entry.manifest.version !== version))
      throw new NotFoundError('audio model', version ? `${name}@${version}` : name);
    return entry;
  }
}
