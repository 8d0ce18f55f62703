import { describe, expect, it } from 'vitest';
import { judgePitch, midiOfFrequency, yinF0 } from './yin-pitch';

/** A decaying harmonic tone (fundamental + 3 harmonics), 1 s at 16 kHz. */
function note(midi: number, seconds = 1): Float32Array {
  const f = 440 * 2 ** ((midi - 69) / 12);
  return Float32Array.from({ length: 16000 * seconds }, (_, i) => {
    const t = i / 16000;
    const env = Math.exp(-2 * t);
    return (
      env *
      (0.6 * Math.sin(2 * Math.PI * f * t) +
        0.3 * Math.sin(2 * Math.PI * 2 * f * t) +
        0.2 * Math.sin(2 * Math.PI * 3 * f * t) +
        0.1 * Math.sin(2 * Math.PI * 4 * f * t))
    );
  });
}

describe('YIN pitch judge', () => {
  it('hears the MIDI pitch of harmonic tones across the notes range 48 … 72', () => {
    for (const midi of [48, 53, 57, 60, 64, 69, 72]) expect(judgePitch(note(midi))).toBe(midi);
  });

  it('finds f0 within a cent of a pure 220 Hz tone', () => {
    const f0 = yinF0(
      Float32Array.from({ length: 16000 }, (_, i) => Math.sin((2 * Math.PI * 220 * i) / 16000)),
    )!;
    expect(Math.abs(1200 * Math.log2(f0 / 220))).toBeLessThan(1);
  });

  it('hears nothing in silence or noise-free DC, and says −1', () => {
    expect(judgePitch(new Float32Array(16000))).toBe(-1);
    expect(yinF0(new Float32Array(16000).fill(0.5))).toBeUndefined();
  });

  it('rounds MIDI half to even like Python', () => {
    expect(midiOfFrequency(440)).toBe(69);
    // 69.5 → 70 (even), 68.5 → 68 (even)
    expect(midiOfFrequency(440 * 2 ** (0.5 / 12))).toBe(70);
    expect(midiOfFrequency(440 * 2 ** (-0.5 / 12))).toBe(68);
  });
});
