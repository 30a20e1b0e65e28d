import { deciderSpec } from '@otl/testing';
import { itemIdFor, purchaseIdForStoreOrder, uuidV5 } from './ids';
import { decide, evolve, initialState, type PurchaseEvent, type StoreOrder } from './purchase';

const spec = deciderSpec({ decide, evolve, initialState });
const now = new Date('2026-11-27T10:00:01.123Z');
const purchaseId = purchaseIdForStoreOrder('ST-100234');

const order: StoreOrder = {
  orderId: 'ST-100234',
  completedAt: '2026-11-27T10:00:00Z',
  currency: 'USD',
  customer: { email: 'Ana.Lima@Example.com', name: 'Ana Lima', company: 'Example Ltd' },
  items: [
    { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
    { sku: 'NOT-IN-CATALOG', quantity: 1, unitPrice: '10.00' },
  ],
  total: '2508.00',
};

const recorded: PurchaseEvent = {
  type: 'purchase.recorded.v1',
  data: {
    purchaseId,
    channel: 'store',
    externalRef: 'ST-100234',
    resellerId: null,
    customer: { email: 'Ana.Lima@Example.com', name: 'Ana Lima', company: 'Example Ltd' },
    items: [
      { itemId: itemIdFor(purchaseId, 0), sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
      { itemId: itemIdFor(purchaseId, 1), sku: 'NOT-IN-CATALOG', quantity: 1, unitPrice: '10.00' },
    ],
    currency: 'USD',
    total: '2508.00',
    recordedAt: '2026-11-27T10:00:01.123Z',
  },
};
const refund = { orderId: 'ST-100234', refundedAt: '2026-11-28T09:00:00Z', reason: 'customer request' };
const refunded: PurchaseEvent = {
  type: 'purchase.refunded.v1',
  data: {
    purchaseId,
    channel: 'store',
    externalRef: 'ST-100234',
    refundedAt: refund.refundedAt,
    reason: refund.reason,
  },
};
const held: PurchaseEvent = {
  type: 'store.refund-held.v1',
  data: { purchaseId, ...refund, heldAt: '2026-11-27T10:00:01.123Z' },
};

describe('store purchase decider', () => {
  it('records a new order with one item id per line, unknown SKUs included', () =>
    spec([]).when({ type: 'RecordStoreOrder', purchaseId, order, now }).then([recorded]));

  it('records nothing for an order it already has', () =>
    spec([recorded]).when({ type: 'RecordStoreOrder', purchaseId, order, now }).then([]));

  it('refunds a recorded order once', () => {
    spec([recorded]).when({ type: 'RecordStoreRefund', purchaseId, refund, now }).then([refunded]);
    spec([recorded, refunded]).when({ type: 'RecordStoreRefund', purchaseId, refund, now }).then([]);
  });

  it('holds a refund that arrives before its order and applies it when the order comes', () => {
    spec([]).when({ type: 'RecordStoreRefund', purchaseId, refund, now }).then([held]);
    spec([held]).when({ type: 'RecordStoreRefund', purchaseId, refund, now }).then([]);
    spec([held]).when({ type: 'RecordStoreOrder', purchaseId, order, now }).then([recorded, refunded]);
    spec([held, recorded, refunded]).when({ type: 'RecordStoreRefund', purchaseId, refund, now }).then([]);
  });
});

describe('ids', () => {
  it('computes RFC 9562 version 5 UUIDs (known answer: DNS namespace, "www.example.com")', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('gives one purchase per store order and distinct items per line', () => {
    expect(purchaseIdForStoreOrder('ST-1')).toBe(purchaseIdForStoreOrder('ST-1'));
    expect(purchaseIdForStoreOrder('ST-1')).not.toBe(purchaseIdForStoreOrder('ST-2'));
    expect(itemIdFor(purchaseId, 0)).not.toBe(itemIdFor(purchaseId, 1));
  });
});
