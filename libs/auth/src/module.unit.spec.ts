import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { PROBLEM_CONTENT_TYPE, ProblemDetailsFilter } from '@otl/platform';
import pino from 'pino';
import { Authenticated, CurrentUser } from './guard';
import { signAccessToken, type AccessTokenClaims } from './jwt';
import { generateSigningKey, SigningKeyRing } from './keys';
import { AuthModule } from './module';

// The guard wired the way a service wires it: AuthModule.forRoot in the root module, the routes in a
// feature module that does not import it, errors rendered by the platform's problem filter. Requests
// go through Fastify's inject (no socket); the JWKS comes from a local server.

const ISSUER = 'urn:order-to-license:account';
const AUDIENCE = 'urn:order-to-license:api';
const ACCOUNT_ID = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const key = generateSigningKey();
const ring = new SigningKeyRing(key);

const tokenFor = (roles: string[]) =>
  signAccessToken(
    { sub: ACCOUNT_ID, email: 'ana@example.com', roles },
    { key: key.privateKey, kid: key.kid, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 60 },
  );

@Controller()
class ProfileController {
  @Get('v1/me')
  @Authenticated()
  me(@CurrentUser() user: AccessTokenClaims) {
    return { accountId: user.sub, email: user.email };
  }

  @Get('v1/approvals')
  @Authenticated('sales-manager')
  approvals() {
    return { ok: true };
  }

  @Get('health/live')
  live() {
    return { status: 'ok' };
  }
}

@Module({ controllers: [ProfileController] })
class FeatureModule {}

@Module({})
class RootModule {
  static with(auth: DynamicModule): DynamicModule {
    return { module: RootModule, imports: [auth, FeatureModule] };
  }
}

async function appWith(auth: DynamicModule): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(RootModule.with(auth), new FastifyAdapter(), {
    logger: false,
  });
  app.useGlobalFilters(new ProblemDetailsFilter(pino({ level: 'silent' })));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

const get = (app: NestFastifyApplication, url: string, authorization?: string) =>
  app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });

describe('AuthModule', () => {
  let jwksServer: Server;
  let jwksRequests = 0;
  let jwksUrl = '';
  const apps: NestFastifyApplication[] = [];

  beforeAll(async () => {
    jwksServer = createServer((_request, response) => {
      jwksRequests += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(ring.jwks()));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    apps.push(await appWith(AuthModule.forRoot({ jwksUrl, issuer: ISSUER, audience: AUDIENCE })));
    // A pino logger is what services pass; it must fit AuthLogger.
    const logger = pino({ level: 'silent' });
    apps.push(await appWith(AuthModule.forRoot({ keys: ring, issuer: ISSUER, audience: AUDIENCE, logger })));
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
  });

  it.each([
    ['a JWKS URL', 0],
    ['the issuer’s own key ring', 1],
  ])('authenticates with keys from %s', async (_, index) => {
    const app = apps[index]!;
    const me = await get(app, '/v1/me', `Bearer ${tokenFor([])}`);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({ accountId: ACCOUNT_ID, email: 'ana@example.com' });

    const anonymous = await get(app, '/v1/me');
    expect(anonymous.statusCode).toBe(401);
    expect(String(anonymous.headers['content-type']).split(';')[0]).toBe(PROBLEM_CONTENT_TYPE);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expect(anonymous.json()).toMatchObject({ status: 401, title: 'Unauthorized' });

    const [h, p, s] = tokenFor([]).split('.');
    const tampered = await get(app, '/v1/me', `Bearer ${h}.${p?.slice(0, -4)}AAAA.${s}`);
    expect(tampered.statusCode).toBe(401);
    expect(tampered.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(tampered.json()).toEqual(anonymous.json());

    const customer = await get(app, '/v1/approvals', `Bearer ${tokenFor([])}`);
    expect(customer.statusCode).toBe(403);
    expect(customer.json()).toMatchObject({ status: 403, title: 'Forbidden' });
    expect((await get(app, '/v1/approvals', `Bearer ${tokenFor(['sales-manager'])}`)).statusCode).toBe(200);

    expect((await get(app, '/health/live')).statusCode).toBe(200);
  });

  it('fetched the JWKS once and answered every request above from its cache', () => {
    expect(jwksRequests).toBe(1);
  });

  it('needs exactly one key source', () => {
    expect(() => AuthModule.forRoot({ issuer: ISSUER, audience: AUDIENCE })).toThrow(/exactly one/);
    expect(() => AuthModule.forRoot({ jwksUrl, keys: ring, issuer: ISSUER, audience: AUDIENCE })).toThrow(
      /exactly one/,
    );
  });
});
