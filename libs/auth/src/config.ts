import { ConfigError, EnvReader } from '@otl/platform';
import { parseVerificationKeys, SigningKeyRing, signingKeyFrom } from './keys';

/** Defaults shared by the issuer and every verifier, so the two sides agree out of the box. */
export const DEFAULT_ACCESS_TOKEN_ISSUER = 'urn:order-to-license:account';
export const DEFAULT_ACCESS_TOKEN_AUDIENCE = 'urn:order-to-license:api';
export const DEFAULT_JWKS_URL = 'http://127.0.0.1:3104/.well-known/jwks.json';

export interface AccessTokenVerifierConfig {
  jwksUrl: string;
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
}

export interface AccessTokenIssuerConfig {
  keys: SigningKeyRing;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

function readIssuerAndAudience(env: EnvReader) {
  return {
    issuer: env.string('ACCESS_TOKEN_ISSUER', { default: DEFAULT_ACCESS_TOKEN_ISSUER }),
    audience: env.string('ACCESS_TOKEN_AUDIENCE', { default: DEFAULT_ACCESS_TOKEN_AUDIENCE }),
  };
}

/** What a service that accepts access tokens reads (with the service's own EnvReader). */
export function readAccessTokenVerifierConfig(env: EnvReader): AccessTokenVerifierConfig {
  return {
    jwksUrl: env.url('ACCESS_TOKEN_JWKS_URL', { default: DEFAULT_JWKS_URL, protocols: ['http', 'https'] }),
    ...readIssuerAndAudience(env),
    clockToleranceSeconds: env.int('ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS', { default: 5, min: 0, max: 300 }),
  };
}

/**
 * What the issuer (the account service) reads: its signing key and any previous public keys.
 * Throws a ConfigError naming the variable; call it after the service's own `env.done()`.
 */
export function readAccessTokenIssuerConfig(
  source: Record<string, string | undefined> = process.env,
): AccessTokenIssuerConfig {
  const env = new EnvReader(source);
  const signingKey = env.string('ACCESS_TOKEN_SIGNING_KEY', {
    hint: 'an Ed25519 PKCS#8 PEM private key, or base64 of the PEM',
  });
  const kid = env.string('ACCESS_TOKEN_KEY_ID', { default: '', pattern: /^[\x21-\x7e]{1,128}$/ });
  const previous = env.string('ACCESS_TOKEN_PREVIOUS_KEYS', { default: '' });
  const { issuer, audience } = readIssuerAndAudience(env);
  const ttlSeconds = env.int('ACCESS_TOKEN_TTL_SECONDS', { default: 900, min: 30, max: 86400 });
  env.done();
  const problems: string[] = [];
  let current: ReturnType<typeof signingKeyFrom> | undefined;
  try {
    current = signingKeyFrom(signingKey, kid || undefined);
  } catch (error) {
    problems.push(`ACCESS_TOKEN_SIGNING_KEY: ${(error as Error).message}`);
  }
  let previousKeys: ReturnType<typeof parseVerificationKeys> = [];
  try {
    previousKeys = parseVerificationKeys(previous);
  } catch (error) {
    problems.push(`ACCESS_TOKEN_PREVIOUS_KEYS: ${(error as Error).message}`);
  }
  if (!current || problems.length > 0) throw new ConfigError(problems);
  try {
    return { keys: new SigningKeyRing(current, previousKeys), issuer, audience, ttlSeconds };
  } catch (error) {
    throw new ConfigError([`ACCESS_TOKEN_PREVIOUS_KEYS: ${(error as Error).message}`]);
  }
}
