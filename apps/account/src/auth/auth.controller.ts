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
  AccessTokenDto,
  CheckYourEmailDto,
  MeDto,
  PasswordResetConfirmDto,
  PasswordResetDto,
  SignInDto,
} from './dto';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(private readonly credentials: CredentialsService) {}

  @Post('token')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in: exchange email and password for an access token',
    description:
      'The access token is an EdDSA-signed JWT (claims sub, email, roles, iat, exp, iss, aud) that every ' +
      'service verifies with the keys at /.well-known/jwks.json. Any failure (no account, wrong password, ' +
      'password not yet set) is the same 401; 403 only when the password is right but the email is not ' +
      'verified. Failed attempts are limited per address and per client (429 with retry-after).',
  })
  @ApiOkResponse({ type: AccessTokenDto })
  @ApiUnauthorizedResponse({ description: 'The email address or password is not correct.' })
  @ApiForbiddenResponse({
    description: '`email-not-verified`: the password is right; verify the address first.',
  })
  @ApiTooManyRequestsResponse({ description: 'Too many failed attempts; see retry-after.' })
  signIn(@Body() body: SignInDto, @Req() request: FastifyRequest): Promise<AccessTokenDto> {
    return this.credentials.signIn(body.email, body.password, request.ip).catch(rethrowAsProblem);
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
      'mailed a notice; other outstanding links stop working too. Using the link also verifies the address.',
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
