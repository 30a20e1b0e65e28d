import { ConfigError, EnvReader, readCommonConfig, type CommonConfig } from '@otl/platform';

/** At most `requests` per `windowSeconds` for each API key, with bursts up to `requests`. */
export interface RateLimitRule {
  requests: number;
  windowSeconds: number;
}

/** Test-only fault injection: `kill-after-order-commit` SIGKILLs the process between commit and answer. */
export type Failpoint = 'none' | 'kill-after-order-commit';
const FAILPOINTS: readonly Failpoint[] = ['none', 'kill-after-order-commit'];

export interface ResellerIntakeConfig extends CommonConfig {
  rateLimit: RateLimitRule;
  /** How long an Idempotency-Key and its answer are kept (at least 24 h). */
  idempotencyTtlSeconds: number;
  /** How long an in-flight key blocks others before a retry may take it over (its holder died). */
  idempotencyLeaseSeconds: number;
  purgeIntervalSeconds: number;
  consumerGroup: string;
  retryAfterSeconds: number;
  failpoint: Failpoint;
}

export const SERVICE_NAME = 'reseller-intake';
export const DEFAULT_PORT = 3103;

const RATE = /^([1-9]\d{0,6})\/([1-9]\d{0,4})$/;

export function loadConfig(source: Record<string, string | undefined> = process.env): ResellerIntakeConfig {
  const env = new EnvReader(source);
  const common = readCommonConfig(env, SERVICE_NAME, DEFAULT_PORT);
  const rate = env.string('RESELLER_RATE_LIMIT', {
    default: '100/1',
    pattern: RATE,
    hint: '<requests>/<seconds> per API key, e.g. 100/1',
  });
  const ttlHours = env.int('IDEMPOTENCY_KEY_TTL_HOURS', { default: 24, min: 24, max: 24 * 30 });
  const idempotencyLeaseSeconds = env.int('IDEMPOTENCY_LEASE_SECONDS', { default: 30, min: 1, max: 600 });
  const purgeIntervalSeconds = env.int('IDEMPOTENCY_PURGE_INTERVAL_SECONDS', {
    default: 300,
    min: 1,
    max: 86_400,
  });
  const consumerGroup = env.string('RESELLER_CONSUMER_GROUP', {
    default: 'reseller-intake.assignments',
    pattern: /^[A-Za-z0-9._-]{1,200}$/,
  });
  const retryAfterSeconds = env.int('RETRY_AFTER_SECONDS', { default: 5, min: 1, max: 3600 });
  const failpoint = env.oneOf('RESELLER_FAILPOINT', FAILPOINTS, 'none');
  env.done();
  if (failpoint !== 'none' && source['NODE_ENV'] !== 'test') {
    throw new ConfigError(['RESELLER_FAILPOINT is for tests only (NODE_ENV=test)']);
  }
  const [, requests, windowSeconds] = RATE.exec(rate) as unknown as [string, string, string];
  return {
    ...common,
    rateLimit: { requests: Number(requests), windowSeconds: Number(windowSeconds) },
    idempotencyTtlSeconds: ttlHours * 3600,
    idempotencyLeaseSeconds,
    purgeIntervalSeconds,
    consumerGroup,
    retryAfterSeconds,
    failpoint,
  };
}
