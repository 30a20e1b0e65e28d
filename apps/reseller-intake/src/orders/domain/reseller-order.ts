import {
  itemIdFor,
  uuidV5,
  type Customer,
  type PurchaseItem,
  type PurchaseRecordedV1,
  type PurchaseRefundedV1,
} from '@otl/contracts';

/**
 * A reseller's order, one stream per purchase:
 *
 *   recorded ──purchase.assigned.v1──> assigned
 *      └──────────refund───────────────> refunded <──refund── assigned
 *
 * Placing it records the purchase (`purchase.recorded.v1`, channel `reseller`). The customer's
 * account taking it (account's `purchase.assigned.v1`) moves it to `assigned`; a refund, from
 * either, emits `purchase.refunded.v1` and is final. A second refund and a second assignment change
 * nothing; an assignment that arrives after the refund is noted (assignedAt) and the order stays refunded.
 */

export type ResellerOrderStatus = 'recorded' | 'assigned' | 'refunded';
export const ORDER_STATUSES: readonly ResellerOrderStatus[] = ['recorded', 'assigned', 'refunded'];

/** Namespace of reseller purchase ids (a fixed, random UUID). */
const PURCHASE_NAMESPACE = '6f1d3c52-8a0e-4d7b-9c41-2e5f7a9b0c13';

/**
 * A reseller's purchase id follows from the reseller and its order ref: one ref can never become
 * two purchases, whatever happened to the request that placed it.
 */
export const purchaseIdFor = (resellerId: string, resellerOrderRef: string) =>
  uuidV5(`${resellerId}\u0000${resellerOrderRef}`, PURCHASE_NAMESPACE);

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPrice: string;
}

export interface Placement {
  orderId: string;
  resellerId: string;
  resellerOrderRef: string;
  customer: Customer;
  items: OrderLine[];
  currency: string;
  total: string;
  /** The Idempotency-Key the order was placed under, for the operator's trail. */
  idempotencyKey: string;
}

export interface OrderPlacedV1 extends Placement {
  purchaseId: string;
  placedAt: string;
}

export interface OrderAssignedV1 {
  accountId: string;
  assignedAt: string;
}

export type ResellerOrderEvent =
  | { type: 'reseller-order.placed.v1'; data: OrderPlacedV1 }
  | { type: 'reseller-order.assigned.v1'; data: OrderAssignedV1 }
  | { type: 'purchase.recorded.v1'; data: PurchaseRecordedV1 }
  | { type: 'purchase.refunded.v1'; data: PurchaseRefundedV1 };

export interface ResellerOrder {
  orderId: string;
  purchaseId: string;
  resellerId: string;
  resellerOrderRef: string;
  status: ResellerOrderStatus;
  customer: Customer;
  items: PurchaseItem[];
  currency: string;
  total: string;
  recordedAt: string;
  assignedAt: string | null;
  refundedAt: string | null;
  refundReason: string | null;
}

export type ResellerOrderState = { status: 'none' } | ResellerOrder;
export const initialState: ResellerOrderState = { status: 'none' };

export type ResellerOrderCommand =
  | { type: 'Place'; placement: Placement; now: Date }
  | { type: 'Assign'; accountId: string; assignedAt: string }
  | { type: 'Refund'; reason: string; now: Date };

export type ResellerOrderErrorCode = 'not-found' | 'ref-taken';

export class ResellerOrderError extends Error {
  constructor(
    readonly code: ResellerOrderErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The reseller already has an order with this resellerOrderRef. */
export class OrderRefTakenError extends ResellerOrderError {
  constructor(readonly existingOrderId: string) {
    super(
      'ref-taken',
      `Your order ${existingOrderId} already has this resellerOrderRef; ` +
        'each order needs its own ref (a retry of that order needs its original Idempotency-Key).',
    );
  }
}

export function evolve(state: ResellerOrderState, event: ResellerOrderEvent): ResellerOrderState {
  if (event.type === 'reseller-order.placed.v1') {
    const { data } = event;
    return {
      orderId: data.orderId,
      purchaseId: data.purchaseId,
      resellerId: data.resellerId,
      resellerOrderRef: data.resellerOrderRef,
      status: 'recorded',
      customer: { ...data.customer },
      items: data.items.map((line, index) => ({ itemId: itemIdFor(data.purchaseId, index), ...line })),
      currency: data.currency,
      total: data.total,
      recordedAt: data.placedAt,
      assignedAt: null,
      refundedAt: null,
      refundReason: null,
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'reseller-order.assigned.v1':
      return {
        ...state,
        status: state.status === 'refunded' ? 'refunded' : 'assigned',
        assignedAt: event.data.assignedAt,
      };
    case 'purchase.refunded.v1':
      return {
        ...state,
        status: 'refunded',
        refundedAt: event.data.refundedAt,
        refundReason: event.data.reason,
      };
    case 'purchase.recorded.v1':
      return state;
  }
}

export const rebuild = (events: readonly ResellerOrderEvent[]): ResellerOrderState =>
  events.reduce(evolve, initialState);

export function decide(command: ResellerOrderCommand, state: ResellerOrderState): ResellerOrderEvent[] {
  switch (command.type) {
    case 'Place': {
      if (state.status !== 'none') {
        throw new OrderRefTakenError(state.orderId);
      }
      const { placement, now } = command;
      const purchaseId = purchaseIdFor(placement.resellerId, placement.resellerOrderRef);
      const at = now.toISOString();
      return [
        { type: 'reseller-order.placed.v1', data: { ...placement, purchaseId, placedAt: at } },
        {
          type: 'purchase.recorded.v1',
          data: {
            purchaseId,
            channel: 'reseller',
            externalRef: placement.resellerOrderRef,
            resellerId: placement.resellerId,
            customer: { ...placement.customer },
            items: placement.items.map((line, index) => ({
              itemId: itemIdFor(purchaseId, index),
              sku: line.sku,
              quantity: line.quantity,
              unitPrice: line.unitPrice,
            })),
            currency: placement.currency,
            total: placement.total,
            recordedAt: at,
          },
        },
      ];
    }
    case 'Assign':
      // Account assigns a purchase once; a redelivery, or one after a refund, changes nothing.
      if (state.status === 'none') throw new ResellerOrderError('not-found', 'No such order.');
      return state.assignedAt === null
        ? [
            {
              type: 'reseller-order.assigned.v1',
              data: { accountId: command.accountId, assignedAt: command.assignedAt },
            },
          ]
        : [];
    case 'Refund':
      if (state.status === 'none') throw new ResellerOrderError('not-found', 'No such order.');
      if (state.status === 'refunded') return [];
      return [
        {
          type: 'purchase.refunded.v1',
          data: {
            purchaseId: state.purchaseId,
            channel: 'reseller',
            externalRef: state.resellerOrderRef,
            refundedAt: command.now.toISOString(),
            reason: command.reason,
          },
        },
      ];
  }
}
