import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { IsEmailAddress, IsNewPassword, IsPlainText, PASSWORD_MAX_LENGTH } from '@otl/platform';
import { SECRET_TOKEN_PATTERN } from '../security/secret-tokens';

/** A new password: the platform's rule (12 to 256 characters). */
const NewPassword = () => IsNewPassword({ description: 'stored as an Argon2id hash' });

export const REFRESH_TOKEN_EXAMPLE = 'ZXhhbXBsZSByZWZyZXNoLCBuZXZlciB2YWxpZCEhISE';

/** A secret this service drew (256 random bits, base64url): a mailed token or a refresh token. */
function SecretToken(options: { example: string; description: string; message: string }): PropertyDecorator {
  return (target, key) => {
    ApiProperty({
      example: options.example,
      pattern: SECRET_TOKEN_PATTERN.source,
      description: options.description,
    })(target, key);
    IsString()(target, key);
    Matches(SECRET_TOKEN_PATTERN, { message: options.message })(target, key);
  };
}

const MailedToken = () =>
  SecretToken({
    example: 'q3J0mZ8Qe4dW0u1v2Xz9aB7cD6eF5gH4iJ3kL2mN1oP',
    description: 'The token from the mailed link (43 base64url characters).',
    message: 'must be the token from the mailed link',
  });

const RefreshToken = () =>
  SecretToken({
    example: REFRESH_TOKEN_EXAMPLE,
    description: 'A refresh token from a sign-in or a refresh (43 base64url characters).',
    message: 'must be a refresh token as issued (43 base64url characters)',
  });

export class RegisterDto {
  @IsEmailAddress()
  email!: string;

  @NewPassword()
  password!: string;

  @IsPlainText(1, 200, { example: 'Ana Lima' })
  name!: string;

  @IsPlainText(1, 200, { example: 'Example Ltd', optional: true })
  company?: string | null;
}

export class VerificationDto {
  @MailedToken()
  token!: string;
}

export class SignInDto {
  // Not held to the address rules: any other string is the same 401 as a wrong password.
  @IsPlainText(1, 254, { example: 'ana.lima@example.com' })
  email!: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: 1, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @Length(1, PASSWORD_MAX_LENGTH)
  password!: string;
}

export class PasswordResetDto {
  @IsEmailAddress({ example: 'ana.lima@example.com' })
  email!: string;
}

export class PasswordResetConfirmDto {
  @MailedToken()
  token!: string;

  @NewPassword()
  password!: string;
}

export class CheckYourEmailDto {
  @ApiProperty({ example: 'check-your-email', enum: ['check-your-email'] })
  status!: 'check-your-email';
}

export class RefreshTokenDto {
  @RefreshToken()
  refreshToken!: string;
}

export class TokensDto {
  @ApiProperty({
    example: 'eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiIuLi4ifQ.c2ln',
    description: 'EdDSA-signed JWT; send it as `Authorization: Bearer <accessToken>`.',
  })
  accessToken!: string;

  @ApiProperty({ example: 'Bearer', enum: ['Bearer'] })
  tokenType!: 'Bearer';

  @ApiProperty({
    type: 'integer',
    example: 900,
    description: 'Seconds until the access token expires (ACCESS_TOKEN_TTL_SECONDS).',
  })
  expiresIn!: number;

  @ApiProperty({
    example: REFRESH_TOKEN_EXAMPLE,
    pattern: SECRET_TOKEN_PATTERN.source,
    description:
      'Opaque, single use: POST it to /v1/auth/token/refresh for the next pair, which retires it. Keep it ' +
      'secret (the service stores only its SHA-256 hash); presenting it again after its use revokes the sign-in.',
  })
  refreshToken!: string;

  @ApiProperty({
    type: 'integer',
    example: 2592000,
    description:
      'Seconds until the refresh token expires unless used first (REFRESH_TOKEN_TTL_SECONDS, 30 days): each ' +
      'refresh issues a token that lives this long from then.',
  })
  refreshExpiresIn!: number;
}

export class MeDto {
  @ApiProperty({ example: '0b8f5c1e-3a52-4d5e-9a40-4f7f6b1de2a1', format: 'uuid' })
  accountId!: string;

  @ApiProperty({ example: 'Ana.Lima@Example.com' })
  email!: string;

  @ApiProperty({ example: 'Ana Lima', nullable: true, type: String })
  name!: string | null;

  @ApiProperty({ example: 'Example Ltd', nullable: true, type: String })
  company!: string | null;
}
