import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Post,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { LICENSE_KEY_SHAPE, licenseKeyHash, parseLicenseKey } from '@otl/licensing';
import { CLOCK, ProblemException, invalidFields, noBody, type Clock } from '@otl/platform';
import { AcquireLeaseDto, HeartbeatDto, LeaseDto, ProductUsageDto } from './dto';
import { rethrowLeaseError } from './errors';
import { LEASE_STORE, LEASE_TIMING, type Lease, type LeaseStore, type LeaseTiming } from './lease-store';
import { LeaseRateLimitGuard } from './rate-limit';

const leaseIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => new ProblemException(404, 'lease-not-found', 'Lease not found', 'No such lease.'),
});

/** Heartbeat and release take no body. */
const withoutBody = noBody();
const NO_BODY = { status: 400, description: '`body-not-allowed`: a body was sent; this request takes none.' };
/** A body sent anyway meets the shared parser first: too large, or not JSON. */
const BODY_TOO_LARGE = {
  status: 413,
  description: 'A body over the limit was sent (this request takes none).',
};
const NOT_JSON = { status: 415, description: 'A body that is not JSON was sent (this request takes none).' };

/** The key a client presented, canonical, or a 400 naming the field. */
function presentedKey(input: string, field: string): string {
  const key = parseLicenseKey(input);
  if (!key) throw invalidFields([{ field, message: 'is not a licence key (shape or checksum is wrong)' }]);
  return key;
}

/** The lease API of the License Tracking Server, the same in both modes. */
@ApiTags('leases')
@UseGuards(LeaseRateLimitGuard)
@Controller('v1/lts')
export class LeasesController {
  constructor(
    @Inject(LEASE_STORE) private readonly store: LeaseStore,
    @Inject(LEASE_TIMING) private readonly timing: LeaseTiming,
    @Inject(CLOCK) private readonly now: Clock,
  ) {}

  @Post('leases')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Acquire a seat (or get back the current lease of this clientId)',
    description:
      'Of N concurrent requests for S free seats exactly S succeed, however many LTS instances serve them. ' +
      '403 reasons are in the problem type: license-revoked, license-expired, license-not-activated, ' +
      'wrong-tracking-mode. 409 seats-exhausted when every seat is held.',
  })
  @ApiCreatedResponse({ type: LeaseDto, description: 'A new lease.' })
  @ApiOkResponse({ type: LeaseDto, description: "The clientId's current lease, unchanged." })
  @ApiResponse({ status: 403, description: 'The licence cannot be leased (reason in `type`).' })
  @ApiResponse({ status: 404, description: 'No licence has this key.' })
  @ApiResponse({ status: 409, description: '`seats-exhausted`: every seat is held.' })
  @ApiResponse({ status: 429, description: 'Too many requests from this address; see retry-after.' })
  async acquire(
    @Body() body: AcquireLeaseDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LeaseDto> {
    const key = presentedKey(body.licenseKey, 'licenseKey');
    const { lease, created } = await this.store
      .acquire({
        licenseKeyHash: licenseKeyHash(key),
        clientId: body.clientId,
        product: body.product,
        now: this.now(),
      })
      .catch(rethrowLeaseError);
    void reply.status(created ? 201 : 200);
    return this.view(lease);
  }

  @Post('leases/:leaseId/heartbeat')
  @UseGuards(withoutBody)
  @HttpCode(200)
  @ApiParam({ name: 'leaseId', format: 'uuid' })
  @ApiOperation({ summary: 'Keep a lease: it now runs the TTL from this moment' })
  @ApiOkResponse({ type: HeartbeatDto })
  @ApiResponse(NO_BODY)
  @ApiResponse(BODY_TOO_LARGE)
  @ApiResponse(NOT_JSON)
  @ApiResponse({ status: 404, description: 'No such lease.' })
  @ApiResponse({
    status: 410,
    description: 'The lease expired, was released or its licence was revoked: acquire again.',
  })
  @ApiResponse({ status: 429, description: 'Too many requests from this address; see retry-after.' })
  async heartbeat(@Param('leaseId', leaseIdPipe) leaseId: string): Promise<HeartbeatDto> {
    const lease = await this.store.heartbeat(leaseId, this.now()).catch(rethrowLeaseError);
    return this.view(lease);
  }

  @Delete('leases/:leaseId')
  @UseGuards(withoutBody)
  @HttpCode(204)
  @ApiParam({ name: 'leaseId', format: 'uuid' })
  @ApiOperation({ summary: 'Release a lease; the seat is free at once (again: no-op)' })
  @ApiNoContentResponse({ description: 'Released.' })
  @ApiResponse(NO_BODY)
  @ApiResponse(BODY_TOO_LARGE)
  @ApiResponse(NOT_JSON)
  @ApiResponse({ status: 404, description: 'No such lease.' })
  @ApiResponse({ status: 429, description: 'Too many requests from this address; see retry-after.' })
  async release(@Param('leaseId', leaseIdPipe) leaseId: string): Promise<void> {
    await this.store.release(leaseId, this.now()).catch(rethrowLeaseError);
  }

  @Get('licenses/:licenseKey/usage')
  @ApiParam({
    name: 'licenseKey',
    description: 'The licence key (400 if it is not one: wrong shape or checksum).',
    schema: { type: 'string', pattern: LICENSE_KEY_SHAPE },
  })
  @ApiOperation({ summary: 'Seats in use and live leases, per product of the licence' })
  @ApiOkResponse({ type: [ProductUsageDto] })
  @ApiResponse({ status: 404, description: 'No licence has this key.' })
  @ApiResponse({ status: 429, description: 'Too many requests from this address; see retry-after.' })
  async usage(@Param('licenseKey') licenseKey: string): Promise<ProductUsageDto[]> {
    const key = presentedKey(licenseKey, 'licenseKey');
    const products = await this.store.usage(licenseKeyHash(key), this.now()).catch(rethrowLeaseError);
    return products.map((product) => ({
      ...product,
      leases: product.leases.map((lease) => ({
        leaseId: lease.leaseId,
        clientId: lease.clientId,
        acquiredAt: lease.acquiredAt.toISOString(),
        expiresAt: lease.expiresAt.toISOString(),
      })),
    }));
  }

  private view(lease: Lease): LeaseDto {
    return {
      leaseId: lease.leaseId,
      product: lease.product,
      expiresAt: lease.expiresAt.toISOString(),
      heartbeatIntervalSeconds: this.timing.heartbeatSeconds,
    };
  }
}
