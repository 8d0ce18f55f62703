import type { CodebookResult, FrameChunk, GenerationEvent, ProgressEvent } from '@nextx/engine';
import { encodeAudio, encodeWav, pcm16Bytes, toPcm16, type AudioFormat } from '@nextx/media';
import {
  CachedLoader,
  type ModelRepository,
  type Task,
  type TaskContext,
  type TaskHandlers,
} from '@nextx/runtime';
import { readAudioModelFacts, type AudioFamily } from '../models/audio-manifest';
import type { AudioBatch } from '../models/codec-decoder';
import { loadMagnetPipeline, loadMusicgenPipeline } from '../pipelines/audio-pipeline';

/** Sampling of an audio task, defaults already resolved by the service. */
export interface AudioSampling {
  readonly temperature: number;
  readonly topK: number;
  /** 1 = off. */
  readonly topP: number;
  /** MusicGen: `cfg_coef`; MAGNeT: `max_cfg_coef` (the start of the anneal). 1 = unguided. */
  readonly guidanceScale: number;
  /** MAGNeT only: where the guidance anneal ends. */
  readonly minGuidanceScale: number;
  /** MAGNeT only: iterations per codebook. */
  readonly decodingSteps: readonly number[];
  /** MAGNeT only: anneal the temperature to 0 within each codebook. */
  readonly annealTemperature: boolean;
}

/** One clip as the service hands it to a worker. */
export interface AudioGenerateTask {
  readonly model: string;
  readonly method: AudioFamily;
  /** Condition ids: instrument family id and MIDI pitch. */
  readonly family: number;
  readonly pitch: number;
  /** Samples of the clip (duration × sample rate). */
  readonly samples: number;
  readonly seed: number;
  readonly sampling: AudioSampling;
  /** The container of `encoded` besides the WAV. */
  readonly format: AudioFormat;
  /** Frames per streamed PCM chunk (AR). */
  readonly chunkFrames: number;
}

/** A streamed chunk of the clip: samples [firstSample, firstSample + samples) as s16le. */
export interface AudioChunkEvent {
  readonly pcm: Uint8Array;
  readonly firstSample: number;
  readonly samples: number;
  readonly fromFrame: number;
  readonly toFrame: number;
}

/** Progress as sent to the main thread. */
export interface AudioProgress {
  readonly step: number;
  readonly total: number;
  readonly stage: string;
  readonly chunk?: AudioChunkEvent;
}

/** What a generate task returns. */
export interface AudioGenerateOutput {
  /** The whole clip, mono 16-bit PCM WAV (one-shot decode of all frames). */
  readonly wav: Uint8Array;
  /** The clip in the task's `format` (the WAV again for `wav`). */
  readonly encoded: Uint8Array;
  readonly sampleRate: number;
  readonly samples: number;
  readonly frames: number;
  /** Model calls of the main loop. */
  readonly steps: number;
  /** The step after which the first chunk was sent (AR: K − 1 + chunk frames; MAGNeT: the last). */
  readonly firstChunkStep: number;
}

/** The audio tasks of a generation worker, by kind. */
export interface AudioTasks {
  readonly generate: Task<AudioGenerateTask, AudioProgress, AudioGenerateOutput>;
}

/** Worker-side settings. */
export interface AudioTaskOptions {
  /** Rows (clips × 2 with guidance) of each MusicGen model's shared fused batch. */
  readonly fusedRows: number;
  /** Batch concurrent AR requests into one forward per step. */
  readonly fusion: boolean;
}

/**
 * The audio tasks a generation worker serves: pipelines are built once per model; concurrent
 * MusicGen requests share one fused decoder (one batched forward per step), each streaming its
 * own PCM chunks as soon as their frames are final.
 */
export function audioTaskHandlers(
  repository: ModelRepository,
  options: AudioTaskOptions,
): TaskHandlers<AudioTasks> {
  const musicgen = new CachedLoader((name: string) =>
    loadMusicgenPipeline(repository, name, { maxBatch: options.fusedRows }).then((pipeline) => ({
      pipeline,
      fused: options.fusion ? pipeline.fused() : undefined,
    })),
  );
  const magnet = new CachedLoader((name: string) => loadMagnetPipeline(repository, name));
  const facts = new CachedLoader((name: string) =>
    repository.manifest(name).then((m) => {
      const f = readAudioModelFacts(m);
      if (!f) throw new Error(`model ${name} is not an audio generator`);
      return f;
    }),
  );
  // Samples per frame come from the codec's manifest: read once per model.
  const hops = new CachedLoader(async (name: string) => {
    const codec = await repository.manifest((await facts.get(name)).codec);
    return ((codec as Record<string, unknown>)['audio'] as { hop: number }).hop;
  });

  const generate = async (
    task: AudioGenerateTask,
    context: TaskContext<AudioProgress>,
  ): Promise<AudioGenerateOutput> => {
    const f = await facts.get(task.model);
    const conditions = [[task.family, task.pitch - f.pitchMin]];
    const nullCondition = [f.nullFamily, f.nullPitch];
    const { sampling: s } = task;
    const hop = await hops.get(task.model);
    let frames = Math.ceil(task.samples / hop);
    let events: AsyncIterable<GenerationEvent<CodebookResult<AudioBatch>>>;
    if (task.method === 'musicgen') {
      const { pipeline, fused } = await musicgen.get(task.model);
      const rows = s.guidanceScale !== 1 ? 2 : 1;
      const model =
        fused && fused.rows + rows <= options.fusedRows
          ? fused.codebookSequence()
          : pipeline.stepModel(rows);
      events = pipeline.generator(model, task.chunkFrames).generate(
        {
          conditions,
          nullCondition,
          frames,
          guidanceScale: s.guidanceScale,
          sampling: { temperature: s.temperature, topK: s.topK, topP: s.topP },
        },
        { seed: task.seed, signal: context.signal },
      );
    } else {
      const pipeline = await magnet.get(task.model);
      // MAGNeT decodes whole spans: generate up to the next span boundary, trim after decoding.
      frames = Math.ceil(frames / f.spanLength) * f.spanLength;
      events = pipeline.generator().generate(
        {
          conditions,
          nullCondition,
          frames,
          decodingSteps: s.decodingSteps,
          maxCfg: s.guidanceScale,
          minCfg: s.minGuidanceScale,
          temperature: s.temperature,
          annealTemperature: s.annealTemperature,
          topP: s.topP,
          topK: s.topK,
        },
        { seed: task.seed, signal: context.signal },
      );
    }
    let steps = 0;
    let firstChunkStep = 0;
    let sent = 0;
    const send = (e: ProgressEvent, samples?: Float32Array) => {
      let chunk: AudioChunkEvent | undefined;
      if (samples && sent < task.samples) {
        const take = Math.min(samples.length, task.samples - sent);
        const preview = e.preview as FrameChunk<AudioBatch> | undefined;
        chunk = {
          pcm: pcm16Bytes(toPcm16(samples.subarray(0, take))),
          firstSample: sent,
          samples: take,
          fromFrame: preview?.fromFrame ?? 0,
          toFrame: preview?.toFrame ?? frames,
        };
        sent += take;
        if (!firstChunkStep) firstChunkStep = e.step;
      }
      context.progress({ step: e.step, total: e.total, stage: e.stage, chunk });
    };
    for await (const event of events) {
      if (event.type === 'progress') {
        steps = event.step;
        const preview = event.preview as FrameChunk<AudioBatch> | undefined;
        send(event, preview?.chunk.samples);
        continue;
      }
      const clip = event.result.media.samples.subarray(0, task.samples);
      // MAGNeT (nothing streamed yet): the whole clip is its one chunk.
      if (sent === 0) send({ type: 'progress', step: steps, total: steps, stage: 'decode' }, clip);
      const pcm = toPcm16(clip);
      const wav = encodeWav({ sampleRate: f.sampleRate, samples: pcm });
      const encoded =
        task.format === 'wav'
          ? wav
          : await encodeAudio({ sampleRate: f.sampleRate, samples: pcm }, task.format);
      return {
        wav,
        encoded,
        sampleRate: f.sampleRate,
        samples: task.samples,
        frames,
        steps,
        firstChunkStep,
      };
    }
    throw new Error('generation ended without a result');
  };

  return { generate };
}
