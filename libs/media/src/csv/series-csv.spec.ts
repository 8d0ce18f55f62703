import { describe, expect, it } from 'vitest';
import { readSeriesCsv, writeCsv } from './series-csv';

describe('readSeriesCsv', () => {
  const csv = 'Date,CO2\n1958-03-01,315.70\n1958-04-01,317.46\n';

  it('reads a numeric column and parses the time column', () => {
    expect(readSeriesCsv(csv, 'CO2', 'Date')).toEqual({
      values: [315.7, 317.46],
      timestampsMs: [Date.UTC(1958, 2, 1), Date.UTC(1958, 3, 1)],
    });
  });

  it('names a missing column and a bad cell with its row', () => {
    expect(() => readSeriesCsv(csv, 'co2')).toThrow('column "co2" not in CSV header (Date, CO2)');
    expect(() => readSeriesCsv('a\n1\nx\n', 'a')).toThrow('row 3: "x" in column a is not a number');
  });
});

describe('writeCsv', () => {
  it('writes a header and one row per index', () => {
    expect(writeCsv({ step: [1, 2], point: [0.5, 0.25] })).toBe('step,point\n1,0.5\n2,0.25\n');
  });
});
