import { readFileSync } from 'node:fs';
import { ConstantGuidance, LinearRampGuidance } from '@nextx/engine';
import { describe, expect, it } from 'vitest';
import { varCfg, varGuidanceScale } from './var-guidance';

describe('VAR and the one guidance rule (1 = off, > 1 = guided)', () => {
  it('turns guidance off at scale 1 (cfg 0: no doubled batch)', () => {
    expect(varCfg(1)).toBe(0);
  });

  it("guides VAR's last scale with the API scale s, ramping from unguided at the first", () => {
    for (const s of [1.5, 2, 4]) {
      const ramp = new LinearRampGuidance(varCfg(s));
      expect(ramp.scaleAt(9, 10)).toBeCloseTo(new ConstantGuidance(s).scaleAt(9, 10), 12);
      expect(ramp.scaleAt(0, 10)).toBe(1);
    }
  });

  it("lists var-mnist's manifest cfg_scale (VAR's own cfg) so that its default still runs that cfg", () => {
    const manifest = JSON.parse(
      readFileSync(new URL('../../../../models/var-mnist/model.json', import.meta.url), 'utf8'),
    ) as { defaults: { cfg_scale: number } };
    const listed = varGuidanceScale(manifest.defaults.cfg_scale);
    expect(varCfg(listed)).toBe(manifest.defaults.cfg_scale);
  });
});
