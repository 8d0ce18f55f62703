import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

/** A numeric column read from a CSV, with its optional time column. */
export interface CsvSeries {
  readonly values: number[];
  /** Unix ms per value when a time column was given and every cell parsed as a date. */
  readonly timestampsMs: number[];
}

/**
 * Reads `column` (and optionally `timeColumn`) from CSV text with a header row. Empty cells are
 * refused with the row number so a user can fix the file.
 */
export function readSeriesCsv(text: string, column: string, timeColumn?: string): CsvSeries {
  const rows: Record<string, string>[] = parse(text, {
    columns: true,
    skip_empty_lines: true,
    trim: true,
  });
  if (rows.length === 0) throw new Error('CSV has no data rows');
  const header = Object.keys(rows[0]);
  for (const name of [column, timeColumn].filter((n): n is string => !!n)) {
    if (!header.includes(name))
      throw new Error(`column "${name}" not in CSV header (${header.join(', ')})`);
  }
  const values = rows.map((row, i) => {
    const value = Number(row[column]);
    if (row[column] === '' || !Number.isFinite(value))
      throw new Error(`row ${i + 2}: "${row[column]}" in column ${column} is not a number`);
    return value;
  });
  const timestampsMs = timeColumn
    ? rows.map((row, i) => {
        const t = Date.parse(row[timeColumn]);
        if (Number.isNaN(t))
          throw new Error(
            `row ${i + 2}: "${row[timeColumn]}" in column ${timeColumn} is not a date`,
          );
        return t;
      })
    : [];
  return { values, timestampsMs };
}

/** Writes rows of named columns as CSV text with a header. */
export function writeCsv(columns: Record<string, ArrayLike<number | string>>): string {
  const names = Object.keys(columns);
  const length = Math.max(...names.map((n) => columns[n].length));
  const rows = Array.from({ length }, (_, i) => names.map((n) => columns[n][i] ?? ''));
  return stringify([names, ...rows]);
}
