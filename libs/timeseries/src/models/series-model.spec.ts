import { describe, expect, it } from 'vitest';
import { simulateAr } from '../testing/simulate-ar';
import { AUTO_ARNET_MIN_LENGTH, autoMethod, fitSeriesModel } from './series-model';

describe('METHOD_AUTO', () => {
  it('fits AR on a short series and AR-Net once the series is long enough', () => {
    const spec = { method: 'auto', order: 0, seed: 1, seasonLength: 0, arnet: { epochs: 2 } } as const;
    expect(fitSeriesModel(simulateAr([0.5], 300, 3), spec).method).toBe('ar');
    const long = simulateAr([0.5], AUTO_ARNET_MIN_LENGTH, 3);
    expect(fitSeriesModel(long, spec).method).toBe('arnet');
  });

  it('keeps the order rule for very high orders', () => {
    expect(autoMethod(500, 12)).toBe('ar');
    expect(autoMethod(500, 129)).toBe('arnet');
  });
});
