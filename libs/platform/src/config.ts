import { readFileSync } from 'node:fs';

/**
 * Typed, validated configuration from environment variables. Every problem is
 * collected and reported together, naming the variable, before the service starts.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly source: Source = process.env) {}

  private raw(name: string): string | undefined {
    const value = this.source[name]?.trim();
    return value === '' ? undefined : value;
  }

  private missing<T>(name: string, fallback: T | undefined, hint: string): T {
    if (fallback !== undefined) return fallback;
    this.problems.push(`${name} is required (${hint})`);
    return undefined as T;
  }

  string(name: string, options: { default?: string; hint?: string; pattern?: RegExp } = {}): string {
    const value = this.raw(name);
    if (value === undefined) return this.missing(name, options.default, options.hint ?? 'a string');
    if (options.pattern && !options.pattern.test(value)) {
      this.problems.push(`${name} must match ${options.pattern} (${options.hint ?? 'see README'})`);
    }
    return value;
  }

  int(name: string, options: { default?: number; min?: number; max?: number } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return this.missing(name, options.default, 'an integer');
    const parsed = Number(value);
    if (!Number.isInteger(parsed)) {
      this.problems.push(`${name} must be an integer, got "${value}"`);
      return NaN;
    }
    if (
      (options.min !== undefined && parsed < options.min) ||
      (options.max !== undefined && parsed > options.max)
    ) {
      this.problems.push(
        `${name} must be between ${options.min ?? '-∞'} and ${options.max ?? '∞'}, got ${parsed}`,
      );
    }
    return parsed;
  }

  url(name: string, options: { default?: string; protocols?: string[] } = {}): string {
    const value = this.string(name, { default: options.default, hint: 'a URL' });
    if (value === undefined) return value;
    try {
      const parsed = new URL(value);
      if (options.protocols && !options.protocols.includes(parsed.protocol.replace(/:$/, ''))) {
        this.problems.push(`${name} must use ${options.protocols.join(' or ')}, got ${parsed.protocol}`);
      }
    } catch {
      this.problems.push(`${name} must be a URL`);
    }
    return value;
  }

  list(name: string, options: { default?: string[]; item?: RegExp; hint?: string } = {}): string[] {
    const value = this.raw(name);
    if (value === undefined)
      return this.missing(name, options.default, options.hint ?? 'a comma-separated list');
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    if (items.length === 0) this.problems.push(`${name} must list at least one value`);
    for (const item of items) {
      if (options.item && !options.item.test(item)) {
        this.problems.push(`${name} has an invalid entry (${options.hint ?? options.item})`);
      }
    }
    return items;
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback?: T): T {
    const value = this.raw(name);
    if (value === undefined) return this.missing(name, fallback, values.join('|'));
    if (!values.includes(value as T))
      this.problems.push(`${name} must be one of ${values.join(', ')}, got "${value}"`);
    return value as T;
  }

  /** Records a problem that involves several variables (reported with the rest by `done()`). */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws a ConfigError listing every problem found so far. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** What every HTTP service reads, whatever it stores its data in. */
export interface HttpServiceConfig {
  serviceName: string;
  port: number;
  host: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** An event-sourced service: its own Postgres database and the Kafka cluster. */
export interface CommonConfig extends HttpServiceConfig {
  databaseUrl: string;
  databasePoolSize: number;
  kafkaBrokers: string[];
  kafkaPartitions: number;
  /** SASL and TLS towards the brokers (both off unless configured). */
  kafkaSecurity: KafkaSecurity;
}

export const kafkaSaslMechanisms = ['scram-sha-512', 'scram-sha-256', 'plain'] as const;
export type KafkaSaslMechanism = (typeof kafkaSaslMechanisms)[number];

/** How a service authenticates to Kafka and whether it speaks TLS to it. */
export interface KafkaSecurity {
  /** SASL credentials; absent when KAFKA_SASL_MECHANISM is unset. */
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
  /** TLS to the brokers; absent when KAFKA_TLS is not `true`. `ca`: the PEM of KAFKA_TLS_CA_FILE. */
  tls?: { ca?: string };
}

const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * KAFKA_SASL_MECHANISM (scram-sha-512, scram-sha-256 or plain; off when unset) with
 * KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (both required with a mechanism), KAFKA_TLS
 * (`true`|`false`, default false) and KAFKA_TLS_CA_FILE (a PEM file of the CA that signed the
 * brokers' certificates, read now; the system's CAs when unset; only with KAFKA_TLS=true).
 */
export function readKafkaSecurity(
  env: EnvReader,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): KafkaSecurity {
  const security: KafkaSecurity = {};
  const mechanism = env.string('KAFKA_SASL_MECHANISM', {
    default: '',
    pattern: new RegExp(`^(${kafkaSaslMechanisms.join('|')})$`),
    hint: `${kafkaSaslMechanisms.join(', ')}, or unset for no SASL`,
  });
  if (mechanism !== '') {
    const hint = `required when KAFKA_SASL_MECHANISM is set`;
    const username = env.string('KAFKA_SASL_USERNAME', { hint });
    const password = env.string('KAFKA_SASL_PASSWORD', { hint });
    security.sasl = { mechanism: mechanism as KafkaSaslMechanism, username, password };
  } else {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
      if (env.string(name, { default: '' }) !== '')
        env.problem(
          `${name} is set but KAFKA_SASL_MECHANISM is not (set it to ${kafkaSaslMechanisms.join(', ')})`,
        );
    }
  }
  const tls = env.oneOf('KAFKA_TLS', ['true', 'false'], 'false') === 'true';
  const caFile = env.string('KAFKA_TLS_CA_FILE', { default: '' });
  if (tls) {
    security.tls = {};
    if (caFile !== '') {
      let pem: string | undefined;
      try {
        pem = readFile(caFile);
      } catch (error) {
        env.problem(`KAFKA_TLS_CA_FILE cannot be read (${caFile}): ${(error as Error).message}`);
      }
      if (pem !== undefined && !pemCertificate.test(pem)) {
        env.problem(`KAFKA_TLS_CA_FILE (${caFile}) holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
      }
      if (pem !== undefined) security.tls.ca = pem;
    }
  } else if (caFile !== '') {
    env.problem('KAFKA_TLS_CA_FILE is set but KAFKA_TLS is not true (set KAFKA_TLS=true to use TLS)');
  }
  return security;
}

export function readHttpServiceConfig(
  env: EnvReader,
  serviceName: string,
  defaultPort: number,
): HttpServiceConfig {
  return {
    serviceName,
    port: env.int('PORT', { default: defaultPort, min: 1, max: 65535 }),
    host: env.string('HOST', { default: '0.0.0.0' }),
    logLevel: env.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  };
}

export function readCommonConfig(env: EnvReader, serviceName: string, defaultPort: number): CommonConfig {
  return {
    ...readHttpServiceConfig(env, serviceName, defaultPort),
    databaseUrl: env.url('DATABASE_URL', { protocols: ['postgres', 'postgresql'] }),
    databasePoolSize: env.int('DATABASE_POOL_SIZE', { default: 20, min: 1, max: 500 }),
    kafkaBrokers: env.list('KAFKA_BROKERS', { item: /^[^\s:]+:\d+$/, hint: 'host:port,host:port' }),
    kafkaPartitions: env.int('KAFKA_PARTITIONS', { default: 3, min: 1, max: 1000 }),
    kafkaSecurity: readKafkaSecurity(env),
  };
}
