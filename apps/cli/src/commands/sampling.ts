import type { common } from '@nextx/proto';
import { Command } from 'commander';
import { intOption, numberOption } from './options';

/** The sampling flags as commander parses them: absent flags stay undefined. */
export interface SamplingFlags {
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly minP?: number;
  readonly guidance?: number;
}

/**
 * Adds the sampling flags. None has a default here: a flag left out is not sent, so the service
 * applies the model's default; a flag given is sent as is (0 included, see common.proto).
 */
export function samplingOptions(command: Command, guidance: boolean): Command {
  command
    .option(
      '--temperature <t>',
      'temperature (0 = greedy; default: the model’s)',
      numberOption(0, 10),
    )
    .option('--top-k <k>', 'top-k (0 = off; default: the model’s)', intOption(0))
    .option('--top-p <p>', 'top-p (1 = off; default: the model’s)', numberOption(0.01, 1))
    .option('--min-p <p>', 'min-p (0 = off; default: the model’s)', numberOption(0, 0.99));
  if (guidance)
    command.option(
      '--guidance <s>',
      'guidance scale (1 = off; default: the model’s)',
      numberOption(1, 20),
    );
  return command;
}

/** The `SamplingSettings` of the flags given; flags left out stay unset. */
export function samplingSettings(flags: SamplingFlags): common.SamplingSettings {
  return {
    temperature: flags.temperature,
    topK: flags.topK,
    topP: flags.topP,
    minP: flags.minP,
    guidanceScale: flags.guidance,
  };
}
