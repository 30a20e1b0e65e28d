import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsString,
  IsUUID,
  Length,
  ValidateIf,
} from 'class-validator';
import { IsPlainText } from '@otl/platform';

// The portal checks the shape of what the browser sends (types, sizes, unknown fields: 400) and
// passes it on; the account and license services apply their own rules (a password's length, an
// email's form, a token's format) and their field errors reach the browser unchanged.

function Password(): PropertyDecorator {
  return (target, key) => {
    ApiProperty({ example: 'correct horse battery staple', minLength: 1, maxLength: 256 })(target, key);
    IsString()(target, key);
    Length(1, 256, { message: 'must be 1 to 256 characters long' })(target, key);
  };
}

function MailedToken(): PropertyDecorator {
  return (target, key) => {
    ApiProperty({
      description: 'The token of the mailed link (`?token=`).',
      example: 'q3J0mZ8Qe4dW0u1v2Xz9aB7cD6eF5gH4iJ3kL2mN1oP',
      minLength: 1,
      maxLength: 200,
    })(target, key);
    IsString()(target, key);
    Length(1, 200, { message: 'must be the token from the mailed link' })(target, key);
  };
}

export class SignInBody {
  @IsPlainText(1, 254, { example: 'ana.lima@example.com' }) email!: string;
  @Password() password!: string;
}

export class SignUpBody {
  @IsPlainText(1, 254, { example: 'ana.lima@example.com' }) email!: string;
  @Password() password!: string;
  @IsPlainText(1, 200, { example: 'Ana Lima' }) name!: string;
  @IsPlainText(1, 200, { example: 'Example Ltd', optional: true }) company?: string | null;
}

export class TokenBody {
  @MailedToken() token!: string;
}

export class EmailBody {
  @IsPlainText(1, 254, { example: 'ana.lima@example.com' }) email!: string;
}

export class SetPasswordBody {
  @MailedToken() token!: string;
  @Password() password!: string;
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

export class ActivationBody {
  @ApiProperty({ enum: ['vendor-hosted', 'self-hosted'], example: 'self-hosted' })
  @IsIn(['vendor-hosted', 'self-hosted'], { message: 'must be vendor-hosted or self-hosted' })
  trackingMode!: 'vendor-hosted' | 'self-hosted';

  @ApiPropertyOptional({
    description: "Self-hosted only: the `ltsInstanceId` of the customer's LTS (GET /v1/lts/instance).",
    example: 'lts-3f9c2a7e',
    minLength: 1,
    maxLength: 200,
  })
  @ValidateIf((body: ActivationBody) => body.ltsInstanceId !== undefined)
  @IsString()
  @Length(1, 200)
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
  @ApiProperty({ enum: ['vendor-hosted', 'self-hosted'] }) trackingMode!: string;
  @ApiProperty({
    type: [ProductUsageDto],
    nullable: true,
    description: "null for a self-hosted licence: its usage never leaves the customer's site.",
  })
  products!: ProductUsageDto[] | null;
}
