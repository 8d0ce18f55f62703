import { PassThrough } from 'node:stream';
import { withRequestId } from '@nextx/telemetry';
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

  it('adds the request id of the call being handled to every line, through awaits and pino children', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (chunk) => lines.push(...String(chunk).trim().split('\n')));
    const logger = new JsonLogger('video', 'info', out);
    logger.log('before any call');
    await withRequestId('req-42', async () => {
      logger.log({ msg: 'in the call' }, 'VideoController');
      await new Promise((r) => setTimeout(r, 1));
      logger.pino.child({ component: 'kafkajs' }).info('after an await, from a child');
    });
    await new Promise((r) => setImmediate(r));
    const records = lines.map((line) => JSON.parse(line));
    expect(records.map((r) => r.request_id)).toEqual([undefined, 'req-42', 'req-42']);
    expect(records[2]).toMatchObject({ component: 'kafkajs', msg: 'after an await, from a child' });
    // Tracing is off here: no trace ids.
    expect(records.some((r) => 'trace_id' in r)).toBe(false);
  });
});
