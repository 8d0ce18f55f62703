import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ffmpegPath } from '../video/mp4-encoder';
import { canEncodeAudio, encodeAudio } from './audio-encoder';
import { pcm16Bytes, pcm16FromBytes, toPcm16 } from './pcm';
import { decodeWav, encodeWav } from './wav';

const tone = (n: number) =>
  Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16000));

describe('16-bit PCM', () => {
  it('clips, rounds and round-trips through s16le bytes', () => {
    const pcm = toPcm16(Float32Array.from([0, 1, -1, 2, -2, 0.5, -0.25]));
    expect(Array.from(pcm)).toEqual([0, 32767, -32767, 32767, -32767, 16384, -8192]);
    const bytes = pcm16Bytes(pcm);
    expect(bytes[2]).toBe(0xff);
    expect(bytes[3]).toBe(0x7f);
    expect(Array.from(pcm16FromBytes(bytes))).toEqual(Array.from(pcm));
    expect(() => pcm16FromBytes(new Uint8Array(3))).toThrow(RangeError);
  });
});

describe('WAV', () => {
  it('writes a 44-byte RIFF header and reads the samples back exactly', () => {
    const samples = toPcm16(tone(1600));
    const wav = encodeWav({ sampleRate: 16000, samples });
    expect(Buffer.from(wav.subarray(0, 4)).toString()).toBe('RIFF');
    expect(Buffer.from(wav.subarray(8, 12)).toString()).toBe('WAVE');
    expect(wav.length).toBe(44 + 2 * 1600);
    const back = decodeWav(wav);
    expect(back.sampleRate).toBe(16000);
    expect(Array.from(back.samples)).toEqual(Array.from(samples));
  });
});

describe('FLAC and Ogg/Opus through ffmpeg', () => {
  it('needs ffmpeg with flac and libopus on this machine (installed by tools/install.sh)', () => {
    expect(canEncodeAudio('flac')).toBe(true);
    expect(canEncodeAudio('ogg-opus')).toBe(true);
  });

  it('FLAC is lossless: ffmpeg decodes it back to the same samples', async () => {
    const samples = toPcm16(tone(4000));
    const flac = await encodeAudio({ sampleRate: 16000, samples }, 'flac');
    expect(Buffer.from(flac.subarray(0, 4)).toString()).toBe('fLaC');
    const decoded = spawnSync(
      ffmpegPath(),
      ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'],
      { input: flac },
    );
    expect(decoded.status).toBe(0);
    expect(Array.from(pcm16FromBytes(new Uint8Array(decoded.stdout)))).toEqual(Array.from(samples));
  });

  it('Ogg/Opus is an Ogg stream', async () => {
    const ogg = await encodeAudio({ sampleRate: 16000, samples: toPcm16(tone(8000)) }, 'ogg-opus');
    expect(Buffer.from(ogg.subarray(0, 4)).toString()).toBe('OggS');
  });
});
