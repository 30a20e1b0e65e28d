import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsPlainText, PricedPurchaseDto, PurchaseLineDto } from '@otl/platform';
import { IsIn, IsObject, IsOptional, IsString, Matches, ValidateBy, ValidateNested } from 'class-validator';
import { DOCUMENT_TYPES, MAX_BASE64_LENGTH } from './domain/document';
import { CURSOR_PATTERN } from './purchase-order-queries';
import type { DocumentType, HistoryAction, PurchaseOrderStatus } from './domain/purchase-order';

export const STATUSES: readonly PurchaseOrderStatus[] = ['received', 'approved', 'rejected', 'refunded'];
const HISTORY_ACTIONS: readonly HistoryAction[] = ['submitted', 'approved', 'rejected', 'refunded'];

/** A file name without a path: no "/" or "\", not "." or "..". */
const isBareFilename = (value: unknown) =>
  typeof value === 'string' && !/[/\\]/.test(value) && value !== '.' && value !== '..';

export class PoDocumentDto {
  @IsPlainText(1, 255, { example: 'PO-2026-0042.pdf', description: 'The file name, without a path' })
  @ValidateBy({
    name: 'isBareFilename',
    validator: { validate: isBareFilename, defaultMessage: () => 'must be a file name without a path' },
  })
  filename!: string;

  @ApiProperty({ enum: DOCUMENT_TYPES, example: 'application/pdf' })
  @IsIn(DOCUMENT_TYPES, { message: `must be one of ${DOCUMENT_TYPES.join(', ')}` })
  contentType!: DocumentType;

  @ApiProperty({
    description:
      'The file, standard base64 (RFC 4648, padded; CRLF/LF line breaks allowed). At most 10 MiB decoded ' +
      '(else 413); its first bytes must be those of `contentType` (else 415); not empty.',
    example: 'JVBERi0xLjQKJSVFT0YK',
    minLength: 1,
    maxLength: MAX_BASE64_LENGTH,
    pattern: '^[A-Za-z0-9+/\\r\\n]*={0,2}$',
  })
  @IsString()
  contentBase64!: string;
}

export class SubmitPurchaseOrderDto extends PricedPurchaseDto {
  @IsPlainText(1, 100, {
    example: 'PO-2026-0042',
    description: "The buyer's purchase-order number (unique per customer, except after a rejection)",
  })
  poNumber!: string;

  @ApiProperty({ type: PoDocumentDto })
  @IsObject()
  @ValidateNested()
  @Type(() => PoDocumentDto)
  document!: PoDocumentDto;
}

export class ReasonDto {
  @IsPlainText(1, 1000, { example: 'The PO is not signed.', description: 'Why; shown in the history' })
  reason!: string;
}

export class ListQueryDto {
  @ApiPropertyOptional({ enum: STATUSES, description: 'Only orders in this status.' })
  @IsOptional()
  @IsIn(STATUSES, { message: `must be one of ${STATUSES.join(', ')}` })
  status?: PurchaseOrderStatus;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'true: only orders still received past their dueBy; false: only the others.',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  overdue?: 'true' | 'false';

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Matches(/^(?:[1-9]\d{0,1}|1\d\d|200)$/, { message: 'must be a whole number from 1 to 200' })
  limit?: string;

  @ApiPropertyOptional({
    description: 'nextCursor of the previous page: the page starts after that position.',
    pattern: CURSOR_PATTERN.source,
    example: '1765231200000.0f9e2a61-4d3b-4a0e-9a3c-1b2f3e4d5c6a',
  })
  @IsOptional()
  @Matches(CURSOR_PATTERN, { message: 'must be a nextCursor this API returned' })
  cursor?: string;
}

// Responses

export class StaffMemberDto {
  @ApiProperty({ format: 'uuid' })
  accountId!: string;

  @ApiProperty({ format: 'email', example: 'rep@vendor.example' })
  email!: string;
}

export class ReceivedDto {
  @ApiProperty({ format: 'uuid', example: '0f9e2a61-4d3b-4a0e-9a3c-1b2f3e4d5c6a' })
  purchaseOrderId!: string;

  @ApiProperty({ enum: ['received'] })
  status!: 'received';

  @ApiProperty({ format: 'date-time', example: '2026-12-04T16:20:00.000Z' })
  receivedAt!: string;

  @ApiProperty({
    format: 'date-time',
    example: '2026-12-07T22:00:00.000Z',
    description:
      'End of the next business day after receipt (PO_TIME_ZONE, PO_BUSINESS_DAY_END, PO_HOLIDAYS).',
  })
  dueBy!: string;
}

export class CustomerViewDto {
  @ApiProperty({ format: 'email' })
  email!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ type: String, nullable: true })
  company!: string | null;
}

export class DocumentInfoDto {
  @ApiProperty({ example: 'PO-2026-0042.pdf' })
  filename!: string;

  @ApiProperty({ enum: DOCUMENT_TYPES })
  contentType!: DocumentType;

  @ApiProperty({ type: 'integer', example: 48213 })
  size!: number;

  @ApiProperty({ pattern: '^[0-9a-f]{64}$', description: 'Hex SHA-256 of the bytes as received.' })
  sha256!: string;
}

export class HistoryEntryDto {
  @ApiProperty({ enum: HISTORY_ACTIONS })
  action!: HistoryAction;

  @ApiProperty({ type: StaffMemberDto })
  by!: StaffMemberDto;

  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;
}

const STATUS_DESCRIPTION =
  'received: waiting for a sales manager; approved: recorded as a purchase (the buyer gets the items); ' +
  'rejected: refused with a reason (the poNumber may be submitted again, corrected); refunded: the approved ' +
  'purchase was refunded and its licences are revoked.';

export class PurchaseOrderSummaryDto {
  @ApiProperty({ format: 'uuid' })
  purchaseOrderId!: string;

  @ApiProperty({ example: 'PO-2026-0042' })
  poNumber!: string;

  @ApiProperty({ enum: STATUSES, description: STATUS_DESCRIPTION })
  status!: PurchaseOrderStatus;

  @ApiProperty({ type: CustomerViewDto })
  customer!: CustomerViewDto;

  @ApiProperty({ example: 'USD' })
  currency!: string;

  @ApiProperty({ example: '2498.00' })
  total!: string;

  @ApiProperty({ format: 'date-time' })
  receivedAt!: string;

  @ApiProperty({ format: 'date-time' })
  dueBy!: string;

  @ApiProperty({ description: 'Still received and past its dueBy.' })
  overdue!: boolean;

  @ApiProperty({ type: StaffMemberDto })
  submittedBy!: StaffMemberDto;
}

export class PurchaseOrderDto extends PurchaseOrderSummaryDto {
  @ApiProperty({ type: [PurchaseLineDto] })
  items!: PurchaseLineDto[];

  @ApiProperty({ type: DocumentInfoDto })
  document!: DocumentInfoDto;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The purchase recorded on approval (purchase.recorded.v1).',
  })
  purchaseId!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  decidedAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  rejectionReason!: string | null;

  @ApiProperty({ type: String, nullable: true })
  refundReason!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The rejected order (same poNumber and customer) this one corrects.',
  })
  resubmissionOf!: string | null;

  @ApiProperty({ type: [HistoryEntryDto], description: 'Every action, oldest first, with who and when.' })
  history!: HistoryEntryDto[];
}

export class PurchaseOrderPageDto {
  @ApiProperty({ type: [PurchaseOrderSummaryDto], description: 'Sorted by dueBy, then purchaseOrderId.' })
  purchaseOrders!: PurchaseOrderSummaryDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null at the end.',
  })
  nextCursor!: string | null;
}
