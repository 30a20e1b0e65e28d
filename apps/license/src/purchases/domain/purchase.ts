/**
 * A purchase as the license service sees it, as a pure decider: which items it brought (from
 * `purchase.assigned.v1`) and whether it was refunded (`purchase.refunded.v1`). The two arrive on
 * different topics in any order, so a refund that comes first is held here until the items exist.
 */

export interface PurchaseAssigned {
  accountId: string;
  itemIds: string[];
}

export interface PurchaseRefunded {
  refundedAt: string;
  reason: string | null;
}

export type PurchaseEvent =
  | { type: 'license.purchase-assigned'; data: PurchaseAssigned }
  | { type: 'license.purchase-refunded'; data: PurchaseRefunded };

export interface PurchaseState {
  assigned: PurchaseAssigned | null;
  refunded: PurchaseRefunded | null;
}

export const initialPurchaseState: PurchaseState = { assigned: null, refunded: null };

export function evolvePurchase(state: PurchaseState, event: PurchaseEvent): PurchaseState {
  switch (event.type) {
    case 'license.purchase-assigned':
      return { ...state, assigned: event.data };
    case 'license.purchase-refunded':
      return { ...state, refunded: event.data };
  }
}

export type PurchaseCommand =
  ({ type: 'AssignPurchase' } & PurchaseAssigned) | ({ type: 'RefundPurchase' } & PurchaseRefunded);

/** Each happens once: a second assignment or refund (a redelivery, a repeated refund) decides nothing. */
export function decidePurchase(command: PurchaseCommand, state: PurchaseState): PurchaseEvent[] {
  switch (command.type) {
    case 'AssignPurchase': {
      if (state.assigned) return [];
      const { accountId, itemIds } = command;
      return [{ type: 'license.purchase-assigned', data: { accountId, itemIds } }];
    }
    case 'RefundPurchase': {
      if (state.refunded) return [];
      const { refundedAt, reason } = command;
      return [{ type: 'license.purchase-refunded', data: { refundedAt, reason } }];
    }
  }
}
