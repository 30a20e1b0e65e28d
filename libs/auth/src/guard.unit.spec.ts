import type { ExecutionContext } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { ProblemException } from '@otl/platform';
import {
  AccessTokenGuard,
  Authenticated,
  bearerToken,
  currentUserOf,
  Roles,
  type AuthenticatedRequest,
  type AuthOptions,
} from './guard';
import { JwksUnavailableError, type AuthLogger } from './jwks-client';
import { signAccessToken, signJws } from './jwt';
import { generateSigningKey, SigningKeyRing, type KeyResolver } from './keys';

const ISSUER = 'urn:order-to-license:account';
const AUDIENCE = 'urn:order-to-license:api';
const ACCOUNT_ID = '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';

const key = generateSigningKey('k1');
const ring = new SigningKeyRing(key);
const logger = { debug: jest.fn(), warn: jest.fn() } satisfies AuthLogger;
const options: AuthOptions = { issuer: ISSUER, audience: AUDIENCE, logger };

const tokenFor = (
  roles: string[],
  extra: { now?: Date; ttlSeconds?: number; signingKey?: typeof key } = {},
) =>
  signAccessToken(
    { sub: ACCOUNT_ID, email: 'staff@example.com', roles },
    {
      key: (extra.signingKey ?? key).privateKey,
      kid: 'k1',
      issuer: ISSUER,
      audience: AUDIENCE,
      ttlSeconds: extra.ttlSeconds ?? 900,
      now: extra.now,
    },
  );

class CustomerController {
  me() {
    return 'me';
  }
}

class PurchaseOrderController {
  list() {
    return [];
  }

  @Roles('sales-manager')
  approve() {
    return 'approved';
  }
}

@Roles('sales-rep', 'sales-manager')
class StaffOnlyController {
  submit() {
    return 'submitted';
  }

  @Roles('sales-manager')
  approve() {
    return 'approved';
  }
}

/** The two things of an ExecutionContext a guard uses: the request and the route it targets. */
function contextFor(
  request: AuthenticatedRequest,
  controller: new () => object,
  method: string,
): ExecutionContext {
  const handler = (controller.prototype as Record<string, () => unknown>)[method];
  return {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}), getNext: () => undefined }),
    getHandler: () => handler,
    getClass: () => controller,
    getType: () => 'http',
  } as unknown as ExecutionContext;
}

const requestWith = (authorization?: string | string[]): AuthenticatedRequest => ({
  headers: authorization === undefined ? {} : { authorization },
});

const guard = (keys: KeyResolver = ring) => new AccessTokenGuard(options, keys, new Reflector());

async function refusal(promise: Promise<unknown>): Promise<ProblemException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error('the guard let the request through');
}

beforeEach(() => {
  logger.debug.mockClear();
  logger.warn.mockClear();
});

describe('AccessTokenGuard', () => {
  it('lets a valid token through and puts its claims on the request', async () => {
    const request = requestWith(`Bearer ${tokenFor([])}`);
    await expect(guard().canActivate(contextFor(request, CustomerController, 'me'))).resolves.toBe(true);
    expect(request.user).toMatchObject({
      sub: ACCOUNT_ID,
      email: 'staff@example.com',
      roles: [],
      iss: ISSUER,
      aud: AUDIENCE,
    });
  });

  it('accepts the scheme name in any case', async () => {
    const request = requestWith(`bearer ${tokenFor([])}`);
    await expect(guard().canActivate(contextFor(request, CustomerController, 'me'))).resolves.toBe(true);
  });

  it.each([
    ['no Authorization header', undefined],
    ['another scheme', 'Basic YW5hOnNlY3JldA=='],
    ['the scheme alone', 'Bearer'],
    ['two Authorization headers', ['Bearer a.b.c', 'Bearer d.e.f']],
  ])('answers 401 without an error code for %s', async (_, header) => {
    const request = requestWith(header);
    const problem = await refusal(guard().canActivate(contextFor(request, CustomerController, 'me')));
    expect(problem.getStatus()).toBe(401);
    expect(problem.toProblem()).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(problem.toProblem().type).toMatch(/\/unauthorized$/);
    expect(problem.extras.headers).toEqual({ 'www-authenticate': 'Bearer' });
    expect(request.user).toBeUndefined();
  });

  const [header, payload, signature] = tokenFor([]).split('.') as [string, string, string];
  const tamperedPayload = Buffer.from(payload, 'base64url');
  tamperedPayload[tamperedPayload.indexOf('staff')] = 'S'.charCodeAt(0);
  const invalidTokens: [string, string, string][] = [
    [
      'a tampered payload',
      `${header}.${tamperedPayload.toString('base64url')}.${signature}`,
      'bad-signature',
    ],
    [
      'alg none',
      `${Buffer.from('{"alg":"none","typ":"JWT","kid":"k1"}').toString('base64url')}.${payload}.`,
      'unsupported-alg',
    ],
    ['another key', tokenFor([], { signingKey: generateSigningKey('k1') }), 'bad-signature'],
    ['an expired token', tokenFor([], { now: new Date(Date.now() - 3_600_000), ttlSeconds: 60 }), 'expired'],
    [
      'an unknown kid',
      signJws({ alg: 'EdDSA', typ: 'JWT', kid: 'k9' }, Buffer.from(payload, 'base64url'), key.privateKey),
      'unknown-key',
    ],
    ['garbage', 'not-a-token', 'malformed'],
    ['an empty token', '', 'malformed'],
  ];

  it.each(invalidTokens)(
    'answers 401 invalid_token for %s, saying only that the token is invalid',
    async (_, token, reason) => {
      const request = requestWith(`Bearer ${token}`);
      const problem = await refusal(guard().canActivate(contextFor(request, CustomerController, 'me')));
      expect(problem.getStatus()).toBe(401);
      expect(problem.extras.headers).toEqual({ 'www-authenticate': 'Bearer error="invalid_token"' });
      // The body is the same whatever failed; the reason goes to the debug log only.
      const other = await refusal(
        guard().canActivate(contextFor(requestWith('Bearer x'), CustomerController, 'me')),
      );
      expect(problem.toProblem()).toEqual(other.toProblem());
      expect(JSON.stringify(problem.toProblem())).not.toContain(reason);
      expect(logger.debug).toHaveBeenCalledWith(expect.objectContaining({ reason }), 'access token refused');
      expect(request.user).toBeUndefined();
    },
  );

  it('answers 403 when the token lacks every listed role, 200 with any one of them', async () => {
    const asRep = requestWith(`Bearer ${tokenFor(['sales-rep'])}`);
    const problem = await refusal(guard().canActivate(contextFor(asRep, PurchaseOrderController, 'approve')));
    expect(problem.getStatus()).toBe(403);
    expect(problem.toProblem()).toMatchObject({ status: 403, title: 'Forbidden' });
    expect(problem.toProblem().type).toMatch(/\/forbidden$/);
    expect(problem.extras.headers).toEqual({ 'www-authenticate': 'Bearer error="insufficient_scope"' });

    const asManager = requestWith(`Bearer ${tokenFor(['sales-rep', 'sales-manager'])}`);
    await expect(
      guard().canActivate(contextFor(asManager, PurchaseOrderController, 'approve')),
    ).resolves.toBe(true);
    await expect(guard().canActivate(contextFor(asRep, PurchaseOrderController, 'list'))).resolves.toBe(true);
  });

  it('applies controller-level roles, with a handler’s own roles taking precedence', async () => {
    const customer = requestWith(`Bearer ${tokenFor([])}`);
    expect(
      (await refusal(guard().canActivate(contextFor(customer, StaffOnlyController, 'submit')))).getStatus(),
    ).toBe(403);
    const rep = requestWith(`Bearer ${tokenFor(['sales-rep'])}`);
    await expect(guard().canActivate(contextFor(rep, StaffOnlyController, 'submit'))).resolves.toBe(true);
    expect(
      (await refusal(guard().canActivate(contextFor(rep, StaffOnlyController, 'approve')))).getStatus(),
    ).toBe(403);
  });

  it('answers 503 when the issuer’s keys have never been reachable', async () => {
    const unreachable: KeyResolver = {
      getKey: async () => {
        throw new JwksUnavailableError('http://127.0.0.1:1/.well-known/jwks.json');
      },
    };
    const request = requestWith(`Bearer ${tokenFor([])}`);
    const problem = await refusal(
      guard(unreachable).canActivate(contextFor(request, CustomerController, 'me')),
    );
    expect(problem.getStatus()).toBe(503);
    expect(problem.extras.headers).toEqual({ 'retry-after': '5' });
    expect(logger.warn).toHaveBeenCalled();
  });

  it('does not turn unexpected errors into 401s', async () => {
    const broken: KeyResolver = {
      getKey: () => {
        throw new TypeError('bug');
      },
    };
    const request = requestWith(`Bearer ${tokenFor([])}`);
    await expect(guard(broken).canActivate(contextFor(request, CustomerController, 'me'))).rejects.toThrow(
      TypeError,
    );
  });
});

describe('decorators', () => {
  it('@Authenticated() puts the guard on the route, with roles when given', () => {
    class Controller {
      @Authenticated()
      open() {
        return 1;
      }

      @Authenticated('sales-manager')
      managers() {
        return 2;
      }
    }
    const reflector = new Reflector();
    expect(Reflect.getMetadata(GUARDS_METADATA, Controller.prototype.open)).toEqual([AccessTokenGuard]);
    expect(Reflect.getMetadata(GUARDS_METADATA, Controller.prototype.managers)).toEqual([AccessTokenGuard]);
    expect(reflector.get('otl:auth:roles', Controller.prototype.managers)).toEqual(['sales-manager']);
    expect(reflector.get('otl:auth:roles', Controller.prototype.open)).toBeUndefined();
  });

  it('@CurrentUser() gives the claims the guard verified', async () => {
    const request = requestWith(`Bearer ${tokenFor(['sales-rep'])}`);
    const context = contextFor(request, CustomerController, 'me');
    await guard().canActivate(context);
    expect(currentUserOf(context)).toBe(request.user);
    expect(currentUserOf(context).sub).toBe(ACCOUNT_ID);
    expect(() => currentUserOf(contextFor(requestWith(), CustomerController, 'me'))).toThrow(
      /AccessTokenGuard/,
    );
  });

  it.each([
    ['Bearer abc', 'abc'],
    ['bearer   abc  ', 'abc'],
    ['Bearer ', ''],
    ['Bearer a b', undefined],
    ['Token abc', undefined],
    ['Bearerabc', undefined],
  ])('reads %j as token %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
