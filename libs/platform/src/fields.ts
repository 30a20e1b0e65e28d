import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { fullFormats } from 'ajv-formats/dist/formats';
import { IsOptional, ValidateBy, isEmail } from 'class-validator';

/**
 * Field rules the contract implies, shared by every service's DTOs so that one field means one
 * rule everywhere. Each decorator also documents itself in the OpenAPI document.
 */

/** ISO 4217 codes as the runtime's ICU maintains them (`Intl.supportedValuesOf`); "ZZZ" is not one. */
export const CURRENCY_CODES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

export const isCurrencyCode = (value: unknown): value is string =>
  typeof value === 'string' && CURRENCY_CODES.has(value);

/**
 * Control (Cc), format (Cf: zero-width and bidirectional controls, soft hyphen…), surrogate (Cs)
 * and line/paragraph separator (Zl, Zp) characters: invisible or layout-changing, so a name or a
 * reference holding one can look like another, break a mail header or a log line.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

export const isPlainText = (value: unknown): value is string =>
  typeof value === 'string' && !INVISIBLE.test(value);

/** The form two addresses are compared in: trimmed, lower-cased (the contract's matching rule). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The JSON Schema `email` format the contract's event schemas hold addresses to (ajv-formats, full). */
const SCHEMA_EMAIL = fullFormats.email as RegExp;

export const MAX_EMAIL_LENGTH = 254;

/**
 * An address the platform accepts: an e-mail address as class-validator reads it that also meets
 * the event schemas' `email` format (so an accepted address can always be published), at most 254
 * characters, without invisible characters, and still an address once normalised for matching.
 */
export function isEmailAddress(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length <= MAX_EMAIL_LENGTH &&
    isPlainText(value) &&
    SCHEMA_EMAIL.test(value) &&
    isEmail(value) &&
    isEmail(normalizeEmail(value))
  );
}

interface FieldOptions {
  description?: string;
  example?: string;
  /** Optional and nullable (`null` or absent). */
  optional?: boolean;
}

function apiProperty(options: FieldOptions, schema: Record<string, unknown>): PropertyDecorator {
  const property = { type: String, description: options.description, example: options.example, ...schema };
  return options.optional ? ApiPropertyOptional({ ...property, nullable: true }) : ApiProperty(property);
}

function compose(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => {
    for (const decorator of decorators) decorator(target, key);
  };
}

/** An ISO 4217 currency code (`USD`), from the runtime's maintained list. */
export function IsCurrencyCode(options: FieldOptions = {}): PropertyDecorator {
  return compose(
    apiProperty(options, {
      description: options.description ?? 'ISO 4217 currency code',
      example: options.example ?? 'USD',
      // The maintained list itself, so that the document says exactly which codes are accepted.
      enum: [...CURRENCY_CODES],
    }),
    ...(options.optional ? [IsOptional()] : []),
    ValidateBy({
      name: 'isCurrencyCode',
      validator: {
        validate: isCurrencyCode,
        defaultMessage: () => 'must be an ISO 4217 currency code like USD',
      },
    }),
  );
}

/** An e-mail address (see `isEmailAddress`); matched case-insensitively after trimming, stored as given. */
export function IsEmailAddress(options: FieldOptions = {}): PropertyDecorator {
  return compose(
    apiProperty(options, {
      description: options.description ?? 'Matched case-insensitively; stored as given.',
      example: options.example ?? 'Ana.Lima@Example.com',
      format: 'email',
      maxLength: MAX_EMAIL_LENGTH,
    }),
    ...(options.optional ? [IsOptional()] : []),
    ValidateBy({
      name: 'isEmailAddress',
      validator: { validate: isEmailAddress, defaultMessage: () => 'must be an email address' },
    }),
  );
}

/**
 * The same rule as a JSON Schema pattern for the OpenAPI documents, so that clients (and the
 * fuzzer) know it. It lists the characters of the Basic Multilingual Plane only, as a pattern
 * without the `u` flag can name no others (the few astral format characters are refused all the
 * same), and leaves out lone surrogates, which the JSON parser refuses before any field rule.
 */
const PLAIN_TEXT_PATTERN =
  '^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e' +
  '\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb]*$';

/**
 * Text a person typed (a name, a company, a reference, a reason): `min` to `max` characters,
 * none of them control or invisible formatting characters.
 */
export function IsPlainText(min: number, max: number, options: FieldOptions = {}): PropertyDecorator {
  const noInvisible = 'without control or invisible formatting characters';
  return compose(
    apiProperty(options, {
      minLength: min,
      maxLength: max,
      pattern: PLAIN_TEXT_PATTERN,
      description: options.description ? `${options.description} (${noInvisible})` : `Text ${noInvisible}.`,
    }),
    ...(options.optional ? [IsOptional()] : []),
    ValidateBy({
      name: 'isPlainText',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && value.length >= min && value.length <= max && isPlainText(value),
        defaultMessage: (args) => {
          const value: unknown = args?.value;
          if (value === undefined) return 'is required';
          if (typeof value !== 'string') return 'must be a string';
          if (value.length < min || value.length > max) return `must be ${min} to ${max} characters long`;
          return `must not contain control or invisible formatting characters`;
        },
      },
    }),
  );
}

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * A new password: 12 to 256 characters, anything allowed (NIST SP 800-63B: length over composition
 * rules). The account service sets passwords; the portal holds what it passes on to the same rule.
 */
export function IsNewPassword(options: { description?: string } = {}): PropertyDecorator {
  const rule = `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters (any but U+0000)`;
  return compose(
    ApiProperty({
      type: String,
      example: 'correct horse battery staple',
      minLength: PASSWORD_MIN_LENGTH,
      maxLength: PASSWORD_MAX_LENGTH,
      description: options.description ? `${rule}; ${options.description}.` : `${rule}.`,
    }),
    ValidateBy({
      name: 'isNewPassword',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' &&
          value.length >= PASSWORD_MIN_LENGTH &&
          value.length <= PASSWORD_MAX_LENGTH,
        defaultMessage: (args) =>
          typeof args?.value === 'string'
            ? `must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`
            : 'must be a string',
      },
    }),
  );
}
