import {
  createHmac,
  createPrivateKey,
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import {
  InvalidTokenError,
  signAccessToken,
  signJws,
  verifyAccessToken,
  type InvalidTokenReason,
  type VerifyAccessTokenOptions,
} from './jwt';
import { generateSigningKey, SigningKeyRing } from './keys';

const ISSUER = 'urn:order-to-license:account';
const AUDIENCE = 'urn:order-to-license:api';
const NOW = new Date('2026-11-27T10:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const TTL = 900;
const subject = {
  sub: '3f6c1d2e-8a4b-4c5d-9e0f-1a2b3c4d5e6f',
  email: 'Ana.Lima@Example.com',
  roles: ['sales-rep'],
};

const key = generateSigningKey('k1');
const ring = new SigningKeyRing(key);

const sign = (overrides: { now?: Date; audience?: string; issuer?: string } = {}) =>
  signAccessToken(subject, {
    key: key.privateKey,
    kid: key.kid,
    issuer: overrides.issuer ?? ISSUER,
    audience: overrides.audience ?? AUDIENCE,
    ttlSeconds: TTL,
    now: overrides.now ?? NOW,
  });

const options = (overrides: Partial<VerifyAccessTokenOptions> = {}): VerifyAccessTokenOptions => ({
  keysByKid: (kid) => ring.getKey(kid),
  issuer: ISSUER,
  audience: AUDIENCE,
  now: NOW,
  ...overrides,
});

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const segments = (token: string) => token.split('.') as [string, string, string];
const decode = (segment: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;

/** The reason verification refused the token; fails the test when it was accepted. */
async function reasonFor(
  token: string,
  opts: VerifyAccessTokenOptions = options(),
): Promise<InvalidTokenReason> {
  try {
    await verifyAccessToken(token, opts);
  } catch (error) {
    if (error instanceof InvalidTokenError) return error.reason;
    throw error;
  }
  throw new Error('the token was accepted');
}

/** A validly signed token over any payload, for claim checks. */
const signPayload = (
  payload: unknown,
  header: Record<string, unknown> = { alg: 'EdDSA', typ: 'JWT', kid: 'k1' },
) => signJws(header, JSON.stringify(payload), key.privateKey);

const goodClaims = {
  ...subject,
  iat: NOW_S,
  exp: NOW_S + TTL,
  iss: ISSUER,
  aud: AUDIENCE,
};

describe('JWS with EdDSA', () => {
  it('reproduces the RFC 8037 A.4 known answer', () => {
    const rfcKey = createPrivateKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
        x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      },
      format: 'jwk',
    });
    expect(signJws({ alg: 'EdDSA' }, 'Example of Ed25519 signing', rfcKey)).toBe(
      'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.' +
        'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
    );
  });

  it('signs only with an Ed25519 private key', () => {
    expect(() => signJws({ alg: 'EdDSA' }, 'x', key.publicKey)).toThrow(/Ed25519 private key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => signJws({ alg: 'EdDSA' }, 'x', rsa)).toThrow(/Ed25519 private key/);
  });
});

describe('signAccessToken', () => {
  it('writes the header and claims the contract names', () => {
    const [header, payload] = segments(sign());
    expect(decode(header)).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: 'k1' });
    expect(decode(payload)).toEqual({ ...subject, iat: NOW_S, exp: NOW_S + TTL, iss: ISSUER, aud: AUDIENCE });
  });

  it.each([
    ['a sub that is no account id', { ...subject, sub: 'ana' }, {}],
    ['an empty email', { ...subject, email: '' }, {}],
    ['an empty role', { ...subject, roles: [''] }, {}],
    ['a zero TTL', subject, { ttlSeconds: 0 }],
    ['an empty kid', subject, { kid: '' }],
  ])('refuses %s', (_, claims, extra) => {
    expect(() =>
      signAccessToken(claims, {
        key: key.privateKey,
        kid: 'k1',
        issuer: ISSUER,
        audience: AUDIENCE,
        ttlSeconds: TTL,
        ...extra,
      }),
    ).toThrow();
  });
});

describe('verifyAccessToken', () => {
  it('returns the claims of a token it signed', async () => {
    await expect(verifyAccessToken(sign(), options())).resolves.toEqual({
      sub: subject.sub,
      email: subject.email,
      roles: ['sales-rep'],
      iat: NOW_S,
      exp: NOW_S + TTL,
      iss: ISSUER,
      aud: AUDIENCE,
    });
  });

  it('returns only the known claims', async () => {
    const claims = await verifyAccessToken(signPayload({ ...goodClaims, admin: true }), options());
    expect(claims).not.toHaveProperty('admin');
  });

  it('refuses a payload with one byte changed', async () => {
    const [header, payload, signature] = segments(sign());
    const bytes = Buffer.from(payload, 'base64url');
    const at = bytes.indexOf('sales-rep');
    bytes[at] = 'S'.charCodeAt(0);
    const tampered = `${header}.${bytes.toString('base64url')}.${signature}`;
    expect(await reasonFor(tampered)).toBe('bad-signature');
  });

  it('refuses a token whose claims were swapped for others, even if every claim is valid', async () => {
    const [header, , signature] = segments(sign());
    const forged = `${header}.${b64json({ ...goodClaims, roles: ['sales-manager'] })}.${signature}`;
    expect(await reasonFor(forged)).toBe('bad-signature');
  });

  it('refuses a changed signature', async () => {
    const [header, payload, signature] = segments(sign());
    const bytes = Buffer.from(signature, 'base64url');
    bytes[10] = (bytes[10] ?? 0) ^ 1;
    expect(await reasonFor(`${header}.${payload}.${bytes.toString('base64url')}`)).toBe('bad-signature');
    expect(await reasonFor(`${header}.${payload}.${signature.slice(0, 40)}`)).toBe('bad-signature');
  });

  it.each(['none', 'None', 'NONE'])('refuses alg "%s" without looking up a key', async (alg) => {
    const [, payload] = segments(sign());
    const keysByKid = jest.fn(() => key.publicKey);
    const header = b64json({ alg, typ: 'JWT', kid: 'k1' });
    expect(await reasonFor(`${header}.${payload}.`, options({ keysByKid }))).toBe('unsupported-alg');
    expect(await reasonFor(`${header}.${payload}.${segments(sign())[2]}`, options({ keysByKid }))).toBe(
      'unsupported-alg',
    );
    expect(keysByKid).not.toHaveBeenCalled();
  });

  it('refuses HS256, even keyed with the public key (algorithm confusion)', async () => {
    const header = b64json({ alg: 'HS256', typ: 'JWT', kid: 'k1' });
    const payload = b64json(goodClaims);
    const publicX = Buffer.from(String(key.publicKey.export({ format: 'jwk' }).x), 'base64url');
    const mac = createHmac('sha256', publicX).update(`${header}.${payload}`).digest('base64url');
    expect(await reasonFor(`${header}.${payload}.${mac}`)).toBe('unsupported-alg');
  });

  it.each([
    { typ: 'JWT', kid: 'k1' },
    { alg: 'ES256', kid: 'k1' },
    { alg: 'RS256', kid: 'k1' },
    { alg: ['EdDSA'] },
  ])('refuses header %j as unsupported-alg', async (header) => {
    expect(await reasonFor(signPayload(goodClaims, header))).toBe('unsupported-alg');
  });

  it('refuses a token signed by another key under the same kid', async () => {
    const impostor = generateSigningKey('k1');
    const forged = signAccessToken(subject, {
      key: impostor.privateKey,
      kid: 'k1',
      issuer: ISSUER,
      audience: AUDIENCE,
      ttlSeconds: TTL,
      now: NOW,
    });
    expect(await reasonFor(forged)).toBe('bad-signature');
  });

  it('refuses an unknown kid, and a kid that resolves to no Ed25519 key', async () => {
    const other = generateSigningKey('k2');
    const token = signAccessToken(subject, {
      key: other.privateKey,
      kid: 'k2',
      issuer: ISSUER,
      audience: AUDIENCE,
      ttlSeconds: TTL,
      now: NOW,
    });
    expect(await reasonFor(token)).toBe('unknown-key');
    const secret: KeyObject = createSecretKey(Buffer.alloc(32, 1));
    expect(await reasonFor(sign(), options({ keysByKid: () => secret }))).toBe('unknown-key');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(await reasonFor(sign(), options({ keysByKid: async () => rsa }))).toBe('unknown-key');
  });

  it('checks the signature before any claim', async () => {
    const impostor = generateSigningKey('k1');
    const expiredForgery = signAccessToken(subject, {
      key: impostor.privateKey,
      kid: 'k1',
      issuer: 'urn:elsewhere',
      audience: 'urn:elsewhere',
      ttlSeconds: 1,
      now: new Date('2020-01-01T00:00:00Z'),
    });
    expect(await reasonFor(expiredForgery)).toBe('bad-signature');
  });

  describe('time', () => {
    const at = (secondsFromIssue: number) =>
      options({ now: new Date(NOW.getTime() + secondsFromIssue * 1000) });

    it('accepts a token until exp, allowing for the clock tolerance', async () => {
      await expect(verifyAccessToken(sign(), at(TTL - 1))).resolves.toMatchObject({ sub: subject.sub });
      await expect(verifyAccessToken(sign(), at(TTL + 4))).resolves.toMatchObject({ sub: subject.sub });
    });

    it('refuses an expired token', async () => {
      expect(await reasonFor(sign(), at(TTL + 5))).toBe('expired');
      expect(await reasonFor(sign(), at(TTL + 3600))).toBe('expired');
      expect(await reasonFor(sign(), { ...at(TTL), clockToleranceSeconds: 0 })).toBe('expired');
    });

    it('refuses a token issued in the future or not valid yet', async () => {
      expect(await reasonFor(sign(), at(-60))).toBe('not-yet-valid');
      await expect(verifyAccessToken(sign(), at(-3))).resolves.toMatchObject({ sub: subject.sub });
      expect(await reasonFor(signPayload({ ...goodClaims, nbf: NOW_S + 60 }))).toBe('not-yet-valid');
    });
  });

  it('refuses another issuer', async () => {
    expect(await reasonFor(sign({ issuer: 'urn:somebody-else' }))).toBe('wrong-issuer');
  });

  it('refuses another audience, and accepts any listed one', async () => {
    expect(await reasonFor(sign({ audience: 'urn:other-api' }))).toBe('wrong-audience');
    const multi = signPayload({ ...goodClaims, aud: ['urn:other-api', AUDIENCE] });
    await expect(verifyAccessToken(multi, options())).resolves.toMatchObject({
      aud: ['urn:other-api', AUDIENCE],
    });
    await expect(
      verifyAccessToken(
        sign({ audience: 'urn:other-api' }),
        options({ audience: [AUDIENCE, 'urn:other-api'] }),
      ),
    ).resolves.toMatchObject({ aud: 'urn:other-api' });
  });

  it.each([
    ['sub missing', { ...goodClaims, sub: undefined }],
    ['sub not a uuid', { ...goodClaims, sub: 'ana' }],
    ['sub a number', { ...goodClaims, sub: 42 }],
    ['email missing', { ...goodClaims, email: undefined }],
    ['email empty', { ...goodClaims, email: '' }],
    ['email not a string', { ...goodClaims, email: ['a@b.c'] }],
    ['roles missing', { ...goodClaims, roles: undefined }],
    ['roles a string', { ...goodClaims, roles: 'sales-manager' }],
    ['roles holding a number', { ...goodClaims, roles: ['sales-rep', 1] }],
    ['iat a string', { ...goodClaims, iat: String(NOW_S) }],
    ['exp missing', { ...goodClaims, exp: undefined }],
    ['exp negative', { ...goodClaims, iat: -100, exp: -1 }],
    ['exp equal to iat', { ...goodClaims, exp: NOW_S }],
    ['exp before iat', { ...goodClaims, exp: NOW_S - 1 }],
    ['iss missing', { ...goodClaims, iss: undefined }],
    ['aud missing', { ...goodClaims, aud: undefined }],
    ['aud an empty list', { ...goodClaims, aud: [] }],
    ['aud a number', { ...goodClaims, aud: 7 }],
    ['nbf a string', { ...goodClaims, nbf: 'now' }],
  ])('refuses claims with %s', async (_, claims) => {
    expect(await reasonFor(signPayload(claims))).toBe('bad-claims');
  });

  it.each([
    ['a JSON array', signPayload([goodClaims])],
    ['a JSON string', signPayload('hello')],
    ['not JSON', signJws({ alg: 'EdDSA', typ: 'JWT', kid: 'k1' }, 'not json', key.privateKey)],
  ])('refuses a signed payload that is %s', async (_, token) => {
    expect(await reasonFor(token)).toBe('malformed');
  });

  const good = segments(sign());
  const [h, p, s] = good;
  it.each([
    ['an empty string', ''],
    ['one segment', 'abc'],
    ['two segments', `${h}.${p}`],
    ['four segments', `${h}.${p}.${s}.${s}`],
    ['an empty header', `.${p}.${s}`],
    ['an empty payload', `${h}..${s}`],
    ['an empty signature', `${h}.${p}.`],
    ['a padded header', `${h}=.${p}.${s}`],
    ['standard base64 characters', `${h}.${p}.${s.slice(0, -2)}+/`],
    ['whitespace inside', `${h}.${p} .${s}`],
    ['a header that is not JSON', `${Buffer.from('{alg').toString('base64url')}.${p}.${s}`],
    ['a header that is an array', `${b64json(['EdDSA'])}.${p}.${s}`],
    ['a header that is null', `${b64json(null)}.${p}.${s}`],
    ['no kid', `${b64json({ alg: 'EdDSA', typ: 'JWT' })}.${p}.${s}`],
    ['an empty kid', `${b64json({ alg: 'EdDSA', kid: '' })}.${p}.${s}`],
    ['a numeric kid', `${b64json({ alg: 'EdDSA', kid: 1 })}.${p}.${s}`],
    ['a crit header', `${b64json({ alg: 'EdDSA', kid: 'k1', crit: ['b64'], b64: false })}.${p}.${s}`],
    ['another typ', `${b64json({ alg: 'EdDSA', kid: 'k1', typ: 'license-file' })}.${p}.${s}`],
    ['an oversized token', `${h}.${'A'.repeat(9000)}.${s}`],
  ])('refuses %s as malformed', async (_, token) => {
    expect(await reasonFor(token)).toBe('malformed');
  });

  it('refuses a non-string token as malformed', async () => {
    expect(await reasonFor(undefined as unknown as string)).toBe('malformed');
  });

  it('accepts typ "application/jwt" and an absent typ', async () => {
    for (const header of [
      { alg: 'EdDSA', kid: 'k1' },
      { alg: 'EdDSA', kid: 'k1', typ: 'application/JWT' },
    ]) {
      await expect(verifyAccessToken(signPayload(goodClaims, header), options())).resolves.toMatchObject({
        sub: subject.sub,
      });
    }
  });

  it('lets errors of the key lookup itself propagate (they are not the token’s fault)', async () => {
    const failure = new Error('keys unavailable');
    await expect(
      verifyAccessToken(
        sign(),
        options({
          keysByKid: () => {
            throw failure;
          },
        }),
      ),
    ).rejects.toBe(failure);
  });
});
