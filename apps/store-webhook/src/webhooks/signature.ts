import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks verification: base64 HMAC-SHA256 over "{id}.{timestamp}.{body}"
 * keyed with the bytes of a `whsec_<base64>` secret. Several secrets may be active at
 * once (rotation); any valid `v1,<signature>` entry under any of them suffices.
 */

export type VerificationFailure =
  | 'missing-headers'
  | 'malformed-timestamp'
  | 'stale-timestamp'
  | 'future-timestamp'
  | 'no-matching-signature';

export interface SignedDelivery {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer;
}

export const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

export function decodeSecret(secret: string): Buffer {
  if (!SECRET_PATTERN.test(secret)) throw new Error('a webhook secret must look like whsec_<base64>');
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  if (key.length < 16) throw new Error('a webhook secret must hold at least 16 bytes');
  return key;
}

export function sign(key: Buffer, id: string, timestamp: string | number, body: Buffer | string): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

export function verify(
  delivery: SignedDelivery,
  keys: readonly Buffer[],
  now: Date,
  toleranceSeconds: number,
): { ok: true; id: string; timestamp: number } | { ok: false; reason: VerificationFailure } {
  const { id, timestamp, signature, body } = delivery;
  if (!id || !timestamp || !signature) return { ok: false, reason: 'missing-headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed-timestamp' };
  const seconds = Number(timestamp);
  const drift = Math.floor(now.getTime() / 1000) - seconds;
  if (drift > toleranceSeconds) return { ok: false, reason: 'stale-timestamp' };
  if (drift < -toleranceSeconds) return { ok: false, reason: 'future-timestamp' };

  const offered = signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  for (const key of keys) {
    const expected = Buffer.from(sign(key, id, timestamp, body).slice(3), 'base64');
    if (
      offered.some(
        (candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected),
      )
    ) {
      return { ok: true, id, timestamp: seconds };
    }
  }
  return { ok: false, reason: 'no-matching-signature' };
}
