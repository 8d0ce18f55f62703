import { describe, expect, it } from 'vitest';
import { generationFigures } from './generation-service';

describe('generationFigures', () => {
  it("takes the numeric figures a modality's result has, and the progress it sent", () => {
    expect(
      generationFigures({ png: [new Uint8Array(4)], steps: 10, acceptanceRate: 1 }, 10, {
        total: 10,
      }),
    ).toEqual({
      'nextx.generation.progress_events': 10,
      'nextx.generation.steps': 10,
      'nextx.generation.total_steps': 10,
    });
    expect(generationFigures({ frames: 40, samples: 64_000, steps: '?' }, 0, undefined)).toEqual({
      'nextx.generation.progress_events': 0,
      'nextx.generation.frames': 40,
      'nextx.generation.samples': 64_000,
    });
    expect(generationFigures(undefined, 2, { stage: 'fit' })).toEqual({
      'nextx.generation.progress_events': 2,
    });
  });
});
