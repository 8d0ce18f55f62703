import { commonJob, jobs } from '@nextx/proto';

const Internal = jobs.JobState;
const Public = commonJob.JobState;

/** The public state of each internal one (the same lifecycle, in the client API's enum). */
const PUBLIC_STATE: Readonly<Record<jobs.JobState, commonJob.JobState>> = {
  [Internal.JOB_STATE_UNSPECIFIED]: Public.JOB_STATE_UNSPECIFIED,
  [Internal.JOB_STATE_QUEUED]: Public.JOB_STATE_QUEUED,
  [Internal.JOB_STATE_RUNNING]: Public.JOB_STATE_RUNNING,
  [Internal.JOB_STATE_SUCCEEDED]: Public.JOB_STATE_SUCCEEDED,
  [Internal.JOB_STATE_FAILED]: Public.JOB_STATE_FAILED,
  [Internal.JOB_STATE_CANCELLED]: Public.JOB_STATE_CANCELLED,
  [Internal.JOB_STATE_DEAD_LETTERED]: Public.JOB_STATE_DEAD_LETTERED,
  [Internal.UNRECOGNIZED]: Public.UNRECOGNIZED,
};

const INTERNAL_STATE = Object.fromEntries(
  Object.entries(PUBLIC_STATE).map(([internal, external]) => [external, internal]),
) as Readonly<Record<commonJob.JobState, jobs.JobState>>;

/**
 * Directories of absolute paths and file URLs in free text (not `3/4` or `a/b`): errors raised on
 * a worker name files there, e.g. onnxruntime's "Load model from /srv/models/m/step.onnx failed".
 */
const SERVER_DIRECTORIES = /(?:file:\/\/)?(?<![\w.~-])\/(?:[^\s/'"()<>]+\/)+/g;

/** `error` with the server's directories cut out, keeping the file names that say what failed. */
function publicError(error: string): string {
  return error.replace(SERVER_DIRECTORIES, '…/');
}

/**
 * What a client sees of job `status`. Fields are copied one by one rather than spread, so a
 * field added to the internal status (like the worker id, the output URI and the checkpoint's
 * storage URI today) stays internal until it is added here on purpose; the error keeps its
 * message but not the server's directories.
 */
export function publicJob(status: jobs.JobStatus): commonJob.Job {
  return {
    jobId: status.jobId,
    idempotencyKey: status.idempotencyKey,
    kind: status.kind,
    state: PUBLIC_STATE[status.state],
    chunksDone: status.chunksDone,
    chunksTotal: status.chunksTotal,
    attempts: status.attempts,
    error: publicError(status.error),
    submittedAtMs: status.submittedAtMs,
    updatedAtMs: status.updatedAtMs,
    startedAtMs: status.startedAtMs,
    finishedAtMs: status.finishedAtMs,
  };
}

/** The internal state a client's state (e.g. a ListJobs filter) names. */
export function internalJobState(state: commonJob.JobState): jobs.JobState {
  return INTERNAL_STATE[state];
}
