import { NonRetriableJobError, type JobHandler } from '@nextx/jobs';

/**
 * One handler for the worker group from handlers per job kind. A job of a kind no handler
 * serves fails at once: every worker of the group runs the same code, so a retry cannot help.
 */
export function handlerByKind(handlers: Readonly<Record<string, JobHandler>>): JobHandler {
  return async (job) => {
    const handler = Object.hasOwn(handlers, job.spec.kind) ? handlers[job.spec.kind] : undefined;
    if (!handler)
      throw new NonRetriableJobError(
        `kind: this worker runs ${Object.keys(handlers)
          .map((k) => `"${k}"`)
          .join(', ')} jobs, got ${JSON.stringify(job.spec.kind)}`,
      );
    return handler(job);
  };
}
