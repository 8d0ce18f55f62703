import { describe, expect, it } from 'vitest';
import { futureTimestamps } from './timestamps';

describe('futureTimestamps', () => {
  it('steps monthly series by calendar month', () => {
    const history = [Date.UTC(2024, 10, 1), Date.UTC(2024, 11, 1)];
    expect(futureTimestamps(history, 'MS', 2)).toEqual([
      Date.UTC(2025, 0, 1),
      Date.UTC(2025, 1, 1),
    ]);
  });

  it('steps other series by the median spacing', () => {
    expect(futureTimestamps([0, 10, 20, 35], 'H', 2)).toEqual([45, 55]);
  });
});
