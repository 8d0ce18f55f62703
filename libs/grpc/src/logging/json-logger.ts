import type { LoggerService } from '@nestjs/common';
import { logCorrelation } from '@nextx/telemetry';
import { pino, type Logger as Pino, type Level } from 'pino';

/**
 * Nest's logger interface over pino: one JSON object per line on stdout, with the service name,
 * so log collectors can parse every line. A line written while a call (or job) is handled also
 * carries its `request_id` and, with tracing on, the `trace_id` and `span_id` of the active span:
 * the same keys whichever code wrote the line (a controller, Nest, kafkajs through `pino`).
 */
export class JsonLogger implements LoggerService {
  readonly pino: Pino;

  constructor(
    service: string,
    level: Level | 'silent' = 'info',
    destination?: NodeJS.WritableStream,
  ) {
    this.pino = pino(
      { name: service, level, base: { service, pid: process.pid }, mixin: logCorrelation },
      destination ?? process.stdout,
    );
  }

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, stackOrContext?: string, context?: string): void {
    this.write('error', message, context ?? stackOrContext);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }

  private write(level: Level, message: unknown, context?: string): void {
    // An Error's message and stack are not own enumerable fields: spreading it would log nothing.
    if (message instanceof Error) this.pino[level]({ context, err: message }, message.message);
    else if (typeof message === 'object' && message !== null)
      this.pino[level]({ context, ...message });
    else this.pino[level]({ context }, String(message));
  }
}
