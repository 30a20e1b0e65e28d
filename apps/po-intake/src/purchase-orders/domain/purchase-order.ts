import type { PurchaseRecordedV1, PurchaseRefundedV1 } from '@otl/contracts';
import { itemIdFor } from '@otl/contracts';

/**
 * The purchase-order aggregate as a pure decider: decide(command, state) -> events,
 * evolve(state, event) -> state. No I/O; time and the due date are passed in.
 *
 * received ──approve──> approved ──refund──> refunded
 *    └──────reject────> rejected
 *
 * Approval records the purchase (`purchase.recorded.v1`, purchaseId = purchaseOrderId); a refund of an
 * approved order records `purchase.refunded.v1`. Repeating a decision is a no-op; the other decision is
 * a conflict. Whoever submitted an order never decides it (four eyes).
 */

export type PurchaseOrderStatus = 'received' | 'approved' | 'rejected' | 'refunded';
export type DocumentType = 'application/pdf' | 'image/png' | 'image/jpeg';

export interface StaffMember {
  accountId: string;
  email: string;
}

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPrice: string;
}

export interface DocumentInfo {
  filename: string;
  contentType: DocumentType;
  size: number;
  sha256: string;
}

export interface PurchaseOrderReceivedV1 {
  purchaseOrderId: string;
  poNumber: string;
  customer: { email: string; name: string; company: string | null };
  items: OrderLine[];
  currency: string;
  total: string;
  document: DocumentInfo;
  receivedAt: string;
  dueBy: string;
  submittedBy: StaffMember;
  /** The rejected order this one corrects (same poNumber, same customer). */
  resubmissionOf: string | null;
}

export interface DecisionV1 {
  purchaseOrderId: string;
  by: StaffMember;
  at: string;
  reason: string | null;
}

export type PurchaseOrderEvent =
  | { type: 'purchase-order.received.v1'; data: PurchaseOrderReceivedV1 }
  | { type: 'purchase-order.approved.v1'; data: DecisionV1 }
  | { type: 'purchase-order.rejected.v1'; data: DecisionV1 }
  | { type: 'purchase-order.refunded.v1'; data: DecisionV1 }
  | { type: 'purchase.recorded.v1'; data: PurchaseRecordedV1 }
  | { type: 'purchase.refunded.v1'; data: PurchaseRefundedV1 };

export type HistoryAction = 'submitted' | 'approved' | 'rejected' | 'refunded';

export interface HistoryEntry {
  action: HistoryAction;
  by: StaffMember;
  at: string;
  reason: string | null;
}

export interface PurchaseOrder extends PurchaseOrderReceivedV1 {
  status: PurchaseOrderStatus;
  purchaseId: string | null;
  decidedAt: string | null;
  rejectionReason: string | null;
  refundReason: string | null;
  history: HistoryEntry[];
}

export type PurchaseOrderState = { status: 'none' } | PurchaseOrder;

export const initialState: PurchaseOrderState = { status: 'none' };

export type Submission = Omit<PurchaseOrderReceivedV1, 'receivedAt' | 'dueBy'>;

export type PurchaseOrderCommand =
  | { type: 'Submit'; submission: Submission; now: Date; dueBy: Date }
  | { type: 'Approve'; by: StaffMember; now: Date }
  | { type: 'Reject'; by: StaffMember; reason: string; now: Date }
  | { type: 'Refund'; by: StaffMember; reason: string; now: Date };

export type PurchaseOrderErrorCode =
  'not-found' | 'already-exists' | 'own-submission' | 'already-decided' | 'not-approved';

export class PurchaseOrderError extends Error {
  constructor(
    readonly code: PurchaseOrderErrorCode,
    message: string,
    readonly status: PurchaseOrderStatus | null = null,
  ) {
    super(message);
  }
}

function entry(action: HistoryAction, decision: DecisionV1): HistoryEntry {
  return { action, by: decision.by, at: decision.at, reason: decision.reason };
}

export function evolve(state: PurchaseOrderState, event: PurchaseOrderEvent): PurchaseOrderState {
  if (event.type === 'purchase-order.received.v1') {
    const { data } = event;
    return {
      ...data,
      status: 'received',
      purchaseId: null,
      decidedAt: null,
      rejectionReason: null,
      refundReason: null,
      history: [{ action: 'submitted', by: data.submittedBy, at: data.receivedAt, reason: null }],
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'purchase-order.approved.v1':
      return {
        ...state,
        status: 'approved',
        decidedAt: event.data.at,
        history: [...state.history, entry('approved', event.data)],
      };
    case 'purchase-order.rejected.v1':
      return {
        ...state,
        status: 'rejected',
        decidedAt: event.data.at,
        rejectionReason: event.data.reason,
        history: [...state.history, entry('rejected', event.data)],
      };
    case 'purchase-order.refunded.v1':
      return {
        ...state,
        status: 'refunded',
        refundReason: event.data.reason,
        history: [...state.history, entry('refunded', event.data)],
      };
    case 'purchase.recorded.v1':
      return { ...state, purchaseId: event.data.purchaseId };
    case 'purchase.refunded.v1':
      return state;
  }
}

export const rebuild = (events: readonly PurchaseOrderEvent[]): PurchaseOrderState =>
  events.reduce(evolve, initialState);

function existing(state: PurchaseOrderState): PurchaseOrder {
  if (state.status === 'none') throw new PurchaseOrderError('not-found', 'No such purchase order.');
  return state;
}

/** Four eyes: the staff member who submitted an order never approves, rejects or refunds it. */
function decidable(order: PurchaseOrder, by: StaffMember): void {
  if (order.submittedBy.accountId === by.accountId) {
    throw new PurchaseOrderError(
      'own-submission',
      'You submitted this purchase order; another sales manager must decide it.',
      order.status,
    );
  }
}

function recorded(order: PurchaseOrder, now: Date): PurchaseOrderEvent {
  const purchaseId = order.purchaseOrderId;
  return {
    type: 'purchase.recorded.v1',
    data: {
      purchaseId,
      channel: 'purchase-order',
      externalRef: order.poNumber,
      resellerId: null,
      customer: { ...order.customer },
      items: order.items.map((line, index) => ({
        itemId: itemIdFor(purchaseId, index),
        sku: line.sku,
        quantity: line.quantity,
        unitPrice: line.unitPrice,
      })),
      currency: order.currency,
      total: order.total,
      recordedAt: now.toISOString(),
    },
  };
}

export function decide(command: PurchaseOrderCommand, state: PurchaseOrderState): PurchaseOrderEvent[] {
  switch (command.type) {
    case 'Submit': {
      if (state.status !== 'none') {
        throw new PurchaseOrderError('already-exists', 'This purchase order exists already.', state.status);
      }
      return [
        {
          type: 'purchase-order.received.v1',
          data: {
            ...command.submission,
            receivedAt: command.now.toISOString(),
            dueBy: command.dueBy.toISOString(),
          },
        },
      ];
    }
    case 'Approve': {
      const order = existing(state);
      decidable(order, command.by);
      if (order.status === 'approved' || order.status === 'refunded') return [];
      if (order.status === 'rejected') {
        throw new PurchaseOrderError('already-decided', 'This purchase order was rejected.', order.status);
      }
      const decision: DecisionV1 = {
        purchaseOrderId: order.purchaseOrderId,
        by: command.by,
        at: command.now.toISOString(),
        reason: null,
      };
      return [{ type: 'purchase-order.approved.v1', data: decision }, recorded(order, command.now)];
    }
    case 'Reject': {
      const order = existing(state);
      decidable(order, command.by);
      if (order.status === 'rejected') return [];
      if (order.status !== 'received') {
        throw new PurchaseOrderError(
          'already-decided',
          `This purchase order was approved${order.status === 'refunded' ? ' and refunded' : ''}; it cannot be rejected.`,
          order.status,
        );
      }
      return [
        {
          type: 'purchase-order.rejected.v1',
          data: {
            purchaseOrderId: order.purchaseOrderId,
            by: command.by,
            at: command.now.toISOString(),
            reason: command.reason,
          },
        },
      ];
    }
    case 'Refund': {
      const order = existing(state);
      if (order.status === 'refunded') return [];
      if (order.status !== 'approved') {
        throw new PurchaseOrderError(
          'not-approved',
          `Only an approved purchase order can be refunded; this one is ${order.status}.`,
          order.status,
        );
      }
      const at = command.now.toISOString();
      return [
        {
          type: 'purchase-order.refunded.v1',
          data: { purchaseOrderId: order.purchaseOrderId, by: command.by, at, reason: command.reason },
        },
        {
          type: 'purchase.refunded.v1',
          data: {
            purchaseId: order.purchaseId ?? order.purchaseOrderId,
            channel: 'purchase-order',
            externalRef: order.poNumber,
            refundedAt: at,
            reason: command.reason,
          },
        },
      ];
    }
  }
}
