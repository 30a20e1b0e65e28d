import type { Statement } from '@otl/event-store';
import type { ItemState } from '../items/domain/item';
import { oneYearAfter } from './domain/entitlements';
import type { LicenseState } from './domain/license';

/**
 * The portal's read models as rows computed from aggregate state, so the live path (same
 * transaction as the events) and a rebuild from the log write exactly the same thing.
 */

export interface ItemRow {
  item_id: string;
  account_id: string;
  purchase_id: string;
  channel: string;
  external_ref: string;
  sku: string;
  product: string | null;
  unit: string | null;
  quantity: number;
  term: string | null;
  purchased_at: string;
  status: string;
  license_id: string | null;
  position: number;
}

export interface LicenseRow {
  license_id: string;
  account_id: string;
  status: string;
  tracking_mode: string | null;
  lts_instance_id: string | null;
  items: unknown;
  generated_at: string;
  activated_at: string | null;
}

export function itemRow(state: ItemState): ItemRow | undefined {
  if (state.status === 'unknown') return undefined;
  return {
    item_id: state.itemId,
    account_id: state.accountId,
    purchase_id: state.purchaseId,
    channel: state.channel,
    external_ref: state.externalRef,
    sku: state.sku,
    product: state.catalog?.product ?? null,
    unit: state.catalog?.unit ?? null,
    quantity: state.quantity,
    term: state.catalog?.term ?? null,
    purchased_at: state.purchasedAt,
    status: state.status,
    license_id: state.licenseId,
    position: state.position,
  };
}

/**
 * The licence's items with their expiry once it is activated (a one-year term runs from activation,
 * as in the licence file); before activation, and for perpetual items, `expiresAt` is null.
 */
function itemsWithExpiry(state: Exclude<LicenseState, { status: 'none' }>) {
  const { activatedAt } = state;
  if (!activatedAt) return state.items;
  const terms = new Map(state.terms.map((entry) => [entry.itemId, entry.term]));
  const oneYear = oneYearAfter(new Date(activatedAt)).toISOString();
  return state.items.map((item) => {
    const term = terms.get(item.itemId);
    return { ...item, expiresAt: term === undefined || term === 'perpetual' ? null : oneYear };
  });
}

export function licenseRow(state: LicenseState): LicenseRow | undefined {
  if (state.status === 'none') return undefined;
  return {
    license_id: state.licenseId,
    account_id: state.accountId,
    status: state.status,
    tracking_mode: state.trackingMode,
    lts_instance_id: state.ltsInstanceId,
    items: itemsWithExpiry(state),
    generated_at: state.generatedAt,
    activated_at: state.activatedAt,
  };
}

/** Upserts item rows (one statement for any number). */
export function upsertItems(rows: readonly ItemRow[]): Statement | null {
  if (rows.length === 0) return null;
  return {
    text: `INSERT INTO license_items AS t (item_id, account_id, purchase_id, channel, external_ref, sku, product,
             unit, quantity, term, purchased_at, status, license_id, position)
           SELECT item_id, account_id, purchase_id, channel, external_ref, sku, product, unit, quantity, term,
                  purchased_at, status, license_id, position
           FROM jsonb_to_recordset($1::jsonb) AS r(item_id uuid, account_id uuid, purchase_id uuid, channel text,
             external_ref text, sku text, product text, unit text, quantity integer, term text,
             purchased_at timestamptz, status text, license_id uuid, position bigint)
           ON CONFLICT (item_id) DO UPDATE SET status = EXCLUDED.status, license_id = EXCLUDED.license_id`,
    params: [JSON.stringify(rows)],
  };
}

export function upsertLicenses(rows: readonly LicenseRow[]): Statement | null {
  if (rows.length === 0) return null;
  return {
    text: `INSERT INTO licenses AS t (license_id, account_id, status, tracking_mode, lts_instance_id, items,
             generated_at, activated_at)
           SELECT license_id, account_id, status, tracking_mode, lts_instance_id, items, generated_at, activated_at
           FROM jsonb_to_recordset($1::jsonb) AS r(license_id uuid, account_id uuid, status text,
             tracking_mode text, lts_instance_id text, items jsonb, generated_at timestamptz,
             activated_at timestamptz)
           ON CONFLICT (license_id) DO UPDATE SET status = EXCLUDED.status, tracking_mode = EXCLUDED.tracking_mode,
             lts_instance_id = EXCLUDED.lts_instance_id, items = EXCLUDED.items,
             activated_at = EXCLUDED.activated_at`,
    params: [JSON.stringify(rows)],
  };
}
