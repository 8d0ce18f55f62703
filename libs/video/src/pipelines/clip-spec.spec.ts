import { InvalidArgumentError } from '@nextx/engine';
import { describe, expect, it } from 'vitest';
import { resolveClip } from './clip-spec';
import { bouncingPath, motionRanges } from './object-motion';
import type { VideoModelInfo } from './video-pipeline';

const info: VideoModelInfo = {
  name: 'nbp-test',
  version: '1',
  family: 'nbp',
  frameSize: 64,
  tokensPerFrame: 64,
  contextFrames: 4,
  maxObjects: 2,
  numClasses: 10,
  motion: motionRanges(32, 8, 8, [-8, 0, 8]),
  defaults: { temperature: 0.8, topK: 0, topP: 0.9 },
  eval: {},
};
const base = { digits: [3, 7], motions: [], frames: 16, fps: 0, seed: 5 };

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return `${error.field} ${error.limit}`;
    throw error;
  }
  return 'accepted';
}

describe('resolveClip', () => {
  it('fills defaults: fps 8, model sampling, motions drawn from the seed (same seed, same motions)', () => {
    const clip = resolveClip(base, info, { maxFrames: 64 });
    expect(clip).toMatchObject({ model: 'nbp-test', fps: 8, seed: 5, temperature: 0.8, topP: 0.9 });
    expect(clip.motions).toHaveLength(2);
    for (const m of clip.motions) {
      expect([0, 8, 16, 24, 32]).toContain(m.x);
      expect([0, 8, 16, 24, 32]).toContain(m.y);
      expect([-8, 0, 8]).toContain(m.vx);
      expect([-8, 0, 8]).toContain(m.vy);
      expect(m.vx !== 0 || m.vy !== 0).toBe(true);
    }
    expect(resolveClip(base, info, { maxFrames: 64 }).motions).toEqual(clip.motions);
    expect(resolveClip({ ...base, seed: 0 }, info, { maxFrames: 64 }).seed).toBeGreaterThan(0);
  });

  it('names the field and the limit of every bad value', () => {
    const limits = { maxFrames: 64 };
    expect(fieldOf(() => resolveClip({ ...base, digits: [] }, info, limits))).toBe(
      'clip.digits 1 … 2 digits',
    );
    expect(fieldOf(() => resolveClip({ ...base, digits: [1, 2, 3] }, info, limits))).toMatch(
      /^clip.digits /,
    );
    expect(fieldOf(() => resolveClip({ ...base, digits: [3, 12] }, info, limits))).toBe(
      'clip.digits[1] an integer in [0, 9]',
    );
    expect(fieldOf(() => resolveClip({ ...base, frames: 65 }, info, limits))).toBe(
      'clip.frames an integer in [1, 64]',
    );
    expect(fieldOf(() => resolveClip({ ...base, frames: 0 }, info, limits))).toMatch(
      /^clip.frames/,
    );
    const motion = { x: 8, y: 16, vx: 8, vy: -8 };
    expect(fieldOf(() => resolveClip({ ...base, motions: [motion] }, info, limits))).toMatch(
      /^clip.motions none/,
    );
    expect(
      fieldOf(() =>
        resolveClip({ ...base, motions: [motion, { ...motion, x: 12 }] }, info, limits),
      ),
    ).toBe('clip.motions[1].x a multiple of 8 in 0 … 32');
    expect(
      fieldOf(() =>
        resolveClip({ ...base, motions: [{ ...motion, vy: 3 }, motion] }, info, limits),
      ),
    ).toBe('clip.motions[0].vy one of -8, 0, 8');
    expect(
      fieldOf(() =>
        resolveClip({ ...base, motions: [{ ...motion, vx: 0, vy: 0 }, motion] }, info, limits),
      ),
    ).toBe('clip.motions[0] vx and vy not both 0');
    const sampling = { temperature: 0, topK: 0, topP: 0, minP: 0, guidanceScale: 3 };
    expect(fieldOf(() => resolveClip({ ...base, sampling }, info, limits))).toMatch(
      /^clip.sampling.guidance_scale/,
    );
    expect(fieldOf(() => resolveClip({ ...base, motions: [motion, motion] }, info, limits))).toBe(
      'accepted',
    );
  });
});

describe('resolveClip sampling', () => {
  const tuned = { ...info, defaults: { temperature: 0.8, topK: 40, topP: 0.9 } };
  const limits = { maxFrames: 64 };

  it('takes the model default for every unset field', () => {
    for (const sampling of [undefined, null, {}])
      expect(resolveClip({ ...base, sampling }, tuned, limits)).toMatchObject({
        temperature: 0.8,
        topK: 40,
        topP: 0.9,
        minP: 0,
      });
  });

  it('honours explicit values: top_k 0 = off, temperature 0 = greedy, guidance 1 = off', () => {
    const sampling = { temperature: 0, topK: 0, guidanceScale: 1 };
    expect(resolveClip({ ...base, sampling }, tuned, limits)).toMatchObject({
      temperature: 0,
      topK: 0,
      topP: 0.9,
    });
    expect(
      fieldOf(() => resolveClip({ ...base, sampling: { guidanceScale: 0 } }, tuned, limits)),
    ).toBe('clip.sampling.guidance_scale unset or 1 (video models have no unconditional branch)');
  });
});

describe('bouncingPath', () => {
  it('moves in a straight line and mirrors at the walls', () => {
    const path = bouncingPath({ x: 34, y: 1, vx: 3, vy: -2 }, 4, 36);
    expect(path).toEqual([
      { x: 34, y: 1 },
      { x: 35, y: 1 },
      { x: 32, y: 3 },
      { x: 29, y: 5 },
    ]);
  });
});

describe('resolveClip sampling limits', () => {
  it('accepts the documented minimum top_p 0.01 as it arrives over the wire (float32)', () => {
    const topP = Math.fround(0.01);
    expect(resolveClip({ ...base, sampling: { topP } }, info, { maxFrames: 64 }).topP).toBe(topP);
    expect(() =>
      resolveClip({ ...base, sampling: { topP: Math.fround(0.0099) } }, info, { maxFrames: 64 }),
    ).toThrow('sampling.top_p');
  });

  it('refuses NaN in every sampling field, naming it', () => {
    for (const key of ['temperature', 'topK', 'topP', 'minP', 'guidanceScale'] as const) {
      const name = {
        temperature: 'temperature',
        topK: 'top_k',
        topP: 'top_p',
        minP: 'min_p',
        guidanceScale: 'guidance_scale',
      }[key];
      let error: unknown;
      try {
        resolveClip({ ...base, sampling: { [key]: Number.NaN } }, info, { maxFrames: 64 });
      } catch (e) {
        error = e;
      }
      expect(error, key).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toMatch(new RegExp(`sampling\\.${name}$`));
    }
  });
});
