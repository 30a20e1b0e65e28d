import {
  applyDecorators,
  createParamDecorator,
  Inject,
  Injectable,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from '@otl/auth';
import { ProblemException } from '@otl/platform';
import type { RateLimitRule } from '../config';
import { OrderMetrics } from '../orders/metrics';
import { KeyStore, type AuthenticatedReseller } from './key-store';
import { rateLimitHeaders } from './rate-limit';

export const RATE_LIMIT_RULE = Symbol('RATE_LIMIT_RULE');

type ResellerRequest = FastifyRequest & { reseller?: AuthenticatedReseller };

/** One answer for every refused key: which check failed is nobody's business. */
const invalidKey = () =>
  new ProblemException(
    401,
    'invalid-api-key',
    'Invalid API key',
    'Send a valid reseller API key as `Authorization: Bearer rsk_…`.',
    { headers: { 'www-authenticate': 'Bearer realm="reseller-intake"' } },
  );

/**
 * Authenticates the reseller by its API key (checked in the database on every request, so a
 * revocation holds at once on every instance), then counts the request against the key's rate limit.
 * Every answer after authentication carries the RateLimit-Policy and RateLimit headers.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(KeyStore) private readonly keys: KeyStore,
    @Inject(RATE_LIMIT_RULE) private readonly rule: RateLimitRule,
    @Inject(OrderMetrics) private readonly metrics: OrderMetrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<ResellerRequest>();
    const token = bearerToken(request.headers['authorization']);
    const authentication = token === undefined ? { ok: false as const } : await this.keys.authenticate(token);
    if (!authentication.ok) {
      this.metrics.authFailures.inc();
      throw invalidKey();
    }
    const headers = rateLimitHeaders(this.rule, authentication.rate);
    if (!authentication.rate.allowed) {
      this.metrics.rateLimited.inc();
      throw new ProblemException(
        429,
        'rate-limited',
        'Too many requests',
        `This API key may send ${this.rule.requests} requests per ${this.rule.windowSeconds} s; ` +
          `retry after ${headers['retry-after']} s.`,
        { headers },
      );
    }
    const reply = http.getResponse<FastifyReply>();
    for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
    request.reseller = authentication.reseller;
    return true;
  }
}

export const RATE_LIMIT_HEADERS = {
  RateLimit: {
    description:
      'IETF draft RateLimit header: remaining requests (`r`) and seconds until the quota is full (`t`).',
    schema: { type: 'string', example: '"per-key";r=99;t=1' },
  },
  'RateLimit-Policy': {
    description: 'IETF draft RateLimit-Policy header: the quota (`q`) per window (`w`, seconds).',
    schema: { type: 'string', example: '"per-key";q=100;w=1' },
  },
};

/** The route needs a reseller API key; the OpenAPI document says so with 401 and 429. */
export const ResellerApi = () =>
  applyDecorators(
    UseGuards(ApiKeyGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({
      description:
        '`invalid-api-key`: the API key is missing, malformed, unknown or revoked (one answer for all).',
    }),
    ApiResponse({
      status: 429,
      description:
        '`rate-limited`: this key used its quota; retry after `retry-after` seconds. Every authenticated ' +
        'answer carries `RateLimit-Policy` and `RateLimit`.',
      headers: {
        ...RATE_LIMIT_HEADERS,
        'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer', minimum: 1 } },
      },
    }),
  );

export const CurrentReseller = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const reseller = context.switchToHttp().getRequest<ResellerRequest>().reseller;
  if (!reseller) throw new Error('@CurrentReseller() on a route that ApiKeyGuard does not protect');
  return reseller;
});
