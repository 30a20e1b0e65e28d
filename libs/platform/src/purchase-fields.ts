import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { MONEY_PATTERN } from '@otl/contracts';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsObject,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsCurrencyCode, IsEmailAddress, IsPlainText } from './fields';

/** The contract's money: a decimal string, up to 4 decimals, no sign or grouping ("1249.00", "1000" for JPY). */
export const MONEY = new RegExp(MONEY_PATTERN);
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The buyer of a purchase, as every channel takes it: their account is found or created by the email. */
export class PurchaseCustomerDto {
  @IsEmailAddress()
  email!: string;

  @IsPlainText(1, 200, { example: 'Ana Lima' })
  name!: string;

  @IsPlainText(1, 200, { example: 'Example Ltd', optional: true })
  company?: string | null;
}

/** One line of a purchase, as every channel takes it. */
export class PurchaseLineDto {
  @ApiProperty({
    example: 'BARCODE-JS-DEVICE-1Y',
    pattern: SKU_PATTERN.source,
    description: 'A catalog SKU. Unknown SKUs are recorded and held for review.',
  })
  @IsString()
  @Matches(SKU_PATTERN, { message: 'must be a SKU (letters, digits, ".", "_", "-")' })
  sku!: string;

  @ApiProperty({ type: 'integer', example: 2, minimum: 1, maximum: 100000 })
  @IsInt()
  @Min(1)
  @Max(100_000)
  quantity!: number;

  @ApiProperty({ example: '1249.00', pattern: MONEY_PATTERN, description: 'Decimal string, never a number.' })
  @IsString()
  @Matches(MONEY, { message: 'must be a decimal string like "1249.00"' })
  unitPrice!: string;
}

/** A body's `customer`: one PurchaseCustomerDto, validated field by field. */
export const IsPurchaseCustomer = () =>
  applyDecorators(
    ApiProperty({ type: PurchaseCustomerDto }),
    IsObject(),
    ValidateNested(),
    Type(() => PurchaseCustomerDto),
  );

/** A body's `items`: 1 to 500 PurchaseLineDto. */
export const ArePurchaseLines = () =>
  applyDecorators(
    ApiProperty({ type: [PurchaseLineDto], minItems: 1, maxItems: 500 }),
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(500),
    ValidateNested({ each: true }),
    Type(() => PurchaseLineDto),
  );

/** A body's `total`: a money string (its sum is checked by the channel, see assertTotalOfLines). */
export const IsMoneyTotal = (description?: string) =>
  applyDecorators(
    ApiProperty({ example: '2498.00', pattern: MONEY_PATTERN, ...(description ? { description } : {}) }),
    IsString(),
    Matches(MONEY, { message: 'must be a decimal string like "2498.00"' }),
  );

/**
 * The priced part of a purchase body as the channels that take prices directly take it (po-intake,
 * reseller-intake): the buyer, the lines, the currency and a total that must equal their sum
 * (checked by assertTotalOfLines). A channel's body extends it with its own reference.
 */
export class PricedPurchaseDto {
  @IsPurchaseCustomer()
  customer!: PurchaseCustomerDto;

  @ArePurchaseLines()
  items!: PurchaseLineDto[];

  @IsCurrencyCode()
  currency!: string;

  @IsMoneyTotal('Must equal Σ quantity × unitPrice.')
  total!: string;
}

/** The priced purchase of a validated body, as the channels record it (an absent company is null). */
export function pricedPurchaseOf(body: PricedPurchaseDto) {
  return {
    customer: {
      email: body.customer.email,
      name: body.customer.name,
      company: body.customer.company ?? null,
    },
    items: body.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
    currency: body.currency,
    total: body.total,
  };
}
