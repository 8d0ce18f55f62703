import { Controller, Inject } from '@nestjs/common';
import type { AudioCatalog, AudioModelEntry, AudioTasks, AudioGenerateTask } from '@nextx/audio';
import { check, modelQuality } from '@nextx/grpc';
import { canEncodeAudio } from '@nextx/media';
import { audio, models } from '@nextx/proto';
import type { GenerationService } from '@nextx/serving';
import { Observable } from 'rxjs';
import { METHOD_OF, validateGenerate } from './request-validation';
import { AUDIO_CATALOG, AUDIO_GENERATION } from './tokens';

const FAMILIES = {
  musicgen: models.ModelFamily.MODEL_FAMILY_MUSICGEN,
  magnet: models.ModelFamily.MODEL_FAMILY_MAGNET,
} as const;

/** The common `ModelInfo` of an audio model, with its audio details. */
function modelInfo(entry: AudioModelEntry): models.ModelInfo {
  const d = entry.defaults;
  return {
    model: { name: entry.manifest.name, version: entry.manifest.version },
    family: FAMILIES[entry.family],
    description: String(entry.manifest['task'] ?? ''),
    defaults: {
      temperature: d.temperature,
      topK: d.topK,
      topP: d.topP,
      guidanceScale: d.guidanceScale,
    },
    quality: modelQuality(entry.manifest.eval),
    audio: {
      families: [...entry.families],
      pitchMin: entry.pitchMin,
      pitchMax: entry.pitchMax,
      sampleRate: entry.sampleRate,
      frameRate: entry.frameRate,
      numCodebooks: entry.numCodebooks,
      maxSeconds: entry.maxSeconds,
      codec: entry.codec,
    },
  };
}

const FORMAT_OUT = {
  wav: audio.AudioFormat.AUDIO_FORMAT_WAV,
  flac: audio.AudioFormat.AUDIO_FORMAT_FLAC,
  'ogg-opus': audio.AudioFormat.AUDIO_FORMAT_OGG_OPUS,
} as const;

/** The settings a clip was produced with (defaults filled in), echoed to the client. */
function usedSettings(entry: AudioModelEntry, task: AudioGenerateTask): audio.UsedSettings {
  const s = task.sampling;
  return {
    model: { name: entry.manifest.name, version: entry.manifest.version },
    sampling: {
      temperature: s.temperature,
      topK: s.topK,
      topP: s.topP,
      guidanceScale: s.guidanceScale,
    },
    seed: task.seed,
    method: METHOD_OF[task.method],
    magnet:
      task.method === 'magnet'
        ? {
            decodingSteps: [...s.decodingSteps],
            minGuidanceScale: s.minGuidanceScale,
            annealTemperature: s.annealTemperature,
          }
        : undefined,
  };
}

/** gRPC `nextx.audio.v1.AudioGeneration`. */
@Controller()
@audio.AudioGenerationControllerMethods()
export class AudioController implements audio.AudioGenerationController {
  constructor(
    @Inject(AUDIO_CATALOG) private readonly catalog: AudioCatalog,
    @Inject(AUDIO_GENERATION) private readonly generation: GenerationService<AudioTasks>,
  ) {}

  generate(request: audio.GenerateRequest): Observable<audio.GenerateResponse> {
    // Validation throws here, before the stream starts, so bad input ends the call at once.
    const { task, entry } = validateGenerate(request, this.catalog, canEncodeAudio);
    return new Observable<audio.GenerateResponse>((subscriber) => {
      const controller = new AbortController();
      const accepted = performance.now();
      let firstChunkMs = 0;
      this.generation
        .run('generate', task, {
          signal: controller.signal,
          onProgress: (p) => {
            subscriber.next({
              progress: {
                step: p.step,
                total: p.total,
                stage: p.stage,
                elapsedMs: performance.now() - accepted,
                previewPng: new Uint8Array(),
              },
            });
            if (!p.chunk) return;
            const elapsedMs = performance.now() - accepted;
            if (!firstChunkMs) firstChunkMs = elapsedMs;
            subscriber.next({
              chunk: {
                pcmS16le: p.chunk.pcm,
                firstSample: p.chunk.firstSample,
                samples: p.chunk.samples,
                firstFrame: p.chunk.fromFrame,
                endFrame: p.chunk.toFrame,
                elapsedMs,
              },
            });
          },
        })
        .then((out) => {
          subscriber.next({
            audio: {
              wav: out.wav,
              encoded: out.encoded,
              format: FORMAT_OUT[task.format],
              sampleRate: out.sampleRate,
              samples: out.samples,
              settings: usedSettings(entry, task),
              steps: out.steps,
              elapsedMs: performance.now() - accepted,
              firstChunkMs,
              firstChunkStep: out.firstChunkStep,
            },
          });
          subscriber.complete();
        })
        .catch((error: unknown) => subscriber.error(error));
      // The client cancelled or its deadline passed: stop the generation within one step.
      return () => controller.abort();
    });
  }

  listModels(): models.ListModelsResponse {
    return { models: this.catalog.list().map(modelInfo) };
  }

  getModel(request: models.GetModelRequest): models.GetModelResponse {
    check.modelRef('model', request.model);
    return {
      model: modelInfo(this.catalog.get(request.model?.name ?? '', request.model?.version)),
    };
  }
}
