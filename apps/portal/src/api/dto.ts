import { ApiProperty, type SchemaObject } from '@nestjs/swagger';
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
import { IsEmailAddress, IsNewPassword, IsPlainText, PASSWORD_MAX_LENGTH } from '@otl/platform';

// The portal holds what the browser sends to the account service's field rules (the same
// decorators where the rule is shared), so its OpenAPI document promises nothing the service behind
// it refuses; the services' own refusals (a used token, an item already licensed) reach the browser
// unchanged.

function Password(): PropertyDecorator {
  return (target, key) => {
    ApiProperty({ example: 'correct horse battery staple', minLength: 1, maxLength: PASSWORD_MAX_LENGTH })(
      target,
      key,
    );
    IsString()(target, key);
    Length(1, PASSWORD_MAX_LENGTH, { message: `must be 1 to ${PASSWORD_MAX_LENGTH} characters long` })(
      target,
      key,
    );
  };
}

/** The account service's mailed tokens: 256 random bits, base64url (43 characters). */
const MAILED_TOKEN = /^[A-Za-z0-9_-]{43}$/;

function MailedToken(): PropertyDecorator {
  return (target, key) => {
    ApiProperty({
      description: 'The token of the mailed link (`?token=`).',
      example: 'q3J0mZ8Qe4dW0u1v2Xz9aB7cD6eF5gH4iJ3kL2mN1oP',
      pattern: MAILED_TOKEN.source,
    })(target, key);
    IsString()(target, key);
    Matches(MAILED_TOKEN, { message: 'must be the token from the mailed link' })(target, key);
  };
}

export class SignInBody {
  @IsPlainText(1, 254, { example: 'ana.lima@example.com' }) email!: string;
  @Password() password!: string;
}

export class SignUpBody {
  @IsEmailAddress({ example: 'ana.lima@example.com' }) email!: string;
  @IsNewPassword() password!: string;
  @IsPlainText(1, 200, { example: 'Ana Lima' }) name!: string;
  @IsPlainText(1, 200, { example: 'Example Ltd', optional: true }) company?: string | null;
}

export class TokenBody {
  @MailedToken() token!: string;
}

export class EmailBody {
  @IsEmailAddress({ example: 'ana.lima@example.com' }) email!: string;
}

export class SetPasswordBody {
  @MailedToken() token!: string;
  @IsNewPassword() password!: string;
}

export class GenerateLicenseBody {
  @ApiProperty({
    description: 'One item ("Generate License") or several ("Generate one License").',
    type: [String],
    format: 'uuid',
    minItems: 1,
    maxItems: 100,
    uniqueItems: true,
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
 * The license service's activation body: `ltsInstanceId` required for self-hosted tracking, not
 * allowed for vendor-hosted (which a plain property list cannot say, hence this schema).
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
          example: 'lts-3f9c2a7e',
          description: "The `ltsInstanceId` of the customer's own LTS (GET /v1/lts/instance on it).",
        },
      },
    },
  ],
};

export class ActivationBody {
  @IsIn(['vendor-hosted', 'self-hosted'], { message: 'must be vendor-hosted or self-hosted' })
  trackingMode!: 'vendor-hosted' | 'self-hosted';

  @ValidateIf(
    (body: ActivationBody) => body.trackingMode === 'self-hosted' || body.ltsInstanceId !== undefined,
  )
  @IsString()
  @Length(LTS_INSTANCE_ID.min, LTS_INSTANCE_ID.max)
  @Matches(LTS_INSTANCE_ID.pattern, { message: 'must be printable ASCII without spaces' })
  ltsInstanceId?: string;
}

export class MeDto {
  @ApiProperty({ format: 'uuid' }) accountId!: string;
  @ApiProperty({ example: 'Ana.Lima@Example.com' }) email!: string;
  @ApiProperty({ nullable: true, type: String, example: 'Ana Lima' }) name!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Example Ltd' }) company!: string | null;
}

export class CheckYourEmailDto {
  @ApiProperty({ enum: ['check-your-email'] }) status!: string;
}

export class LicensedItemDto {
  @ApiProperty({ format: 'uuid' }) itemId!: string;
  @ApiProperty({ example: 'BARCODE-JS-DEVICE-1Y' }) sku!: string;
  @ApiProperty({ example: 'barcode-reader-js' }) product!: string;
  @ApiProperty({ example: 'device' }) unit!: string;
  @ApiProperty({ example: 2 }) quantity!: number;
  @ApiProperty({ nullable: true, type: String, description: 'null: perpetual.' }) expiresAt!: string | null;
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
  @ApiProperty({ nullable: true, type: String, example: 'barcode-reader-js' }) product!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'device' }) unit!: string | null;
  @ApiProperty({ example: 2 }) quantity!: number;
  @ApiProperty({ nullable: true, type: String, example: '1 year' }) term!: string | null;
  @ApiProperty() purchasedAt!: string;
  @ApiProperty({ enum: ['available', 'licensed', 'refunded', 'needs-review'] }) status!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) licenseId!: string | null;
}

export class UsageHourDto {
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) hour!: string;
  @ApiProperty({ example: 3 }) peakSeatsInUse!: number;
  @ApiProperty({ example: 0 }) denied!: number;
}

export class ProductUsageDto {
  @ApiProperty({ example: 'barcode-reader-js' }) product!: string;
  @ApiProperty({ example: 'device' }) unit!: string;
  @ApiProperty({ example: 5 }) seatsTotal!: number;
  @ApiProperty({ example: 2 }) seatsInUse!: number;
  @ApiProperty({ type: [UsageHourDto], description: 'Hourly, oldest first, the last 30 days.' })
  history!: UsageHourDto[];
}

export class UsageDto {
  @ApiProperty({ format: 'uuid' }) licenseId!: string;
  @ApiProperty({
    enum: ['vendor-hosted', 'self-hosted'],
    nullable: true,
    type: String,
    description: 'null (with `products: []`) until the tracking service has learnt of the activation.',
  })
  trackingMode!: string | null;
  @ApiProperty({
    type: [ProductUsageDto],
    nullable: true,
    description: "null for a self-hosted licence: its usage never leaves the customer's site.",
  })
  products!: ProductUsageDto[] | null;
}
