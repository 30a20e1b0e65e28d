import { Body, Controller, Get, HttpCode, Inject, Post, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { LICENSE_FILE_FORMAT } from '@otl/licensing';
import { CLOCK, LOGGER, type Clock, type Logger } from '@otl/platform';
import type { Instance } from './database';
import { checkLicenseFile } from './license-file-checks';
import { SelfHostedLicenses, type LoadOutcome, type StoredLicense } from './licenses';
import { INSTANCE, VENDOR_KEYS } from './tokens';
import type { VendorKeys } from './vendor-keys';

class EntitlementDto {
  @ApiProperty({ example: 'barcode-reader-js' }) product!: string;
  @ApiProperty({ example: 'device' }) unit!: string;
  @ApiProperty({ example: 10 }) seats!: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expiresAt!: string | null;
}

export class LoadedLicenseDto {
  @ApiProperty({ example: '0b8f5c1e-3a52-4d5e-9a40-4f7f6b1de2a1' }) licenseId!: string;
  @ApiProperty() accountId!: string;
  @ApiProperty() ltsInstanceId!: string;
  @ApiProperty({ type: [EntitlementDto] }) entitlements!: EntitlementDto[];
  @ApiProperty({ type: [String], example: ['barcode-reader-js'] }) products!: string[];
  @ApiProperty({ format: 'date-time', description: 'When the vendor issued the file.' }) issuedAt!: string;
  @ApiProperty({ format: 'date-time' }) loadedAt!: string;
  @ApiProperty({ description: 'The vendor key that signed the file.' }) kid!: string;
}

export class LoadResultDto extends LoadedLicenseDto {
  @ApiProperty({
    enum: ['loaded', 'renewed', 'unchanged'],
    description:
      'loaded: a new licence; renewed: a newer file replaced the one loaded; unchanged: this very file was loaded already.',
  })
  outcome!: LoadOutcome;
}

const view = (license: StoredLicense): LoadedLicenseDto => ({
  licenseId: license.licenseId,
  accountId: license.accountId,
  ltsInstanceId: license.ltsInstanceId ?? '',
  entitlements: license.entitlements,
  products: [...new Set(license.entitlements.map((entitlement) => entitlement.product))].sort(),
  issuedAt: license.issuedAt,
  loadedAt: license.loadedAt,
  kid: license.kid,
});

const LICENSE_FILE_SCHEMA = {
  type: 'object',
  required: ['format', 'kid', 'alg', 'payload', 'signature'],
  additionalProperties: false,
  properties: {
    format: { type: 'string', enum: [LICENSE_FILE_FORMAT] },
    kid: { type: 'string', description: 'The vendor key that signed it.' },
    alg: { type: 'string', enum: ['EdDSA'] },
    payload: { type: 'string', description: 'base64url of the UTF-8 JSON payload.' },
    signature: { type: 'string', description: 'base64url Ed25519 signature over the payload bytes.' },
  },
};

/** Licence files a customer downloaded from the portal, loaded into this server (offline). */
@ApiTags('license-files')
@Controller('v1/lts/license-files')
export class LicenseFilesController {
  constructor(
    private readonly licenses: SelfHostedLicenses,
    @Inject(VENDOR_KEYS) private readonly keys: VendorKeys,
    @Inject(INSTANCE) private readonly instance: Instance,
    @Inject(CLOCK) private readonly now: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Load a licence file (as downloaded from the customer portal)',
    description:
      "Verified offline against the vendor's public keys. 400 with the reason in `type`: license-file-malformed, " +
      'license-file-unknown-key, license-file-bad-signature, license-file-vendor-hosted, ' +
      'license-file-wrong-instance (bound to another server), license-file-expired (every entitlement ended). ' +
      'A file issued later than the one loaded for the licence replaces it (renewal); an earlier one is 409 ' +
      'license-file-outdated. The licence key itself is not stored, only its hash.',
  })
  @ApiBody({ schema: LICENSE_FILE_SCHEMA })
  @ApiCreatedResponse({ type: LoadResultDto, description: 'Loaded or renewed.' })
  @ApiOkResponse({ type: LoadResultDto, description: 'This very file was loaded before; nothing changed.' })
  @ApiResponse({ status: 400, description: 'Refused; the check that failed is in `type`.' })
  @ApiResponse({
    status: 409,
    description: '`license-file-outdated`: a newer file of this licence is loaded.',
  })
  load(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): LoadResultDto {
    const now = this.now();
    const file = checkLicenseFile(body, this.keys.byKid, this.instance.ltsInstanceId, now);
    const { outcome, license } = this.licenses.load(file, now);
    if (outcome !== 'unchanged') {
      this.logger.info(
        { licenseId: license.licenseId, issuedAt: license.issuedAt, outcome },
        'licence file loaded',
      );
    }
    void reply.status(outcome === 'unchanged' ? 200 : 201);
    return { ...view(license), outcome };
  }

  @Get()
  @ApiOperation({ summary: 'The licences loaded on this server (never their keys)' })
  @ApiOkResponse({ type: [LoadedLicenseDto] })
  list(): LoadedLicenseDto[] {
    return this.licenses.list().map(view);
  }
}
