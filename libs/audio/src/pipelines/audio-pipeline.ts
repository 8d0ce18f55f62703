import {
  DelayPatternGenerator,
  MaskedCodebookGenerator,
  type CodebookStepModel,
} from '@nextx/engine';
import type { FusedDecoder, LoadedModel, ModelRepository } from '@nextx/runtime';
import { readAudioModelFacts, type AudioModelFacts } from '../models/audio-manifest';
import { CodecDecoder, type AudioBatch } from '../models/codec-decoder';
import { kvDims, MagnetCanvasModel, musicgenFusedDecoder } from '../models/codebook-models';

/** Condition ids per row: [family id, pitch id]. */
export const CONDITION_WIDTH = 2;

/** The codec decoder of a codec model (its manifest's `audio` gives hop and receptive field). */
export async function loadCodecDecoder(
  repository: ModelRepository,
  name: string,
): Promise<CodecDecoder> {
  const model = await repository.load(name);
  const a = (model.manifest as Record<string, unknown>)['audio'] as {
    sample_rate: number;
    hop: number;
    num_codebooks: number;
    codebook_size: number;
    decoder_context_frames: number;
  };
  return new CodecDecoder(model.graph('codec_decoder'), {
    sampleRate: a.sample_rate,
    hop: a.hop,
    numCodebooks: a.num_codebooks,
    codebookSize: a.codebook_size,
    contextFrames: a.decoder_context_frames,
  });
}

function factsOf(model: LoadedModel): AudioModelFacts {
  const facts = readAudioModelFacts(model.manifest);
  if (!facts) throw new Error(`model ${model.manifest.name} is not an audio generator`);
  return facts;
}

/** A MusicGen-style model: its step graph (fused across requests) and codec. */
export interface MusicgenPipeline {
  readonly facts: AudioModelFacts;
  readonly codec: CodecDecoder;
  /** A decoder whose batch concurrent generations share (rows up to `maxBatch`). */
  fused(): FusedDecoder;
  /** A step model of its own for one request of `rows` rows. */
  stepModel(rows: number): CodebookStepModel;
  /** The delay-pattern loop over `model`, streaming chunks of `chunkFrames` frames. */
  generator(
    model: CodebookStepModel,
    chunkFrames: number,
  ): DelayPatternGenerator<AudioBatch, AudioBatch>;
}

export async function loadMusicgenPipeline(
  repository: ModelRepository,
  name: string,
  options: { maxBatch: number },
): Promise<MusicgenPipeline> {
  const model = await repository.load(name);
  const facts = factsOf(model);
  const codec = await loadCodecDecoder(repository, facts.codec);
  const graph = model.graph('lm_step');
  const { heads, headDim } = kvDims(model.manifest.contract.graphs['lm_step'], name);
  const dims = {
    heads,
    headDim,
    vocabSize: facts.codebookSize,
    // Pattern steps fed: every frame plus the largest delay.
    maxLength: facts.maxFrames + Math.max(...facts.delays),
    maxBatch: options.maxBatch,
  };
  const layout = { specialToken: facts.specialToken, delays: facts.delays };
  return {
    facts,
    codec,
    fused: () => musicgenFusedDecoder(graph, dims, facts.numCodebooks, CONDITION_WIDTH),
    stepModel: (rows) =>
      musicgenFusedDecoder(
        graph,
        { ...dims, maxBatch: rows },
        facts.numCodebooks,
        CONDITION_WIDTH,
      ).codebookSequence(),
    generator: (stepModel, chunkFrames) =>
      new DelayPatternGenerator(stepModel, layout, codec, { decoder: codec, chunkFrames }),
  };
}

/** A MAGNeT model and its codec. */
export interface MagnetPipeline {
  readonly facts: AudioModelFacts;
  readonly codec: CodecDecoder;
  generator(): MaskedCodebookGenerator<AudioBatch>;
}

export async function loadMagnetPipeline(
  repository: ModelRepository,
  name: string,
): Promise<MagnetPipeline> {
  const model = await repository.load(name);
  const facts = factsOf(model);
  const codec = await loadCodecDecoder(repository, facts.codec);
  const canvas = new MagnetCanvasModel(
    model.graph('magnet'),
    facts.numCodebooks,
    facts.codebookSize,
    facts.maxFrames,
  );
  const layout = { maskToken: facts.specialToken, spanLength: facts.spanLength };
  return { facts, codec, generator: () => new MaskedCodebookGenerator(canvas, layout, codec) };
}
