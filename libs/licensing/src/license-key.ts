import { createHash, randomBytes } from 'node:crypto';

/**
 * Licence keys: `OTL1-` and six groups of five Crockford base32 characters (150 random bits),
 * then a four-character checksum (20 bits of SHA-256 over the body), e.g.
 * `OTL1-7K2MX-Q9D4R-…-ABCD`. A mistyped key fails its checksum before any lookup.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const PREFIX = 'OTL1';
const GROUPS = 6;
const GROUP = 5;

function encode(bytes: Buffer, length: number): string {
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}

function checksum(body: string): string {
  return encode(createHash('sha256').update(body).digest().subarray(0, 3), 4);
}

/**
 * The canonical shape (as issued) for documents such as OpenAPI; the checksum is beyond any pattern,
 * and parseLicenseKey also forgives case, spaces and look-alikes.
 */
export const LICENSE_KEY_SHAPE = `^${PREFIX}(-[${ALPHABET}]{${GROUP}}){${GROUPS}}-[${ALPHABET}]{4}$`;

export function newLicenseKey(): string {
  const body = encode(randomBytes(19), GROUPS * GROUP); // 152 bits, 150 used
  const groups = Array.from({ length: GROUPS }, (_, i) => body.slice(i * GROUP, (i + 1) * GROUP));
  const key = `${PREFIX}-${groups.join('-')}`;
  return `${key}-${checksum(key)}`;
}

/**
 * The canonical key, or undefined when it is not one of ours (wrong shape or checksum).
 * Case, spaces and the look-alikes O→0, I/L→1 are forgiven, as people type keys.
 */
export function parseLicenseKey(input: string): string | undefined {
  const cleaned = input.trim().toUpperCase().replace(/\s+/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  const pattern = new RegExp(`^(${PREFIX}(?:-[${ALPHABET}]{${GROUP}}){${GROUPS}})-([${ALPHABET}]{4})$`);
  const match = pattern.exec(cleaned.replace(/^0T11/, PREFIX));
  if (!match || checksum(match[1] ?? '') !== match[2]) return undefined;
  return cleaned.replace(/^0T11/, PREFIX);
}

/** What events carry instead of the key: hex SHA-256 of it. */
export function licenseKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
