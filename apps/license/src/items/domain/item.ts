import type { Channel } from '@otl/contracts';
import type { CatalogEntry } from '../../catalog/domain/catalog-entry';

/**
 * A purchased item as a pure decider. It is licensed at most once: the licence that takes it
 * appends `license.item-licensed` at the version it read, so of two concurrent requests for one
 * item exactly one can commit.
 */

export type ItemStatus = 'available' | 'licensed' | 'refunded' | 'needs-review';

export interface ItemRecorded {
  itemId: string;
  purchaseId: string;
  accountId: string;
  channel: Channel;
  externalRef: string;
  sku: string;
  quantity: number;
  /** Its place among the purchase's items (for listing in purchase order). */
  position: number;
  /** The catalog entry when the item was recorded; null for an unknown SKU (needs review). */
  catalog: CatalogEntry | null;
  catalogVersion: number;
  purchasedAt: string;
}

export type ItemEvent =
  | { type: 'license.item-recorded'; data: ItemRecorded }
  | { type: 'license.item-licensed'; data: { itemId: string; licenseId: string; licensedAt: string } }
  | { type: 'license.item-refunded'; data: { itemId: string; refundedAt: string } }
  | {
      type: 'license.item-released';
      data: { itemId: string; licenseId: string; reason: string; releasedAt: string };
    };

export type ItemState =
  { status: 'unknown' } | (ItemRecorded & { status: ItemStatus; licenseId: string | null });

export const initialItemState: ItemState = { status: 'unknown' };

export function evolveItem(state: ItemState, event: ItemEvent): ItemState {
  switch (event.type) {
    case 'license.item-recorded':
      return { ...event.data, status: event.data.catalog ? 'available' : 'needs-review', licenseId: null };
    case 'license.item-licensed':
      return state.status === 'unknown'
        ? state
        : { ...state, status: 'licensed', licenseId: event.data.licenseId };
    case 'license.item-refunded':
      return state.status === 'unknown' ? state : { ...state, status: 'refunded' };
    case 'license.item-released':
      return state.status === 'licensed' ? { ...state, status: 'available', licenseId: null } : state;
  }
}

export type ItemCommand =
  | { type: 'RecordItem'; item: ItemRecorded }
  | { type: 'LicenseItem'; licenseId: string; now: Date }
  | { type: 'RefundItem'; now: Date }
  /**
   * The licence holding the item was revoked for a reason that was not the item's own (another
   * purchase of the licence was refunded): the item, still paid for, is available again.
   */
  | { type: 'ReleaseItem'; licenseId: string; reason: string; now: Date };

export class ItemNotAvailableError extends Error {
  readonly code = 'item-not-available';
  constructor(
    readonly itemId: string,
    readonly status: ItemStatus | 'unknown',
  ) {
    super(`item ${itemId} is ${status}, not available`);
    this.name = 'ItemNotAvailableError';
  }
}

export function decideItem(command: ItemCommand, state: ItemState): ItemEvent[] {
  switch (command.type) {
    case 'RecordItem':
      return state.status === 'unknown' ? [{ type: 'license.item-recorded', data: command.item }] : [];
    case 'LicenseItem':
      if (state.status !== 'available') {
        throw new ItemNotAvailableError(state.status === 'unknown' ? '' : state.itemId, state.status);
      }
      return [
        {
          type: 'license.item-licensed',
          data: { itemId: state.itemId, licenseId: command.licenseId, licensedAt: command.now.toISOString() },
        },
      ];
    case 'ReleaseItem':
      if (state.status !== 'licensed' || state.licenseId !== command.licenseId) return [];
      return [
        {
          type: 'license.item-released',
          data: {
            itemId: state.itemId,
            licenseId: command.licenseId,
            reason: command.reason,
            releasedAt: command.now.toISOString(),
          },
        },
      ];
    case 'RefundItem':
      if (state.status === 'unknown' || state.status === 'refunded') return [];
      return [
        {
          type: 'license.item-refunded',
          data: { itemId: state.itemId, refundedAt: command.now.toISOString() },
        },
      ];
  }
}
