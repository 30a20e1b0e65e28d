import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';

/** What an access token says about its bearer, once verified. */
export interface AccessTokenClaims {
  /** The accountId. */
  sub: string;
  email: string;
  roles: string[];
  iat: number;
  exp: number;
  iss: string;
  aud: string | string[];
}

/** The claims the issuer chooses; iat, exp, iss and aud come from the signing options. */
export interface AccessTokenSubject {
  sub: string;
  email: string;
  roles: readonly string[];
}

export type InvalidTokenReason =
  | 'malformed'
  | 'unsupported-alg'
  | 'unknown-key'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'bad-claims';

/** A token that must not be trusted. `reason` is for logs, never for the client. */
export class InvalidTokenError extends Error {
  constructor(
    readonly reason: InvalidTokenReason,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

export interface SignAccessTokenOptions {
  /** The Ed25519 private key. */
  key: KeyObject;
  kid: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  now?: Date;
}

export type KeysByKid = (kid: string) => KeyObject | undefined | Promise<KeyObject | undefined>;

export interface VerifyAccessTokenOptions {
  keysByKid: KeysByKid;
  issuer: string;
  /** Accepted audiences: the token's `aud` must name at least one. */
  audience: string | readonly string[];
  now?: Date;
  /** Allowed clock skew for exp, nbf and iat (default 5 s). */
  clockToleranceSeconds?: number;
}

export const ACCESS_TOKEN_ALG = 'EdDSA';
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;
/** Far above any token this issuer makes; bounds the work spent on a hostile string. */
const MAX_TOKEN_LENGTH = 8192;
const ED25519_SIGNATURE_BYTES = 64;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const encodeJson = (value: unknown): string =>
  Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** Strict base64url: no padding, no stray characters, and the canonical encoding of its bytes. */
function decodeSegment(segment: string): Buffer | undefined {
  if (!BASE64URL.test(segment)) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : undefined;
}

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeSegment(segment);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** JWS compact serialization (RFC 7515) with an Ed25519 signature over `header.payload`. */
export function signJws(header: Record<string, unknown>, payload: Buffer | string, key: KeyObject): string {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new Error('access tokens are signed with an Ed25519 private key');
  }
  const signingInput = `${encodeJson(header)}.${Buffer.from(payload).toString('base64url')}`;
  const signature = cryptoSign(null, Buffer.from(signingInput, 'ascii'), key);
  return `${signingInput}.${signature.toString('base64url')}`;
}

export function signAccessToken(subject: AccessTokenSubject, options: SignAccessTokenOptions): string {
  if (!UUID.test(subject.sub)) throw new Error('sub must be the account id (a UUID)');
  if (typeof subject.email !== 'string' || subject.email === '') throw new Error('email is required');
  if (!subject.roles.every((role) => typeof role === 'string' && role !== '')) {
    throw new Error('roles must be non-empty strings');
  }
  if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds < 1) {
    throw new Error('ttlSeconds must be a positive integer');
  }
  if (options.kid === '') throw new Error('kid is required');
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const claims: AccessTokenClaims = {
    sub: subject.sub,
    email: subject.email,
    roles: [...subject.roles],
    iat,
    exp: iat + options.ttlSeconds,
    iss: options.issuer,
    aud: options.audience,
  };
  return signJws(
    { alg: ACCESS_TOKEN_ALG, typ: 'JWT', kid: options.kid },
    JSON.stringify(claims),
    options.key,
  );
}

const invalid = (reason: InvalidTokenReason, message: string) => new InvalidTokenError(reason, message);

/**
 * Verifies a compact JWS access token and returns its claims. Only EdDSA is accepted, whatever the
 * header says; the key comes from `keysByKid`, never from the token (jwk, jku, x5u are ignored);
 * no claim is read before the signature holds.
 */
export async function verifyAccessToken(
  token: string,
  options: VerifyAccessTokenOptions,
): Promise<AccessTokenClaims> {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) {
    throw invalid('malformed', 'not a token of acceptable length');
  }
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid('malformed', `expected 3 segments, got ${parts.length}`);
  const [headerSegment, payloadSegment, signatureSegment] = parts as [string, string, string];

  const header = decodeJsonObject(headerSegment);
  if (!header) throw invalid('malformed', 'the header is not base64url JSON object');
  if (header['alg'] !== ACCESS_TOKEN_ALG) {
    throw invalid('unsupported-alg', `alg ${JSON.stringify(header['alg'])} is not accepted`);
  }
  const kid = header['kid'];
  if (typeof kid !== 'string' || kid === '') throw invalid('malformed', 'the header has no kid');
  if ('crit' in header) throw invalid('malformed', 'critical header extensions are not supported');
  const typ = header['typ'];
  if (typ !== undefined && (typeof typ !== 'string' || !/^(application\/)?jwt$/i.test(typ))) {
    throw invalid('malformed', `typ ${JSON.stringify(typ)} is not a JWT`);
  }
  if (!decodeSegment(payloadSegment)) throw invalid('malformed', 'the payload is not base64url');
  const signature = decodeSegment(signatureSegment);
  if (!signature) throw invalid('malformed', 'the signature is not base64url');

  const key = await options.keysByKid(kid);
  if (!key || key.asymmetricKeyType !== 'ed25519') throw invalid('unknown-key', `no key for kid ${kid}`);
  let valid = false;
  if (signature.length === ED25519_SIGNATURE_BYTES) {
    try {
      valid = cryptoVerify(null, Buffer.from(`${headerSegment}.${payloadSegment}`, 'ascii'), key, signature);
    } catch {
      valid = false;
    }
  }
  if (!valid) throw invalid('bad-signature', 'the signature does not verify');

  const payload = decodeJsonObject(payloadSegment);
  if (!payload) throw invalid('malformed', 'the payload is not a JSON object');
  const claims = readClaims(payload);
  checkClaims(claims, payload, options);
  return claims;
}

const isNumericDate = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

function readClaims(payload: Record<string, unknown>): AccessTokenClaims {
  const { sub, email, roles, iat, exp, iss, aud } = payload;
  const bad = (message: string) => invalid('bad-claims', message);
  if (typeof sub !== 'string' || !UUID.test(sub)) throw bad('sub is not an account id');
  if (typeof email !== 'string' || email === '') throw bad('email is missing');
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) {
    throw bad('roles is not an array of strings');
  }
  if (!isNumericDate(iat) || !isNumericDate(exp)) throw bad('iat and exp must be numeric dates');
  if (exp <= iat) throw bad('exp is not after iat');
  if (typeof iss !== 'string') throw bad('iss is missing');
  const audiences = typeof aud === 'string' ? [aud] : aud;
  if (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every((a) => typeof a === 'string')) {
    throw bad('aud is missing');
  }
  if ('nbf' in payload && !isNumericDate(payload['nbf'])) throw bad('nbf is not a numeric date');
  return {
    sub,
    email,
    roles: [...(roles as string[])],
    iat,
    exp,
    iss,
    aud: typeof aud === 'string' ? aud : [...(audiences as string[])],
  };
}

function checkClaims(
  claims: AccessTokenClaims,
  payload: Record<string, unknown>,
  options: VerifyAccessTokenOptions,
): void {
  if (claims.iss !== options.issuer) throw invalid('wrong-issuer', `iss ${claims.iss} is not accepted`);
  const accepted: readonly string[] =
    typeof options.audience === 'string' ? [options.audience] : options.audience;
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
  if (!audiences.some((audience) => accepted.includes(audience))) {
    throw invalid('wrong-audience', `aud ${audiences.join(',')} is not accepted`);
  }
  const now = (options.now ?? new Date()).getTime() / 1000;
  const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (claims.exp <= now - tolerance) throw invalid('expired', `expired at ${claims.exp}`);
  const nbf = payload['nbf'];
  if (claims.iat > now + tolerance || (typeof nbf === 'number' && nbf > now + tolerance)) {
    throw invalid('not-yet-valid', 'issued in the future or not valid yet');
  }
}
