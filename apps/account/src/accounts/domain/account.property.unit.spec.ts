import { validateEventData, type PurchaseRecordedV1 } from '@otl/contracts';
import { assertReplaysItsEvents, propertyParameters, runCommands } from '@otl/testing';
import fc from 'fast-check';
import {
  AccountError,
  decide,
  evolve,
  initialState,
  signInOutcome,
  staffRoles,
  type AccountCommand,
  type AccountEvent,
  type TokenPurpose,
} from './account';

const decider = { decide, evolve, initialState };
const isRejection = (error: unknown) => error instanceof AccountError;

const accountId = '0b8f5c1e-3a52-4d5e-9a40-4f7f6b1de2a1';
const purchaseIds = ['7d5e3b1a-0c2f-5e8a-9b4d-1f2e3d4c5b6a', '8e6f4c2b-1d3a-5f9b-8c5e-2a3f4e5d6c7b'];
const start = Date.parse('2026-11-27T10:00:00.000Z');
const TOKEN_LIFETIME_MS = 60 * 60_000;

const purchase = (purchaseId: string): PurchaseRecordedV1 => ({
  purchaseId,
  channel: 'store',
  externalRef: 'ST-1',
  resellerId: null,
  customer: { email: 'ana.lima@example.com', name: 'Ana Lima', company: null },
  items: [{ itemId: '5b2d6f1e-8a3c-5d4e-9f0a-1b2c3d4e5f60', sku: 'SKU-1', quantity: 1, unitPrice: '10.00' }],
  currency: 'USD',
  total: '10.00',
  recordedAt: new Date(start).toISOString(),
});

/**
 * What one step does, before it becomes a command: each step that may mail a token draws a fresh
 * one, `t<step>`, and a redemption names one of the latest drawn (mailed or not, for any purpose).
 */
const step = fc.record({
  kind: fc.oneof(
    {
      arbitrary: fc.constantFrom(
        'Register' as const,
        'AssignPurchase' as const,
        'RequestPasswordReset' as const,
      ),
      weight: 3,
    },
    { arbitrary: fc.constantFrom('VerifyEmail' as const, 'SetPassword' as const), weight: 3 },
    { arbitrary: fc.constant('MakeStaff' as const), weight: 1 },
  ),
  /** Which of the tokens drawn so far a redemption uses: 0 is the latest. */
  tokenBack: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.nat({ max: 3 }), weight: 1 }),
  // Mostly minutes apart; now and then past a token's hour.
  minutesLater: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 10 }), weight: 12 },
    { arbitrary: fc.constant(61), weight: 1 },
  ),
  purchase: fc.constantFrom(...purchaseIds),
  password: fc.constantFrom('H-a', 'H-b'),
  role: fc.constantFrom(...staffRoles),
});

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** The drawn steps as commands, a few minutes apart. */
function commandsOf(drawn: Step[]): AccountCommand[] {
  let at = start;
  const drawnTokens: string[] = [];
  const recent = (back: number) =>
    drawnTokens[drawnTokens.length - 1 - (back % Math.max(drawnTokens.length, 1))] ?? 'none';
  return drawn.map((s, index): AccountCommand => {
    at += s.minutesLater * 60_000;
    const now = new Date(at);
    const token = { hash: `t${index}`, expiresAt: new Date(at + TOKEN_LIFETIME_MS) };
    if (s.kind !== 'VerifyEmail' && s.kind !== 'SetPassword') drawnTokens.push(token.hash);
    switch (s.kind) {
      case 'Register':
        return {
          type: 'Register',
          accountId,
          profile: { email: ' Ana.Lima@Example.com ', name: 'Ana Lima', company: null },
          passwordHash: s.password,
          token,
          now,
        };
      case 'AssignPurchase':
        return { type: 'AssignPurchase', accountId, purchase: purchase(s.purchase), token, now };
      case 'RequestPasswordReset':
        return { type: 'RequestPasswordReset', token, now };
      case 'VerifyEmail':
        return { type: 'VerifyEmail', tokenHash: recent(s.tokenBack), now };
      case 'SetPassword':
        return {
          type: 'SetPassword',
          tokenHash: recent(s.tokenBack),
          passwordHash: `${s.password}-set`,
          now,
        };
      case 'MakeStaff':
        return { type: 'MakeStaff', accountId, email: 'ana.lima@example.com', role: s.role, token, now };
    }
  });
}
const commands = fc.array(step, { maxLength: 16, size: '+1' }).map(commandsOf);

const count = (events: AccountEvent[], type: AccountEvent['type']) =>
  events.filter((event) => event.type === type).length;

describe('account decider (properties)', () => {
  it('lets a password sign in only once someone proved they read the address', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        // Whether the current password came with, or was followed by, a mailed link being used.
        let proven = false;
        for (const step of runCommands(decider, sequence, isRejection).steps) {
          const { before, after, command, events } = step;
          if (events.some((event) => event.type === 'account.password-set'))
            proven = command.type === 'SetPassword';
          if (command.type === 'VerifyEmail' && events.length > 0) proven = true;
          if (signInOutcome(after, true) === 'ok') expect(proven).toBe(true);
          // A purchase for an address nobody has proved leaves no registrant's password behind.
          if (command.type === 'AssignPurchase' && before.status === 'open' && !before.emailVerified) {
            expect(after.status === 'open' && after.passwordHash).toBe(null);
          }
          // Verification is never taken back.
          if (before.status === 'open' && before.emailVerified) {
            expect(after.status === 'open' && after.emailVerified).toBe(true);
          }
        }
      }),
      propertyParameters(),
    );
  });

  it('redeems a mailed token once, for its purpose, before it expires and before the password changes', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const { steps, events } = runCommands(decider, sequence, isRejection);
        const redeemed = events.flatMap((event) =>
          event.type === 'account.token-redeemed' ? [event.data.tokenHash] : [],
        );
        expect(new Set(redeemed).size).toBe(redeemed.length);
        // The tokens issued so far, with the password changes since each was issued.
        const issued = new Map<string, { purpose: TokenPurpose; expiresAt: number; changesSince: number }>();
        for (const { command, events: decided } of steps) {
          if (command.type === 'VerifyEmail' || command.type === 'SetPassword') {
            const token = issued.get(command.tokenHash);
            if (decided.length > 0) {
              expect(token).toBeDefined();
              expect(token?.purpose).toBe(command.type === 'VerifyEmail' ? 'verify-email' : 'set-password');
              expect(token?.changesSince).toBe(0);
              expect(command.now.getTime()).toBeLessThan(token?.expiresAt ?? 0);
            }
          }
          for (const event of decided) {
            if (event.type === 'account.password-set' || event.type === 'account.password-discarded') {
              for (const token of issued.values()) token.changesSince += 1;
            }
            if (event.type === 'account.token-issued') {
              const { tokenHash, purpose, expiresAt } = event.data;
              issued.set(tokenHash, { purpose, expiresAt: Date.parse(expiresAt), changesSince: 0 });
            }
          }
        }
      }),
      propertyParameters(),
    );
  });

  it('opens the account once, assigns each purchase once and never makes a buyer staff', () => {
    fc.assert(
      fc.property(commands, (sequence) => {
        const { steps, events, state } = runCommands(decider, sequence, isRejection);
        const opening = sequence.some(
          (c) => c.type === 'Register' || c.type === 'AssignPurchase' || c.type === 'MakeStaff',
        );
        expect(count(events, 'account.created.v1')).toBe(opening ? 1 : 0);
        expect(count(events, 'account.email-verified')).toBeLessThanOrEqual(1);
        for (const purchaseId of purchaseIds) {
          const assigned = events.filter(
            (event) => event.type === 'purchase.assigned.v1' && event.data.purchaseId === purchaseId,
          );
          expect(assigned.length).toBe(
            sequence.some((c) => c.type === 'AssignPurchase' && c.purchase.purchaseId === purchaseId) ? 1 : 0,
          );
        }
        for (const step of steps) {
          if (step.command.type === 'MakeStaff' && step.rejection === null && step.before.status === 'open') {
            expect(step.before.purchases).toEqual({});
          }
        }
        if (state.status === 'open') expect(state.roles.length).toBeLessThanOrEqual(1);
        for (const event of events) {
          if (event.type === 'account.created.v1' || event.type === 'purchase.assigned.v1') {
            expect(validateEventData(event.type, event.data)).toEqual({ ok: true });
          }
        }
      }),
      propertyParameters(),
    );
  });

  it('rebuilds from its stored events the state it was folded to step by step', () => {
    assertReplaysItsEvents(decider, commands, isRejection);
  });
});
