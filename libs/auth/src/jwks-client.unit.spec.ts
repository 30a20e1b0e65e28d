import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwksClient, JwksUnavailableError, type AuthLogger } from './jwks-client';
import { signAccessToken, verifyAccessToken } from './jwt';
import { generateSigningKey, SigningKeyRing, toPublicJwk, type SigningKey } from './keys';

const ISSUER = 'urn:order-to-license:account';
const AUDIENCE = 'urn:order-to-license:api';
const subject = { sub: '0b9f4c2a-1d3e-4f5a-8b6c-7d8e9f0a1b2c', email: 'a@example.com', roles: [] };

/** A local JWKS endpoint whose answer each test sets, counting the requests it gets. */
class JwksServer {
  body: unknown = { keys: [] };
  status = 200;
  hang = false;
  requests = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((_request, response) => {
      this.requests += 1;
      if (this.hang) return;
      response.writeHead(this.status, { 'content-type': 'application/json' });
      response.end(typeof this.body === 'string' ? this.body : JSON.stringify(this.body));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const server = new JwksServer();
beforeAll(() => server.start());
afterAll(() => server.stop());

let now = 0;
const logger = { debug: jest.fn(), warn: jest.fn() } satisfies AuthLogger;
const client = (overrides: Partial<ConstructorParameters<typeof JwksClient>[0]> = {}) =>
  new JwksClient({ url: server.url, clock: () => now, logger, ...overrides });

const current = generateSigningKey('2026-11');
const previous = generateSigningKey('2026-10');
const next = generateSigningKey('2026-12');

beforeEach(() => {
  now = 1_000_000;
  server.body = new SigningKeyRing(current, [previous]).jwks();
  server.status = 200;
  server.hang = false;
  server.requests = 0;
  logger.debug.mockClear();
  logger.warn.mockClear();
});

const tokenBy = (key: SigningKey) =>
  signAccessToken(subject, {
    key: key.privateKey,
    kid: key.kid,
    issuer: ISSUER,
    audience: AUDIENCE,
    ttlSeconds: 60,
  });

const verifyWith = (jwks: JwksClient, token: string) =>
  verifyAccessToken(token, { keysByKid: (kid) => jwks.getKey(kid), issuer: ISSUER, audience: AUDIENCE });

describe('JwksClient', () => {
  it('fetches once, then serves from its cache', async () => {
    const jwks = client();
    expect((await jwks.getKey('2026-11'))?.equals(current.publicKey)).toBe(true);
    expect((await jwks.getKey('2026-10'))?.equals(previous.publicKey)).toBe(true);
    expect(server.requests).toBe(1);
    expect(jwks.keyIds().sort()).toEqual(['2026-10', '2026-11']);
  });

  it('verifies tokens from either key while the JWKS lists two (rotation)', async () => {
    const jwks = client();
    await expect(verifyWith(jwks, tokenBy(current))).resolves.toMatchObject({ sub: subject.sub });
    await expect(verifyWith(jwks, tokenBy(previous))).resolves.toMatchObject({ sub: subject.sub });
    await expect(verifyWith(jwks, tokenBy(next))).rejects.toMatchObject({ reason: 'unknown-key' });
  });

  it('shares one fetch between concurrent lookups', async () => {
    const jwks = client();
    const keys = await Promise.all([jwks.getKey('2026-11'), jwks.getKey('2026-10'), jwks.getKey('2026-11')]);
    expect(keys.every((key) => key !== undefined)).toBe(true);
    expect(server.requests).toBe(1);
  });

  it('refetches for an unknown kid, at most once per interval', async () => {
    const jwks = client({ minRefetchIntervalSeconds: 10 });
    await jwks.getKey('2026-11');
    now += 10_000;
    expect(await jwks.getKey('unknown-1')).toBeUndefined();
    expect(server.requests).toBe(2);
    now += 9_999;
    expect(await jwks.getKey('unknown-2')).toBeUndefined();
    expect(await jwks.getKey('unknown-3')).toBeUndefined();
    expect(server.requests).toBe(2);
    now += 1;
    expect(await jwks.getKey('unknown-4')).toBeUndefined();
    expect(server.requests).toBe(3);
  });

  it('picks up a key the issuer has rotated to', async () => {
    const jwks = client();
    await expect(verifyWith(jwks, tokenBy(current))).resolves.toMatchObject({ sub: subject.sub });
    server.body = new SigningKeyRing(next, [current]).jwks();
    now += 10_000;
    await expect(verifyWith(jwks, tokenBy(next))).resolves.toMatchObject({ sub: subject.sub });
    await expect(verifyWith(jwks, tokenBy(current))).resolves.toMatchObject({ sub: subject.sub });
    expect(server.requests).toBe(2);
    // The retired key is gone from the new document, so its tokens no longer verify.
    await expect(verifyWith(jwks, tokenBy(previous))).rejects.toMatchObject({ reason: 'unknown-key' });
  });

  it('refetches once the cache TTL has passed, and drops keys the issuer removed', async () => {
    const jwks = client({ cacheTtlSeconds: 300 });
    await jwks.getKey('2026-10');
    now += 299_000;
    await jwks.getKey('2026-10');
    expect(server.requests).toBe(1);
    server.body = new SigningKeyRing(current).jwks();
    now += 1_000;
    expect(await jwks.getKey('2026-10')).toBeUndefined();
    expect(server.requests).toBe(2);
    expect(jwks.keyIds()).toEqual(['2026-11']);
  });

  it.each([
    ['an HTTP error', () => (server.status = 500)],
    ['a body that is not JSON', () => (server.body = '<html>')],
    ['a body that is not a JWKS', () => (server.body = { hello: 'world' })],
  ])('keeps serving the cached keys when a refetch meets %s', async (_, breakServer) => {
    const jwks = client({ cacheTtlSeconds: 60 });
    await jwks.getKey('2026-11');
    breakServer();
    now += 61_000;
    expect((await jwks.getKey('2026-11'))?.equals(current.publicKey)).toBe(true);
    expect(server.requests).toBe(2);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ url: server.url, cachedKids: expect.arrayContaining(['2026-11']) }),
      expect.stringMatching(/keeping the cached keys/),
    );
    // A failed attempt counts toward the interval: no hammering a struggling issuer.
    await jwks.getKey('unknown');
    expect(server.requests).toBe(2);
  });

  it('reports the keys unavailable when it has never loaded any, and retries after the interval', async () => {
    server.status = 503;
    const jwks = client();
    await expect(jwks.getKey('2026-11')).rejects.toBeInstanceOf(JwksUnavailableError);
    await expect(jwks.getKey('2026-11')).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(server.requests).toBe(1);
    server.status = 200;
    now += 10_000;
    expect((await jwks.getKey('2026-11'))?.equals(current.publicKey)).toBe(true);
  });

  it('gives up on a fetch that takes longer than its timeout', async () => {
    server.hang = true;
    const jwks = client({ timeoutMs: 100 });
    await expect(jwks.getKey('2026-11')).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(logger.warn).toHaveBeenCalled();
  });

  it('ignores keys that are not Ed25519 signature keys', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    server.body = {
      keys: [
        { ...rsa, kid: 'rsa', alg: 'RS256', use: 'sig' },
        { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' },
        { ...toPublicJwk(previous.publicKey, 'enc'), use: 'enc' },
        toPublicJwk(current.publicKey, '2026-11'),
      ],
    };
    const jwks = client();
    expect(await jwks.getKey('rsa')).toBeUndefined();
    expect(await jwks.getKey('hmac')).toBeUndefined();
    expect(await jwks.getKey('enc')).toBeUndefined();
    expect(jwks.keyIds()).toEqual(['2026-11']);
    expect(logger.debug).toHaveBeenCalledWith(
      expect.objectContaining({ ignored: expect.arrayContaining([expect.stringMatching(/RSA/)]) }),
      'JWKS entries skipped',
    );
  });

  it('uses an injected fetch function', async () => {
    const fetchFn = jest.fn(async () => Response.json(new SigningKeyRing(next).jwks()));
    const jwks = new JwksClient({ url: 'https://account.example/.well-known/jwks.json', fetch: fetchFn });
    expect((await jwks.getKey('2026-12'))?.equals(next.publicKey)).toBe(true);
    expect(fetchFn).toHaveBeenCalledWith(
      'https://account.example/.well-known/jwks.json',
      expect.objectContaining({ headers: { accept: 'application/json' } }),
    );
    expect(server.requests).toBe(0);
  });
});
