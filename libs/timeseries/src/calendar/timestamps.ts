/**
 * Timestamps of the next `horizon` steps after `history` (Unix ms). Monthly frequencies
 * ("MS", "M") step by calendar month; anything else steps by the median spacing of the history.
 */
export function futureTimestamps(
  history: readonly number[],
  frequency: string,
  horizon: number,
): number[] {
  if (history.length === 0) return [];
  const last = history[history.length - 1];
  if (/^(MS|M|ME)$/i.test(frequency)) {
    const start = new Date(last);
    return Array.from({ length: horizon }, (_, h) =>
      Date.UTC(
        start.getUTCFullYear(),
        start.getUTCMonth() + h + 1,
        start.getUTCDate(),
        start.getUTCHours(),
        start.getUTCMinutes(),
      ),
    );
  }
  const gaps = history
    .slice(1)
    .map((t, i) => t - history[i])
    .sort((a, b) => a - b);
  const step = gaps.length > 0 ? gaps[Math.floor(gaps.length / 2)] : 0;
  return Array.from({ length: horizon }, (_, h) => last + step * (h + 1));
}
