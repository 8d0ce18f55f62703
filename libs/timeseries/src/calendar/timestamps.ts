import { InvalidArgumentError } from '@nextx/engine';
import { DateTime } from 'luxon';

/** Largest |Unix ms| a date can have (ECMAScript's Date range, which luxon shares). */
export const MAX_TIMESTAMP_MS = 8.64e15;

/**
 * Timestamps of the next `horizon` steps after `history` (Unix ms, read in UTC).
 *
 * - "MS" and "M" step by calendar month and keep the day of month of the last timestamp,
 *   clamped to the length of a shorter month (Jan 31 → Feb 29 → Mar 31).
 * - "ME" steps to the last day of each following month (Feb 29 → Mar 31 → Apr 30).
 * - Anything else steps by the median spacing of the history.
 *
 * Monthly steps keep the time of day of the last timestamp.
 */
export function futureTimestamps(
  history: readonly number[],
  frequency: string,
  horizon: number,
): number[] {
  const stamps = stepTimestamps(history, frequency, horizon);
  // Past the date range luxon answers NaN (sent as 0): refuse with the reason instead.
  const beyond = stamps.findIndex((t) => !(Math.abs(t) <= MAX_TIMESTAMP_MS));
  if (beyond >= 0)
    throw new InvalidArgumentError(
      'horizon',
      `future timestamps within ±${MAX_TIMESTAMP_MS} ms (the date range)`,
      `step ${beyond + 1} of ${horizon} falls outside the date range`,
    );
  return stamps;
}

function stepTimestamps(history: readonly number[], frequency: string, horizon: number): number[] {
  if (history.length === 0) return [];
  const last = history[history.length - 1];
  const steps = Array.from({ length: horizon }, (_, h) => h + 1);
  if (/^ME$/i.test(frequency)) {
    const anchor = DateTime.fromMillis(last, { zone: 'utc' });
    return steps.map((months) => {
      const month = anchor.plus({ months });
      return month.set({ day: month.daysInMonth }).toMillis();
    });
  }
  if (/^(MS|M)$/i.test(frequency)) {
    // Each step is counted from the last timestamp rather than chained, so a clamp in
    // February does not carry into March (Jan 31 + 2 months is Mar 31, not Mar 29).
    const anchor = DateTime.fromMillis(last, { zone: 'utc' });
    return steps.map((months) => anchor.plus({ months }).toMillis());
  }
  const gaps = history
    .slice(1)
    .map((t, i) => t - history[i])
    .sort((a, b) => a - b);
  const step = gaps.length > 0 ? gaps[Math.floor(gaps.length / 2)] : 0;
  return steps.map((h) => last + step * h);
}
