import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { IsEmailAddress, IsNewPassword, IsPlainText, PASSWORD_MAX_LENGTH } from '@otl/platform';
import { STAFF_ROLES, type StaffRole } from '../sessions/token-roles';

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

export class MeDto {
  @ApiProperty({ format: 'uuid' }) accountId!: string;
  @ApiProperty({ example: 'Ana.Lima@Example.com' }) email!: string;
  @ApiProperty({ nullable: true, type: String, example: 'Ana Lima' }) name!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Example Ltd' }) company!: string | null;
  @ApiProperty({
    type: [String],
    enum: STAFF_ROLES,
    example: [],
    description:
      'Staff roles from the access token the account service issued (`sales-rep`, `sales-manager`); ' +
      'empty for a customer. Staff see the sales desk.',
  })
  roles!: StaffRole[];
}

export class CheckYourEmailDto {
  @ApiProperty({ enum: ['check-your-email'] }) status!: string;
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
