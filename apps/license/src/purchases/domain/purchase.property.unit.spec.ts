import { assertReplaysItsEvents, propertyParameters, runCommands } from '@otl/testing';
import fc from 'fast-check';
import { decidePurchase, evolvePurchase, initialPurchaseState, type PurchaseCommand } from './purchase';

const decider = { decide: decidePurchase, evolve: evolvePurchase, initialState: initialPurchaseState };
// Assignments and refunds are deliveries from Kafka: redeliveries and any order, never refused.
const isRejection = () => false;

const command: fc.Arbitrary<PurchaseCommand> = fc.oneof(
  fc.record({
    type: fc.constant('AssignPurchase' as const),
    accountId: fc.constantFrom(
      '7d5e3b1a-0c2f-4e8a-9b4d-1f2e3d4c5b6a',
      '8e6f4c2b-1d3a-4f9b-8c5e-2a3f4e5d6c7b',
    ),
    itemIds: fc.array(fc.uuid(), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    type: fc.constant('RefundPurchase' as const),
    refundedAt: fc
      .date({
        min: new Date('2026-01-01T00:00:00.000Z'),
        max: new Date('2027-12-31T00:00:00.000Z'),
        noInvalidDate: true,
      })
      .map((at) => at.toISOString()),
    reason: fc.constantFrom(null, 'customer request'),
  }),
);
const commands = fc.array(command, { maxLength: 10 });

describe('licence-side purchase decider (properties)', () => {
  it('keeps the first assignment and the first refund, in whichever order they arrive', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const { events, state } = runCommands(decider, sequence, isRejection);
        const assignments = events.filter((event) => event.type === 'license.purchase-assigned');
        const refunds = events.filter((event) => event.type === 'license.purchase-refunded');
        const firstAssign = sequence.find((c) => c.type === 'AssignPurchase');
        const firstRefund = sequence.find((c) => c.type === 'RefundPurchase');
        expect(assignments).toHaveLength(firstAssign ? 1 : 0);
        expect(refunds).toHaveLength(firstRefund ? 1 : 0);
        expect(state).toEqual({
          assigned: firstAssign ? { accountId: firstAssign.accountId, itemIds: firstAssign.itemIds } : null,
          refunded: firstRefund ? { refundedAt: firstRefund.refundedAt, reason: firstRefund.reason } : null,
        });
      }),
      propertyParameters(),
    );
  });

  it('rebuilds from its stored events the state it was folded to step by step', () => {
    assertReplaysItsEvents(decider, commands, isRejection);
  });
});
