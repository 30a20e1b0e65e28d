import { Controller, Get, Inject, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser, type AccessTokenClaims } from '@otl/auth';
import { CLOCK, ProblemException, type Clock } from '@otl/platform';
import { LicenseUsageDto } from './dto';
import { UsageHistory } from './usage-history';

const notFound = () =>
  new ProblemException(404, 'not-found', 'Not found', 'No licence with this id belongs to your account.');

/** The customer portal's view of a vendor-hosted licence's usage. */
@ApiTags('usage')
@Controller('v1/usage')
export class UsageController {
  constructor(
    @Inject(UsageHistory) private readonly history: UsageHistory,
    @Inject(CLOCK) private readonly now: Clock,
  ) {}

  @Get('licenses/:licenseId')
  @Authenticated()
  @ApiParam({ name: 'licenseId', format: 'uuid' })
  @ApiOperation({
    summary:
      "Seats and hourly peaks and denials per product over the last 30 days (the licence's owner only)",
  })
  @ApiOkResponse({ type: LicenseUsageDto })
  @ApiResponse({ status: 404, description: "No such licence, or another account's." })
  async usage(
    @Param('licenseId', new ParseUUIDPipe({ exceptionFactory: notFound })) licenseId: string,
    @CurrentUser() user: AccessTokenClaims,
  ): Promise<LicenseUsageDto> {
    const usage = await this.history.of(licenseId, user.sub, this.now());
    if (!usage) throw notFound();
    return usage;
  }
}
