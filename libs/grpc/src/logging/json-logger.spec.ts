import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JsonLogger } from './json-logger';

describe('JsonLogger', () => {
  it('writes one JSON object per line with service, level, context and message', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (chunk) => lines.push(...String(chunk).trim().split('\n')));
    const logger = new JsonLogger('timeseries', 'info', out);
    logger.log('started', 'Bootstrap');
    logger.warn({ method: 'Forecast', code: 3 }, 'Grpc');
    logger.debug('hidden at info level');
    await new Promise((r) => setImmediate(r));
    const records = lines.map((line) => JSON.parse(line));
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      service: 'timeseries',
      level: 30,
      context: 'Bootstrap',
      msg: 'started',
    });
    expect(records[1]).toMatchObject({ level: 40, method: 'Forecast', code: 3 });
  });
});
