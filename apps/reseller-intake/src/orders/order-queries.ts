import type { Sql } from '@otl/event-store';
import type { ResellerOrder } from './domain/reseller-order';

/** An order as its reseller sees it: everything but the reseller's own id. */
export type OrderView = Omit<ResellerOrder, 'resellerId'>;

export interface OrderPage {
  orders: OrderView[];
  nextCursor: string | null;
}

/** A cursor is the position of the last order of the page (a positive integer, as text). */
export const ORDER_CURSOR_PATTERN = /^[1-9]\d{0,17}$/;

export function orderView(order: ResellerOrder): OrderView {
  const { resellerId: _resellerId, ...view } = order;
  return view;
}

/** The read model, always filtered by the asking reseller: another reseller's order does not exist. */
export class OrderQueries {
  constructor(private readonly sql: Sql) {}

  async get(resellerId: string, orderId: string): Promise<OrderView | undefined> {
    const { rows } = await this.sql.query<{ view: OrderView }>(
      'SELECT view FROM reseller_orders WHERE order_id = $1 AND reseller_id = $2',
      [orderId, resellerId],
    );
    return rows[0]?.view;
  }

  async purchaseIdOf(resellerId: string, orderId: string): Promise<string | undefined> {
    const { rows } = await this.sql.query<{ purchase_id: string }>(
      'SELECT purchase_id FROM reseller_orders WHERE order_id = $1 AND reseller_id = $2',
      [orderId, resellerId],
    );
    return rows[0]?.purchase_id;
  }

  /**
   * Newest first, keyset-paged on the insertion sequence: orders placed while a client pages
   * appear before its first page, never shifting or repeating the pages it has not read yet.
   */
  async list(resellerId: string, limit: number, cursor?: string): Promise<OrderPage> {
    // The position is read as text (a bigint) under its own name, so that ORDER BY seq sorts numbers.
    const { rows } = await this.sql.query<{ position: string; view: OrderView }>(
      `SELECT seq::text AS position, view FROM reseller_orders
        WHERE reseller_id = $1 AND ($2::bigint IS NULL OR seq < $2::bigint)
        ORDER BY seq DESC LIMIT $3`,
      [resellerId, cursor ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    return {
      orders: page.map((row) => row.view),
      nextCursor: rows.length > limit ? (page.at(-1)?.position ?? null) : null,
    };
  }
}
