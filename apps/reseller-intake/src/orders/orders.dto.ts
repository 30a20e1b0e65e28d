import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { MONEY_PATTERN } from '@otl/contracts';
import { IsPlainText, PricedPurchaseDto } from '@otl/platform';
import { ORDER_STATUSES, type ResellerOrderStatus } from './domain/reseller-order';
import { ORDER_CURSOR_PATTERN } from './order-queries';

export class PlaceOrderDto extends PricedPurchaseDto {
  @IsPlainText(1, 100, {
    example: 'ACME-2026-000123',
    description:
      "Your own reference for the order, unique among your orders: the same ref under a new Idempotency-Key is 409 `reseller-order-ref-taken`. It becomes the purchase's externalRef.",
  })
  resellerOrderRef!: string;
}

export class RefundDto {
  @IsPlainText(1, 1000, {
    example: 'The end customer cancelled the order.',
    description: 'Why; kept with the order',
  })
  reason!: string;
}

export class ListQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 25 })
  @IsOptional()
  @Matches(/^(?:[1-9]\d?|100)$/, { message: 'must be a whole number from 1 to 100' })
  limit?: string;

  @ApiPropertyOptional({
    description: 'nextCursor of the previous page: the page continues after it (older orders).',
    pattern: ORDER_CURSOR_PATTERN.source,
    example: '1042',
  })
  @IsOptional()
  @Matches(ORDER_CURSOR_PATTERN, { message: 'must be a nextCursor this API returned' })
  cursor?: string;
}

// Responses

export class OrderPlacedDto {
  @ApiProperty({ format: 'uuid', example: '2c5ea4c0-4067-41fb-a0a5-0b0cd6b4f1a1' })
  orderId!: string;

  @ApiProperty({
    format: 'uuid',
    example: '8d7f2a10-55b1-5c3e-9f0a-6b2d4c8e1f37',
    description: 'The purchase as the platform (and its events) know it.',
  })
  purchaseId!: string;

  @ApiProperty({ enum: ['recorded'] })
  status!: 'recorded';
}

class OrderCustomerDto {
  @ApiProperty({ format: 'email', example: 'ana.lima@example.com' })
  email!: string;

  @ApiProperty({ example: 'Ana Lima' })
  name!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Example Ltd' })
  company!: string | null;
}

class OrderItemDto {
  @ApiProperty({ format: 'uuid', description: 'The licence item this line becomes in the customer account.' })
  itemId!: string;

  @ApiProperty({ example: 'BARCODE-JS-DEVICE-1Y' })
  sku!: string;

  @ApiProperty({ type: 'integer', minimum: 1, example: 2 })
  quantity!: number;

  @ApiProperty({ type: String, nullable: true, pattern: MONEY_PATTERN, example: '1249.00' })
  unitPrice!: string | null;
}

export class OrderDto {
  @ApiProperty({ format: 'uuid' })
  orderId!: string;

  @ApiProperty({ format: 'uuid' })
  purchaseId!: string;

  @ApiProperty({ example: 'ACME-2026-000123' })
  resellerOrderRef!: string;

  @ApiProperty({
    enum: ORDER_STATUSES,
    description:
      '`recorded`: the platform has the purchase; `assigned`: it is in the customer account (created from the ' +
      'email if new), where the customer generates the licence; `refunded`: refunded, its licences revoked.',
  })
  status!: ResellerOrderStatus;

  @ApiProperty({ type: OrderCustomerDto })
  customer!: OrderCustomerDto;

  @ApiProperty({ type: [OrderItemDto] })
  items!: OrderItemDto[];

  @ApiProperty({ example: 'USD' })
  currency!: string;

  @ApiProperty({ pattern: MONEY_PATTERN, example: '3397.00' })
  total!: string;

  @ApiProperty({ format: 'date-time' })
  recordedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  assignedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  refundedAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  refundReason!: string | null;
}

export class OrderPageDto {
  @ApiProperty({ type: [OrderDto], description: 'Newest first.' })
  orders!: OrderDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    pattern: ORDER_CURSOR_PATTERN.source,
    description: 'Pass as `cursor` for the next (older) page; null on the last page.',
  })
  nextCursor!: string | null;
}
