import { createHash, randomBytes } from 'node:crypto';
import type { NewToken } from '../accounts/domain/account';

/** 256 bits from the CSPRNG, base64url: 43 characters. */
export const SECRET_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A fresh secret: `raw` goes to its holder only, the store keeps `hash`. */
export interface DrawnSecret {
  raw: string;
  hash: string;
}

export interface SecretToken extends NewToken {
  /** Goes into the mailed link only; the store keeps `hash`. */
  raw: string;
}

export function hashSecretToken(raw: string): string {
  return createHash('sha256').update(raw, 'utf8').digest('hex');
}

export function drawSecret(): DrawnSecret {
  const raw = randomBytes(32).toString('base64url');
  return { raw, hash: hashSecretToken(raw) };
}

export function newSecretToken(now: Date, ttlSeconds: number): SecretToken {
  return { ...drawSecret(), expiresAt: new Date(now.getTime() + ttlSeconds * 1000) };
}
