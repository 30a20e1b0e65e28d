import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PURCHASE_ORDER_CURSOR_PATTERN } from '@otl/contracts';
import { IsPlainText } from '@otl/platform';

// The sales desk's shapes: po-intake's purchase orders as the portal passes them on (see
// po-intake's own OpenAPI document for the service's side). The portal checks the shape of what the
// browser sends; po-intake's refusals reach the browser unchanged.

export const PO_STATUSES = ['received', 'approved', 'rejected', 'refunded'] as const;
const ACTIONS = ['submitted', 'approved', 'rejected', 'refunded'] as const;

export class DeskListQuery {
  @ApiPropertyOptional({ enum: PO_STATUSES, description: 'Only purchase orders in this status.' })
  @IsOptional()
  @IsIn(PO_STATUSES, { message: `must be one of ${PO_STATUSES.join(', ')}` })
  status?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: '`true`: only overdue ones (still received after their `dueBy`).',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  overdue?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Matches(/^(?:[1-9]\d?|1\d\d|200)$/, { message: 'must be a whole number from 1 to 200' })
  limit?: string;

  @ApiPropertyOptional({
    description: 'The `nextCursor` of the previous page: the page starts after that position.',
    pattern: PURCHASE_ORDER_CURSOR_PATTERN.source,
  })
  @IsOptional()
  @Matches(PURCHASE_ORDER_CURSOR_PATTERN, { message: 'must be a nextCursor this API returned' })
  cursor?: string;
}

export class DocumentQuery {
  @ApiPropertyOptional({
    enum: ['1'],
    description: '`1`: always as an attachment (a download), never shown in the page.',
  })
  @IsOptional()
  @IsIn(['1'], { message: 'must be 1' })
  download?: string;
}

export class ReasonBody {
  @IsPlainText(1, 1000, { example: 'The PO total does not match the quote Q-2291.' }) reason!: string;
}

export class PoCustomerDto {
  @ApiProperty({ example: 'Ana.Lima@Example.com' }) email!: string;
  @ApiProperty({ example: 'Ana Lima' }) name!: string;
  @ApiProperty({ nullable: true, type: String, example: 'Example Ltd' }) company!: string | null;
}

export class StaffRefDto {
  @ApiProperty({ format: 'uuid' }) accountId!: string;
  @ApiProperty({ example: 'rep@dynamsoft.example' }) email!: string;
}

export class PurchaseOrderSummaryDto {
  @ApiProperty({ format: 'uuid' }) purchaseOrderId!: string;
  @ApiProperty({ example: 'PO-2026-0042' }) poNumber!: string;
  @ApiProperty({ enum: PO_STATUSES }) status!: string;
  @ApiProperty({ type: PoCustomerDto }) customer!: PoCustomerDto;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ example: '2498.00', description: 'Decimal string.' }) total!: string;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) receivedAt!: string;
  @ApiProperty({
    example: '2026-11-30T17:00:00.000Z',
    description: 'The end of the next business day after receipt.',
  })
  dueBy!: string;
  @ApiProperty({ description: 'Still received after its dueBy.' }) overdue!: boolean;
  @ApiProperty({ type: StaffRefDto }) submittedBy!: StaffRefDto;
}

export class PurchaseOrderPageDto {
  @ApiProperty({ type: [PurchaseOrderSummaryDto], description: 'Sorted by dueBy, then id.' })
  purchaseOrders!: PurchaseOrderSummaryDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page.' })
  nextCursor!: string | null;
}

export class PoItemDto {
  @ApiProperty({ example: 'BARCODE-JS-DEVICE-1Y' }) sku!: string;
  @ApiProperty({ example: 2 }) quantity!: number;
  @ApiProperty({ example: '1249.00' }) unitPrice!: string;
}

export class PoDocumentDto {
  @ApiProperty({ example: 'PO-2026-0042.pdf' }) filename!: string;
  @ApiProperty({ enum: ['application/pdf', 'image/png', 'image/jpeg'] }) contentType!: string;
  @ApiProperty({ example: 48213, description: 'Bytes.' }) size!: number;
  @ApiProperty({ description: 'SHA-256 of the bytes, hex.' }) sha256!: string;
}

export class PoHistoryEntryDto {
  @ApiProperty({ enum: ACTIONS }) action!: string;
  @ApiProperty({ type: StaffRefDto }) by!: StaffRefDto;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) at!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
}

export class PurchaseOrderDto extends PurchaseOrderSummaryDto {
  @ApiProperty({ type: [PoItemDto] }) items!: PoItemDto[];
  @ApiProperty({ type: PoDocumentDto }) document!: PoDocumentDto;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'Set on approval.' })
  purchaseId!: string | null;
  @ApiProperty({ nullable: true, type: String }) decidedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) rejectionReason!: string | null;
  @ApiProperty({ nullable: true, type: String }) refundReason!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'uuid',
    description: 'The rejected purchase order this one corrects.',
  })
  resubmissionOf!: string | null;
  @ApiProperty({ type: [PoHistoryEntryDto], description: 'Every action, oldest first.' })
  history!: PoHistoryEntryDto[];
}
