import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from './problem';

const isEmptyObject = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.keys(value as object).length === 0;

/**
 * A guard for a request that carries no data (a heartbeat, an approval). A body sent anyway (JSON the
 * parser let through) is refused with 400 `body-not-allowed`, as an unknown field of a body is, rather
 * than ignored. `allowEmptyObject`: `{}` counts as no body, as many HTTP clients send it on a POST.
 */
export function noBody(options: { allowEmptyObject?: boolean } = {}): CanActivate {
  return {
    canActivate(context: ExecutionContext): boolean {
      const body = context.switchToHttp().getRequest<FastifyRequest>().body;
      if (body === undefined || (options.allowEmptyObject && isEmptyObject(body))) return true;
      throw new ProblemException(
        400,
        'body-not-allowed',
        'No body expected',
        options.allowEmptyObject
          ? 'This request takes no body (or an empty object {}).'
          : 'This request takes no body.',
      );
    },
  };
}
