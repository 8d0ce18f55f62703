import { jobs } from '@nextx/proto';

/** States after which a job never changes again. */
export const TERMINAL_STATES: ReadonlySet<jobs.JobState> = new Set([
  jobs.JobState.JOB_STATE_SUCCEEDED,
  jobs.JobState.JOB_STATE_FAILED,
  jobs.JobState.JOB_STATE_CANCELLED,
  jobs.JobState.JOB_STATE_DEAD_LETTERED,
]);

/** Whether `state` is final. */
export function isTerminal(state: jobs.JobState): boolean {
  return TERMINAL_STATES.has(state);
}

/**
 * Whether a status record counts, given the job's current one: a job that reached a final state
 * keeps it, except for the same worker's own later record (FAILED, then DEAD_LETTERED). Without
 * Kafka transactions a worker that passed its fencing check can still have its final record land
 * after another worker took the job over and finished it (its publish waited out a broker
 * outage); that stale record is in the topic, and every reader ignores it by this rule.
 */
export function countsAfter(current: jobs.JobStatus | undefined, next: jobs.JobStatus): boolean {
  if (!current || !isTerminal(current.state)) return true;
  return next.workerId === current.workerId;
}
