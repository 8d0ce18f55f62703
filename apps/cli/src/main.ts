import { Command } from 'commander';
import { audioCommand } from './commands/audio.command';
import { shapeCommand } from './commands/shape.command';
import { describeCommand, healthCommand } from './commands/health.command';
import { forecastCommand, generateCommand } from './commands/forecast.command';
import { imageCommand } from './commands/image.command';
import { modelsCommand } from './commands/models.command';
import { videoCommand } from './commands/video.command';
import { withSecurityOptions } from './commands/security';

const program = withSecurityOptions(
  new Command('nextx').description('command-line client of the nextx generation services'),
)
  .showHelpAfterError()
  .addCommand(healthCommand())
  .addCommand(describeCommand())
  .addCommand(forecastCommand())
  .addCommand(generateCommand())
  .addCommand(imageCommand())
  .addCommand(videoCommand())
  .addCommand(audioCommand())
  .addCommand(shapeCommand())
  .addCommand(modelsCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  const grpcDetails = (error as { details?: string; code?: number }).details;
  process.stderr.write(
    `nextx: ${grpcDetails ?? (error instanceof Error ? error.message : String(error))}\n`,
  );
  process.exitCode = 1;
});
