/** Where a page of a newest-first job list ended: the last job it returned. */
export interface JobCursor {
  /** Submission time of the last job, Unix ms. */
  readonly submittedAtMs: number;
  /** Id of the last job (orders jobs submitted in the same millisecond). */
  readonly jobId: string;
}

/** Longest page token {@link encodePageToken} writes, characters; longer ones are refused unread. */
export const MAX_PAGE_TOKEN_LENGTH = 128;

const CURSOR = /^(\d{1,16}):(job-[0-9a-f]{32})$/;

/**
 * The opaque page token of `cursor`: a client passes it back unchanged, so a page starts right
 * after the job the previous one ended with, however many jobs were added since.
 */
export function encodePageToken(cursor: JobCursor): string {
  return Buffer.from(`${cursor.submittedAtMs}:${cursor.jobId}`, 'utf8').toString('base64url');
}

/** The cursor of a token from {@link encodePageToken}; undefined for anything else. */
export function decodePageToken(token: string): JobCursor | undefined {
  if (token.length > MAX_PAGE_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const match = CURSOR.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) return undefined;
  const submittedAtMs = Number(match[1]);
  if (!Number.isSafeInteger(submittedAtMs)) return undefined;
  return { submittedAtMs, jobId: match[2]! };
}

/** Whether `job` comes after `cursor` in newest-first order (submission time, then job id). */
export function isAfterCursor(
  job: { readonly submittedAtMs: number; readonly jobId: string },
  cursor: JobCursor,
): boolean {
  return (
    job.submittedAtMs < cursor.submittedAtMs ||
    (job.submittedAtMs === cursor.submittedAtMs && job.jobId > cursor.jobId)
  );
}
