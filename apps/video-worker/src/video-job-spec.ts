import { InvalidArgumentError } from '@nextx/engine';
import { JobParamsError, jobParamsCodec } from '@nextx/jobs';
import { PROTO_FILES, type jobs, type videoJob } from '@nextx/proto';

/** Packs and unpacks the parameters of "video" jobs: a `nextx.video.v1.VideoJobSpec`. */
export const videoJobParams = jobParamsCodec<videoJob.VideoJobSpec>(
  PROTO_FILES.videoJob,
  'nextx.video.v1.VideoJobSpec',
);

/**
 * The VideoJobSpec packed in a job; throws `InvalidArgumentError` on field `video` (the prefix
 * of every field error of a video job) when the job carries none.
 */
export function videoJobSpecOf(spec: jobs.JobSpec): videoJob.VideoJobSpec {
  try {
    return videoJobParams.unpack(spec.params);
  } catch (error) {
    if (error instanceof JobParamsError)
      throw new InvalidArgumentError('video', 'a VideoJobSpec', error.detail);
    throw error;
  }
}
