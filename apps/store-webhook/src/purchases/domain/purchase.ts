import type { PurchaseRecordedV1, PurchaseRefundedV1 } from '@otl/contracts';
import { itemIdFor } from './ids';

/**
 * The purchase aggregate of the store channel, as a pure decider:
 * decide(command, state) -> events, evolve(state, event) -> state. No I/O, time passed in.
 */

export interface StoreOrder {
  orderId: string;
  completedAt: string;
  currency: string;
  customer: { email: string; name: string; company: string | null };
  items: { sku: string; quantity: number; unitPrice: string }[];
  total: string;
}

export interface StoreRefund {
  orderId: string;
  refundedAt: string;
  reason: string | null;
}

export type PurchaseCommand =
  | { type: 'RecordStoreOrder'; purchaseId: string; order: StoreOrder; now: Date }
  | { type: 'RecordStoreRefund'; purchaseId: string; refund: StoreRefund; now: Date };

/** Held internally (never published) when a refund arrives before its order. */
export interface RefundHeldV1 {
  purchaseId: string;
  orderId: string;
  refundedAt: string;
  reason: string | null;
  heldAt: string;
}

export type PurchaseEvent =
  | { type: 'purchase.recorded.v1'; data: PurchaseRecordedV1 }
  | { type: 'purchase.refunded.v1'; data: PurchaseRefundedV1 }
  | { type: 'store.refund-held.v1'; data: RefundHeldV1 };

export type PurchaseState =
  | { status: 'unknown' }
  | { status: 'refund-held'; refund: RefundHeldV1 }
  | { status: 'recorded'; purchaseId: string; externalRef: string; refunded: boolean };

export const initialState: PurchaseState = { status: 'unknown' };

export function evolve(state: PurchaseState, event: PurchaseEvent): PurchaseState {
  switch (event.type) {
    case 'store.refund-held.v1':
      return state.status === 'unknown' ? { status: 'refund-held', refund: event.data } : state;
    case 'purchase.recorded.v1':
      return {
        status: 'recorded',
        purchaseId: event.data.purchaseId,
        externalRef: event.data.externalRef,
        refunded: false,
      };
    case 'purchase.refunded.v1':
      return state.status === 'recorded' ? { ...state, refunded: true } : state;
  }
}

function refunded(
  purchaseId: string,
  orderId: string,
  refundedAt: string,
  reason: string | null,
): PurchaseEvent {
  return {
    type: 'purchase.refunded.v1',
    data: { purchaseId, channel: 'store', externalRef: orderId, refundedAt, reason },
  };
}

export function decide(command: PurchaseCommand, state: PurchaseState): PurchaseEvent[] {
  switch (command.type) {
    case 'RecordStoreOrder': {
      // A repeated order (new webhook-id, store retry) records nothing new.
      if (state.status === 'recorded') return [];
      const { order, purchaseId } = command;
      const recorded: PurchaseEvent = {
        type: 'purchase.recorded.v1',
        data: {
          purchaseId,
          channel: 'store',
          externalRef: order.orderId,
          resellerId: null,
          customer: {
            email: order.customer.email,
            name: order.customer.name,
            company: order.customer.company,
          },
          items: order.items.map((item, line) => ({
            itemId: itemIdFor(purchaseId, line),
            sku: item.sku,
            quantity: item.quantity,
            unitPrice: item.unitPrice,
          })),
          currency: order.currency,
          total: order.total,
          recordedAt: command.now.toISOString(),
        },
      };
      if (state.status === 'refund-held') {
        const { refund } = state;
        return [recorded, refunded(purchaseId, order.orderId, refund.refundedAt, refund.reason)];
      }
      return [recorded];
    }
    case 'RecordStoreRefund': {
      const { refund, purchaseId } = command;
      switch (state.status) {
        case 'unknown':
          return [
            {
              type: 'store.refund-held.v1',
              data: { purchaseId, ...refund, heldAt: command.now.toISOString() },
            },
          ];
        case 'refund-held':
          return [];
        case 'recorded':
          return state.refunded
            ? []
            : [refunded(purchaseId, refund.orderId, refund.refundedAt, refund.reason)];
      }
    }
  }
}

export const rebuild = (events: readonly PurchaseEvent[]): PurchaseState =>
  events.reduce(evolve, initialState);
