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

  it('steps month-end series to the last day of each month, leap years included', () => {
    expect(futureTimestamps([Date.UTC(2023, 11, 31), Date.UTC(2024, 0, 31)], 'ME', 4)).toEqual([
      Date.UTC(2024, 1, 29),
      Date.UTC(2024, 2, 31),
      Date.UTC(2024, 3, 30),
      Date.UTC(2024, 4, 31),
    ]);
    expect(futureTimestamps([Date.UTC(2023, 0, 31)], 'ME', 2)).toEqual([
      Date.UTC(2023, 1, 28),
      Date.UTC(2023, 2, 31),
    ]);
  });

  it('keeps a month-end series at month ends after February', () => {
    expect(futureTimestamps([Date.UTC(2024, 1, 29)], 'ME', 2)).toEqual([
      Date.UTC(2024, 2, 31),
      Date.UTC(2024, 3, 30),
    ]);
  });

  it('keeps the time of day of a month-end series', () => {
    expect(futureTimestamps([Date.UTC(2024, 0, 31, 18, 30)], 'ME', 1)).toEqual([
      Date.UTC(2024, 1, 29, 18, 30),
    ]);
  });

  it('clamps a day past the end of a shorter month instead of spilling into the next', () => {
    expect(futureTimestamps([Date.UTC(2024, 0, 31)], 'M', 3)).toEqual([
      Date.UTC(2024, 1, 29),
      Date.UTC(2024, 2, 31),
      Date.UTC(2024, 3, 30),
    ]);
  });

  it('steps other series by the median spacing', () => {
    expect(futureTimestamps([0, 10, 20, 35], 'H', 2)).toEqual([45, 55]);
  });

  it('refuses steps past the date range instead of wrapping them to 0, naming the horizon', () => {
    const nearEnd = [8.64e15 - 2 * 86_400_000, 8.64e15 - 86_400_000];
    expect(futureTimestamps(nearEnd, 'D', 1)).toEqual([8.64e15]);
    for (const frequency of ['D', 'MS', 'ME'])
      expect(() => futureTimestamps(nearEnd, frequency, 40)).toThrow(/^horizon: step \d+ of 40/);
  });
});
