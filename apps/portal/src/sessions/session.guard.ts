import {
  createParamDecorator,
  Injectable,
  UseGuards,
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiCookieAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { clearCookieHeader } from './cookie';
import { SessionEnded, SessionsService, type Session } from './sessions.service';

const sessions = new WeakMap<FastifyRequest, Session>();

/** Lets a route through only with a live session, which `@CurrentSession()` then gives it. */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(private readonly service: SessionsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const id = this.service.idFrom(request.headers.cookie);
    const session = await this.service.find(id);
    if (!session) {
      if (id === undefined) throw new SessionEnded({}, false);
      throw new SessionEnded({ 'set-cookie': clearCookieHeader(this.service.cookie) });
    }
    sessions.set(request, session);
    return true;
  }
}

export const CurrentSession = createParamDecorator((_: unknown, context: ExecutionContext): Session => {
  const session = sessions.get(context.switchToHttp().getRequest<FastifyRequest>());
  if (!session) throw new Error('@CurrentSession() on a route without @SignedIn()');
  return session;
});

/** The route needs a signed-in customer (the session cookie); 401 otherwise. */
export const SignedIn = () =>
  applyDecorators(
    UseGuards(SessionGuard),
    ApiCookieAuth('session'),
    ApiUnauthorizedResponse({
      description:
        '`not-signed-in`: no session cookie, or the session has ended (signed out, expired, revoked).',
    }),
  );
