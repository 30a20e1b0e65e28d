import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { UPSTREAMS, type Upstreams } from '../tokens';
import { jsonOf } from '../upstream/upstream';
import { CheckYourEmailDto, EmailBody, SetPasswordBody, SignUpBody, TokenBody } from './dto';

const UNAVAILABLE = 'The account service cannot be reached; try again (retry-after).';
const ORIGIN = '`origin-refused`: the request does not come from the portal.';

/** Sign-up, verification and passwords: passed to the account service, which mails the links. */
@ApiTags('account')
@Controller('v1')
@ApiForbiddenResponse({ description: ORIGIN })
@ApiServiceUnavailableResponse({ description: UNAVAILABLE })
@ApiTooManyRequestsResponse({ description: 'Too many requests for this address or client; see retry-after.' })
export class AccountsController {
  constructor(@Inject(UPSTREAMS) private readonly upstreams: Upstreams) {}

  private async pass<T>(request: FastifyRequest, path: string, body: object): Promise<T> {
    return jsonOf<T>(
      await this.upstreams.account.call({
        method: 'POST',
        path,
        body,
        clientIp: request.ip,
        correlationId: request.id,
      }),
    );
  }

  @Post('accounts')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Sign up',
    description: 'Always 202 for a well-formed body; the address is mailed a verification link (or a note).',
  })
  @ApiAcceptedResponse({ type: CheckYourEmailDto })
  @ApiBadRequestResponse({ description: 'Field errors (say, a password under 12 characters).' })
  signUp(@Body() body: SignUpBody, @Req() request: FastifyRequest): Promise<CheckYourEmailDto> {
    return this.pass(request, '/v1/accounts', body);
  }

  @Post('accounts/verification')
  @HttpCode(204)
  @ApiOperation({ summary: 'Verify an email address with the mailed token' })
  @ApiNoContentResponse({ description: 'Verified.' })
  @ApiBadRequestResponse({ description: 'The token is used, expired or unknown.' })
  async verify(@Body() body: TokenBody, @Req() request: FastifyRequest): Promise<void> {
    await this.pass(request, '/v1/accounts/verification', body);
  }

  @Post('password-reset')
  @HttpCode(202)
  @ApiOperation({ summary: 'Forgot password: mail a link to set a new one', description: 'Always 202.' })
  @ApiAcceptedResponse({ type: CheckYourEmailDto })
  @ApiBadRequestResponse({ description: 'The body is not `{ email }`.' })
  requestReset(@Body() body: EmailBody, @Req() request: FastifyRequest): Promise<CheckYourEmailDto> {
    return this.pass(request, '/v1/auth/password-reset', body);
  }

  @Post('password-reset/confirm')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Set a password with the mailed token',
    description: 'A first password and a reset alike; it also verifies the address and ends other sign-ins.',
  })
  @ApiNoContentResponse({ description: 'The password is set.' })
  @ApiBadRequestResponse({
    description: 'The token is used, expired or unknown, or the password breaks a rule.',
  })
  async setPassword(@Body() body: SetPasswordBody, @Req() request: FastifyRequest): Promise<void> {
    await this.pass(request, '/v1/auth/password-reset/confirm', body);
  }
}
