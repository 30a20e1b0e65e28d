import type { JSONSchemaType } from 'ajv';

/** Base of every schema `$id`; the ids name the schema, they are not fetched. */
export const SCHEMA_BASE_URL = 'https://schemas.order-to-license.dev';
export const JSON_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

export const eventSchemaId = (type: string): string => `${SCHEMA_BASE_URL}/events/${type}.json`;

/**
 * Money: a non-negative decimal string with at most 15 integer digits (fits numeric(19,4)) and
 * 0 to 4 decimals, so zero-decimal (JPY), two-decimal (USD) and three/four-decimal (KWD, CLF)
 * currencies all fit. No sign, exponent, grouping or leading zeros: "1249.00", "0.5", "1000" pass;
 * "1,249.00", "01.00", "1e3", "-1.00", ".50", "1.23456" fail.
 */
export const MONEY_PATTERN = '^(0|[1-9][0-9]{0,14})(\\.[0-9]{1,4})?$';
/** ISO 4217 alphabetic code. */
export const CURRENCY_PATTERN = '^[A-Z]{3}$';
/** Hex SHA-256, lowercase so that equal hashes compare equal as strings. */
export const SHA256_HEX_PATTERN = '^[0-9a-f]{64}$';

/** Readable messages for the patterns above (a bare regex is no help to whoever reads the error). */
export const patternMessages: Readonly<Record<string, string>> = {
  [MONEY_PATTERN]: 'must be a decimal string with at most 4 decimals, e.g. "1249.00"',
  [CURRENCY_PATTERN]: 'must be an ISO 4217 code of 3 capital letters, e.g. "USD"',
  [SHA256_HEX_PATTERN]: 'must be 64 lowercase hex characters (a SHA-256 digest)',
};

export const uuid: JSONSchemaType<string> = { type: 'string', format: 'uuid' };
export const dateTime: JSONSchemaType<string> = { type: 'string', format: 'date-time' };
export const email: JSONSchemaType<string> = { type: 'string', format: 'email', maxLength: 254 };
export const text: JSONSchemaType<string> = { type: 'string', minLength: 1 };
export const money: JSONSchemaType<string> = { type: 'string', pattern: MONEY_PATTERN };
export const currency: JSONSchemaType<string> = { type: 'string', pattern: CURRENCY_PATTERN };
export const sha256Hex: JSONSchemaType<string> = { type: 'string', pattern: SHA256_HEX_PATTERN };
export const quantity: JSONSchemaType<number> = { type: 'integer', minimum: 1 };
export const count: JSONSchemaType<number> = { type: 'integer', minimum: 0 };

/**
 * Required-but-nullable string. Ajv's JSONSchemaType only models `nullable` for optional
 * properties and accepts a plain string schema where the type is `string | null`, so the
 * compiler cannot check nullability: the unit tests do (every field is nulled in turn and must
 * pass exactly when the contract says `|null`). `type: [string, null]` rather than OpenAPI's
 * `nullable` keeps the written .json files standard JSON Schema for consumers outside TypeScript.
 */
export function nullable(schema: JSONSchemaType<string>): JSONSchemaType<string> {
  return { ...schema, type: ['string', 'null'] } as unknown as JSONSchemaType<string>;
}
