import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';

/**
 * Reads one numeric column of a CSV that ships in npm `vega-datasets` (its `exports` hide the
 * data folder, so the path is found from the package entry point).
 */
export function loadVegaColumn(file: string, column: string): number[] {
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  const path = join(dirname(entry), '..', 'data', file);
  const rows: Record<string, string>[] = parse(readFileSync(path, 'utf8'), { columns: true });
  return rows.map((row) => Number(row[column]));
}

/** Monthly Mauna Loa CO₂ concentration (ppm), March 1958 onwards. */
export const loadCo2 = () => loadVegaColumn('co2-concentration.csv', 'CO2');
