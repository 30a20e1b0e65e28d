import { validateEventData } from '@otl/contracts';
import { deciderSpec } from '@otl/testing';
import {
  OrderRefTakenError,
  ResellerOrderError,
  decide,
  evolve,
  initialState,
  purchaseIdFor,
  rebuild,
  type Placement,
  type ResellerOrderEvent,
} from './reseller-order';

const now = new Date('2026-12-02T10:00:00.000Z');
const resellerId = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
const placement: Placement = {
  orderId: '2c5ea4c0-4067-41fb-a0a5-0b0cd6b4f1a1',
  resellerId,
  resellerOrderRef: 'R-1001',
  customer: { email: 'Ana@Example.com', name: 'Ana Lima', company: null },
  items: [
    { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
    { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' },
  ],
  currency: 'USD',
  total: '3397.00',
  idempotencyKey: 'k-1',
};
const spec = deciderSpec({ decide, evolve, initialState });
const placed = decide({ type: 'Place', placement, now }, initialState);
const assigned: ResellerOrderEvent = {
  type: 'reseller-order.assigned.v1',
  data: { accountId: '7d444840-9dc0-41a2-aa6e-37c1d2c1b9a4', assignedAt: '2026-12-02T10:00:02.000Z' },
};

describe('reseller order decider', () => {
  it('places an order as one contract-valid purchase.recorded.v1 of channel reseller', () => {
    expect(placed.map((event) => event.type)).toEqual(['reseller-order.placed.v1', 'purchase.recorded.v1']);
    const recorded = placed[1]!;
    expect(validateEventData(recorded.type, recorded.data)).toEqual({ ok: true });
    expect(recorded.data).toMatchObject({
      purchaseId: purchaseIdFor(resellerId, 'R-1001'),
      channel: 'reseller',
      externalRef: 'R-1001',
      resellerId,
      total: '3397.00',
    });
    const state = rebuild(placed);
    expect(state).toMatchObject({ status: 'recorded', orderId: placement.orderId, assignedAt: null });
  });

  it('derives the purchase id from reseller and ref: the same pair is the same purchase, any change another', () => {
    expect(purchaseIdFor(resellerId, 'R-1')).toBe(purchaseIdFor(resellerId, 'R-1'));
    expect(purchaseIdFor(resellerId, 'R-1')).not.toBe(purchaseIdFor(resellerId, 'R-2'));
    expect(purchaseIdFor(resellerId, 'R-1')).not.toBe(
      purchaseIdFor('0f9e2a61-4d3b-4a0e-9a3c-1b2f3e4d5c6a', 'R-1'),
    );
  });

  it('refuses a second placement of the same ref, naming the order that holds it', () => {
    spec(placed)
      .when({ type: 'Place', placement: { ...placement, orderId: 'other' }, now })
      .thenThrows(ResellerOrderError);
    try {
      decide({ type: 'Place', placement, now }, rebuild(placed));
      throw new Error('placed twice');
    } catch (error) {
      expect(error).toBeInstanceOf(OrderRefTakenError);
      expect(error).toMatchObject({ code: 'ref-taken', existingOrderId: placement.orderId });
    }
  });

  it('is assigned once; a redelivered assignment changes nothing', () => {
    spec(placed)
      .when({ type: 'Assign', ...assigned.data })
      .then([assigned]);
    spec([...placed, assigned])
      .when({ type: 'Assign', ...assigned.data })
      .then([]);
    expect(rebuild([...placed, assigned])).toMatchObject({
      status: 'assigned',
      assignedAt: assigned.data.assignedAt,
    });
  });

  it('refunds from recorded or assigned with a contract-valid purchase.refunded.v1, once', () => {
    for (const history of [placed, [...placed, assigned]]) {
      const refund = decide({ type: 'Refund', reason: 'Cancelled by the buyer', now }, rebuild(history));
      expect(refund).toHaveLength(1);
      expect(validateEventData(refund[0]!.type, refund[0]!.data)).toEqual({ ok: true });
      expect(refund[0]!.data).toMatchObject({
        channel: 'reseller',
        externalRef: 'R-1001',
        reason: 'Cancelled by the buyer',
      });
      spec([...history, ...refund])
        .when({ type: 'Refund', reason: 'again', now })
        .then([]);
      expect(rebuild([...history, ...refund])).toMatchObject({
        status: 'refunded',
        refundReason: 'Cancelled by the buyer',
      });
    }
  });

  it('keeps a refunded order refunded when its assignment arrives afterwards', () => {
    const refund = decide({ type: 'Refund', reason: 'r', now }, rebuild(placed));
    const late = decide({ type: 'Assign', ...assigned.data }, rebuild([...placed, ...refund]));
    expect(rebuild([...placed, ...refund, ...late])).toMatchObject({
      status: 'refunded',
      assignedAt: assigned.data.assignedAt,
    });
  });

  it('knows no order before it is placed', () => {
    spec([]).when({ type: 'Refund', reason: 'r', now }).thenThrows(ResellerOrderError);
    spec([])
      .when({ type: 'Assign', ...assigned.data })
      .thenThrows(ResellerOrderError);
  });
});
