import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error';
import { loadServiceConfig } from './env-config';
import { loadTracingConfig, TRACING_OFF } from './tracing-config';

describe('loadTracingConfig', () => {
  it('is off by default, with the OTLP default endpoint ready for when it is turned on', () => {
    expect(loadTracingConfig({})).toEqual({
      ...TRACING_OFF,
      file: undefined,
      serviceName: undefined,
    });
    expect(loadServiceConfig({}, { port: 1, metricsPort: 2 }).tracing.exporter).toBe('none');
  });

  it('derives the traces URL from the base endpoint unless the traces endpoint is given', () => {
    expect(
      loadTracingConfig({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_SERVICE_NAME: 'video-eu-1',
      }),
    ).toMatchObject({
      exporter: 'otlp',
      otlpTracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'video-eu-1',
    });
    expect(
      loadTracingConfig({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp/v1/traces',
      }).otlpTracesUrl,
    ).toBe('https://traces.example.com/otlp/v1/traces');
  });

  it('file: needs OTEL_TRACES_FILE, kept as an absolute path', () => {
    expect(
      loadTracingConfig({ OTEL_TRACES_EXPORTER: 'file', OTEL_TRACES_FILE: 'spans.jsonl' }).file,
    ).toBe(resolve('spans.jsonl'));
    expect(() => loadTracingConfig({ OTEL_TRACES_EXPORTER: 'file' })).toThrow(
      /OTEL_TRACES_FILE="": required when OTEL_TRACES_EXPORTER=file/,
    );
  });

  it('names the variable of a bad value', () => {
    expect(() => loadTracingConfig({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(ConfigError);
    expect(() => loadTracingConfig({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(
      /OTEL_TRACES_EXPORTER="jaeger"/,
    );
    expect(() =>
      loadTracingConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' }),
    ).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT="collector": expected an http\(s\) URL/);
  });
});
