import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clearCookieHeader, setCookieHeader } from '../sessions/cookie';
import { CurrentSession, SignedIn } from '../sessions/session.guard';
import { SessionsService, type AccountMe, type Me, type Session } from '../sessions/sessions.service';
import { jsonOf } from '../upstream/upstream';
import { MeDto, SignInBody } from './dto';
import { CustomerGateway } from './gateway';

const UNAVAILABLE = 'A service the portal depends on cannot be reached; try again (retry-after).';

@ApiTags('session')
@Controller('v1/session')
export class SessionController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly gateway: CustomerGateway,
  ) {}

  @Get()
  @SignedIn()
  @ApiOperation({ summary: 'Who is signed in' })
  @ApiOkResponse({ type: MeDto })
  @ApiServiceUnavailableResponse({ description: UNAVAILABLE })
  async current(@CurrentSession() session: Session, @Req() request: FastifyRequest): Promise<Me> {
    const { account } = this.gateway.upstreams;
    const me = jsonOf<AccountMe>(
      await this.gateway.call(account, session, request, { method: 'GET', path: '/v1/me' }),
    );
    return { ...me, roles: await this.sessions.roles(session) };
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in',
    description:
      'Signs in against the account service and starts a session: the answer sets an HttpOnly, ' +
      'SameSite=Strict session cookie (Secure outside localhost). The browser never receives a token.',
  })
  @ApiOkResponse({ type: MeDto })
  @ApiBadRequestResponse({ description: 'The body is not `{ email, password }`.' })
  @ApiUnauthorizedResponse({
    description: '`invalid-credentials`: the email address or password is not correct.',
  })
  @ApiForbiddenResponse({
    description: '`email-not-verified`, or `origin-refused` when the request does not come from the portal.',
  })
  @ApiTooManyRequestsResponse({ description: 'Too many failed attempts; see retry-after.' })
  @ApiServiceUnavailableResponse({ description: UNAVAILABLE })
  async signIn(
    @Body() body: SignInBody,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Me> {
    const { cookie } = this.sessions;
    const previous = this.sessions.idFrom(request.headers.cookie);
    const { id, me, maxAgeSeconds } = await this.sessions.signIn(
      body.email,
      body.password,
      request.ip,
      previous,
    );
    void reply.header('set-cookie', setCookieHeader(cookie, id, maxAgeSeconds));
    return me;
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Sign out',
    description:
      'Ends the session and revokes its sign-in at the account service. 204 also when not signed in.',
  })
  @ApiNoContentResponse({ description: 'Signed out; the cookie is cleared.' })
  @ApiForbiddenResponse({ description: '`origin-refused`: the request does not come from the portal.' })
  async signOut(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.sessions.signOut(this.sessions.idFrom(request.headers.cookie));
    void reply.header('set-cookie', clearCookieHeader(this.sessions.cookie));
  }
}
