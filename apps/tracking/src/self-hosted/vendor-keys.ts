import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@otl/platform';

/** The vendor's licence-file public keys, by kid. */
export interface VendorKeys {
  file: string;
  byKid: ReadonlyMap<string, KeyObject>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The problem with one JWKS entry, or the key it holds. Only Ed25519 signature keys belong here. */
function keyOf(entry: unknown, seen: ReadonlyMap<string, KeyObject>): KeyObject | string {
  if (!isObject(entry)) return 'is not an object';
  const { kty, crv, x, kid, use, alg, d } = entry;
  if (d !== undefined) return 'holds a private key ("d"): ship public keys only';
  if (kty !== 'OKP' || crv !== 'Ed25519') return `is ${String(kty)}/${String(crv)}, not OKP/Ed25519`;
  if (use !== undefined && use !== 'sig') return `has use "${String(use)}", not "sig"`;
  if (alg !== undefined && alg !== 'EdDSA') return `has alg "${String(alg)}", not "EdDSA"`;
  if (typeof kid !== 'string' || kid === '') return 'has no kid';
  if (seen.has(kid)) return `repeats kid "${kid}"`;
  if (typeof x !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(x)) return 'has no 32-byte base64url "x"';
  return createPublicKey({ key: { kty, crv, x }, format: 'jwk' });
}

/**
 * Reads the JWKS licence files are verified against. Unlike a client fetching someone's JWKS, this
 * file is the customer's trust anchor, so anything wrong in it (and an empty key set) stops the start.
 */
export function loadVendorKeys(file: string): VendorKeys {
  const fail = (problem: string): never => {
    throw new ConfigError([`LTS_VENDOR_KEYS_FILE (${file}) ${problem}`]);
  };
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return fail(`cannot be read as JSON: ${(error as Error).message}`);
  }
  const entries = isObject(document) ? document['keys'] : undefined;
  if (!Array.isArray(entries)) return fail('is not a JWKS: expected { "keys": [...] }');
  const byKid = new Map<string, KeyObject>();
  entries.forEach((entry: unknown, index) => {
    const key = keyOf(entry, byKid);
    if (typeof key === 'string') fail(`keys[${index}] ${key}`);
    else byKid.set((entry as { kid: string }).kid, key);
  });
  if (byKid.size === 0) {
    fail(
      "lists no key, so no licence file could ever be verified. Put the vendor's licence-signing public " +
        'keys in it (the JWKS the vendor publishes at /.well-known/license-signing-keys) or point ' +
        'LTS_VENDOR_KEYS_FILE at such a file',
    );
  }
  return { file, byKid };
}
