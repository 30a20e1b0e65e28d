import { readAccessTokenIssuerConfig, type AccessTokenIssuerConfig } from '@otl/auth';
import { ConfigError, EnvReader, readCommonConfig, type CommonConfig } from '@otl/platform';
import { parseRateLimit, type RateLimit } from './security/rate-limiter';

export interface RateLimits {
  /** Failed sign-ins per address. */
  signInPerAccount: RateLimit;
  /** Failed sign-ins per client address. */
  signInPerClient: RateLimit;
  /** Reset requests per address (each mails a link). */
  resetPerAccount: RateLimit;
  resetPerClient: RateLimit;
  /** Registrations per address and per client (each mails someone). */
  registerPerAccount: RateLimit;
  registerPerClient: RateLimit;
  /** Refused refreshes (unknown, expired, revoked or reused tokens) per client address. */
  refreshPerClient: RateLimit;
}

/** What both the service and the operator commands need. */
export interface AccountCoreConfig {
  databaseUrl: string;
  /** Base of mailed links; never taken from a request. */
  portalUrl: string;
  tokenTtlSeconds: number;
}

export interface AccountConfig extends CommonConfig, AccountCoreConfig {
  smtpUrl: string;
  mailFrom: string;
  /** Consumer group (and inbox name) of the purchase consumer. */
  purchasesConsumerGroup: string;
  trustProxy: boolean;
  rateLimits: RateLimits;
  accessTokens: AccessTokenIssuerConfig;
  /** Lifetime of each refresh token from its issue (sliding: every refresh issues a new one). */
  refreshTokenTtlSeconds: number;
}

export const SERVICE_NAME = 'account';
export const DEFAULT_PORT = 3104;
export const DEFAULT_PORTAL_URL = 'http://localhost:3100';

const RATE_LIMIT_DEFAULTS: Record<keyof RateLimits, [variable: string, fallback: string]> = {
  signInPerAccount: ['RATE_LIMIT_SIGN_IN_PER_ACCOUNT', '10/60'],
  signInPerClient: ['RATE_LIMIT_SIGN_IN_PER_CLIENT', '100/60'],
  resetPerAccount: ['RATE_LIMIT_RESET_PER_ACCOUNT', '5/900'],
  resetPerClient: ['RATE_LIMIT_RESET_PER_CLIENT', '30/60'],
  registerPerAccount: ['RATE_LIMIT_REGISTER_PER_ACCOUNT', '5/900'],
  registerPerClient: ['RATE_LIMIT_REGISTER_PER_CLIENT', '30/60'],
  refreshPerClient: ['RATE_LIMIT_REFRESH_PER_CLIENT', '100/60'],
};

export const DEFAULT_REFRESH_TOKEN_TTL_SECONDS = 30 * 86_400;

function readCore(env: EnvReader): Omit<AccountCoreConfig, 'databaseUrl'> {
  return {
    portalUrl: env.url('PORTAL_URL', { default: DEFAULT_PORTAL_URL, protocols: ['http', 'https'] }),
    tokenTtlSeconds: env.int('ACCOUNT_TOKEN_TTL_SECONDS', { default: 3600, min: 1, max: 7 * 86400 }),
  };
}

function readRateLimits(env: EnvReader): RateLimits {
  const limits = {} as RateLimits;
  const problems: string[] = [];
  for (const [key, [variable, fallback]] of Object.entries(RATE_LIMIT_DEFAULTS)) {
    const text = env.string(variable, { default: fallback });
    const rule = parseRateLimit(text);
    if (!rule)
      problems.push(`${variable} must be <limit>/<window seconds> such as ${fallback}, got "${text}"`);
    limits[key as keyof RateLimits] = rule ?? { limit: 1, windowSeconds: 1 };
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return limits;
}

export function loadConfig(source: Record<string, string | undefined> = process.env): AccountConfig {
  const env = new EnvReader(source);
  const common = readCommonConfig(env, SERVICE_NAME, DEFAULT_PORT);
  const core = readCore(env);
  const smtpUrl = env.url('SMTP_URL', { protocols: ['smtp', 'smtps'] });
  const mailFrom = env.string('MAIL_FROM', { default: 'Order to License <no-reply@order-to-license.local>' });
  const purchasesConsumerGroup = env.string('PURCHASES_CONSUMER_GROUP', {
    default: 'account.purchases',
    pattern: /^[A-Za-z0-9._-]{1,200}$/,
  });
  const trustProxy = env.oneOf('TRUST_PROXY', ['true', 'false'], 'false') === 'true';
  const refreshTokenTtlSeconds = env.int('REFRESH_TOKEN_TTL_SECONDS', {
    default: DEFAULT_REFRESH_TOKEN_TTL_SECONDS,
    min: 1,
    max: 365 * 86_400,
  });
  env.done();
  const rateLimits = readRateLimits(env);
  const accessTokens = readAccessTokenIssuerConfig(source);
  return {
    ...common,
    ...core,
    smtpUrl,
    mailFrom,
    purchasesConsumerGroup,
    trustProxy,
    rateLimits,
    accessTokens,
    refreshTokenTtlSeconds,
  };
}

/** The operator commands' view: the database and how links are made. */
export function loadCoreConfig(source: Record<string, string | undefined> = process.env): AccountCoreConfig {
  const env = new EnvReader(source);
  const databaseUrl = env.url('DATABASE_URL', { protocols: ['postgres', 'postgresql'] });
  const core = readCore(env);
  env.done();
  return { databaseUrl, ...core };
}
