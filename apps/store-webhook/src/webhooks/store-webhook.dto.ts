import { ApiProperty, type OpenAPIObject, type SchemaObject } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { MONEY_PATTERN } from '@otl/contracts';
import {
  FORBIDDEN_JSON_KEYS,
  IsCurrencyCode,
  IsPlainText,
  MONEY,
  ArePurchaseLines,
  IsPurchaseCustomer,
  PurchaseCustomerDto,
  PurchaseLineDto,
  NO_NUL_PATTERN,
} from '@otl/platform';
import { Equals, IsISO8601, IsObject, IsString, Matches, ValidateNested } from 'class-validator';

/**
 * RFC 3339 in UTC (Z); the store sends UTC. Years 1000 to 9999 and no leap second, as class-validator's
 * strict ISO 8601 check accepts: it misreads years below 100 (0069 as 1969) and refuses 23:59:60.
 */
export const UTC_TIME = /^[1-9]\d{3}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?Z$/;

export class OrderCompletedDataDto {
  @IsPlainText(1, 100, { example: 'ST-100234', description: "The store's order id" })
  orderId!: string;

  @ApiProperty({ example: '2026-11-27T10:00:00Z', format: 'date-time', pattern: UTC_TIME.source })
  @IsString()
  @Matches(UTC_TIME, { message: 'must be an RFC 3339 UTC time like 2026-11-27T10:00:00Z' })
  @IsISO8601({ strict: true }, { message: 'must be a valid date and time' })
  completedAt!: string;

  @IsCurrencyCode()
  currency!: string;

  @IsPurchaseCustomer()
  customer!: PurchaseCustomerDto;

  @ArePurchaseLines()
  items!: PurchaseLineDto[];

  @ApiProperty({ example: '2498.00', pattern: MONEY_PATTERN })
  @IsString()
  @Matches(MONEY, { message: 'must be a decimal string like "2498.00"' })
  total!: string;
}

export class OrderCompletedDto {
  @ApiProperty({ enum: ['order.completed'] })
  @Equals('order.completed')
  type!: 'order.completed';

  @ApiProperty({ type: OrderCompletedDataDto })
  @IsObject()
  @ValidateNested()
  @Type(() => OrderCompletedDataDto)
  data!: OrderCompletedDataDto;
}

export class OrderRefundedDataDto {
  @IsPlainText(1, 100, { example: 'ST-100234', description: "The store's order id" })
  orderId!: string;

  @ApiProperty({ example: '2026-11-28T09:00:00Z', format: 'date-time', pattern: UTC_TIME.source })
  @IsString()
  @Matches(UTC_TIME, { message: 'must be an RFC 3339 UTC time like 2026-11-28T09:00:00Z' })
  @IsISO8601({ strict: true }, { message: 'must be a valid date and time' })
  refundedAt!: string;

  @IsPlainText(0, 1000, { example: 'customer request', optional: true })
  reason?: string | null;
}

export class OrderRefundedDto {
  @ApiProperty({ enum: ['order.refunded'] })
  @Equals('order.refunded')
  type!: 'order.refunded';

  @ApiProperty({ type: OrderRefundedDataDto })
  @IsObject()
  @ValidateNested()
  @Type(() => OrderRefundedDataDto)
  data!: OrderRefundedDataDto;
}

export class AcceptedPurchaseDto {
  @ApiProperty({ format: 'uuid', example: '3f0c3c56-6a5e-5b61-9a59-0d3f1c2a7b10' })
  purchaseId!: string;
}

export class IgnoredDeliveryDto {
  @ApiProperty({ enum: ['ignored'] })
  status!: 'ignored';

  @ApiProperty({ example: 'customer.updated', description: 'The type that this endpoint does not handle.' })
  type!: string;
}

/**
 * Any JSON the platform's parser takes: strings (keys included) without U+0000, no prototype keys.
 * What parse.ts keeps of a type it does not handle.
 */
const OPAQUE_KEY = { pattern: NO_NUL_PATTERN, not: { enum: [...FORBIDDEN_JSON_KEYS] } };
const JSON_WITHOUT_NUL = 'JsonWithoutNul';
const jsonWithoutNul = { $ref: `#/components/schemas/${JSON_WITHOUT_NUL}` };

/**
 * A delivery of a type this endpoint does not handle: kept and acknowledged (202) whatever its other
 * fields hold, as long as it is an object with a `type` of 1 to 200 characters.
 */
export const OTHER_DELIVERY_SCHEMA: SchemaObject = {
  type: 'object',
  title: 'any other type (kept, ignored)',
  required: ['type'],
  properties: {
    type: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      pattern: NO_NUL_PATTERN,
      not: { enum: ['order.completed', 'order.refunded'] },
    },
  },
  additionalProperties: jsonWithoutNul,
  propertyNames: OPAQUE_KEY,
} as SchemaObject;

/** Adds the schemas the decorators cannot express (a recursive one) to the document. */
export function withOpaqueJsonSchema(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas[JSON_WITHOUT_NUL] = {
    description: 'Any JSON value; strings and keys hold no U+0000.',
    anyOf: [
      { type: 'string', pattern: NO_NUL_PATTERN, nullable: true },
      { type: 'number' },
      { type: 'boolean' },
      { type: 'array', items: jsonWithoutNul },
      { type: 'object', additionalProperties: jsonWithoutNul, propertyNames: OPAQUE_KEY },
    ],
  } as SchemaObject;
  return document;
}
