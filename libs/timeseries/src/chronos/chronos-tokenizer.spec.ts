import { describe, expect, it } from 'vitest';
import { ChronosTokenizer } from './chronos-tokenizer';

const config = {
  padTokenId: 0,
  eosTokenId: 1,
  specialTokens: 2,
  bins: 1024,
  lowLimit: -10,
  highLimit: 10,
};

describe('ChronosTokenizer (centred mean-absolute scaling, uniform bins)', () => {
  it('scales by the context mean and mean absolute deviation; round trips within half a bin', () => {
    const tokenizer = new ChronosTokenizer(config);
    const context = [10, 12, 14, 16, 18];
    const { tokens, loc, scale } = tokenizer.encode(context);
    expect(loc).toBe(14);
    expect(scale).toBe(2.4);
    const halfBin = (scale * 20) / 1023 / 2;
    tokens.forEach((t, i) =>
      expect(Math.abs(tokenizer.decode(t, loc, scale) - context[i])).toBeLessThanOrEqual(halfBin),
    );
    expect(Math.min(...tokens)).toBeGreaterThanOrEqual(2);
  });

  it('values past the range land in the first / last bin; a constant context sits at the centre', () => {
    const tokenizer = new ChronosTokenizer(config);
    // One outlier among 30: z = n / 2 = 15 > 10.
    const { tokens } = tokenizer.encode([...Array<number>(29).fill(0), 1000]);
    expect(tokens[29]).toBe(2 + 1023);
    const constant = tokenizer.encode([5, 5, 5]);
    expect(constant.scale).toBe(1);
    expect(tokenizer.decode(constant.tokens[0], constant.loc, constant.scale)).toBeCloseTo(5, 1);
    expect(tokenizer.valueIds).toEqual([2, 1026]);
  });

  it('matches torch.bucketize(right=True) at an edge: a value on an edge goes to the upper bin', () => {
    const tokenizer = new ChronosTokenizer({ ...config, bins: 3, lowLimit: -1, highLimit: 1 });
    // Centres -1, 0, 1; edges -0.5, 0.5. Context [-1, 1]: loc 0, scale 1.
    expect(Array.from(tokenizer.encode([-1, 1]).tokens)).toEqual([2, 4]);
    expect(Array.from(tokenizer.encode([-2, 0, 2, 0]).tokens)).toEqual([2, 3, 4, 3]);
    // z = ±0.5 exactly, on the edges: both go up.
    expect(Array.from(tokenizer.encode([0.5, -0.5, 1.5, -1.5]).tokens)).toEqual([4, 3, 4, 2]);
  });
});
