import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { SessionEnded, SessionsService, type Session } from '../sessions/sessions.service';
import { UPSTREAMS, type Upstreams } from '../tokens';
import type { Upstream, UpstreamAnswer, UpstreamRequest } from '../upstream/upstream';

/** Calls a service for the signed-in customer with the session's access token. */
@Injectable()
export class CustomerGateway {
  constructor(
    private readonly sessions: SessionsService,
    @Inject(UPSTREAMS) readonly upstreams: Upstreams,
  ) {}

  /**
   * A service refusing the token (401) gets one more try with a renewed one (say, the token was
   * revoked early); a second refusal ends the session.
   */
  async call(
    upstream: Upstream,
    session: Session,
    request: FastifyRequest,
    call: Omit<UpstreamRequest, 'accessToken' | 'clientIp' | 'correlationId'>,
  ): Promise<UpstreamAnswer> {
    const base = { ...call, clientIp: request.ip, correlationId: request.id };
    const token = await this.sessions.accessToken(session);
    const first = await upstream.call({ ...base, accessToken: token });
    if (first.status !== 401) return first;
    const renewed = await this.sessions.accessToken(session, token);
    const second = await upstream.call({ ...base, accessToken: renewed });
    if (second.status === 401) throw new SessionEnded();
    return second;
  }
}
