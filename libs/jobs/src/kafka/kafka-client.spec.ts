import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { forwardKafkaLog } from './kafka-client';

function recorder() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) =>
    lines.push({ level, fields, message });
  return {
    lines,
    logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') },
  };
}

const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}) => ({
  namespace: 'Runner',
  level,
  label: 'ERROR',
  log: { timestamp: '', logger: 'kafkajs', message, ...extra },
});

describe('forwardKafkaLog', () => {
  it('logs the warm-up errors kafkajs retries as info lines marked retrying', () => {
    const { lines, logger } = recorder();
    const forward = forwardKafkaLog(logger as never);
    forward(
      entry(
        logLevel.ERROR,
        "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests",
      ),
    );
    forward(
      entry(logLevel.ERROR, 'Response JoinGroup(key: 11, version: 5)', {
        error: 'The coordinator is not available',
      }),
    );
    expect(lines.map((l) => [l.level, l.fields['retrying']])).toEqual([
      ['info', true],
      ['info', true],
    ]);
  });

  it('keeps every other error at its level', () => {
    const { lines, logger } = recorder();
    forwardKafkaLog(logger as never)(entry(logLevel.ERROR, 'Connection error: ECONNREFUSED'));
    expect(lines).toEqual([
      {
        level: 'error',
        fields: { kafkajs: 'Runner', timestamp: '', logger: 'kafkajs' },
        message: 'Connection error: ECONNREFUSED',
      },
    ]);
  });
});
