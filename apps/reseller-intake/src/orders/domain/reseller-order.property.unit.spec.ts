import { validateEventData } from '@otl/contracts';
import { assertReplaysItsEvents, propertyParameters, runCommands } from '@otl/testing';
import fc from 'fast-check';
import {
  OrderRefTakenError,
  ResellerOrderError,
  decide,
  evolve,
  initialState,
  type Placement,
  type ResellerOrderCommand,
  type ResellerOrderState,
} from './reseller-order';

const decider = { decide, evolve, initialState };
const isRejection = (error: unknown) => error instanceof ResellerOrderError;

const moment = fc.date({
  min: new Date('2026-01-01T00:00:00.000Z'),
  max: new Date('2027-12-31T00:00:00.000Z'),
  noInvalidDate: true,
});
const placement: fc.Arbitrary<Placement> = fc.record({
  orderId: fc.constantFrom('2c5ea4c0-4067-41fb-a0a5-0b0cd6b4f1a1', '3d6fb5d1-5178-42fc-b1b6-1c1de7c5f2b2'),
  resellerId: fc.constant('1b4e28ba-2fa1-41d2-883f-0016d3cca427'),
  resellerOrderRef: fc.constant('R-1001'),
  customer: fc.record({
    email: fc.constant('ana@example.com'),
    name: fc.constant('Ana Lima'),
    company: fc.constantFrom(null, 'Example Ltd'),
  }),
  items: fc.array(
    fc.record({
      sku: fc.constantFrom('BARCODE-JS-DEVICE-1Y', 'WEBTWAIN-PRO-DOMAIN-1Y'),
      quantity: fc.integer({ min: 1, max: 5 }),
      unitPrice: fc.constantFrom('1249.00', '899.00'),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  currency: fc.constant('USD'),
  total: fc.constant('3397.00'),
  idempotencyKey: fc.constantFrom('k-1', 'k-2'),
});
const command: fc.Arbitrary<ResellerOrderCommand> = fc.oneof(
  fc.record({ type: fc.constant('Place' as const), placement, now: moment }),
  fc.record({
    type: fc.constant('Assign' as const),
    accountId: fc.constantFrom(
      '7d444840-9dc0-41a2-aa6e-37c1d2c1b9a4',
      '8e555951-aed1-42b3-bb7f-48d2e3d2cab5',
    ),
    assignedAt: moment.map((at) => at.toISOString()),
  }),
  fc.record({
    type: fc.constant('Refund' as const),
    reason: fc.constantFrom('customer request', 'duplicate'),
    now: moment,
  }),
);
const commands = fc.array(command, { maxLength: 12 });

const transitions = new Set(['none>recorded', 'recorded>assigned', 'recorded>refunded', 'assigned>refunded']);
const status = (state: ResellerOrderState) => state.status;

describe('reseller order decider (properties)', () => {
  it('records a purchase once per order ref and refunds it at most once', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const { events, steps } = runCommands(decider, sequence, isRejection);
        const count = (type: string) => events.filter((event) => event.type === type).length;
        expect(count('reseller-order.placed.v1')).toBe(count('purchase.recorded.v1'));
        expect(count('purchase.recorded.v1')).toBeLessThanOrEqual(1);
        expect(count('purchase.refunded.v1')).toBeLessThanOrEqual(1);
        expect(count('reseller-order.assigned.v1')).toBeLessThanOrEqual(1);
        for (const event of events) {
          if (event.type === 'purchase.recorded.v1' || event.type === 'purchase.refunded.v1') {
            expect(validateEventData(event.type, event.data)).toEqual({ ok: true });
          }
        }
        // A second placement under the ref names the order that holds it.
        const first = steps.find((step) => step.command.type === 'Place');
        for (const step of steps) {
          if (step.command.type === 'Place' && step !== first && first?.command.type === 'Place') {
            expect(step.rejection).toBeInstanceOf(OrderRefTakenError);
            expect((step.rejection as OrderRefTakenError).existingOrderId).toBe(
              first.command.placement.orderId,
            );
          }
        }
      }),
      propertyParameters(),
    );
  });

  it('moves along its lifecycle only, and a refund is final', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const { steps, state } = runCommands(decider, sequence, isRejection);
        for (const step of steps) {
          const [from, to] = [status(step.before), status(step.after)];
          if (from !== to) expect(transitions).toContain(`${from}>${to}`);
        }
        const placed = sequence.findIndex((c) => c.type === 'Place');
        if (placed < 0) return expect(state.status).toBe('none');
        const after = sequence.slice(placed + 1);
        const expected = after.some((c) => c.type === 'Refund')
          ? 'refunded'
          : after.some((c) => c.type === 'Assign')
            ? 'assigned'
            : 'recorded';
        expect(state.status).toBe(expected);
        // The first assignment is the one noted, even one that came after the refund.
        const assign = after.find((c) => c.type === 'Assign');
        if (state.status !== 'none') expect(state.assignedAt).toBe(assign ? assign.assignedAt : null);
      }),
      propertyParameters(),
    );
  });

  it('rebuilds from its stored events the state it was folded to step by step', () => {
    assertReplaysItsEvents(decider, commands, isRejection);
  });
});
