import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { IsEmailAddress, IsPlainText } from '@otl/platform';
import { SECRET_TOKEN_PATTERN } from '../security/secret-tokens';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** A new password: 12 to 256 characters, anything allowed (NIST SP 800-63B: length over composition rules). */
function NewPassword(): PropertyDecorator {
  return (target, key) => {
    ApiProperty({
      example: 'correct horse battery staple',
      minLength: PASSWORD_MIN_LENGTH,
      maxLength: PASSWORD_MAX_LENGTH,
      description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters (any but U+0000); stored as an Argon2id hash.`,
    })(target, key);
    IsString()(target, key);
    Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, {
      message: `must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`,
    })(target, key);
  };
}

function MailedToken(): PropertyDecorator {
  return (target, key) => {
    ApiProperty({
      example: 'q3J0mZ8Qe4dW0u1v2Xz9aB7cD6eF5gH4iJ3kL2mN1oP',
      pattern: SECRET_TOKEN_PATTERN.source,
      description: 'The token from the mailed link (43 base64url characters).',
    })(target, key);
    IsString()(target, key);
    Matches(SECRET_TOKEN_PATTERN, { message: 'must be the token from the mailed link' })(target, key);
  };
}

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

export class AccessTokenDto {
  @ApiProperty({ example: 'eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiIuLi4ifQ.c2ln' })
  accessToken!: string;

  @ApiProperty({ example: 'Bearer', enum: ['Bearer'] })
  tokenType!: 'Bearer';

  @ApiProperty({ example: 900, description: 'Seconds until the token expires.' })
  expiresIn!: number;
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
