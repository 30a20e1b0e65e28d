import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { ConfigError, EnvReader } from '@otl/platform';
import {
  DEFAULT_ACCESS_TOKEN_AUDIENCE,
  DEFAULT_ACCESS_TOKEN_ISSUER,
  DEFAULT_JWKS_URL,
  readAccessTokenIssuerConfig,
  readAccessTokenVerifierConfig,
} from './config';
import {
  exportPrivateKeyBase64,
  generateSigningKey,
  importJwks,
  jwkThumbprint,
  jwksOf,
  parsePrivateKey,
  parsePublicKey,
  parseVerificationKeys,
  SigningKeyRing,
  signingKeyFrom,
  thumbprintOfX,
  toPublicJwk,
} from './keys';

// RFC 8037 appendix A.1 (key) and A.3 (its JWK thumbprint).
const RFC_X = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
const RFC_THUMBPRINT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';
const rfcPublicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: RFC_X }, format: 'jwk' });

const fresh = generateKeyPairSync('ed25519');
const privatePem = fresh.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const publicPem = fresh.publicKey.export({ format: 'pem', type: 'spki' }).toString();
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('JWK thumbprint (RFC 7638)', () => {
  it('matches the RFC 8037 A.3 known answer', () => {
    expect(jwkThumbprint(rfcPublicKey)).toBe(RFC_THUMBPRINT);
    expect(thumbprintOfX(RFC_X)).toBe(RFC_THUMBPRINT);
  });

  it('is the same for the private key and its public half, and differs between keys', () => {
    expect(jwkThumbprint(fresh.privateKey)).toBe(jwkThumbprint(fresh.publicKey));
    expect(jwkThumbprint(fresh.publicKey)).not.toBe(RFC_THUMBPRINT);
  });
});

describe('parsing keys from configuration', () => {
  it.each([
    ['PEM', privatePem],
    ['base64 of the PEM', b64(privatePem)],
    ['PEM with escaped line breaks', privatePem.replace(/\n/g, '\\n')],
    ['PEM surrounded by whitespace', `\n  ${privatePem}  \n`],
  ])('reads an Ed25519 private key given as %s', (_, input) => {
    const key = parsePrivateKey(input);
    expect(key.type).toBe('private');
    expect(jwkThumbprint(key)).toBe(jwkThumbprint(fresh.publicKey));
  });

  it('round-trips through exportPrivateKeyBase64', () => {
    const key = parsePrivateKey(exportPrivateKeyBase64(fresh.privateKey));
    expect(jwkThumbprint(key)).toBe(jwkThumbprint(fresh.publicKey));
  });

  it.each([
    ['an empty string', '', /PEM/],
    ['random text', 'not a key at all', /PEM/],
    ['base64 of random text', b64('hello'), /PEM/],
    ['a public key', publicPem, /PKCS#8/],
    [
      'an EC key',
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }),
      /Ed25519/,
    ],
    [
      'an RSA key',
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }),
      /Ed25519/,
    ],
  ])('refuses %s as a private key', (_, input, message) => {
    expect(() => parsePrivateKey(input.toString())).toThrow(message);
  });

  it('reads public keys and refuses private ones where a public key is expected', () => {
    expect(jwkThumbprint(parsePublicKey(b64(publicPem)))).toBe(jwkThumbprint(fresh.publicKey));
    expect(() => parsePublicKey(privatePem)).toThrow(/never a private one/);
  });

  it('names the signing key by its thumbprint unless a kid is configured', () => {
    const derived = signingKeyFrom(privatePem);
    expect(derived.kid).toBe(jwkThumbprint(fresh.publicKey));
    expect(derived.publicKey.type).toBe('public');
    expect(signingKeyFrom(privatePem, 'access-2026-11').kid).toBe('access-2026-11');
    expect(signingKeyFrom(privatePem, '  ').kid).toBe(derived.kid);
  });
});

describe('JWKS', () => {
  const current = generateSigningKey('current');
  const previous = generateSigningKey('previous');

  it('publishes the public part only, in RFC 8037 form', () => {
    const jwk = toPublicJwk(current.privateKey, 'current');
    expect(jwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      kid: 'current',
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(jwk).not.toHaveProperty('d');
    expect(jwk.x).toBe(current.publicKey.export({ format: 'jwk' }).x);
  });

  it('lists the current and the previous key during rotation, each kid once', () => {
    const jwks = jwksOf([current, previous, current]);
    expect(jwks.keys.map((key) => key.kid)).toEqual(['current', 'previous']);
    const ring = new SigningKeyRing(current, [previous]);
    expect(ring.jwks()).toEqual(jwks);
    expect(ring.getKey('previous')?.equals(previous.publicKey)).toBe(true);
    expect(ring.getKey('current')?.equals(current.publicKey)).toBe(true);
    expect(ring.getKey('other')).toBeUndefined();
  });

  it('refuses two keys under one kid', () => {
    const impostor = generateSigningKey('current');
    expect(() => new SigningKeyRing(current, [impostor])).toThrow(/share the kid "current"/);
  });

  it('imports Ed25519 signature keys and skips everything else', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
    const good = toPublicJwk(current.publicKey, 'current');
    const { keys, ignored } = importJwks({
      keys: [
        good,
        { ...rsa, kid: 'rsa' },
        { ...x25519, kid: 'x25519' },
        { ...toPublicJwk(previous.publicKey, 'enc'), use: 'enc' },
        { ...toPublicJwk(previous.publicKey, 'hs'), alg: 'HS256' },
        { ...toPublicJwk(previous.publicKey, 'x'), kid: undefined },
        { ...toPublicJwk(previous.publicKey, 'short'), x: 'AAAA' },
        { ...good, x: toPublicJwk(previous.publicKey, 'p').x },
        'not an object',
      ],
    });
    expect([...keys.keys()]).toEqual(['current']);
    expect(keys.get('current')?.equals(current.publicKey)).toBe(true);
    expect(ignored).toHaveLength(8);
    expect(ignored.join('\n')).toMatch(/duplicate kid current/);
  });

  it('imports only the public members of an entry that (wrongly) carries a private one', () => {
    const jwk = current.privateKey.export({ format: 'jwk' });
    const { keys } = importJwks({ keys: [{ ...jwk, kid: 'leaky' }] });
    expect(keys.get('leaky')?.type).toBe('public');
  });

  it.each([[null], [{}], [{ keys: 'x' }], ['text']])('refuses %j as a JWKS', (document) => {
    expect(() => importJwks(document)).toThrow(/not a JWKS/);
  });
});

describe('previous keys from configuration', () => {
  const current = generateSigningKey('current');
  const old = generateSigningKey('2026-10');

  it('reads the JWKS entries copied from the live document, kid included', () => {
    const copied = JSON.stringify(jwksOf([old]).keys);
    const keys = parseVerificationKeys(copied);
    expect(keys.map((key) => key.kid)).toEqual(['2026-10']);
    expect(keys[0]?.publicKey.equals(old.publicKey)).toBe(true);
    expect(parseVerificationKeys(JSON.stringify(jwksOf([old])))).toHaveLength(1);
  });

  it('reads comma-separated public PEMs, named by thumbprint', () => {
    const pem = (key: typeof old) => key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const keys = parseVerificationKeys(`${b64(pem(old))}, ${b64(pem(current))}`);
    expect(keys.map((key) => key.kid)).toEqual([
      jwkThumbprint(old.publicKey),
      jwkThumbprint(current.publicKey),
    ]);
  });

  it('reads nothing from an empty value and refuses private or unusable keys', () => {
    expect(parseVerificationKeys('  ')).toEqual([]);
    const privateJwk = { ...old.privateKey.export({ format: 'jwk' }), kid: 'x' };
    expect(() => parseVerificationKeys(JSON.stringify([privateJwk]))).toThrow(/private key/);
    expect(() => parseVerificationKeys('[{"kty":"RSA","kid":"r"}]')).toThrow(/unsupported key type/);
    expect(() => parseVerificationKeys('{oops')).toThrow(/not valid JSON/);
  });
});

describe('configuration', () => {
  const key = generateSigningKey();
  const signingKey = exportPrivateKeyBase64(key.privateKey);

  it('gives the issuer its key ring, issuer, audience and token lifetime', () => {
    const old = generateSigningKey('old');
    const config = readAccessTokenIssuerConfig({
      ACCESS_TOKEN_SIGNING_KEY: signingKey,
      ACCESS_TOKEN_PREVIOUS_KEYS: JSON.stringify(jwksOf([old])),
      ACCESS_TOKEN_TTL_SECONDS: '600',
    });
    expect(config.keys.current.kid).toBe(key.kid);
    expect(config.keys.jwks().keys.map((jwk) => jwk.kid)).toEqual([key.kid, 'old']);
    expect(config).toMatchObject({
      issuer: DEFAULT_ACCESS_TOKEN_ISSUER,
      audience: DEFAULT_ACCESS_TOKEN_AUDIENCE,
      ttlSeconds: 600,
    });
  });

  it.each([
    [{}, /ACCESS_TOKEN_SIGNING_KEY is required/],
    [{ ACCESS_TOKEN_SIGNING_KEY: 'nonsense' }, /ACCESS_TOKEN_SIGNING_KEY: expected a PEM/],
    [
      { ACCESS_TOKEN_SIGNING_KEY: signingKey, ACCESS_TOKEN_PREVIOUS_KEYS: '[1' },
      /ACCESS_TOKEN_PREVIOUS_KEYS/,
    ],
    [
      {
        ACCESS_TOKEN_SIGNING_KEY: signingKey,
        ACCESS_TOKEN_PREVIOUS_KEYS: JSON.stringify(jwksOf([{ ...generateSigningKey(), kid: key.kid }])),
      },
      /share the kid/,
    ],
    [{ ACCESS_TOKEN_SIGNING_KEY: signingKey, ACCESS_TOKEN_TTL_SECONDS: '5' }, /ACCESS_TOKEN_TTL_SECONDS/],
  ])('stops the issuer on bad configuration (%#)', (source, message) => {
    let thrown: unknown;
    try {
      readAccessTokenIssuerConfig(source);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toMatch(message);
  });

  it('gives verifiers the JWKS URL, issuer and audience with local defaults', () => {
    const env = new EnvReader({});
    expect(readAccessTokenVerifierConfig(env)).toEqual({
      jwksUrl: DEFAULT_JWKS_URL,
      issuer: DEFAULT_ACCESS_TOKEN_ISSUER,
      audience: DEFAULT_ACCESS_TOKEN_AUDIENCE,
      clockToleranceSeconds: 5,
    });
    expect(() => env.done()).not.toThrow();
    const bad = new EnvReader({ ACCESS_TOKEN_JWKS_URL: 'ftp://x/jwks' });
    readAccessTokenVerifierConfig(bad);
    expect(() => bad.done()).toThrow(/ACCESS_TOKEN_JWKS_URL must use http or https/);
  });
});
