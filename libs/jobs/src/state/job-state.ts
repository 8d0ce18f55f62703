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
