import type { Message } from '@bufbuild/protobuf';
import { stringify } from 'csv-stringify/sync';

/** A binary result, ready to send as an HTTP body. */
export interface FileBody {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
  /** Suggested file name (Content-Disposition). */
  readonly fileName: string;
}

/**
 * How one RPC's result can be fetched as a file instead of JSON: the media types a client names
 * in `Accept`, and a collector that keeps only what the file needs from each response message
 * (a long stream of previews or frames is never held whole).
 */
export interface FileOutput {
  readonly mediaTypes: readonly string[];
  collector(request: Message, query: Readonly<Record<string, unknown>>): FileCollector;
}

export interface FileCollector {
  take(message: Message): void;
  /** The file; undefined when the stream ended without one. */
  finish(): FileBody | undefined;
}

/** A message as protobuf-es represents it: fields by JSON-style name, oneofs as {case, value}. */
type Fields = Record<string, unknown>;
const fields = (m: unknown): Fields => (m ?? {}) as Fields;

/** The value of the oneof `event` of `message` when its case is `name`. */
function event(message: Message, name: string): Fields | undefined {
  const oneof = fields(message)['event'] as { case?: string; value?: unknown } | undefined;
  return oneof?.case === name ? fields(oneof.value) : undefined;
}

/** Keeps the last value `pick` finds in the stream. */
function lastOf(pick: (message: Message) => FileBody | undefined): FileCollector {
  let file: FileBody | undefined;
  return {
    take(message) {
      file = pick(message) ?? file;
    },
    finish: () => file,
  };
}

const AUDIO_TYPES: Record<number, { mediaType: string; extension: string }> = {
  0: { mediaType: 'audio/wav', extension: 'wav' },
  1: { mediaType: 'audio/wav', extension: 'wav' },
  2: { mediaType: 'audio/flac', extension: 'flac' },
  3: { mediaType: 'audio/ogg', extension: 'ogg' },
};
const MESH_TYPES: Record<number, { mediaType: string; extension: string }> = {
  0: { mediaType: 'model/gltf-binary', extension: 'glb' },
  1: { mediaType: 'model/gltf-binary', extension: 'glb' },
  2: { mediaType: 'model/obj', extension: 'obj' },
  3: { mediaType: 'application/x-ply', extension: 'ply' },
};
const VIDEO_TYPES: Record<string, string> = { mp4: 'video/mp4', gif: 'image/gif' };

/** The forecast as CSV: one row per step (timestamp when sent), point, mean and each quantile. */
function forecastCsv(response: Message): FileBody {
  const r = fields(response);
  const point = (r['point'] as number[]) ?? [];
  const mean = (r['mean'] as number[]) ?? [];
  const timestamps = ((r['timestampsMs'] as bigint[]) ?? []).map(Number);
  const quantiles = ((r['quantiles'] as Fields[]) ?? []).map((q) => ({
    level: q['level'] as number,
    values: q['values'] as number[],
  }));
  const header = [
    'step',
    ...(timestamps.length ? ['timestamp'] : []),
    'point',
    'mean',
    ...quantiles.map((q) => `q${q.level}`),
  ];
  const rows = point.map((value, i) => [
    i + 1,
    ...(timestamps.length ? [new Date(timestamps[i]).toISOString()] : []),
    value,
    mean[i],
    ...quantiles.map((q) => q.values[i]),
  ]);
  return {
    bytes: Buffer.from(stringify([header, ...rows])),
    mediaType: 'text/csv',
    fileName: 'forecast.csv',
  };
}

/** The file form of each RPC that has one, by gRPC method path. */
export const FILE_OUTPUTS: Readonly<Record<string, FileOutput>> = {
  '/nextx.image.v1.ImageGeneration/Generate': {
    mediaTypes: ['image/png'],
    collector(_request, query) {
      // `?index=N` picks one image of a batch; the first by default.
      const index = Math.max(0, Math.floor(Number(query['index'] ?? 0)) || 0);
      return lastOf((message) => {
        const png = (event(message, 'images')?.['png'] as Uint8Array[] | undefined)?.[index];
        return png && { bytes: png, mediaType: 'image/png', fileName: `image-${index}.png` };
      });
    },
  },
  '/nextx.image.v1.ImageGeneration/Inpaint': {
    mediaTypes: ['image/png'],
    collector: () =>
      lastOf((message) => {
        const png = fields(message)['png'] as Uint8Array | undefined;
        return png?.length
          ? { bytes: png, mediaType: 'image/png', fileName: 'inpainted.png' }
          : undefined;
      }),
  },
  '/nextx.video.v1.VideoGeneration/GenerateClip': {
    mediaTypes: ['video/mp4', 'image/gif'],
    collector: () =>
      lastOf((message) => {
        const clip = event(message, 'clip');
        if (!clip) return undefined;
        const format = String(clip['format']);
        return {
          bytes: clip['data'] as Uint8Array,
          mediaType:
            (clip['mimeType'] as string) || VIDEO_TYPES[format] || 'application/octet-stream',
          fileName: `clip.${format}`,
        };
      }),
  },
  '/nextx.video.v1.VideoGeneration/GetJobOutput': {
    mediaTypes: ['video/mp4', 'image/gif'],
    collector(request) {
      const pieces: Uint8Array[] = [];
      let format = '';
      return {
        take(message) {
          const m = fields(message);
          if (m['format']) format = String(m['format']);
          pieces.push(m['data'] as Uint8Array);
        },
        finish: () =>
          pieces.length
            ? {
                bytes: Buffer.concat(pieces),
                mediaType: VIDEO_TYPES[format] ?? 'application/octet-stream',
                fileName: `${String(fields(request)['jobId']).slice(0, 64)}.${format || 'bin'}`,
              }
            : undefined,
      };
    },
  },
  '/nextx.audio.v1.AudioGeneration/Generate': {
    mediaTypes: ['audio/wav', 'audio/flac', 'audio/ogg'],
    collector: () =>
      lastOf((message) => {
        const audio = event(message, 'audio');
        if (!audio) return undefined;
        const type = AUDIO_TYPES[audio['format'] as number] ?? AUDIO_TYPES[1];
        const encoded = audio['encoded'] as Uint8Array;
        return {
          bytes: encoded?.length ? encoded : (audio['wav'] as Uint8Array),
          mediaType: encoded?.length ? type.mediaType : 'audio/wav',
          fileName: `audio.${encoded?.length ? type.extension : 'wav'}`,
        };
      }),
  },
  '/nextx.shape.v1.ShapeGeneration/Generate': {
    mediaTypes: ['model/gltf-binary', 'model/obj', 'application/x-ply'],
    collector: () =>
      lastOf((message) => {
        const shape = event(message, 'shape');
        if (!shape) return undefined;
        const type = MESH_TYPES[shape['format'] as number] ?? MESH_TYPES[1];
        return {
          bytes: shape['mesh'] as Uint8Array,
          mediaType: type.mediaType,
          fileName: `shape.${type.extension}`,
        };
      }),
  },
  '/nextx.timeseries.v1.TimeSeries/Forecast': {
    mediaTypes: ['text/csv'],
    collector: () => lastOf(forecastCsv),
  },
};

/**
 * Whether the client's `Accept` header asks for one of `mediaTypes` (or its `type/*`) ahead of
 * JSON: a plain `*\/*` or an absent header keeps the JSON answer.
 */
export function wantsFile(accept: string | undefined, mediaTypes: readonly string[]): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const type = part.split(';')[0].trim().toLowerCase();
    if (type === '*/*' || type === 'application/json') return false;
    return mediaTypes.some(
      (m) => m === type || (type.endsWith('/*') && m.startsWith(type.slice(0, -1))),
    );
  });
}
