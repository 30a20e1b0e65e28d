import { ApiProperty } from '@nestjs/swagger';
import { trackingModes } from '@otl/contracts';

export class HourlyUsageDto {
  @ApiProperty({ format: 'date-time', description: 'Start of the hour (UTC).' }) hour!: string;
  @ApiProperty({ example: 7, description: 'Most seats held at once during the hour.' })
  peakSeatsInUse!: number;
  @ApiProperty({ example: 0, description: 'Acquisitions refused for want of a seat (every one counted).' })
  denied!: number;
}

export class ProductHistoryDto {
  @ApiProperty({ example: 'barcode-reader-js' }) product!: string;
  @ApiProperty({ example: 'device' }) unit!: string;
  @ApiProperty({ example: 10 }) seatsTotal!: number;
  @ApiProperty({ example: 3 }) seatsInUse!: number;
  @ApiProperty({
    type: [HourlyUsageDto],
    description: 'Every hour from activation (at most 30 days back) to the current one, oldest first.',
  })
  history!: HourlyUsageDto[];
}

export class LicenseUsageDto {
  @ApiProperty({ format: 'uuid' }) licenseId!: string;
  @ApiProperty({
    enum: trackingModes,
    nullable: true,
    description: 'null while the licence is not activated (then `products` is empty).',
  })
  trackingMode!: string | null;
  @ApiProperty({
    type: [ProductHistoryDto],
    nullable: true,
    description: 'null for a self-hosted licence: no usage leaves the customer’s site.',
  })
  products!: ProductHistoryDto[] | null;
}
