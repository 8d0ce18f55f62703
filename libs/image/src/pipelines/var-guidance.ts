/**
 * VAR's `cfg` for the API's guidance scale s (1 = off, > 1 = guided). VAR guides scale si with
 * (1 + t)·c − t·u = u + (c − u)·(1 + t), t = cfg·si/(n − 1), so its last scale is guided with
 * 1 + cfg: cfg = s − 1 makes s that last scale, and s = 1 turns guidance off (cfg 0).
 */
export function varCfg(guidanceScale: number): number {
  return guidanceScale - 1;
}

/** The API guidance scale of VAR's `cfg` (what `cfg_scale` in a VAR `model.json` holds): 1 + cfg. */
export function varGuidanceScale(cfg: number): number {
  return 1 + cfg;
}
