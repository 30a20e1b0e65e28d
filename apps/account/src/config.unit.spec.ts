import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '@otl/platform';
import { loadConfig } from './config';
import { parseRateLimit } from './security/rate-limiter';

const key = Buffer.from(
  generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }),
).toString('base64');
const base = {
  DATABASE_URL: 'postgres://u:p@localhost:5432/account',
  KAFKA_BROKERS: 'localhost:9092',
  SMTP_URL: 'smtp://localhost:1025',
  ACCESS_TOKEN_SIGNING_KEY: key,
};

describe('account config', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      port: 3104,
      portalUrl: 'http://localhost:3100',
      tokenTtlSeconds: 3600,
      purchasesConsumerGroup: 'account.purchases',
      trustProxy: false,
      rateLimits: {
        signInPerAccount: { limit: 10, windowSeconds: 60 },
        refreshPerClient: { limit: 100, windowSeconds: 60 },
      },
      refreshTokenTtlSeconds: 2_592_000,
    });
    expect(config.accessTokens.ttlSeconds).toBe(900);
    expect(config.accessTokens.keys.jwks().keys).toHaveLength(1);
  });

  it.each([
    ['SMTP_URL', { SMTP_URL: undefined }, /SMTP_URL is required/],
    ['SMTP_URL', { SMTP_URL: 'http://mail' }, /SMTP_URL must use smtp or smtps/],
    ['PORTAL_URL', { PORTAL_URL: 'not a url' }, /PORTAL_URL must be a URL/],
    [
      'ACCOUNT_TOKEN_TTL_SECONDS',
      { ACCOUNT_TOKEN_TTL_SECONDS: '0' },
      /ACCOUNT_TOKEN_TTL_SECONDS must be between/,
    ],
    [
      'RATE_LIMIT_SIGN_IN_PER_ACCOUNT',
      { RATE_LIMIT_SIGN_IN_PER_ACCOUNT: 'ten' },
      /RATE_LIMIT_SIGN_IN_PER_ACCOUNT must be/,
    ],
    [
      'ACCESS_TOKEN_SIGNING_KEY',
      { ACCESS_TOKEN_SIGNING_KEY: undefined },
      /ACCESS_TOKEN_SIGNING_KEY is required/,
    ],
    ['ACCESS_TOKEN_SIGNING_KEY', { ACCESS_TOKEN_SIGNING_KEY: 'garbage' }, /ACCESS_TOKEN_SIGNING_KEY/],
    ['TRUST_PROXY', { TRUST_PROXY: 'yes' }, /TRUST_PROXY must be one of true, false/],
    [
      'REFRESH_TOKEN_TTL_SECONDS',
      { REFRESH_TOKEN_TTL_SECONDS: '0' },
      /REFRESH_TOKEN_TTL_SECONDS must be between 1 and 31536000/,
    ],
    [
      'REFRESH_TOKEN_TTL_SECONDS',
      { REFRESH_TOKEN_TTL_SECONDS: '30d' },
      /REFRESH_TOKEN_TTL_SECONDS must be an integer/,
    ],
    [
      'RATE_LIMIT_REFRESH_PER_CLIENT',
      { RATE_LIMIT_REFRESH_PER_CLIENT: '100' },
      /RATE_LIMIT_REFRESH_PER_CLIENT must be/,
    ],
  ])('names %s when it is wrong', (_name, override, message) => {
    const run = () => loadConfig({ ...base, ...override });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });

  it('reads the refresh-token lifetime in seconds', () => {
    expect(loadConfig({ ...base, REFRESH_TOKEN_TTL_SECONDS: '3600' }).refreshTokenTtlSeconds).toBe(3600);
  });

  it('parses rate limits as <limit>/<seconds>', () => {
    expect(parseRateLimit('10/60')).toEqual({ limit: 10, windowSeconds: 60 });
    expect(parseRateLimit(' 5/900 ')).toEqual({ limit: 5, windowSeconds: 900 });
    for (const bad of ['10', '0/60', '10/0', '-1/60', '1.5/60', '10/60s'])
      expect(parseRateLimit(bad)).toBeUndefined();
  });
});
