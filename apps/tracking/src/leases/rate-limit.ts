import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { CLOCK, ProblemException, type Clock } from '@otl/platform';
import type { FastifyRequest } from 'fastify';

export const RATE_LIMITER = Symbol('RATE_LIMITER');

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counts lease API requests per client address; shared by every instance of the mode. */
export interface RateLimiter {
  take(address: string, now: Date): RateDecision;
}

/** Answers 429 with retry-after once the client's address has used its requests for the window. */
@Injectable()
export class LeaseRateLimitGuard implements CanActivate {
  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(CLOCK) private readonly now: Clock,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const decision = this.limiter.take(request.ip, this.now());
    if (decision.allowed) return true;
    throw new ProblemException(
      429,
      'too-many-requests',
      'Too many requests',
      `This address made too many lease requests; retry in ${decision.retryAfterSeconds} s.`,
      { headers: { 'retry-after': String(decision.retryAfterSeconds) } },
    );
  }
}
