import { generateTestCerts, type TestCerts } from '@nextx/grpc/testing';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaSecurityOptions } from '../kafka/kafka-client';
import { loadJobsConfig } from './jobs-config';

const BROKERS = { KAFKA_BROKERS: '127.0.0.1:9094' };
const SECRET = 'pa55-w0rd-not-to-be-logged';

describe('Kafka client security (KAFKA_SSL*, KAFKA_SASL*)', () => {
  let certs: TestCerts;
  let passwordFile: string;

  beforeAll(async () => {
    certs = await generateTestCerts();
    passwordFile = join(certs.dir, 'kafka-password');
    await writeFile(passwordFile, `${SECRET}\n`);
  }, 60_000);
  afterAll(async () => {
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it('none of the variables: plaintext, no SASL', () => {
    expect(loadJobsConfig(BROKERS).security).toEqual({});
    expect(kafkaSecurityOptions({})).toEqual({});
  });

  it('a CA file turns TLS on; with SCRAM from a password file, kafkajs gets ssl and sasl', () => {
    const { security } = loadJobsConfig({
      ...BROKERS,
      KAFKA_SSL_CA: certs.paths.ca,
      KAFKA_SSL_CERT: certs.paths.clientCert,
      KAFKA_SSL_KEY: certs.paths.clientKey,
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'nextx',
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
    });
    expect(kafkaSecurityOptions(security)).toEqual({
      ssl: {
        ca: certs.pem.ca,
        cert: certs.pem.clientCert,
        key: certs.pem.clientKey,
        rejectUnauthorized: true,
      },
      sasl: { mechanism: 'scram-sha-512', username: 'nextx', password: SECRET },
    });
  });

  it('KAFKA_SSL=on alone trusts the system roots; REJECT_UNAUTHORIZED=off is passed on', () => {
    const { security } = loadJobsConfig({
      ...BROKERS,
      KAFKA_SSL: 'on',
      KAFKA_SSL_REJECT_UNAUTHORIZED: 'off',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'nextx',
      KAFKA_SASL_PASSWORD: SECRET,
    });
    expect(security.ssl).toEqual({ rejectUnauthorized: false });
    expect(security.sasl?.password).toBe(SECRET);
  });

  it('the password stays out of logs and JSON of the config', () => {
    const config = loadJobsConfig({
      ...BROKERS,
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'nextx',
      KAFKA_SASL_PASSWORD: SECRET,
    });
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(inspect(config, { depth: 10 })).not.toContain(SECRET);
    expect(JSON.stringify(config.security)).toBe(
      '{"sasl":{"mechanism":"plain","username":"nextx"}}',
    );
  });

  it('names the variable of each problem, and never the password', () => {
    const load = (env: NodeJS.ProcessEnv) => () => loadJobsConfig({ ...BROKERS, ...env });
    expect(load({ KAFKA_SSL: 'yes' })).toThrow(/KAFKA_SSL="yes": expected on or off/);
    expect(load({ KAFKA_SSL: 'off', KAFKA_SSL_CA: certs.paths.ca })).toThrow(
      /KAFKA_SSL_CA=".*ca.crt": needs KAFKA_SSL=on/,
    );
    expect(load({ KAFKA_SSL_CA: join(certs.dir, 'nope.crt') })).toThrow(
      /KAFKA_SSL_CA=".*nope.crt": cannot read the file \(ENOENT\)/,
    );
    expect(load({ KAFKA_SSL_CERT: certs.paths.clientCert })).toThrow(
      /KAFKA_SSL_KEY="": required with KAFKA_SSL_CERT/,
    );
    expect(
      load({ KAFKA_SSL_CERT: certs.paths.clientCert, KAFKA_SSL_KEY: certs.paths.strangerKey }),
    ).toThrow(/KAFKA_SSL_KEY=".*stranger.key": does not match the certificate of KAFKA_SSL_CERT/);
    expect(load({ KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(
      /KAFKA_SASL_MECHANISM="gssapi": expected plain, scram-sha-256, scram-sha-512/,
    );
    expect(load({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: SECRET })).toThrow(
      /KAFKA_SASL_USERNAME="": required with KAFKA_SASL_MECHANISM=plain/,
    );
    expect(load({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' })).toThrow(
      /KAFKA_SASL_PASSWORD \/ KAFKA_SASL_PASSWORD_FILE: one is required/,
    );
    expect(load({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: SECRET })).toThrow(
      /KAFKA_SASL_USERNAME="u": needs KAFKA_SASL_MECHANISM; KAFKA_SASL_PASSWORD: needs KAFKA_SASL_MECHANISM/,
    );
    const both = load({
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: SECRET,
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
    });
    expect(both).toThrow(/KAFKA_SASL_PASSWORD: set it or KAFKA_SASL_PASSWORD_FILE, not both/);
    expect(both).not.toThrow(new RegExp(SECRET));
  });
});
