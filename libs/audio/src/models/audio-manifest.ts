import { ContractError, type ModelManifest } from '@nextx/runtime';
import { z } from 'zod';

/** The audio generator families the audio service serves, by manifest `family`. */
export const AUDIO_FAMILIES = { musicgen: 'musicgen', magnet: 'magnet' } as const;

/** API family of an audio model: delay-pattern AR or masked parallel decoding. */
export type AudioFamily = (typeof AUDIO_FAMILIES)[keyof typeof AUDIO_FAMILIES];

/** Sampling defaults of a MusicGen-style model (audiocraft names in `model.json`). */
export interface MusicgenDefaults {
  readonly temperature: number;
  readonly topK: number;
  /** 1 = off (audiocraft writes 0 for off). */
  readonly topP: number;
  readonly cfgCoef: number;
}

/** Sampling defaults of a MAGNeT model. */
export interface MagnetDefaults {
  readonly temperature: number;
  readonly topK: number;
  /** 1 = off. */
  readonly topP: number;
  readonly maxCfgCoef: number;
  readonly minCfgCoef: number;
  readonly decodingSteps: readonly number[];
  readonly annealTemperature: boolean;
}

/** What an audio generator's manifest says about requests to it, read without loading it. */
export interface AudioModelFacts {
  readonly family: AudioFamily;
  /** Name of the codec model (in the same repository) whose tokens the model generates. */
  readonly codec: string;
  readonly sampleRate: number;
  /** Codec frames per second. */
  readonly frameRate: number;
  readonly numCodebooks: number;
  readonly codebookSize: number;
  /** Longest clip, in codec frames. */
  readonly maxFrames: number;
  /** Instrument families, by condition id. */
  readonly families: readonly string[];
  /** MIDI pitch range the model was trained on (pitch id = pitch − pitchMin). */
  readonly pitchMin: number;
  readonly pitchMax: number;
  /** Condition ids of the unconditional branch. */
  readonly nullFamily: number;
  readonly nullPitch: number;
  /** MusicGen: special token and codebook delays. MAGNeT: mask token and span length. */
  readonly specialToken: number;
  readonly delays: readonly number[];
  readonly spanLength: number;
  /** The sampling defaults both methods share (guidance: `cfg_coef`, or MAGNeT's `max_cfg_coef`). */
  readonly defaults: {
    readonly temperature: number;
    readonly topK: number;
    readonly topP: number;
    readonly guidanceScale: number;
  };
  readonly musicgen?: MusicgenDefaults;
  readonly magnet?: MagnetDefaults;
}

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
/** audiocraft writes top_p 0 for "off"; the engine's processors read 1 as off. */
const topP = z
  .number()
  .min(0)
  .max(1)
  .default(0)
  .transform((p) => (p <= 0 ? 1 : p));

const audioSchema = z.object({
  codec: z.string().min(1),
  sample_rate: positiveInt,
  frame_rate: positiveInt,
  num_codebooks: positiveInt,
  codebook_size: positiveInt,
  max_frames: positiveInt,
  families: z.array(z.string().min(1)).min(1),
  pitch_min: nonNegativeInt,
  pitch_max: nonNegativeInt,
  null_family: nonNegativeInt,
  null_pitch: nonNegativeInt,
});

const musicgenSchema = z.object({
  audio: audioSchema.extend({
    special_token_id: nonNegativeInt,
    delays: z.array(nonNegativeInt).min(1),
  }),
  defaults: z.object({
    temperature: z.number().positive(),
    top_k: nonNegativeInt.default(0),
    top_p: topP,
    cfg_coef: z.number().nonnegative(),
  }),
});

const magnetSchema = z.object({
  audio: audioSchema.extend({ mask_token_id: nonNegativeInt, span_len: positiveInt }),
  defaults: z.object({
    temperature: z.number().positive(),
    top_k: nonNegativeInt.default(0),
    top_p: topP,
    max_cfg_coef: z.number().nonnegative(),
    min_cfg_coef: z.number().nonnegative(),
    decoding_steps: z.array(positiveInt).min(1),
    anneal_temp: z.boolean().default(true),
  }),
});

function parse<T>(schema: z.ZodType<T>, manifest: ModelManifest): T {
  const parsed = schema.safeParse(manifest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ContractError(
      `model ${manifest.name}: model.json ${issue.path.join('.')}: ${issue.message}`,
    );
  }
  return parsed.data;
}

/**
 * Reads the audio facts of a manifest of an audio generator family; undefined for other
 * families (the codec and the judges are not generators). A manifest that lacks one of them is
 * refused with a {@link ContractError} naming the field.
 */
export function readAudioModelFacts(manifest: ModelManifest): AudioModelFacts | undefined {
  const family = AUDIO_FAMILIES[manifest.family as keyof typeof AUDIO_FAMILIES];
  if (!family) return undefined;
  const base = (a: z.infer<typeof audioSchema>) => ({
    codec: a.codec,
    sampleRate: a.sample_rate,
    frameRate: a.frame_rate,
    numCodebooks: a.num_codebooks,
    codebookSize: a.codebook_size,
    maxFrames: a.max_frames,
    families: a.families,
    pitchMin: a.pitch_min,
    pitchMax: a.pitch_max,
    nullFamily: a.null_family,
    nullPitch: a.null_pitch,
  });
  if (family === 'musicgen') {
    const { audio: a, defaults: d } = parse(musicgenSchema, manifest);
    if (a.delays.length !== a.num_codebooks)
      throw new ContractError(
        `model ${manifest.name}: model.json audio.delays: one per codebook (${a.num_codebooks})`,
      );
    return {
      family,
      ...base(a),
      specialToken: a.special_token_id,
      delays: a.delays,
      spanLength: 1,
      defaults: { temperature: d.temperature, topK: d.top_k, topP: d.top_p, guidanceScale: d.cfg_coef },
      musicgen: { temperature: d.temperature, topK: d.top_k, topP: d.top_p, cfgCoef: d.cfg_coef },
    };
  }
  const { audio: a, defaults: d } = parse(magnetSchema, manifest);
  if (d.decoding_steps.length !== a.num_codebooks)
    throw new ContractError(
      `model ${manifest.name}: model.json defaults.decoding_steps: one per codebook (${a.num_codebooks})`,
    );
  return {
    family,
    ...base(a),
    specialToken: a.mask_token_id,
    delays: [],
    spanLength: a.span_len,
    defaults: {
      temperature: d.temperature,
      topK: d.top_k,
      topP: d.top_p,
      guidanceScale: d.max_cfg_coef,
    },
    magnet: {
      temperature: d.temperature,
      topK: d.top_k,
      topP: d.top_p,
      maxCfgCoef: d.max_cfg_coef,
      minCfgCoef: d.min_cfg_coef,
      decodingSteps: d.decoding_steps,
      annealTemperature: d.anneal_temp,
    },
  };
}
