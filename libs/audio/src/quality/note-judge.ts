import { ReferenceClassifier, type ModelRepository } from '@nextx/runtime';
import { judgePitch } from './yin-pitch';

/** A generated note and the conditions it was asked for. */
export interface JudgedNote {
  /** Mono 16 kHz samples, at least the first second of the clip. */
  readonly samples: Float32Array;
  readonly family: number;
  readonly pitch: number;
}

/** Agreement of generated notes with their conditions, the figures `model.json` records. */
export interface NoteAgreement {
  readonly n: number;
  readonly familyAgreement: number;
  readonly pitchAgreementExact: number;
  readonly pitchAgreementWithin1: number;
  /** Standard errors of the three shares, √(p(1 − p)/n). */
  readonly se: { family: number; pitchExact: number; pitchWithin1: number };
}

/** Samples the judges read: the first second, as `tools/models` scores at 1.0 s. */
export const JUDGED_SAMPLES = 16000;

/**
 * The reference judges of the note models: `models/note-classifier` for the instrument family
 * (graph input `audio` [batch, samples]) and YIN for the pitch.
 */
export class NoteJudge {
  private constructor(private readonly classifier: ReferenceClassifier) {}

  static async load(repository: ModelRepository, name = 'note-classifier'): Promise<NoteJudge> {
    const model = await repository.load(name);
    return new NoteJudge(new ReferenceClassifier(model.graph('classifier')));
  }

  async score(notes: readonly JudgedNote[]): Promise<NoteAgreement> {
    const n = notes.length;
    const data = new Float32Array(n * JUDGED_SAMPLES);
    notes.forEach((note, i) =>
      data.set(note.samples.subarray(0, JUDGED_SAMPLES), i * JUDGED_SAMPLES),
    );
    const { labels } = await this.classifier.classify({ data, dims: [n, JUDGED_SAMPLES] });
    let family = 0;
    let exact = 0;
    let within1 = 0;
    notes.forEach((note, i) => {
      if (labels[i] === note.family) family++;
      const heard = judgePitch(note.samples);
      if (heard === note.pitch) exact++;
      if (heard >= 0 && Math.abs(heard - note.pitch) <= 1) within1++;
    });
    const se = (p: number) => Math.sqrt((p * (1 - p)) / n);
    const [f, e, w] = [family / n, exact / n, within1 / n];
    return {
      n,
      familyAgreement: f,
      pitchAgreementExact: e,
      pitchAgreementWithin1: w,
      se: { family: se(f), pitchExact: se(e), pitchWithin1: se(w) },
    };
  }
}
