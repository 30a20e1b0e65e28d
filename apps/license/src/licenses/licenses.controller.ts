import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Post,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  Authenticated,
  CurrentUser,
  type AccessTokenClaims,
  type Jwks,
  type SigningKeyRing,
} from '@otl/auth';
import { ProblemException, invalidFields } from '@otl/platform';
import { rethrowAsProblem } from '../errors';
import { LICENSE_FILE_KEYS } from '../tokens';
import { ItemQueries, type ItemView } from '../items/item-queries';
import {
  ACTIVATION_SCHEMA,
  ActivationDto,
  GenerateLicenseDto,
  LicenseDto,
  LicenseFileDto,
  LicenseItemDto,
} from '@otl/licensing';
import { LicenseFiles } from './license-files';
import { LicenseQueries, type LicenseView } from './license-queries';
import { LicensingService } from './licensing.service';

/** The licence id in the path: a UUID; anything else is a licence that does not exist (404). */
const LicenseIdParam = () => ApiParam({ name: 'id', format: 'uuid', description: 'The licenseId.' });

const uuid = new ParseUUIDPipe({
  exceptionFactory: () => new ProblemException(404, 'not-found', 'Not found', 'No such licence.'),
});

@ApiTags('licenses')
@Controller()
export class LicensesController {
  constructor(
    @Inject(ItemQueries) private readonly items: ItemQueries,
    @Inject(LicenseQueries) private readonly queries: LicenseQueries,
    @Inject(LicensingService) private readonly licensing: LicensingService,
    @Inject(LicenseFiles) private readonly files: LicenseFiles,
    @Inject(LICENSE_FILE_KEYS) private readonly fileKeys: SigningKeyRing,
  ) {}

  @Get('v1/license-items')
  @Authenticated()
  @ApiOperation({
    summary: "The caller's purchased items, newest purchase first",
    description:
      'Status: available (can be licensed), licensed (licenseId set), refunded, or needs-review (a SKU the ' +
      'catalog does not know; kept, visible, and not licensable until reviewed).',
  })
  @ApiOkResponse({ type: [LicenseItemDto] })
  listItems(@CurrentUser() user: AccessTokenClaims): Promise<ItemView[]> {
    return this.items.listItems(user.sub).catch(rethrowAsProblem);
  }

  @Post('v1/licenses')
  @HttpCode(201)
  @Authenticated()
  @ApiOperation({
    summary: 'Generate one licence for one or several items',
    description:
      "All items must be the caller's and available; of concurrent requests that touch one item exactly one " +
      'succeeds (409 for the others). The licence key is returned here and on GET; events carry only its hash.',
  })
  @ApiCreatedResponse({ type: LicenseDto })
  @ApiNotFoundResponse({ description: "An item does not exist or is not the caller's." })
  @ApiConflictResponse({
    description: '`item-not-available`: an item is licensed, refunded or needs review.',
  })
  generate(@CurrentUser() user: AccessTokenClaims, @Body() body: GenerateLicenseDto): Promise<LicenseView> {
    return this.licensing.generate(user.sub, body.itemIds).catch(rethrowAsProblem);
  }

  @Get('v1/licenses')
  @Authenticated()
  @ApiOperation({ summary: "The caller's licences, newest first" })
  @ApiOkResponse({ type: [LicenseDto] })
  list(@CurrentUser() user: AccessTokenClaims): Promise<LicenseView[]> {
    return this.queries.listLicenses(user.sub).catch(rethrowAsProblem);
  }

  @Get('v1/licenses/:id')
  @Authenticated()
  @LicenseIdParam()
  @ApiOperation({ summary: 'One licence (License Detail)' })
  @ApiOkResponse({ type: LicenseDto })
  @ApiNotFoundResponse({ description: "No such licence, or not the caller's." })
  get(@CurrentUser() user: AccessTokenClaims, @Param('id', uuid) id: string): Promise<LicenseView> {
    return this.queries.getLicense(user.sub, id).catch(rethrowAsProblem);
  }

  @Post('v1/licenses/:id/activation')
  @HttpCode(200)
  @Authenticated()
  @LicenseIdParam()
  @ApiOperation({
    summary: 'Activate: vendor-hosted or self-hosted tracking (irreversible)',
    description:
      "Vendor-hosted: the vendor's LTS tracks usage. Self-hosted: the customer's own LTS (`ltsInstanceId`), " +
      'offline, sharing no usage data. The same activation again is a no-op (200); a different one is 409. ' +
      'A 1-year term starts now.',
  })
  @ApiBody({ schema: ACTIVATION_SCHEMA })
  @ApiOkResponse({ type: LicenseDto })
  @ApiNotFoundResponse({ description: "No such licence, or not the caller's." })
  @ApiConflictResponse({ description: 'Already activated differently, or revoked.' })
  activate(
    @CurrentUser() user: AccessTokenClaims,
    @Param('id', uuid) id: string,
    @Body() body: ActivationDto,
  ): Promise<LicenseView> {
    if (body.trackingMode === 'vendor-hosted' && body.ltsInstanceId !== undefined) {
      throw invalidFields([{ field: 'ltsInstanceId', message: 'is only for self-hosted tracking' }]);
    }
    const activation =
      body.trackingMode === 'self-hosted'
        ? { trackingMode: 'self-hosted' as const, ltsInstanceId: body.ltsInstanceId ?? '' }
        : { trackingMode: 'vendor-hosted' as const };
    return this.licensing.activate(user.sub, id, activation).catch(rethrowAsProblem);
  }

  @Get('v1/licenses/:id/file')
  @Authenticated()
  @LicenseIdParam()
  @ApiOperation({
    summary: 'Download the signed licence file (activated licences only)',
    description:
      '`{ format: "license-file/v1", kid, alg: "EdDSA", payload, signature }`: payload is base64url of UTF-8 JSON ' +
      '(licenseId, licenseKey, accountId, trackingMode, ltsInstanceId, trackingUrl, entitlements [{ product, unit, ' +
      'seats, expiresAt }], issuedAt); signature is base64url Ed25519 over the payload bytes, verifiable with ' +
      '/.well-known/license-signing-keys. Seats = quantity × seats per quantity, summed per product; a 1-year ' +
      'term expires one year after activation.',
  })
  @ApiOkResponse({ description: 'The licence file, as an attachment.', type: LicenseFileDto })
  @ApiNotFoundResponse({ description: "No such licence, or not the caller's." })
  @ApiConflictResponse({ description: 'Not activated yet, or revoked.' })
  async file(
    @CurrentUser() user: AccessTokenClaims,
    @Param('id', uuid) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const file = await this.files.licenseFile(user.sub, id).catch(rethrowAsProblem);
    void reply.header('content-disposition', `attachment; filename="license-${id}.json"`);
    return file;
  }

  @Get('.well-known/license-signing-keys')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({
    summary: 'Public keys that verify licence files (JWKS)',
    description:
      'The current Ed25519 key and previous ones still valid, so files signed before a rotation verify.',
  })
  @ApiOkResponse({ description: 'A JWK Set of OKP/Ed25519 keys with kid.' })
  keys(): Jwks {
    return this.fileKeys.jwks();
  }
}
