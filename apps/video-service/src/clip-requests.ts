import { InvalidArgumentError } from '@nextx/engine';
import { resolveClipFormat, type ClipFormat } from '@nextx/media';
import { check } from '@nextx/grpc';
import type { videoClip } from '@nextx/proto';
import {
  resolveClip,
  type ResolvedClip,
  type VideoModelInfo,
  type VideoCatalog,
} from '@nextx/video';

/** Resolves the model of a clip spec and checks the spec; `prefix` names the request field. */
export function checkClip(
  spec: videoClip.ClipSpec | undefined,
  catalog: VideoCatalog,
  maxFrames: number,
  prefix: string,
): { clip: ResolvedClip; info: VideoModelInfo } {
  if (!spec) throw new InvalidArgumentError(prefix, 'required', 'missing');
  check.modelRef(`${prefix}.model`, spec.model);
  if (!spec.model?.name)
    throw new InvalidArgumentError(`${prefix}.model.name`, 'required', 'missing');
  const info = catalog.get(spec.model.name, spec.model.version);
  return { info, clip: resolveClip(spec, info, { maxFrames }, prefix) };
}

/** The container asked for: '' picks MP4 when this process has ffmpeg, else GIF. */
export function checkFormat(field: string, format: string, resolveAuto: boolean): '' | ClipFormat {
  if (format !== '' && format !== 'mp4' && format !== 'gif')
    throw new InvalidArgumentError(
      field,
      '"mp4", "gif" or empty',
      `got ${JSON.stringify(format.slice(0, 16))}${format.length > 16 ? '…' : ''}`,
    );
  return resolveAuto ? resolveClipFormat(format) : format;
}

/** The proto form of a resolved clip (what results echo and jobs carry). */
export function clipSpecOf(clip: ResolvedClip, info: VideoModelInfo): videoClip.ClipSpec {
  return {
    model: { name: info.name, version: info.version },
    digits: clip.digits,
    motions: clip.motions,
    frames: clip.frames,
    fps: clip.fps,
    seed: clip.seed,
    sampling: {
      temperature: clip.temperature,
      topK: clip.topK,
      topP: clip.topP,
      minP: clip.minP,
      guidanceScale: 1,
    },
  };
}
