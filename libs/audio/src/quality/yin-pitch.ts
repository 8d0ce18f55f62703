/**
 * The YIN pitch judge (de Cheveigné & Kawahara 2002) exactly as `tools/models` scores the
 * reference models (`nextx_models/audio_pitch.py`), so pitch agreement measured through the
 * service compares with the figure recorded in `model.json`: 16 kHz, region [50 ms, 1 s),
 * window 1024, hop 256, lags 16 … 267 (60 Hz … 1 kHz), threshold 0.15 on the cumulative-mean
 * normalised difference, parabolic refinement, median f0 of the voiced frames.
 */
export const YIN = {
  sampleRate: 16000,
  regionStart: 800,
  regionEnd: 16000,
  window: 1024,
  hop: 256,
  tauMin: 16,
  tauMax: 267,
  threshold: 0.15,
} as const;

/** Fundamental frequency (Hz) of a mono 16 kHz clip, or undefined when no frame is voiced. */
export function yinF0(x: Float32Array): number | undefined {
  const { regionStart, window: w, hop, tauMin, tauMax, threshold } = YIN;
  const end = Math.min(x.length, YIN.regionEnd);
  const d = new Float64Array(tauMax + 1);
  const dn = new Float64Array(tauMax + 1);
  const f0s: number[] = [];
  for (let s = regionStart; s + w + tauMax <= end; s += hop) {
    let energy = 0;
    for (let j = 0; j < w; j++) energy += x[s + j] * x[s + j];
    if (energy < 1e-6 * w) continue;
    let running = 0;
    dn[0] = 1;
    for (let tau = 1; tau <= tauMax; tau++) {
      let sum = 0;
      for (let j = 0; j < w; j++) {
        const diff = x[s + j] - x[s + j + tau];
        sum += diff * diff;
      }
      d[tau] = sum;
      running += sum;
      dn[tau] = running === 0 ? 1 : (sum * tau) / running;
    }
    let tau = -1;
    for (let t = tauMin; t <= tauMax; t++) {
      if (dn[t] < threshold) {
        tau = t;
        break;
      }
    }
    if (tau < 0) continue;
    while (tau + 1 <= tauMax && dn[tau + 1] < dn[tau]) tau++;
    let refined = tau;
    if (tau > tauMin && tau < tauMax) {
      const a = dn[tau - 1];
      const b = dn[tau];
      const c = dn[tau + 1];
      const den = a - 2 * b + c;
      refined = tau + (den !== 0 ? (a - c) / (2 * den) : 0);
    }
    f0s.push(YIN.sampleRate / refined);
  }
  if (f0s.length === 0) return undefined;
  f0s.sort((p, q) => p - q);
  const mid = f0s.length >> 1;
  return f0s.length % 2 === 1 ? f0s[mid] : (f0s[mid - 1] + f0s[mid]) / 2;
}

/** MIDI pitch of a frequency, rounded half to even as Python's `round` does. */
export function midiOfFrequency(f0: number): number {
  const m = 69 + 12 * Math.log2(f0 / 440);
  const floor = Math.floor(m);
  const frac = m - floor;
  if (frac > 0.5) return floor + 1;
  if (frac < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** MIDI pitch the judge hears in a clip, −1 when it hears none (never agrees). */
export function judgePitch(x: Float32Array): number {
  const f0 = yinF0(x);
  return f0 === undefined ? -1 : midiOfFrequency(f0);
}
