import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { MONEY_PATTERN } from '@otl/contracts';
import { IsCurrencyCode, IsEmailAddress, IsPlainText } from '@otl/platform';
import {
  ArrayMaxSize,
  ArrayMinSize,
  Equals,
  IsArray,
  IsInt,
  IsISO8601,
  IsObject,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

/** The contract's money: a decimal string, up to 4 decimals, no sign or grouping ("1249.00", "1000" for JPY). */
const MONEY = new RegExp(MONEY_PATTERN);
const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** RFC 3339 in UTC (Z); the store sends UTC. */
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export class StoreCustomerDto {
  @IsEmailAddress()
  email!: string;

  @IsPlainText(1, 200, { example: 'Ana Lima' })
  name!: string;

  @IsPlainText(1, 200, { example: 'Example Ltd', optional: true })
  company?: string | null;
}

export class StoreOrderItemDto {
  @ApiProperty({
    example: 'BARCODE-JS-DEVICE-1Y',
    description: 'Unknown SKUs are recorded and held for review.',
  })
  @IsString()
  @Matches(SKU, { message: 'must be a SKU (letters, digits, ".", "_", "-")' })
  sku!: string;

  @ApiProperty({ example: 2, minimum: 1, maximum: 100000 })
  @IsInt()
  @Min(1)
  @Max(100_000)
  quantity!: number;

  @ApiProperty({ example: '1249.00', description: 'Decimal string, never a number.' })
  @IsString()
  @Matches(MONEY, { message: 'must be a decimal string like "1249.00"' })
  unitPrice!: string;
}

export class OrderCompletedDataDto {
  @IsPlainText(1, 100, { example: 'ST-100234', description: "The store's order id" })
  orderId!: string;

  @ApiProperty({ example: '2026-11-27T10:00:00Z', format: 'date-time' })
  @IsString()
  @Matches(UTC_TIME, { message: 'must be an RFC 3339 UTC time like 2026-11-27T10:00:00Z' })
  @IsISO8601({ strict: true }, { message: 'must be a valid date and time' })
  completedAt!: string;

  @IsCurrencyCode()
  currency!: string;

  @ApiProperty({ type: StoreCustomerDto })
  @IsObject()
  @ValidateNested()
  @Type(() => StoreCustomerDto)
  customer!: StoreCustomerDto;

  @ApiProperty({ type: [StoreOrderItemDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => StoreOrderItemDto)
  items!: StoreOrderItemDto[];

  @ApiProperty({ example: '2498.00' })
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

  @ApiProperty({ example: '2026-11-28T09:00:00Z', format: 'date-time' })
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
