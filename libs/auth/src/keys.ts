import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';

/** A public key that verifies access tokens, named by the `kid` tokens carry in their header. */
export interface VerificationKey {
  kid: string;
  publicKey: KeyObject;
}

/** The key the account service signs access tokens with. */
export interface SigningKey extends VerificationKey {
  privateKey: KeyObject;
}

/** An Ed25519 public key as published in a JWKS (RFC 8037). */
export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface Jwks {
  keys: PublicJwk[];
}

/** Looks keys up by `kid`: a JwksClient on the verifying side, a SigningKeyRing in the issuer. */
export interface KeyResolver {
  getKey(kid: string): KeyObject | undefined | Promise<KeyObject | undefined>;
}

const PEM_START = /^-----BEGIN [A-Z0-9 ]+-----/;

/**
 * Accepts a PEM document as is, with its line breaks written as `\n` (as some env files do), or
 * base64 of the whole PEM (one line, convenient in environment variables).
 */
function pemText(input: string): string {
  const text = input.trim().replace(/\\n/g, '\n');
  if (PEM_START.test(text)) return text;
  if (/^[A-Za-z0-9+/=\s]+$/.test(text)) {
    const decoded = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8').trim();
    if (PEM_START.test(decoded)) return decoded;
  }
  throw new Error('expected a PEM document or base64 of one');
}

function requireEd25519(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? key.type}`);
  }
  return key;
}

/** An Ed25519 private key from PKCS#8 PEM (or base64 of that PEM). */
export function parsePrivateKey(input: string): KeyObject {
  const pem = pemText(input);
  if (!pem.startsWith('-----BEGIN PRIVATE KEY-----')) {
    throw new Error('expected an unencrypted PKCS#8 private key (-----BEGIN PRIVATE KEY-----)');
  }
  return requireEd25519(createPrivateKey({ key: pem, format: 'pem' }));
}

/** An Ed25519 public key from SPKI PEM (or base64 of that PEM). Private keys are refused. */
export function parsePublicKey(input: string): KeyObject {
  const pem = pemText(input);
  if (!pem.startsWith('-----BEGIN PUBLIC KEY-----')) {
    throw new Error('expected a public key (-----BEGIN PUBLIC KEY-----), never a private one');
  }
  return requireEd25519(createPublicKey({ key: pem, format: 'pem' }));
}

function publicOf(key: KeyObject): KeyObject {
  return requireEd25519(key.type === 'private' ? createPublicKey(key) : key);
}

function publicX(key: KeyObject): string {
  const { x } = publicOf(key).export({ format: 'jwk' });
  if (typeof x !== 'string') throw new Error('the key has no public component');
  return x;
}

/**
 * RFC 7638 JWK thumbprint of an Ed25519 key: SHA-256 over the required members in lexicographic
 * order, no whitespace (RFC 8037 section 2 names them: crv, kty, x), base64url.
 */
export function jwkThumbprint(key: KeyObject): string {
  return thumbprintOfX(publicX(key));
}

/** The thumbprint computed from a JWK's `x` alone. */
export function thumbprintOfX(x: string): string {
  const canonical = `{"crv":"Ed25519","kty":"OKP","x":${JSON.stringify(x)}}`;
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

/** The signing key from configuration; its `kid` defaults to the key's JWK thumbprint. */
export function signingKeyFrom(privateKeyPem: string, kid?: string): SigningKey {
  const privateKey = parsePrivateKey(privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  return { kid: kid?.trim() || jwkThumbprint(publicKey), privateKey, publicKey };
}

/** A fresh Ed25519 key (tests, local development). */
export function generateSigningKey(kid?: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { kid: kid ?? jwkThumbprint(publicKey), privateKey, publicKey };
}

/** PKCS#8 PEM of a private key, base64-encoded onto one line (the form ACCESS_TOKEN_SIGNING_KEY takes). */
export function exportPrivateKeyBase64(key: KeyObject): string {
  const pem = requireEd25519(key).export({ format: 'pem', type: 'pkcs8' });
  return Buffer.from(pem.toString(), 'utf8').toString('base64');
}

export function toPublicJwk(key: KeyObject, kid: string): PublicJwk {
  return { kty: 'OKP', crv: 'Ed25519', x: publicX(key), kid, alg: 'EdDSA', use: 'sig' };
}

/** The JWKS document: every key listed (the current one and any still-valid previous ones). */
export function jwksOf(keys: readonly VerificationKey[]): Jwks {
  const seen = new Set<string>();
  const out: PublicJwk[] = [];
  for (const { kid, publicKey } of keys) {
    if (seen.has(kid)) continue;
    seen.add(kid);
    out.push(toPublicJwk(publicKey, kid));
  }
  return { keys: out };
}

export interface ImportedJwks {
  keys: Map<string, KeyObject>;
  /** Why entries were left out (another key type, no kid, a duplicate kid…). */
  ignored: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The Ed25519 signature keys of a JWKS document (or a bare array of JWKs). Only the public members
 * are imported; entries of other types or uses are skipped. Throws when the document is no JWKS.
 */
export function importJwks(document: unknown): ImportedJwks {
  const entries = Array.isArray(document) ? document : isRecord(document) ? document['keys'] : undefined;
  if (!Array.isArray(entries)) throw new Error('not a JWKS: expected { "keys": [...] }');
  const keys = new Map<string, KeyObject>();
  const ignored: string[] = [];
  entries.forEach((entry: unknown, index) => {
    const skip = (why: string) => ignored.push(`keys[${index}]: ${why}`);
    if (!isRecord(entry)) return skip('not an object');
    const { kty, crv, x, kid, use, alg } = entry;
    if (kty !== 'OKP' || crv !== 'Ed25519') return skip(`unsupported key type ${String(kty)}/${String(crv)}`);
    if (use !== undefined && use !== 'sig') return skip(`use is ${String(use)}, not sig`);
    if (alg !== undefined && alg !== 'EdDSA') return skip(`alg is ${String(alg)}, not EdDSA`);
    if (typeof kid !== 'string' || kid === '') return skip('no kid');
    if (typeof x !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(x))
      return skip('x is not a 32-byte base64url value');
    if (keys.has(kid)) return skip(`duplicate kid ${kid}`);
    try {
      keys.set(kid, createPublicKey({ key: { kty, crv, x }, format: 'jwk' }));
    } catch (error) {
      skip(`not importable: ${(error as Error).message}`);
    }
    return undefined;
  });
  return { keys, ignored };
}

/**
 * The issuer's keys: the current signing key and the public keys of previous (or upcoming) keys that
 * still verify. Serves the JWKS and, as a KeyResolver, lets the issuer verify its own tokens locally.
 */
export class SigningKeyRing implements KeyResolver {
  private readonly byKid = new Map<string, KeyObject>();

  constructor(
    readonly current: SigningKey,
    readonly previous: readonly VerificationKey[] = [],
  ) {
    for (const { kid, publicKey } of [current, ...previous]) {
      if (this.byKid.has(kid)) throw new Error(`two access-token keys share the kid "${kid}"`);
      this.byKid.set(kid, publicOf(publicKey));
    }
  }

  getKey(kid: string): KeyObject | undefined {
    return this.byKid.get(kid);
  }

  jwks(): Jwks {
    return jwksOf([this.current, ...this.previous]);
  }
}

/**
 * Previous public keys from configuration: a JWKS or JSON array of JWKs (copy the entry from the
 * live /.well-known/jwks.json, kid included), or comma-separated public-key PEMs (each may be
 * base64-encoded), named by their thumbprints.
 */
export function parseVerificationKeys(input: string): VerificationKey[] {
  const text = input.trim();
  if (text === '') return [];
  if (text.startsWith('{') || text.startsWith('[')) {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new Error('is not valid JSON');
    }
    const entries = Array.isArray(document) ? document : isRecord(document) ? document['keys'] : undefined;
    if (Array.isArray(entries) && entries.some((entry) => isRecord(entry) && 'd' in entry)) {
      throw new Error('holds a private key; list public keys only');
    }
    const { keys, ignored } = importJwks(document);
    if (ignored.length > 0) throw new Error(ignored.join('; '));
    return [...keys].map(([kid, publicKey]) => ({ kid, publicKey }));
  }
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const publicKey = parsePublicKey(item);
      return { kid: jwkThumbprint(publicKey), publicKey };
    });
}
