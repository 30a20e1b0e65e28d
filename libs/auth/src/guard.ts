import {
  applyDecorators,
  createParamDecorator,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ProblemException } from '@otl/platform';
import { JwksUnavailableError, type AuthLogger } from './jwks-client';
import { InvalidTokenError, verifyAccessToken, type AccessTokenClaims } from './jwt';
import type { KeyResolver } from './keys';

/** Provider token of the AuthOptions. */
export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');
/** Provider token of the KeyResolver the guard verifies with (a JwksClient, or the issuer's key ring). */
export const ACCESS_TOKEN_KEYS = Symbol('ACCESS_TOKEN_KEYS');
export const ROLES_METADATA = 'otl:auth:roles';

export interface AuthOptions {
  issuer: string;
  audience: string | readonly string[];
  /** Allowed clock skew (default 5 s). */
  clockToleranceSeconds?: number;
  /** Why a token was refused goes here at debug level, never to the client. */
  logger?: AuthLogger;
}

/** The request as the guard leaves it. */
export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: AccessTokenClaims;
}

const UNAUTHORIZED_DETAIL = 'A valid access token is required: send Authorization: Bearer <access token>.';

/** RFC 6750: no error code when no credentials came at all; invalid_token when they did not verify. */
function unauthorized(tokenPresented: boolean): ProblemException {
  return new ProblemException(401, 'unauthorized', 'Unauthorized', UNAUTHORIZED_DETAIL, {
    headers: { 'www-authenticate': tokenPresented ? 'Bearer error="invalid_token"' : 'Bearer' },
  });
}

function forbidden(required: readonly string[]): ProblemException {
  return new ProblemException(
    403,
    'forbidden',
    'Forbidden',
    `This action needs the role ${required.join(' or ')}; your account lacks it.`,
    {
      headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' },
    },
  );
}

function keysUnavailable(): ProblemException {
  return new ProblemException(
    503,
    'service-unavailable',
    'Service unavailable',
    'Access tokens cannot be checked right now; try again shortly.',
    { headers: { 'retry-after': '5' } },
  );
}

/** The token of an `Authorization: Bearer <token>` header; undefined when there is no Bearer header. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer +(\S*) *$/i.exec(header);
  return match ? match[1] : undefined;
}

/**
 * Authenticates the request by its access token, verified against the issuer's keys, and puts the
 * claims on `request.user`. With `@Roles(...)` on the handler or controller, the token must carry at
 * least one of the roles. 401 and 403 answers never say which check failed.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
    @Inject(ACCESS_TOKEN_KEYS) private readonly keys: KeyResolver,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers['authorization']);
    if (token === undefined) {
      this.options.logger?.debug({ reason: 'no-bearer-token' }, 'access token refused');
      throw unauthorized(false);
    }
    let claims: AccessTokenClaims;
    try {
      claims = await verifyAccessToken(token, {
        keysByKid: (kid) => this.keys.getKey(kid),
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockToleranceSeconds: this.options.clockToleranceSeconds,
      });
    } catch (error) {
      if (error instanceof InvalidTokenError) {
        this.options.logger?.debug({ reason: error.reason, why: error.message }, 'access token refused');
        throw unauthorized(true);
      }
      if (error instanceof JwksUnavailableError) {
        this.options.logger?.warn({ err: error.message }, 'access token keys unavailable');
        throw keysUnavailable();
      }
      throw error;
    }
    request.user = claims;
    const required = this.reflector.getAllAndOverride<string[] | undefined>(ROLES_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (required && required.length > 0 && !required.some((role) => claims.roles.includes(role))) {
      this.options.logger?.debug({ sub: claims.sub, required }, 'access refused: no required role');
      throw forbidden(required);
    }
    return true;
  }
}

/** Any one of these roles admits the caller. Checked by AccessTokenGuard (see `Authenticated`). */
export const Roles = (...roles: string[]) => SetMetadata(ROLES_METADATA, roles);

/**
 * Requires a valid access token and, when roles are given, at least one of them. The OpenAPI
 * document says so for the route: bearer security, 401, and 403 when roles are required.
 */
export const Authenticated = (...roles: string[]) =>
  roles.length > 0
    ? applyDecorators(
        UseGuards(AccessTokenGuard),
        Roles(...roles),
        ApiBearerAuth(),
        ApiUnauthorizedResponse({ description: 'No valid access token.' }),
        ApiForbiddenResponse({ description: `The access token lacks a role: one of ${roles.join(', ')}.` }),
      )
    : applyDecorators(
        UseGuards(AccessTokenGuard),
        ApiBearerAuth(),
        ApiUnauthorizedResponse({ description: 'No valid access token.' }),
      );

/** The verified claims of the caller (a route behind AccessTokenGuard). */
export function currentUserOf(context: ExecutionContext): AccessTokenClaims {
  const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (!user) throw new Error('@CurrentUser() on a route that AccessTokenGuard does not protect');
  return user;
}

export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  currentUserOf(context),
);
