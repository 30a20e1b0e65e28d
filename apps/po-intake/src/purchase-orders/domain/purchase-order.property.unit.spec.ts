import { validateEventData } from '@otl/contracts';
import { propertyParameters, replay, runCommands } from '@otl/testing';
import fc from 'fast-check';
import {
  PurchaseOrderError,
  decide,
  evolve,
  initialState,
  type PurchaseOrderCommand,
  type PurchaseOrderStatus,
  type StaffMember,
  type Submission,
} from './purchase-order';

const decider = { decide, evolve, initialState };
const isRejection = (error: unknown) => error instanceof PurchaseOrderError;

const staff: StaffMember[] = ['a', 'b', 'c'].map((name, index) => ({
  accountId: `00000000-0000-4000-8000-00000000000${index + 1}`,
  email: `${name}@desk.example`,
}));
const member = fc.constantFrom(...staff);
const moment = fc.date({
  min: new Date('2026-01-01T00:00:00.000Z'),
  max: new Date('2027-12-31T00:00:00.000Z'),
  noInvalidDate: true,
});

const submission = (submittedBy: StaffMember, lines: number): Submission => ({
  purchaseOrderId: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
  poNumber: 'PO-77',
  customer: { email: 'buyer@example.com', name: 'Bea Buyer', company: null },
  items: Array.from({ length: lines }, (_, line) => ({
    sku: `SKU-${line}`,
    quantity: line + 1,
    unitPrice: '10.00',
  })),
  currency: 'EUR',
  total: '10.00',
  document: { filename: 'po.pdf', contentType: 'application/pdf', size: 10, sha256: 'ab'.repeat(32) },
  submittedBy,
  resubmissionOf: null,
});

const command: fc.Arbitrary<PurchaseOrderCommand> = fc.oneof(
  fc.record({
    type: fc.constant('Submit' as const),
    submission: fc.tuple(member, fc.integer({ min: 1, max: 3 })).map(([by, lines]) => submission(by, lines)),
    now: moment,
    dueBy: moment,
  }),
  fc.record({ type: fc.constant('Approve' as const), by: member, now: moment }),
  fc.record({
    type: fc.constant('Reject' as const),
    by: member,
    reason: fc.string({ minLength: 1, maxLength: 20 }),
    now: moment,
  }),
  fc.record({
    type: fc.constant('Refund' as const),
    by: member,
    reason: fc.string({ minLength: 1, maxLength: 20 }),
    now: moment,
  }),
);
const commands = fc.array(command, { maxLength: 12 });

/** The lifecycle: received, then approved (then refunded) or rejected; nothing else. */
const transitions = new Set<string>([
  'none>received',
  'received>approved',
  'received>rejected',
  'approved>refunded',
]);

describe('purchase order decider (properties)', () => {
  it('decides an order at most once, never by its submitter, along the lifecycle only', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const run = runCommands(decider, sequence, isRejection);
        const types = run.events.map((event) => event.type);
        const decisions = types.filter(
          (type) => type === 'purchase-order.approved.v1' || type === 'purchase-order.rejected.v1',
        );
        expect(decisions.length).toBeLessThanOrEqual(1);
        for (const step of run.steps) {
          const from: PurchaseOrderStatus | 'none' = step.before.status;
          if (step.after.status !== from) expect(transitions).toContain(`${from}>${step.after.status}`);
          for (const event of step.events) {
            if (event.type === 'purchase-order.approved.v1' || event.type === 'purchase-order.rejected.v1') {
              if (step.before.status === 'none') throw new Error('decided an order that does not exist');
              expect(event.data.by.accountId).not.toBe(step.before.submittedBy.accountId);
            }
          }
          // The four-eyes refusal is for the submitter alone.
          if (step.rejection instanceof PurchaseOrderError && step.rejection.code === 'own-submission') {
            if (step.before.status === 'none' || step.command.type === 'Submit') throw step.rejection;
            expect(step.command.by).toEqual(step.before.submittedBy);
          }
        }
      }),
      propertyParameters(),
    );
  });

  it('records the purchase once, on approval, and refunds it once, after it was recorded', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const { events } = runCommands(decider, sequence, isRejection);
        const types = events.map((event) => event.type);
        const recorded = types.indexOf('purchase.recorded.v1');
        const refunded = types.indexOf('purchase.refunded.v1');
        expect(types.filter((type) => type === 'purchase.recorded.v1').length).toBeLessThanOrEqual(1);
        expect(types.filter((type) => type === 'purchase.refunded.v1').length).toBeLessThanOrEqual(1);
        expect(types.includes('purchase-order.approved.v1')).toBe(recorded >= 0);
        if (refunded >= 0) expect(recorded).toBeGreaterThanOrEqual(0);
        if (refunded >= 0) expect(refunded).toBeGreaterThan(recorded);
        for (const event of events) {
          if (event.type === 'purchase.recorded.v1' || event.type === 'purchase.refunded.v1') {
            expect(validateEventData(event.type, event.data)).toEqual({ ok: true });
          }
        }
      }),
      propertyParameters(),
    );
  });

  it('repeats of a decision already made are no-ops, not errors', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        for (const step of runCommands(decider, sequence, isRejection).steps) {
          const { before, command } = step;
          if (before.status === 'none' || command.type === 'Submit') continue;
          const own = command.by.accountId === before.submittedBy.accountId;
          const repeat =
            (command.type === 'Approve' &&
              !own &&
              (before.status === 'approved' || before.status === 'refunded')) ||
            (command.type === 'Reject' && !own && before.status === 'rejected') ||
            (command.type === 'Refund' && before.status === 'refunded');
          if (repeat) {
            expect(step.rejection).toBeNull();
            expect(step.events).toEqual([]);
          }
        }
      }),
      propertyParameters(),
    );
  });

  it('rebuilds from its events the state it was folded to step by step, with one history entry per event', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const run = runCommands(decider, sequence, isRejection);
        expect(replay(decider, run.events)).toEqual(run.state);
        if (run.state.status !== 'none') {
          const internal = run.events.filter((event) => event.type.startsWith('purchase-order.'));
          expect(run.state.history).toHaveLength(internal.length);
        }
      }),
      propertyParameters(),
    );
  });
});
