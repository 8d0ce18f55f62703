import { ConfigProblems, envSwitch } from '@nextx/config';
import { z } from 'zod';

/** SASL mechanisms the Kafka client offers (kafkajs names). */
export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/** One of {@link KAFKA_SASL_MECHANISMS}. */
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

const filePath = z.string().min(1).optional();

/**
 * How the Kafka client reaches a secured cluster; every one unset = plaintext without SASL (the
 * local broker's default listener).
 */
export const kafkaSecurityEnvSchema = z.object({
  /** `on`: TLS to the brokers; unset = on when a KAFKA_SSL_* file is set, else off. */
  KAFKA_SSL: z.enum(['on', 'off'], { message: 'expected on or off' }).optional(),
  /** PEM CA bundle that signed the brokers' certificates; unset = the system roots. */
  KAFKA_SSL_CA: filePath,
  /** PEM client certificate chain, for brokers that ask for one (with KAFKA_SSL_KEY). */
  KAFKA_SSL_CERT: filePath,
  /** PEM private key of KAFKA_SSL_CERT. */
  KAFKA_SSL_KEY: filePath,
  /** `off` accepts any broker certificate: for a throwaway test cluster only. */
  KAFKA_SSL_REJECT_UNAUTHORIZED: envSwitch('on'),
  /** SASL mechanism (`plain`, `scram-sha-256`, `scram-sha-512`, any case); unset = no SASL. */
  KAFKA_SASL_MECHANISM: z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(
      z.enum(KAFKA_SASL_MECHANISMS, { message: `expected ${KAFKA_SASL_MECHANISMS.join(', ')}` }),
    )
    .optional(),
  /** SASL user. */
  KAFKA_SASL_USERNAME: z.string().optional(),
  // Never a zod check on the password: parseEnv quotes the value of a variable that fails one.
  /** SASL password (prefer KAFKA_SASL_PASSWORD_FILE: an environment shows in /proc). */
  KAFKA_SASL_PASSWORD: z.string().optional(),
  /** File holding the SASL password (one line; the trailing newline is not part of it). */
  KAFKA_SASL_PASSWORD_FILE: filePath,
});

type KafkaSecurityEnv = z.infer<typeof kafkaSecurityEnvSchema>;

/** Names of the variables of {@link kafkaSecurityEnvSchema} (tests pass them on to brokers of their own). */
export const KAFKA_SECURITY_VARIABLES = Object.keys(
  kafkaSecurityEnvSchema.shape,
) as readonly (keyof KafkaSecurityEnv)[];

/** TLS settings of the Kafka client (node `tls.connect` options kafkajs passes through). */
export interface KafkaTls {
  /** PEM CA bundle; absent = the system roots. */
  readonly ca?: Buffer;
  /** PEM client certificate chain. */
  readonly cert?: Buffer;
  /** PEM private key of `cert`. */
  readonly key?: Buffer;
  /** Whether a broker certificate that does not verify ends the connection. */
  readonly rejectUnauthorized: boolean;
}

/**
 * SASL credentials. The password is a non-enumerable property: logging or serialising the
 * config (pino, `JSON.stringify`, `util.inspect`) does not show it.
 */
export interface KafkaSasl {
  readonly mechanism: KafkaSaslMechanism;
  readonly username: string;
  readonly password: string;
}

/** Validated Kafka client security, read once at start. */
export interface KafkaSecurity {
  /** TLS; absent = plaintext. */
  readonly ssl?: KafkaTls;
  /** SASL; absent = none. */
  readonly sasl?: KafkaSasl;
}

function loadTls(env: KafkaSecurityEnv, problems: ConfigProblems): KafkaTls | undefined {
  const { KAFKA_SSL_CA: ca, KAFKA_SSL_CERT: cert, KAFKA_SSL_KEY: key } = env;
  const files = (['KAFKA_SSL_CA', 'KAFKA_SSL_CERT', 'KAFKA_SSL_KEY'] as const).filter(
    (v) => env[v],
  );
  if (env.KAFKA_SSL === 'off') {
    for (const variable of files) problems.add(variable, env[variable], 'needs KAFKA_SSL=on');
    return undefined;
  }
  if (env.KAFKA_SSL !== 'on' && !files.length) return undefined;
  if (cert && !key) problems.add('KAFKA_SSL_KEY', key, 'required with KAFKA_SSL_CERT');
  if (key && !cert) problems.add('KAFKA_SSL_CERT', cert, 'required with KAFKA_SSL_KEY');
  const pair =
    cert && key
      ? problems.keyPair(
          { variable: 'KAFKA_SSL_CERT', path: cert },
          { variable: 'KAFKA_SSL_KEY', path: key },
        )
      : undefined;
  const caPem = ca ? problems.caBundle('KAFKA_SSL_CA', ca) : undefined;
  return {
    ...(caPem ? { ca: caPem } : {}),
    ...(pair ?? {}),
    rejectUnauthorized: env.KAFKA_SSL_REJECT_UNAUTHORIZED,
  };
}

function loadSasl(env: KafkaSecurityEnv, problems: ConfigProblems): KafkaSasl | undefined {
  const mechanism = env.KAFKA_SASL_MECHANISM;
  const { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD_FILE: passwordFile } = env;
  const given = env.KAFKA_SASL_PASSWORD !== undefined;
  if (!mechanism) {
    if (username !== undefined)
      problems.add('KAFKA_SASL_USERNAME', username, 'needs KAFKA_SASL_MECHANISM');
    if (given) problems.list.push('KAFKA_SASL_PASSWORD: needs KAFKA_SASL_MECHANISM');
    if (passwordFile)
      problems.add('KAFKA_SASL_PASSWORD_FILE', passwordFile, 'needs KAFKA_SASL_MECHANISM');
    return undefined;
  }
  if (!username)
    problems.add(
      'KAFKA_SASL_USERNAME',
      username,
      `required with KAFKA_SASL_MECHANISM=${mechanism}`,
    );
  let password: string | undefined;
  if (given && passwordFile) {
    problems.list.push('KAFKA_SASL_PASSWORD: set it or KAFKA_SASL_PASSWORD_FILE, not both');
  } else if (passwordFile) {
    password = problems
      .read('KAFKA_SASL_PASSWORD_FILE', passwordFile)
      ?.toString('utf8')
      .replace(/\r?\n$/, '');
    if (password === '')
      problems.add('KAFKA_SASL_PASSWORD_FILE', passwordFile, 'the file is empty');
  } else if (given) {
    password = env.KAFKA_SASL_PASSWORD;
    if (password === '') problems.list.push('KAFKA_SASL_PASSWORD: empty');
  } else {
    problems.list.push(
      `KAFKA_SASL_PASSWORD / KAFKA_SASL_PASSWORD_FILE: one is required with KAFKA_SASL_MECHANISM=${mechanism}`,
    );
  }
  if (!username || !password) return undefined;
  const sasl = { mechanism, username } as KafkaSasl;
  Object.defineProperty(sasl, 'password', { value: password, enumerable: false });
  return sasl;
}

/**
 * Reads the Kafka client's TLS files and SASL credentials from the parsed variables and checks
 * them (files readable, certificate and key parse and match, a mechanism has its user and
 * password); every problem goes to `problems`, naming its variable, never a password.
 */
export function loadKafkaSecurity(env: KafkaSecurityEnv, problems: ConfigProblems): KafkaSecurity {
  const ssl = loadTls(env, problems);
  const sasl = loadSasl(env, problems);
  return { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}
