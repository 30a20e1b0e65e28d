import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LICENSE_KEY_SHAPE } from '@otl/licensing';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

/** Printable ASCII, no spaces: device ids, domains and instance names all fit. */
const CLIENT_ID = { min: 1, max: 200, pattern: /^[\x21-\x7e]+$/ };
const PRODUCT = { min: 1, max: 100, pattern: /^[a-z0-9][a-z0-9._-]*$/ };

export class AcquireLeaseDto {
  @ApiProperty({
    example: 'OTL1-7K2MX-Q9D4R-0ABCD-EFGHJ-KMNPQ-RSTVW-1234',
    description:
      'The licence key (checked for shape and checksum before any lookup: 400 if it is not a licence key; ' +
      'case, spaces and the look-alikes O/I/L are forgiven). Only its hash is kept.',
    maxLength: 100,
    pattern: LICENSE_KEY_SHAPE,
  })
  @IsString()
  @Length(1, 100)
  licenseKey!: string;

  @ApiProperty({
    example: 'device-5f1c9a',
    description:
      "What the licence's unit counts: a device id, a domain or a server instance. The same clientId asking " +
      'again gets its current lease back, not a second seat.',
    minLength: CLIENT_ID.min,
    maxLength: CLIENT_ID.max,
    pattern: CLIENT_ID.pattern.source,
  })
  @IsString()
  @Length(CLIENT_ID.min, CLIENT_ID.max)
  @Matches(CLIENT_ID.pattern, { message: 'must be printable ASCII without spaces' })
  clientId!: string;

  @ApiPropertyOptional({
    example: 'barcode-reader-js',
    description: 'Required when the licence covers several products.',
    minLength: PRODUCT.min,
    maxLength: PRODUCT.max,
    pattern: PRODUCT.pattern.source,
  })
  @IsOptional()
  @IsString()
  @Length(PRODUCT.min, PRODUCT.max)
  @Matches(PRODUCT.pattern, { message: 'must be a product name such as barcode-reader-js' })
  product?: string;
}

export class LeaseDto {
  @ApiProperty({ format: 'uuid' }) leaseId!: string;
  @ApiProperty({ example: 'barcode-reader-js' }) product!: string;
  @ApiProperty({
    format: 'date-time',
    description: 'The seat is freed at this time unless a heartbeat comes first.',
  })
  expiresAt!: string;
  @ApiProperty({ example: 180, description: 'Send a heartbeat this often.' })
  heartbeatIntervalSeconds!: number;
}

export class HeartbeatDto {
  @ApiProperty({ format: 'uuid' }) leaseId!: string;
  @ApiProperty({ example: 'barcode-reader-js' }) product!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ example: 180 }) heartbeatIntervalSeconds!: number;
}

export class LeaseHolderDto {
  @ApiProperty({ format: 'uuid' }) leaseId!: string;
  @ApiProperty() clientId!: string;
  @ApiProperty({ format: 'date-time' }) acquiredAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

export class ProductUsageDto {
  @ApiProperty({ example: 'barcode-reader-js' }) product!: string;
  @ApiProperty({ example: 'device' }) unit!: string;
  @ApiProperty({ example: 10 }) seatsTotal!: number;
  @ApiProperty({ example: 3 }) seatsInUse!: number;
  @ApiProperty({ type: [LeaseHolderDto] }) leases!: LeaseHolderDto[];
}
