import { assertValidEvent, itemIdFor, toCloudEvent } from '@otl/contracts';
import { deciderSpec } from '@otl/testing';
import {
  PurchaseOrderError,
  decide,
  evolve,
  initialState,
  rebuild,
  type PurchaseOrderEvent,
  type StaffMember,
  type Submission,
} from './purchase-order';

const ID = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
const REP: StaffMember = { accountId: '00000000-0000-4000-8000-00000000000a', email: 'rep@desk.example' };
const MANAGER: StaffMember = {
  accountId: '00000000-0000-4000-8000-00000000000b',
  email: 'boss@desk.example',
};
const RECEIVED_AT = new Date('2026-12-07T14:00:00.000Z');
const DUE_BY = new Date('2026-12-08T22:00:00.000Z');
const DECIDED_AT = new Date('2026-12-08T09:30:00.000Z');

const submission: Submission = {
  purchaseOrderId: ID,
  poNumber: 'PO-77',
  customer: { email: 'Buyer@Example.com', name: 'Bea Buyer', company: 'Buyer GmbH' },
  items: [
    { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
    { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' },
  ],
  currency: 'EUR',
  total: '3397.00',
  document: { filename: 'PO-77.pdf', contentType: 'application/pdf', size: 1200, sha256: 'ab'.repeat(32) },
  submittedBy: REP,
  resubmissionOf: null,
};

const received: PurchaseOrderEvent = {
  type: 'purchase-order.received.v1',
  data: { ...submission, receivedAt: RECEIVED_AT.toISOString(), dueBy: DUE_BY.toISOString() },
};
const approved: PurchaseOrderEvent[] = decide(
  { type: 'Approve', by: MANAGER, now: DECIDED_AT },
  rebuild([received]),
);
const rejected: PurchaseOrderEvent = {
  type: 'purchase-order.rejected.v1',
  data: { purchaseOrderId: ID, by: MANAGER, at: DECIDED_AT.toISOString(), reason: 'not signed' },
};

const spec = deciderSpec({ decide, evolve, initialState });

describe('purchase order decider', () => {
  it('receives a submission once, with its dueBy', () => {
    spec([]).when({ type: 'Submit', submission, now: RECEIVED_AT, dueBy: DUE_BY }).then([received]);
    spec([received])
      .when({ type: 'Submit', submission, now: RECEIVED_AT, dueBy: DUE_BY })
      .thenThrows(PurchaseOrderError);
  });

  it('records the purchase on approval: channel purchase-order, externalRef the poNumber, contract-valid', () => {
    expect(approved.map((event) => event.type)).toEqual([
      'purchase-order.approved.v1',
      'purchase.recorded.v1',
    ]);
    const recorded = approved[1]!;
    expect(recorded.data).toEqual({
      purchaseId: ID,
      channel: 'purchase-order',
      externalRef: 'PO-77',
      resellerId: null,
      customer: submission.customer,
      items: [
        { itemId: itemIdFor(ID, 0), sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
        { itemId: itemIdFor(ID, 1), sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' },
      ],
      currency: 'EUR',
      total: '3397.00',
      recordedAt: DECIDED_AT.toISOString(),
    });
    expect(() =>
      assertValidEvent(
        toCloudEvent({
          id: '11111111-1111-4111-8111-111111111111',
          source: '/po-intake',
          type: 'purchase.recorded.v1',
          subject: ID,
          time: DECIDED_AT.toISOString(),
          data: recorded.data as never,
        }),
      ),
    ).not.toThrow();
  });

  it('approving twice is a no-op; rejecting an approved order is a conflict', () => {
    spec([received, ...approved])
      .when({ type: 'Approve', by: MANAGER, now: DECIDED_AT })
      .then([]);
    spec([received, ...approved])
      .when({ type: 'Reject', by: MANAGER, reason: 'late', now: DECIDED_AT })
      .thenThrows(/cannot be rejected/);
  });

  it('rejecting twice is a no-op; approving a rejected order is a conflict', () => {
    spec([received])
      .when({ type: 'Reject', by: MANAGER, reason: 'not signed', now: DECIDED_AT })
      .then([rejected]);
    spec([received, rejected])
      .when({ type: 'Reject', by: MANAGER, reason: 'again', now: DECIDED_AT })
      .then([]);
    spec([received, rejected])
      .when({ type: 'Approve', by: MANAGER, now: DECIDED_AT })
      .thenThrows(/rejected/);
  });

  it('never lets the submitter decide, whatever the state (four eyes)', () => {
    for (const given of [[received], [received, ...approved], [received, rejected]]) {
      for (const command of [
        { type: 'Approve' as const, by: REP, now: DECIDED_AT },
        { type: 'Reject' as const, by: REP, reason: 'mine', now: DECIDED_AT },
      ]) {
        const run = () => decide(command, rebuild(given));
        expect(run).toThrow(PurchaseOrderError);
        try {
          run();
        } catch (error) {
          expect((error as PurchaseOrderError).code).toBe('own-submission');
        }
      }
    }
  });

  it('refunds an approved order once, with purchase.refunded.v1; others are not-approved', () => {
    const refund = decide(
      { type: 'Refund', by: MANAGER, reason: 'cancelled', now: DECIDED_AT },
      rebuild([received, ...approved]),
    );
    expect(refund).toEqual([
      {
        type: 'purchase-order.refunded.v1',
        data: { purchaseOrderId: ID, by: MANAGER, at: DECIDED_AT.toISOString(), reason: 'cancelled' },
      },
      {
        type: 'purchase.refunded.v1',
        data: {
          purchaseId: ID,
          channel: 'purchase-order',
          externalRef: 'PO-77',
          refundedAt: DECIDED_AT.toISOString(),
          reason: 'cancelled',
        },
      },
    ]);
    spec([received, ...approved, ...refund])
      .when({ type: 'Refund', by: MANAGER, reason: 'again', now: DECIDED_AT })
      .then([]);
    spec([received])
      .when({ type: 'Refund', by: MANAGER, reason: 'x', now: DECIDED_AT })
      .thenThrows(/approved/);
    spec([received, rejected])
      .when({ type: 'Refund', by: MANAGER, reason: 'x', now: DECIDED_AT })
      .thenThrows(/rejected/);
  });

  it('keeps the history: who did what and when, with reasons', () => {
    const refund = decide(
      { type: 'Refund', by: MANAGER, reason: 'cancelled', now: DECIDED_AT },
      rebuild([received, ...approved]),
    );
    const state = rebuild([received, ...approved, ...refund]);
    expect(state.status).toBe('refunded');
    if (state.status === 'none') throw new Error('unreachable');
    expect(state.purchaseId).toBe(ID);
    expect(state.history).toEqual([
      { action: 'submitted', by: REP, at: RECEIVED_AT.toISOString(), reason: null },
      { action: 'approved', by: MANAGER, at: DECIDED_AT.toISOString(), reason: null },
      { action: 'refunded', by: MANAGER, at: DECIDED_AT.toISOString(), reason: 'cancelled' },
    ]);
  });

  it('answers not-found for decisions on an order that does not exist', () => {
    spec([])
      .when({ type: 'Approve', by: MANAGER, now: DECIDED_AT })
      .thenThrows(/No such purchase order/);
  });
});
