import { Body, Controller, Get, Header, HttpCode, Inject, Post, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import {
  Authenticated,
  CurrentUser,
  type AccessTokenClaims,
  type Jwks,
  type SigningKeyRing,
} from '@otl/auth';
import { ProblemException } from '@otl/platform';
import { AccountService } from '../accounts/account.service';
import { rethrowAsProblem } from '../errors';
import { ACCESS_TOKEN_RING } from '../tokens';
import { CredentialsService } from './credentials.service';
import {
  CheckYourEmailDto,
  MeDto,
  PasswordResetConfirmDto,
  PasswordResetDto,
  RefreshTokenDto,
  SignInDto,
  TokensDto,
} from './dto';
import { answers } from './openapi';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(private readonly credentials: CredentialsService) {}

  @Post('token')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in: exchange email and password for an access token and a refresh token',
    description:
      'The access token is an EdDSA-signed JWT (claims sub, email, roles, iat, exp, iss, aud) that every ' +
      'service verifies with the keys at /.well-known/jwks.json. The refresh token is opaque and starts a ' +
      'sign-in that /v1/auth/token/refresh renews for as long as it is used at least every ' +
      'REFRESH_TOKEN_TTL_SECONDS (30 days). Any failure (no account, wrong password, password not yet set) ' +
      'is the same 401; 403 only when the password is right but the email is not verified. Failed attempts ' +
      'are limited per address and per client (429 with retry-after).',
  })
  @ApiOkResponse({ type: TokensDto, description: 'Signed in.' })
  @ApiUnauthorizedResponse(answers.signInRefused)
  @ApiForbiddenResponse(answers.emailNotVerified)
  @ApiTooManyRequestsResponse(answers.limited('Too many failed attempts for this address or client.'))
  signIn(@Body() body: SignInDto, @Req() request: FastifyRequest): Promise<TokensDto> {
    return this.credentials.signIn(body.email, body.password, request.ip).catch(rethrowAsProblem);
  }

  @Post('token/refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Exchange a refresh token for a new access token and a new refresh token',
    description:
      'Rotation (OAuth 2.0 Security BCP, RFC 9700 §4.14): the presented token is retired and the answer holds ' +
      'the next one, valid for REFRESH_TOKEN_TTL_SECONDS (30 days) from now, so a sign-in lasts as long as ' +
      'it is refreshed at least that often. The access token carries the claims the account has now (roles ' +
      'included), as at sign-in. Presenting a retired token again is taken as theft: every token of that ' +
      'sign-in is revoked (401), the newest included. Of two concurrent refreshes of one token exactly one ' +
      'succeeds; the other is such a reuse. A password change, a logout, or an account that can no longer ' +
      'sign in ends the tokens too. Refused refreshes are limited per client (429 with retry-after); ' +
      'successful ones never count.',
  })
  @ApiOkResponse({ type: TokensDto, description: 'The next pair; the presented refresh token is retired.' })
  @ApiBadRequestResponse(answers.refreshMalformed)
  @ApiUnauthorizedResponse(answers.refreshRefused)
  @ApiTooManyRequestsResponse(answers.limited('Too many refused refreshes from this client.'))
  refresh(@Body() body: RefreshTokenDto, @Req() request: FastifyRequest): Promise<TokensDto> {
    return this.credentials.refresh(body.refreshToken, request.ip).catch(rethrowAsProblem);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Sign out: revoke the sign-in of a refresh token',
    description:
      'Revokes every refresh token of the sign-in this one belongs to (whether it is current, already used ' +
      'or expired). Idempotent: 204 also for an unknown or already revoked token. Access tokens already ' +
      'issued stay valid until they expire (ACCESS_TOKEN_TTL_SECONDS, 15 minutes).',
  })
  @ApiNoContentResponse({ description: 'Signed out (or nothing to sign out).' })
  @ApiBadRequestResponse(answers.refreshMalformed)
  async logout(@Body() body: RefreshTokenDto): Promise<void> {
    await this.credentials.logout(body.refreshToken);
  }

  @Post('password-reset')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Ask for a password-reset mail',
    description:
      'Always 202. If the address has an account, it is mailed a single-use link ' +
      '(`{PORTAL_URL}/set-password?token=…`) that works for ACCOUNT_TOKEN_TTL_SECONDS (default one hour).',
  })
  @ApiAcceptedResponse({ type: CheckYourEmailDto })
  @ApiTooManyRequestsResponse({ description: 'Too many requests for this address or client.' })
  async requestReset(
    @Body() body: PasswordResetDto,
    @Req() request: FastifyRequest,
  ): Promise<CheckYourEmailDto> {
    await this.credentials.requestPasswordReset(body.email, request.ip).catch(rethrowAsProblem);
    return { status: 'check-your-email' };
  }

  @Post('password-reset/confirm')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Set a password with a mailed token',
    description:
      'For a reset and for a first password alike. The old password stops working and its owner is ' +
      'mailed a notice; other outstanding links stop working too, and so does every refresh token of the ' +
      'account (each sign-in must be made again). Using the link also verifies the address.',
  })
  @ApiNoContentResponse({ description: 'The password is set.' })
  @ApiBadRequestResponse({
    description: 'The token is malformed, unknown, expired or used, or the password is invalid.',
  })
  async confirmReset(@Body() body: PasswordResetConfirmDto): Promise<void> {
    await this.credentials.setPassword(body.token, body.password).catch(rethrowAsProblem);
  }
}

@ApiTags('auth')
@Controller()
export class MeController {
  constructor(
    private readonly accounts: AccountService,
    @Inject(ACCESS_TOKEN_RING) private readonly ring: SigningKeyRing,
  ) {}

  @Get('v1/me')
  @Authenticated()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed-in account' })
  @ApiOkResponse({ type: MeDto })
  @ApiUnauthorizedResponse({ description: 'No valid access token.' })
  @ApiNotFoundResponse({ description: 'The account no longer exists.' })
  async me(@CurrentUser() user: AccessTokenClaims): Promise<MeDto> {
    const account = await this.accounts.findById(user.sub).catch(rethrowAsProblem);
    if (!account) throw new ProblemException(404, 'not-found', 'Not found', 'No such account.');
    return {
      accountId: account.accountId,
      email: account.email,
      name: account.name,
      company: account.company,
    };
  }

  @Get('.well-known/jwks.json')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({
    summary: 'Public keys that verify access tokens (RFC 7517)',
    description:
      'The current signing key and any previous keys still accepted during a rotation, each with its kid ' +
      '(RFC 7638 thumbprint unless configured). Other services verify access tokens with these keys.',
  })
  @ApiOkResponse({ description: 'A JWK Set of Ed25519 (OKP) keys.' })
  jwks(): Jwks {
    return this.ring.jwks();
  }
}
