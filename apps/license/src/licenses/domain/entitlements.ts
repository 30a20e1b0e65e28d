import type { Entitlement, LicensedItem } from '@otl/contracts';
import type { Term } from '../../catalog/domain/catalog-entry';

/** An item of a licence with what the catalog said about it when the licence was generated. */
export interface EntitledItem extends LicensedItem {
  term: Term;
  seatsPerQuantity: number;
}

/** Adds a year in UTC (29 February runs to 1 March). */
export function oneYearAfter(at: Date): Date {
  const end = new Date(at.getTime());
  end.setUTCFullYear(end.getUTCFullYear() + 1);
  return end;
}

/**
 * Entitlements per product and unit: seats = quantity × seats per quantity, summed over the
 * licence's items of that product with the same expiry. A one-year term runs from activation.
 */
export function entitlementsOf(items: readonly EntitledItem[], activatedAt: Date): Entitlement[] {
  const grouped = new Map<string, Entitlement>();
  for (const item of items) {
    const expiresAt = item.term === 'perpetual' ? null : oneYearAfter(activatedAt).toISOString();
    const key = JSON.stringify([item.product, item.unit, expiresAt]);
    const entry = grouped.get(key) ?? { product: item.product, unit: item.unit, seats: 0, expiresAt };
    entry.seats += item.quantity * item.seatsPerQuantity;
    grouped.set(key, entry);
  }
  return [...grouped.values()].sort(
    (a, b) =>
      a.product.localeCompare(b.product) ||
      a.unit.localeCompare(b.unit) ||
      (a.expiresAt ?? '\uffff').localeCompare(b.expiresAt ?? '\uffff'),
  );
}
