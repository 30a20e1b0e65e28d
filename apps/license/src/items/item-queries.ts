import type { Pool } from 'pg';
import type { ItemRow } from '../licenses/read-model';

export interface ItemView {
  itemId: string;
  purchaseId: string;
  channel: string;
  externalRef: string;
  sku: string;
  product: string | null;
  unit: string | null;
  quantity: number;
  term: string | null;
  purchasedAt: string;
  status: string;
  licenseId: string | null;
}

/** The customer's purchased items, from the read model the use cases write with their events. */
export class ItemQueries {
  constructor(private readonly pool: Pool) {}

  async listItems(accountId: string): Promise<ItemView[]> {
    const { rows } = await this.pool.query<ItemRow & { purchased_at: Date }>(
      `SELECT * FROM license_items WHERE account_id = $1 ORDER BY purchased_at DESC, purchase_id, position`,
      [accountId],
    );
    return rows.map((row) => ({
      itemId: row.item_id,
      purchaseId: row.purchase_id,
      channel: row.channel,
      externalRef: row.external_ref,
      sku: row.sku,
      product: row.product,
      unit: row.unit,
      quantity: row.quantity,
      term: row.term,
      purchasedAt: new Date(row.purchased_at).toISOString(),
      status: row.status,
      licenseId: row.license_id,
    }));
  }
}
