import type { Pool } from 'pg';
import { PURCHASE_ORDER_CURSOR_PATTERN } from '@otl/contracts';
import type { Clock } from '@otl/platform';
import type { DocumentType, PurchaseOrder, PurchaseOrderStatus } from './domain/purchase-order';
import { PurchaseOrderError } from './domain/purchase-order';

export interface PurchaseOrderView extends PurchaseOrder {
  overdue: boolean;
}

export type PurchaseOrderSummary = Pick<PurchaseOrderView, (typeof SUMMARY_FIELDS)[number]>;

export interface ListFilter {
  status?: PurchaseOrderStatus;
  overdue?: boolean;
  limit: number;
  cursor?: string;
}

export interface StoredDocument {
  filename: string;
  contentType: DocumentType;
  size: number;
  sha256: string;
  content: Buffer;
}

/**
 * The page position: the last row's dueBy (epoch ms) and id. Every string of this shape is a valid
 * position (the OpenAPI pattern says so), so a client can only ever start after some point of the queue.
 */
export const CURSOR_PATTERN = PURCHASE_ORDER_CURSOR_PATTERN;

const encodeCursor = (dueBy: string, id: string): string => `${Date.parse(dueBy)}.${id}`;

function decodeCursor(cursor: string): { dueBy: Date; id: string } | null {
  const match = CURSOR_PATTERN.exec(cursor);
  return match ? { dueBy: new Date(Number(match[1])), id: match[2] as string } : null;
}

/** An order as answered: `overdue` while it is still received past its dueBy. */
export const withOverdue = (order: PurchaseOrder, now: Date): PurchaseOrderView => ({
  ...order,
  overdue: order.status === 'received' && Date.parse(order.dueBy) < now.getTime(),
});

export class InvalidCursorError extends Error {}

/** Reads of the desk's read model and of the stored documents. */
export class PurchaseOrderQueries {
  constructor(
    private readonly pool: Pool,
    private readonly now: Clock,
  ) {}

  async get(purchaseOrderId: string): Promise<PurchaseOrderView> {
    const { rows } = await this.pool.query<{ view: PurchaseOrder }>(
      'SELECT view FROM purchase_orders WHERE purchase_order_id = $1',
      [purchaseOrderId],
    );
    const row = rows[0];
    if (!row) throw new PurchaseOrderError('not-found', 'No such purchase order.');
    return withOverdue(row.view, this.now());
  }

  /** The queue: by dueBy (soonest first), then id; keyset-paged so every page costs the same. */
  async list(
    filter: ListFilter,
  ): Promise<{ purchaseOrders: PurchaseOrderSummary[]; nextCursor: string | null }> {
    const now = this.now();
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.status) where.push(`status = ${param(filter.status)}`);
    if (filter.overdue === true) where.push(`status = 'received' AND due_by < ${param(now)}`);
    if (filter.overdue === false) where.push(`NOT (status = 'received' AND due_by < ${param(now)})`);
    if (filter.cursor !== undefined) {
      const position = decodeCursor(filter.cursor);
      if (!position) throw new InvalidCursorError('not a cursor this API returned');
      where.push(`(due_by, purchase_order_id) > (${param(position.dueBy)}, ${param(position.id)}::uuid)`);
    }
    const { rows } = await this.pool.query<{ view: PurchaseOrder }>(
      // A row of the queue needs no items, history or document facts: they stay in the database.
      `SELECT view - 'items' - 'history' - 'document' AS view FROM purchase_orders
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY due_by, purchase_order_id LIMIT ${param(filter.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, filter.limit).map((row) => summary(withOverdue(row.view, now)));
    const last = page[page.length - 1];
    return {
      purchaseOrders: page,
      nextCursor: rows.length > filter.limit && last ? encodeCursor(last.dueBy, last.purchaseOrderId) : null,
    };
  }

  async document(purchaseOrderId: string): Promise<StoredDocument> {
    const { rows } = await this.pool.query<{
      filename: string;
      content_type: DocumentType;
      size: number;
      sha256: string;
      content: Buffer;
    }>(
      'SELECT filename, content_type, size, sha256, content FROM po_documents WHERE purchase_order_id = $1',
      [purchaseOrderId],
    );
    const row = rows[0];
    if (!row) throw new PurchaseOrderError('not-found', 'No such purchase order.');
    return {
      filename: row.filename,
      contentType: row.content_type,
      size: row.size,
      sha256: row.sha256,
      content: row.content,
    };
  }
}

const SUMMARY_FIELDS = [
  'purchaseOrderId',
  'poNumber',
  'status',
  'customer',
  'currency',
  'total',
  'receivedAt',
  'dueBy',
  'overdue',
  'submittedBy',
] as const satisfies readonly (keyof PurchaseOrderView)[];

/** The queue's view of an order: what a row of the desk's list shows. */
function summary(order: PurchaseOrderView): PurchaseOrderSummary {
  return Object.fromEntries(SUMMARY_FIELDS.map((field) => [field, order[field]])) as PurchaseOrderSummary;
}
