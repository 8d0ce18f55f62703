import type { AudioGenerateTask, AudioModelEntry, AudioCatalog } from '@nextx/audio';
import { InvalidArgumentError, MAX_SEED, randomSeed } from '@nextx/engine';
import { check } from '@nextx/grpc';
import { audio, type common } from '@nextx/proto';

/** Default clip length when a request leaves `seconds` at 0. */
export const DEFAULT_SECONDS = 1;
/** Default and largest frames per streamed chunk. */
export const DEFAULT_CHUNK_FRAMES = 5;
export const MAX_CHUNK_FRAMES = 50;
/** Most MAGNeT iterations per codebook. */
export const MAX_DECODING_STEPS = 100;
/** Longest family name a request may carry (checked before the look-up or any echo). */
const MAX_FAMILY_CHARS = 64;

const METHODS = {
  [audio.Method.METHOD_AR]: 'musicgen',
  [audio.Method.METHOD_MAGNET]: 'magnet',
} as const;

/** The API method of a model family. */
export const METHOD_OF = { musicgen: audio.Method.METHOD_AR, magnet: audio.Method.METHOD_MAGNET };

const FORMATS = {
  [audio.AudioFormat.AUDIO_FORMAT_UNSPECIFIED]: 'wav',
  [audio.AudioFormat.AUDIO_FORMAT_WAV]: 'wav',
  [audio.AudioFormat.AUDIO_FORMAT_FLAC]: 'flac',
  [audio.AudioFormat.AUDIO_FORMAT_OGG_OPUS]: 'ogg-opus',
} as const;

/**
 * Resolves the model and checks every field of a Generate request against its limits, before
 * any work starts: the whole clip's work (frames × steps) is bounded by the model's longest
 * clip and the decoding-step limit.
 */
export function validateGenerate(
  request: audio.GenerateRequest,
  catalog: AudioCatalog,
  canEncode: (format: 'wav' | 'flac' | 'ogg-opus') => boolean,
): { task: AudioGenerateTask; entry: AudioModelEntry } {
  check.modelRef('model', request.model);
  if (!request.model?.name) throw new InvalidArgumentError('model.name', 'required', 'missing');
  const entry = catalog.get(request.model.name, request.model.version);
  const name = entry.manifest.name;
  const method =
    request.method === audio.Method.METHOD_UNSPECIFIED
      ? entry.family
      : METHODS[request.method as keyof typeof METHODS];
  if (method !== entry.family) {
    const other = catalog.list().find((e) => e.family === method && e.codec === entry.codec);
    throw new InvalidArgumentError(
      'method',
      `the model's own method (${METHOD_OF[entry.family]})`,
      `model ${name} does not generate with ${request.method}` +
        (other ? `; model ${other.manifest.name} does` : ''),
    );
  }
  const familyName = check.text('note.family', request.note?.family ?? '', MAX_FAMILY_CHARS);
  const family = check.oneOf('note.family', familyName, entry.families);
  const pitch = check.range(
    'note.pitch',
    request.note?.pitch ?? 0,
    entry.pitchMin,
    entry.pitchMax,
    true,
  );
  const seconds = request.seconds || DEFAULT_SECONDS;
  check.range('seconds', seconds, 1 / entry.frameRate, entry.maxSeconds);
  const seed = request.seed || randomSeed();
  check.range('seed', seed, 0, MAX_SEED, true);
  const chunkFrames = check.range(
    'chunk_frames',
    request.chunkFrames || DEFAULT_CHUNK_FRAMES,
    1,
    MAX_CHUNK_FRAMES,
    true,
  );
  const format = FORMATS[request.format as keyof typeof FORMATS];
  if (!format)
    throw new InvalidArgumentError('format', 'WAV, FLAC or OGG_OPUS', `got ${request.format}`);
  if (!canEncode(format))
    throw new InvalidArgumentError(
      'format',
      'a format ffmpeg can write here',
      `${format} needs ffmpeg`,
    );
  return {
    entry,
    task: {
      model: name,
      method,
      family: entry.families.indexOf(family),
      pitch,
      samples: Math.round(seconds * entry.sampleRate),
      seed,
      sampling: resolveSampling(request, entry),
      format,
      chunkFrames,
    },
  };
}

/**
 * Fills unset fields with the model's defaults and checks the ranges; a set field is used as
 * given (temperature 0 = greedy, top_k 0 = off, top_p 1 = off, guidance 1 = off).
 */
export function resolveSampling(
  request: Pick<audio.GenerateRequest, 'sampling' | 'magnet'>,
  entry: AudioModelEntry,
): AudioGenerateTask['sampling'] {
  const s: common.SamplingSettings = request.sampling ?? {};
  if (s.minP !== undefined && s.minP !== 0)
    throw new InvalidArgumentError('sampling.min_p', 'unset or 0 (audio models)', `got ${s.minP}`);
  const d = entry.defaults;
  const sampling = {
    temperature: check.floatRange('sampling.temperature', s.temperature ?? d.temperature, 0, 10),
    topK: check.range('sampling.top_k', s.topK ?? d.topK, 0, entry.codebookSize, true),
    topP: check.floatRange('sampling.top_p', s.topP ?? d.topP, 0.01, 1),
    guidanceScale: check.floatRange(
      'sampling.guidance_scale',
      s.guidanceScale ?? d.guidanceScale,
      1,
      20,
    ),
  };
  const m = entry.magnet;
  if (!m) {
    if (request.magnet)
      throw new InvalidArgumentError(
        'magnet',
        'MAGNeT models only',
        `model ${entry.manifest.name} is AR`,
      );
    return { ...sampling, minGuidanceScale: 1, decodingSteps: [], annealTemperature: false };
  }
  const steps = request.magnet?.decodingSteps?.length
    ? request.magnet.decodingSteps
    : m.decodingSteps;
  check.length('magnet.decoding_steps', steps, entry.numCodebooks, entry.numCodebooks);
  steps.forEach((n, i) =>
    check.range(`magnet.decoding_steps[${i}]`, n, 1, MAX_DECODING_STEPS, true),
  );
  return {
    ...sampling,
    minGuidanceScale: check.floatRange(
      'magnet.min_guidance_scale',
      request.magnet?.minGuidanceScale ?? m.minCfgCoef,
      1,
      20,
    ),
    decodingSteps: [...steps],
    annealTemperature: request.magnet?.annealTemperature ?? m.annealTemperature,
  };
}
