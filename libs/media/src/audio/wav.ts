import wavefile from 'wavefile';

/** A mono 16-bit PCM clip. */
export interface Pcm16Clip {
  readonly sampleRate: number;
  readonly samples: Int16Array;
}

/** A mono 16-bit PCM WAV file (RIFF/WAVE, `fmt ` PCM, one `data` chunk), written by wavefile. */
export function encodeWav(clip: Pcm16Clip): Uint8Array {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, clip.sampleRate, '16', clip.samples);
  return wav.toBuffer();
}

/**
 * Reads a WAV file back as mono 16-bit PCM (tests and clients that check what they got); refuses
 * other layouts rather than converting them.
 */
export function decodeWav(bytes: Uint8Array): Pcm16Clip {
  const wav = new wavefile.WaveFile(bytes);
  const fmt = wav.fmt as { numChannels: number; sampleRate: number; bitsPerSample: number };
  if (fmt.numChannels !== 1 || fmt.bitsPerSample !== 16)
    throw new RangeError(
      `expected mono 16-bit PCM, got ${fmt.numChannels} channels of ${fmt.bitsPerSample} bits`,
    );
  const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array;
  return { sampleRate: fmt.sampleRate, samples };
}
