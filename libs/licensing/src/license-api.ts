// The license service's HTTP shapes (request bodies with their validation, answers), shared by the
// license service, which serves them, and the portal, which passes them on for the browser.
import { ApiProperty, ApiPropertyOptional, type SchemaObject } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsString,
  IsUUID,
  Length,
  Matches,
  ValidateIf,
} from 'class-validator';

export class GenerateLicenseDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    minItems: 1,
    maxItems: 100,
    uniqueItems: true,
    example: ['5b2d6f1e-8a3c-5d4e-9f0a-1b2c3d4e5f60'],
    description: 'One item ("Generate License") or several ("Generate one License"); 1 to 100, no repeats.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsUUID('all', { each: true, message: 'each value must be an item id (UUID)' })
  itemIds!: string[];
}

const LTS_INSTANCE_ID = { min: 1, max: 200, pattern: /^[\x21-\x7e]+$/ };

/**
 * The activation body as the validation below reads it, for the OpenAPI document: `ltsInstanceId`
 * is required for self-hosted tracking and not allowed for vendor-hosted (which a plain
 * property list cannot say).
 */
export const ACTIVATION_SCHEMA: SchemaObject = {
  oneOf: [
    {
      type: 'object',
      title: 'vendor-hosted',
      required: ['trackingMode'],
      additionalProperties: false,
      properties: { trackingMode: { type: 'string', enum: ['vendor-hosted'] } },
    },
    {
      type: 'object',
      title: 'self-hosted',
      required: ['trackingMode', 'ltsInstanceId'],
      additionalProperties: false,
      properties: {
        trackingMode: { type: 'string', enum: ['self-hosted'] },
        ltsInstanceId: {
          type: 'string',
          minLength: LTS_INSTANCE_ID.min,
          maxLength: LTS_INSTANCE_ID.max,
          pattern: LTS_INSTANCE_ID.pattern.source,
          example: 'lts-plant-7',
          description: "The id of the customer's own License Tracking Server.",
        },
      },
    },
  ],
};

export class ActivationDto {
  @ApiProperty({ enum: ['vendor-hosted', 'self-hosted'], example: 'self-hosted' })
  @IsIn(['vendor-hosted', 'self-hosted'], { message: 'must be vendor-hosted or self-hosted' })
  trackingMode!: 'vendor-hosted' | 'self-hosted';

  @ApiPropertyOptional({
    example: 'lts-plant-7',
    description:
      "Required for self-hosted: the id of the customer's own License Tracking Server. Not allowed otherwise.",
  })
  @ValidateIf((dto: ActivationDto) => dto.trackingMode === 'self-hosted' || dto.ltsInstanceId !== undefined)
  @IsString()
  @Length(LTS_INSTANCE_ID.min, LTS_INSTANCE_ID.max)
  @Matches(LTS_INSTANCE_ID.pattern, { message: 'must be printable ASCII without spaces' })
  ltsInstanceId?: string;
}

export class LicenseFileDto {
  @ApiProperty({ enum: ['license-file/v1'] }) format!: string;
  @ApiProperty({ description: 'Id of the signing key in /.well-known/license-signing-keys.' }) kid!: string;
  @ApiProperty({ enum: ['EdDSA'] }) alg!: string;
  @ApiProperty({ description: 'base64url of the UTF-8 JSON payload.' }) payload!: string;
  @ApiProperty({ description: 'base64url Ed25519 signature over the payload bytes.' }) signature!: string;
}

export class LicensedItemDto {
  @ApiProperty({ format: 'uuid' }) itemId!: string;
  @ApiProperty({ example: 'BARCODE-JS-DEVICE-1Y' }) sku!: string;
  @ApiProperty({ example: 'barcode-reader-js' }) product!: string;
  @ApiProperty({ example: 'device' }) unit!: string;
  @ApiProperty({ example: 2 }) quantity!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description:
      'When the item stops counting: null before activation (a 1-year term starts then) and for perpetual ' +
      'items; once activated, the same date as in the licence file.',
  })
  expiresAt!: string | null;
}

export class LicenseDto {
  @ApiProperty({ format: 'uuid' }) licenseId!: string;
  @ApiProperty({ example: 'OTL1-7K2MX-Q9D4R-B3T8N-W5Z1C-H6J0P-M2V9A-4FQX' }) licenseKey!: string;
  @ApiProperty({ enum: ['generated', 'activated', 'revoked'] }) status!: string;
  @ApiProperty({ enum: ['vendor-hosted', 'self-hosted'], nullable: true }) trackingMode!: string | null;
  @ApiProperty({ nullable: true, type: String }) ltsInstanceId!: string | null;
  @ApiProperty({ type: [LicensedItemDto] }) items!: LicensedItemDto[];
  @ApiProperty({ example: '2026-11-27T10:00:01.123Z' }) generatedAt!: string;
  @ApiProperty({ nullable: true, type: String }) activatedAt!: string | null;
}

export class LicenseItemDto {
  @ApiProperty({ format: 'uuid' }) itemId!: string;
  @ApiProperty({ format: 'uuid' }) purchaseId!: string;
  @ApiProperty({ enum: ['store', 'purchase-order', 'reseller'] }) channel!: string;
  @ApiProperty({ example: 'ST-100234' }) externalRef!: string;
  @ApiProperty({ example: 'BARCODE-JS-DEVICE-1Y' }) sku!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'barcode-reader-js',
    description: 'null for an unknown SKU',
  })
  product!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'device' }) unit!: string | null;
  @ApiProperty({ example: 2 }) quantity!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    enum: ['1y', 'perpetual'],
    description: '1y runs from activation of the licence that holds the item.',
  })
  term!: string | null;
  @ApiProperty() purchasedAt!: string;
  @ApiProperty({ enum: ['available', 'licensed', 'refunded', 'needs-review'] }) status!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) licenseId!: string | null;
}
