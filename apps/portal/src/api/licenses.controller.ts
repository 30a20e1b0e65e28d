import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemException } from '@otl/platform';
import { CurrentSession, SignedIn } from '../sessions/session.guard';
import type { Session } from '../sessions/sessions.service';
import { jsonOf, problemOf, UpstreamUnavailable } from '../upstream/upstream';
import {
  ACTIVATION_SCHEMA,
  ActivationDto,
  GenerateLicenseDto,
  LicenseDto,
  LicenseItemDto,
} from '@otl/licensing';
import { UsageDto } from './dto';
import { CustomerGateway } from './gateway';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NOT_FOUND = "No such licence for this account (someone else's answers the same).";

/** A licence id from the path; anything else names no licence (404, like someone else's). */
function licenseId(id: string): string {
  if (!UUID.test(id)) throw new ProblemException(404, 'not-found', 'Not found', 'There is no such licence.');
  return id.toLowerCase();
}

const IdParam = () => ApiParam({ name: 'id', format: 'uuid', description: 'The licence id.' });

/** The customer's items and licences (license service) and usage (tracking service). */
@ApiTags('licenses')
@Controller('v1')
@SignedIn()
@ApiServiceUnavailableResponse({
  description: 'A service the portal calls cannot be reached; see retry-after.',
})
export class LicensesController {
  constructor(private readonly gateway: CustomerGateway) {}

  private get license() {
    return this.gateway.upstreams.license;
  }

  @Get('license-items')
  @ApiOperation({ summary: 'The purchased items, newest first (Licenses → Generate License(s))' })
  @ApiOkResponse({ type: [LicenseItemDto] })
  async items(@CurrentSession() session: Session, @Req() request: FastifyRequest): Promise<LicenseItemDto[]> {
    return jsonOf(
      await this.gateway.call(this.license, session, request, { method: 'GET', path: '/v1/license-items' }),
    );
  }

  @Post('licenses')
  @HttpCode(201)
  @ApiOperation({ summary: '"Generate License" (one item) or "Generate one License" (several)' })
  @ApiCreatedResponse({ type: LicenseDto })
  @ApiBadRequestResponse({ description: 'Not a list of 1 to 100 distinct item ids.' })
  @ApiForbiddenResponse({ description: '`origin-refused`: the request does not come from the portal.' })
  @ApiConflictResponse({
    description: 'An item is not available (already licensed, refunded or held for review).',
  })
  @ApiNotFoundResponse({ description: "An item is not this account's." })
  async generate(
    @Body() body: GenerateLicenseDto,
    @CurrentSession() session: Session,
    @Req() request: FastifyRequest,
  ): Promise<LicenseDto> {
    return jsonOf(
      await this.gateway.call(this.license, session, request, { method: 'POST', path: '/v1/licenses', body }),
    );
  }

  @Get('licenses')
  @ApiOperation({ summary: 'The licences of the account' })
  @ApiOkResponse({ type: [LicenseDto] })
  async list(@CurrentSession() session: Session, @Req() request: FastifyRequest): Promise<LicenseDto[]> {
    return jsonOf(
      await this.gateway.call(this.license, session, request, { method: 'GET', path: '/v1/licenses' }),
    );
  }

  @Get('licenses/:id')
  @IdParam()
  @ApiOperation({ summary: 'License Detail' })
  @ApiOkResponse({ type: LicenseDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async detail(
    @Param('id') id: string,
    @CurrentSession() session: Session,
    @Req() request: FastifyRequest,
  ): Promise<LicenseDto> {
    const path = `/v1/licenses/${licenseId(id)}`;
    return jsonOf(await this.gateway.call(this.license, session, request, { method: 'GET', path }));
  }

  @Post('licenses/:id/activation')
  @HttpCode(200)
  @IdParam()
  @ApiOperation({
    summary: 'Activate: vendor-hosted or self-hosted tracking (cannot be undone)',
    description: 'Repeating the same activation is a no-op; a different one is 409.',
  })
  @ApiBody({ schema: ACTIVATION_SCHEMA })
  @ApiOkResponse({ type: LicenseDto })
  @ApiBadRequestResponse({ description: 'Field errors (say, self-hosted without `ltsInstanceId`).' })
  @ApiForbiddenResponse({ description: '`origin-refused`: the request does not come from the portal.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: 'Activated differently already, or revoked.' })
  async activate(
    @Param('id') id: string,
    @Body() body: ActivationDto,
    @CurrentSession() session: Session,
    @Req() request: FastifyRequest,
  ): Promise<LicenseDto> {
    const path = `/v1/licenses/${licenseId(id)}/activation`;
    return jsonOf(await this.gateway.call(this.license, session, request, { method: 'POST', path, body }));
  }

  @Get('licenses/:id/file')
  @IdParam()
  @ApiOperation({ summary: 'Download License File (activated licences)' })
  @ApiProduces('application/json')
  @ApiOkResponse({ description: 'The signed licence file, as an attachment.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: 'The licence is not activated yet.' })
  async file(
    @Param('id') id: string,
    @CurrentSession() session: Session,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const path = `/v1/licenses/${licenseId(id)}/file`;
    const answer = await this.gateway.call(this.license, session, request, { method: 'GET', path });
    if (answer.status !== 200) throw problemOf(answer);
    const disposition =
      answer.headers.get('content-disposition') ?? `attachment; filename="license-${id}.json"`;
    await reply
      .status(200)
      .header('content-type', answer.headers.get('content-type') ?? 'application/json')
      .header('content-disposition', disposition)
      .send(answer.body);
  }

  @Get('usage/licenses/:id')
  @IdParam()
  @ApiOperation({
    summary: 'Usage of a vendor-hosted licence over the last 30 days',
    description:
      'From the tracking service. `products` is null for a self-hosted licence (no usage leaves the site). ' +
      '503 `usage-unavailable` while the tracking service cannot be reached.',
  })
  @ApiOkResponse({ type: UsageDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async usage(
    @Param('id') id: string,
    @CurrentSession() session: Session,
    @Req() request: FastifyRequest,
  ): Promise<UsageDto> {
    const tracking = this.gateway.upstreams.tracking;
    const unavailable = (cause: unknown) =>
      new UpstreamUnavailable(
        'tracking',
        cause,
        'usage-unavailable',
        'Usage is not available yet; try again later.',
      );
    const path = `/v1/usage/licenses/${licenseId(id)}`;
    try {
      return jsonOf(await this.gateway.call(tracking, session, request, { method: 'GET', path }));
    } catch (error) {
      if (error instanceof UpstreamUnavailable) throw unavailable(error.reason);
      throw error;
    }
  }
}
