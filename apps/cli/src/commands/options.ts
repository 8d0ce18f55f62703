import { InvalidArgumentError } from 'commander';

/** commander parser for an integer option within [min, max]. */
export const intOption =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (raw: string) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    return value;
  };

/** commander parser for a number within [min, max]. */
export const numberOption = (min: number, max: number) => (raw: string) => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new InvalidArgumentError(`expected a number in [${min}, ${max}]`);
  return value;
};

/** commander parser for a comma-separated list of numbers. */
export const numberListOption = (raw: string) =>
  raw.split(',').map((part) => {
    const value = Number(part);
    if (part.trim() === '' || !Number.isFinite(value))
      throw new InvalidArgumentError(`"${part}" is not a number`);
    return value;
  });

/** Where each service listens unless told otherwise. */
export const DEFAULT_ADDRESSES = {
  timeseries: process.env['NEXTX_TIMESERIES_ADDR'] ?? '127.0.0.1:50055',
  image: process.env['NEXTX_IMAGE_ADDR'] ?? '127.0.0.1:50051',
  video: process.env['NEXTX_VIDEO_ADDR'] ?? '127.0.0.1:50052',
  audio: process.env['NEXTX_AUDIO_ADDR'] ?? '127.0.0.1:50054',
  shape: process.env['NEXTX_SHAPE_ADDR'] ?? '127.0.0.1:50056',
} as const;
