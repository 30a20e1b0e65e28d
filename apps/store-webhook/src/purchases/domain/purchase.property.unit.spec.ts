import { validateEventData } from '@otl/contracts';
import { propertyParameters, replay, runCommands } from '@otl/testing';
import fc from 'fast-check';
import { purchaseIdForStoreOrder } from './ids';
import { decide, evolve, initialState, type PurchaseCommand, type StoreOrder } from './purchase';

const decider = { decide, evolve, initialState };
// The store decider refuses nothing: every command is a delivery it must absorb.
const isRejection = () => false;

const orderId = 'ST-100234';
const purchaseId = purchaseIdForStoreOrder(orderId);
const moment = fc.date({
  min: new Date('2026-01-01T00:00:00.000Z'),
  max: new Date('2027-12-31T00:00:00.000Z'),
  noInvalidDate: true,
});

const order: fc.Arbitrary<StoreOrder> = fc.record({
  orderId: fc.constant(orderId),
  completedAt: moment.map((at) => at.toISOString()),
  currency: fc.constantFrom('USD', 'EUR'),
  customer: fc.record({
    email: fc.constantFrom('ana@example.com', 'Ana.Lima@Example.com'),
    name: fc.constant('Ana Lima'),
    company: fc.constantFrom(null, 'Example Ltd'),
  }),
  items: fc.array(
    fc.record({
      sku: fc.constantFrom('BARCODE-JS-DEVICE-1Y', 'NOT-IN-CATALOG'),
      quantity: fc.integer({ min: 1, max: 5 }),
      unitPrice: fc.constantFrom('1249.00', '10.00'),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  total: fc.constant('2498.00'),
});

const command: fc.Arbitrary<PurchaseCommand> = fc.oneof(
  fc.record({
    type: fc.constant('RecordStoreOrder' as const),
    purchaseId: fc.constant(purchaseId),
    order,
    now: moment,
  }),
  fc.record({
    type: fc.constant('RecordStoreRefund' as const),
    purchaseId: fc.constant(purchaseId),
    refund: fc.record({
      orderId: fc.constant(orderId),
      refundedAt: moment.map((at) => at.toISOString()),
      reason: fc.constantFrom(null, 'customer request', 'duplicate'),
    }),
    now: moment,
  }),
);
const commands = fc.array(command, { maxLength: 10 });

describe('store purchase decider (properties)', () => {
  it('records an order once and refunds it at most once, never before it is recorded', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const { events } = runCommands(decider, sequence, isRejection);
        const types = events.map((event) => event.type);
        expect(types.filter((type) => type === 'purchase.recorded.v1').length).toBeLessThanOrEqual(1);
        expect(types.filter((type) => type === 'purchase.refunded.v1').length).toBeLessThanOrEqual(1);
        expect(types.filter((type) => type === 'store.refund-held.v1').length).toBeLessThanOrEqual(1);
        const refunded = types.indexOf('purchase.refunded.v1');
        if (refunded >= 0) expect(refunded).toBeGreaterThan(types.indexOf('purchase.recorded.v1'));
        for (const event of events) {
          if (event.type !== 'store.refund-held.v1') {
            expect(validateEventData(event.type, event.data)).toEqual({ ok: true });
          }
        }
      }),
      propertyParameters(),
    );
  });

  it('records the first delivery of the order, and applies the first refund whichever came first', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const { events, state } = runCommands(decider, sequence, isRejection);
        const orders = sequence.filter((c) => c.type === 'RecordStoreOrder');
        const refunds = sequence.filter((c) => c.type === 'RecordStoreRefund');
        const firstOrder = orders[0];
        const firstRefund = refunds[0];
        if (!firstOrder) {
          expect(state.status).toBe(firstRefund ? 'refund-held' : 'unknown');
          return;
        }
        expect(state).toEqual({
          status: 'recorded',
          purchaseId,
          externalRef: orderId,
          refunded: !!firstRefund,
        });
        const recorded = events.find((event) => event.type === 'purchase.recorded.v1');
        expect(recorded?.data).toMatchObject({
          recordedAt: firstOrder.now.toISOString(),
          items: firstOrder.order.items.map((item) => expect.objectContaining(item)),
        });
        const refund = events.find((event) => event.type === 'purchase.refunded.v1');
        if (firstRefund) {
          const { refundedAt, reason } = firstRefund.refund;
          expect(refund?.data).toEqual({
            purchaseId,
            channel: 'store',
            externalRef: orderId,
            refundedAt,
            reason,
          });
        }
      }),
      propertyParameters(),
    );
  });

  it('rebuilds from its events the state it was folded to step by step', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const run = runCommands(decider, sequence, isRejection);
        expect(replay(decider, run.events)).toEqual(run.state);
      }),
      propertyParameters(),
    );
  });
});
