import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * A reseller's API key: `rsk_<key id>_<secret><checksum>`.
 *
 * - `rsk_` lets secret scanners (and people) recognise the key for what it is.
 * - The key id (12 × [0-9a-z]) names the key to the operator and is the lookup; it is not secret.
 * - The secret is 40 base62 characters (about 238 bits), from the system's CSPRNG. Only its SHA-256 is
 *   stored: with that much entropy a slow password hash would add cost and no protection.
 * - The checksum (6 base62 characters of the CRC-32 of everything before it) refuses a mistyped or
 *   truncated key before any lookup, and lets a scanner tell a real key from random text.
 */
export const API_KEY_PREFIX = 'rsk_';
export const KEY_ID_LENGTH = 12;
const SECRET_LENGTH = 40;
const CHECKSUM_LENGTH = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export const KEY_ID_PATTERN = new RegExp(`^[0-9a-z]{${KEY_ID_LENGTH}}$`);
export const API_KEY_PATTERN = new RegExp(
  `^${API_KEY_PREFIX}([0-9a-z]{${KEY_ID_LENGTH}})_([0-9A-Za-z]{${SECRET_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`,
);

export interface IssuedKey {
  /** The whole key, shown once. */
  key: string;
  keyId: string;
  /** Hex SHA-256 of the secret part: what is stored. */
  secretHash: string;
}

export interface ParsedKey {
  keyId: string;
  secretHash: string;
}

function randomString(alphabet: string, length: number): string {
  let text = '';
  for (let i = 0; i < length; i += 1) text += alphabet[randomInt(alphabet.length)];
  return text;
}

function base62(value: number, length: number): string {
  let text = '';
  let rest = value;
  for (let i = 0; i < length; i += 1) {
    text = BASE62[rest % 62] + text;
    rest = Math.floor(rest / 62);
  }
  return text;
}

const checksumOf = (body: string) => base62(crc32(body), CHECKSUM_LENGTH);

export const hashSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

/** A new key (the id and secret from the CSPRNG). */
export function issueKey(): IssuedKey {
  const keyId = randomString(KEY_ID_ALPHABET, KEY_ID_LENGTH);
  const secret = randomString(BASE62, SECRET_LENGTH);
  const body = `${API_KEY_PREFIX}${keyId}_${secret}`;
  return { key: body + checksumOf(body), keyId, secretHash: hashSecret(secret) };
}

/** The key's id and secret hash, or undefined when it is not a well-formed key with a valid checksum. */
export function parseKey(key: string): ParsedKey | undefined {
  const match = API_KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const [, keyId, secret, checksum] = match as unknown as [string, string, string, string];
  if (checksumOf(key.slice(0, key.length - CHECKSUM_LENGTH)) !== checksum) return undefined;
  return { keyId, secretHash: hashSecret(secret) };
}

/** Constant-time comparison of two hex hashes. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
