import { describe, expect, it } from 'vitest';
import { applyCfg } from './apply-cfg';
import { ConstantGuidance } from './constant-guidance';
import type { GuidanceSchedule } from './guidance-schedule';
import { LinearRampGuidance } from './linear-ramp-guidance';
import { MagnetAnnealedGuidance } from './magnet-annealed-guidance';
import { MarRampGuidance, marMaskLength } from './mar-ramp-guidance';

describe('applyCfg', () => {
  it('computes uncond + (cond − uncond)·scale on a hand example, for two rows', () => {
    // cond rows then uncond rows.
    const values = Float32Array.from([2, 0, -1, 0.5, 0.5, 0.5, /* uncond */ 1, 1, -1, 0, 1, 0.5]);
    const out = new Float32Array(6);
    applyCfg(values, 2, 3, 4, out);
    expect([...out]).toEqual([5, -3, -1, 2, -1, 0.5]);
  });

  it("equals VAR's (1 + t)·cond − t·uncond with scale = 1 + t", () => {
    const cond = [0.3, -1.2, 2.5, 0];
    const uncond = [1.1, 0.4, -0.7, 0];
    const t = 2.25;
    const out = applyCfg(Float32Array.from([...cond, ...uncond]), 1, 4, 1 + t, new Float32Array(4));
    cond.forEach((c, i) => expect(out[i]).toBeCloseTo((1 + t) * c - t * uncond[i], 5));
  });

  it('returns cond at scale 1 and uncond at scale 0, works in place and on continuous rows', () => {
    const velocity = Float32Array.from([0.1, -0.2, 0.3, /* uncond */ 0.4, 0.5, -0.6]);
    expect([...applyCfg(velocity, 1, 3, 1, new Float32Array(3))]).toEqual([
      ...velocity.subarray(0, 3),
    ]);
    expect([...applyCfg(velocity, 1, 3, 0, new Float32Array(3))]).toEqual([
      ...velocity.subarray(3),
    ]);
    const inPlace = Float32Array.from([1, 2, /* uncond */ 0, 0]);
    applyCfg(inPlace, 1, 2, 3, inPlace);
    expect([...inPlace.subarray(0, 2)]).toEqual([3, 6]);
  });

  it('keeps masked logits masked instead of NaN', () => {
    const out = applyCfg(
      Float32Array.from([-Infinity, 1, 0, -Infinity]),
      1,
      2,
      3,
      new Float32Array(2),
    );
    expect([...out]).toEqual([-Infinity, -Infinity]);
  });

  it('rejects short buffers', () => {
    expect(() => applyCfg(new Float32Array(5), 1, 3, 2, new Float32Array(3))).toThrow(RangeError);
    expect(() => applyCfg(new Float32Array(6), 1, 3, 2, new Float32Array(2))).toThrow(RangeError);
  });
});

const schedules: Record<string, GuidanceSchedule> = {
  constant: new ConstantGuidance(4),
  'VAR linear ramp': new LinearRampGuidance(1.5),
  'MAR ramp': new MarRampGuidance(2.9, 256),
  'MAGNeT anneal': new MagnetAnnealedGuidance(10, 1),
};

describe.each(Object.entries(schedules))('GuidanceSchedule contract: %s', (_name, schedule) => {
  it('returns a finite scale for every step and rejects steps outside [0, totalSteps)', () => {
    for (let s = 0; s < 10; s++) expect(Number.isFinite(schedule.scaleAt(s, 10))).toBe(true);
    expect(() => schedule.scaleAt(10, 10)).toThrow(RangeError);
    expect(() => schedule.scaleAt(-1, 10)).toThrow(RangeError);
    expect(() => schedule.scaleAt(0.5, 10)).toThrow(RangeError);
  });
});

describe('guidance schedules against their formulas', () => {
  it('ConstantGuidance', () => {
    expect(new ConstantGuidance(4).scaleAt(0, 256)).toBe(4);
    expect(new ConstantGuidance(4).scaleAt(255, 256)).toBe(4);
  });

  it('LinearRampGuidance: 1 + cfg·si/(n − 1) over VAR’s 10 scales', () => {
    const ramp = new LinearRampGuidance(1.5);
    expect(ramp.scaleAt(0, 10)).toBe(1);
    expect(ramp.scaleAt(3, 10)).toBeCloseTo(1.5, 12);
    expect(ramp.scaleAt(6, 10)).toBeCloseTo(2, 12);
    expect(ramp.scaleAt(9, 10)).toBeCloseTo(2.5, 12);
    expect(ramp.scaleAt(0, 1)).toBe(2.5);
  });

  it('MarRampGuidance: 1 + (cfg − 1)·(L − mask_len)/L with the cosine mask schedule (L = 256, 64 iterations)', () => {
    const ramp = new MarRampGuidance(3, 256);
    // floor(256·cos(π/128)) = 255 → 1 + 2·1/256
    expect(ramp.scaleAt(0, 64)).toBeCloseTo(1 + 2 / 256, 12);
    // floor(256·cos(π/4)) = 181 → 1 + 2·75/256
    expect(marMaskLength(31, 64, 256)).toBe(181);
    expect(ramp.scaleAt(31, 64)).toBeCloseTo(1 + (2 * 75) / 256, 12);
    // the last iteration leaves mask_len clamped to 1
    expect(marMaskLength(63, 64, 256)).toBe(1);
    expect(ramp.scaleAt(63, 64)).toBeCloseTo(1 + (2 * 255) / 256, 12);
  });

  it('MarRampGuidance: the clamp unmasks at least one token per iteration when iterations outnumber tokens', () => {
    // L = 4, 8 iterations: cosine targets 3, 3, 3, 2, … are clamped to 3, 2, 1, 1, …
    expect([0, 1, 2, 3, 7].map((s) => marMaskLength(s, 8, 4))).toEqual([3, 2, 1, 1, 1]);
    const ramp = new MarRampGuidance(2, 4);
    expect([0, 1, 2, 3].map((s) => ramp.scaleAt(s, 8))).toEqual([1.25, 1.5, 1.75, 1.75]);
  });

  it('MagnetAnnealedGuidance: max_cfg at the first iteration of a stage, min_cfg at the last', () => {
    const anneal = new MagnetAnnealedGuidance(10, 1);
    expect(anneal.scaleAt(0, 20)).toBe(10);
    expect(anneal.scaleAt(19, 20)).toBeCloseTo(1, 12);
    // i = 5 of 10: mask_p = cos(π/2 · 5/9)
    const p = Math.cos((Math.PI / 2) * (5 / 9));
    expect(anneal.scaleAt(5, 10)).toBeCloseTo(p * 10 + (1 - p), 12);
  });
});
