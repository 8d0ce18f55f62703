import { PROTO_FILES, type jobs } from '@nextx/proto';
import { messageCodec } from './message-codec';

/** Codecs of the Kafka messages of the job pipeline (all keyed by job id). */
export const codecs = {
  /** Jobs topic. */
  spec: messageCodec<jobs.JobSpec>(PROTO_FILES.jobs, 'nextx.jobs.v1.JobSpec'),
  /** Compacted status topic. */
  status: messageCodec<jobs.JobStatus>(PROTO_FILES.jobs, 'nextx.jobs.v1.JobStatus'),
  /** Commands topic. */
  command: messageCodec<jobs.JobCommand>(PROTO_FILES.jobs, 'nextx.jobs.v1.JobCommand'),
  /** Dead-letter topic. */
  deadLetter: messageCodec<jobs.DeadLetter>(PROTO_FILES.jobs, 'nextx.jobs.v1.DeadLetter'),
};
