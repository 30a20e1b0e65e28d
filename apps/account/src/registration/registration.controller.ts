import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AccountService } from '../accounts/account.service';
import { CredentialsService } from '../auth/credentials.service';
import { CheckYourEmailDto, RegisterDto, VerificationDto } from '../auth/dto';
import { rethrowAsProblem } from '../errors';

@ApiTags('accounts')
@Controller('v1/accounts')
export class RegistrationController {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly accounts: AccountService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Create an account',
    description:
      'Answers 202 for every well-formed body, whether or not the address already has an account. ' +
      'A new address gets an account whose email is unverified and a mail with a verification link ' +
      '(`{PORTAL_URL}/verify-email?token=…`); nobody can sign in before it is used. An address that ' +
      'already has an account changes nothing: its owner is mailed a note with a set-password link.',
  })
  @ApiAcceptedResponse({ type: CheckYourEmailDto })
  @ApiBadRequestResponse({ description: 'A field is missing or invalid, or an unknown field was sent.' })
  @ApiTooManyRequestsResponse({ description: 'Too many registrations for this address or client.' })
  async register(@Body() body: RegisterDto, @Req() request: FastifyRequest): Promise<CheckYourEmailDto> {
    const profile = { email: body.email, name: body.name, company: body.company ?? null };
    await this.credentials.register(profile, body.password, request.ip).catch(rethrowAsProblem);
    return { status: 'check-your-email' };
  }

  @Post('verification')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Verify an email address with the mailed token',
    description: 'Single use; the token expires after ACCOUNT_TOKEN_TTL_SECONDS (default one hour).',
  })
  @ApiNoContentResponse({ description: 'The address is verified; the account can sign in.' })
  @ApiBadRequestResponse({ description: 'The token is malformed, unknown, expired or already used.' })
  async verify(@Body() body: VerificationDto): Promise<void> {
    await this.accounts.verifyEmail(body.token).catch(rethrowAsProblem);
  }
}
