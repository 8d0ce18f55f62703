import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Directory holding `nextx/<area>/v1/*.proto`. Services load the .proto files at run time
 * (grpc-js serves from them; reflection serves the compiled set embedded in
 * `generated/descriptor-set.ts`), so the folder ships beside the code:
 * `NEXTX_PROTO_DIR` wins, otherwise the nearest `proto/` above this module (source tree or bundle).
 */
export function protoRoot(): string {
  const fromEnv = process.env['NEXTX_PROTO_DIR'];
  if (fromEnv) return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'nextx'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('proto/ not found; set NEXTX_PROTO_DIR');
    dir = parent;
  }
}

/** Proto file of one API area, relative to {@link protoRoot}. */
export const PROTO_FILES = {
  common: 'nextx/common/v1/common.proto',
  models: 'nextx/common/v1/model.proto',
  commonJob: 'nextx/common/v1/job.proto',
  timeseries: 'nextx/timeseries/v1/timeseries.proto',
  image: 'nextx/image/v1/image.proto',
  jobs: 'nextx/jobs/v1/jobs.proto',
  videoClip: 'nextx/video/clip/v1/clip.proto',
  video: 'nextx/video/v1/video.proto',
  videoJob: 'nextx/video/v1/video_job.proto',
  audio: 'nextx/audio/v1/audio.proto',
  shape: 'nextx/shape/v1/shape.proto',
} as const;
