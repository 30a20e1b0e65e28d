import type { PurchaseRecordedV1 } from '@otl/contracts';
import { deciderSpec } from '@otl/testing';
import {
  AccountError,
  decide,
  evolve,
  initialState,
  refreshAllowed,
  signInOutcome,
  stateOf,
  type AccountEvent,
  type NewToken,
} from './account';

const spec = deciderSpec({ decide, evolve, initialState });
const now = new Date('2026-11-27T10:00:00.000Z');
const at = now.toISOString();
const later = new Date('2026-11-27T10:30:00.000Z');
const accountId = '0b8f5c1e-3a52-4d5e-9a40-4f7f6b1de2a1';
const token = (hash: string): NewToken => ({ hash, expiresAt: new Date('2026-11-27T11:00:00.000Z') });
const profile = { email: ' Ana.Lima@Example.com ', name: 'Ana Lima', company: null };

const purchase = (purchaseId = '7d5e3b1a-0c2f-5e8a-9b4d-1f2e3d4c5b6a'): PurchaseRecordedV1 => ({
  purchaseId,
  channel: 'store',
  externalRef: 'ST-1',
  resellerId: null,
  customer: { email: 'ana.lima@example.com', name: 'Ana Lima', company: 'Example Ltd' },
  items: [
    {
      itemId: '5b2d6f1e-8a3c-5d4e-9f0a-1b2c3d4e5f60',
      sku: 'BARCODE-JS-DEVICE-1Y',
      quantity: 2,
      unitPrice: '1249.00',
    },
  ],
  currency: 'USD',
  total: '2498.00',
  recordedAt: at,
});

const created = (origin: 'registration' | 'purchase' = 'registration'): AccountEvent => ({
  type: 'account.created.v1',
  data: { accountId, email: 'Ana.Lima@Example.com', name: 'Ana Lima', company: null, origin, createdAt: at },
});
const passwordSet = (
  hash = 'H1',
  via: 'registration' | 'token' = 'registration',
  replaced = false,
): AccountEvent => ({
  type: 'account.password-set',
  data: { passwordHash: hash, via, replaced, setAt: at },
});
const issued = (
  hash: string,
  purpose: 'verify-email' | 'set-password',
  reason: 'registration' | 'repeat-registration' | 'purchase' | 'reset' | 'staff',
): AccountEvent => ({
  type: 'account.token-issued',
  data: { tokenHash: hash, purpose, reason, expiresAt: '2026-11-27T11:00:00.000Z', issuedAt: at },
});
const verified: AccountEvent = { type: 'account.email-verified', data: { verifiedAt: at } };
const redeemed = (hash: string, when = at): AccountEvent => ({
  type: 'account.token-redeemed',
  data: { tokenHash: hash, redeemedAt: when },
});
const assigned = (purchaseId?: string): AccountEvent => {
  const { purchaseId: id, channel, externalRef, items } = purchase(purchaseId);
  return {
    type: 'purchase.assigned.v1',
    data: { purchaseId: id, accountId, channel, externalRef, items, assignedAt: at },
  };
};

const registered = [created(), passwordSet(), issued('V', 'verify-email', 'registration')];
const verifiedAccount = [...registered, redeemed('V'), verified];

describe('account decider', () => {
  describe('Register', () => {
    const register = {
      type: 'Register' as const,
      accountId,
      profile,
      passwordHash: 'H1',
      token: token('V'),
      now,
    };

    it('opens an unverified account with the password and mails a verification token', () =>
      spec([])
        .when(register)
        .then([
          created(), // the address trimmed, its letter case kept
          passwordSet(),
          issued('V', 'verify-email', 'registration'),
        ]));

    it('changes nothing for a known address: it only mails a set-password note', () =>
      spec(verifiedAccount)
        .when({ ...register, passwordHash: 'OTHER', token: token('N') })
        .then([issued('N', 'set-password', 'repeat-registration')]));
  });

  describe('AssignPurchase', () => {
    const assign = {
      type: 'AssignPurchase' as const,
      accountId,
      purchase: purchase(),
      token: token('P'),
      now,
    };

    it('creates a password-less account for a new buyer, assigns and mails a set-password token', () =>
      spec([])
        .when(assign)
        .then([
          {
            type: 'account.created.v1',
            data: {
              accountId,
              email: 'ana.lima@example.com',
              name: 'Ana Lima',
              company: 'Example Ltd',
              origin: 'purchase',
              createdAt: at,
            },
          },
          assigned(),
          issued('P', 'set-password', 'purchase'),
        ]));

    it('assigns to a verified account without mail', () =>
      spec(verifiedAccount).when(assign).then([assigned()]));

    it('assigns a purchase only once', () =>
      spec([...verifiedAccount, assigned()])
        .when(assign)
        .then([]));

    it("discards an unproven registrant's password and mails the buyer the way in", () =>
      spec(registered)
        .when(assign)
        .then([
          assigned(),
          { type: 'account.password-discarded', data: { reason: 'unverified-at-purchase', discardedAt: at } },
          issued('P', 'set-password', 'purchase'),
        ]));

    it('mails another set-password token for a second purchase before the first link is used', () =>
      spec([
        created('purchase'),
        assigned('11111111-1111-5111-8111-111111111111'),
        issued('P0', 'set-password', 'purchase'),
      ])
        .when(assign)
        .then([assigned(), issued('P', 'set-password', 'purchase')]));
  });

  describe('VerifyEmail', () => {
    it('redeems the token and verifies the address', () =>
      spec(registered)
        .when({ type: 'VerifyEmail', tokenHash: 'V', now })
        .then([redeemed('V'), verified]));

    it.each([
      ['an unknown token', registered, 'X', now],
      ['a used token', verifiedAccount, 'V', now],
      ['an expired token', registered, 'V', new Date('2026-11-27T11:00:00.000Z')],
      ['a set-password token', [...registered, issued('S', 'set-password', 'reset')], 'S', now],
      [
        'a token voided by a discarded password',
        [
          ...registered,
          assigned(),
          {
            type: 'account.password-discarded',
            data: { reason: 'unverified-at-purchase', discardedAt: at },
          } as AccountEvent,
        ],
        'V',
        now,
      ],
      ['a token of no account', [], 'V', now],
    ])('refuses %s', (_what, given, tokenHash, when) =>
      spec(given as AccountEvent[])
        .when({ type: 'VerifyEmail', tokenHash, now: when })
        .thenThrows(new AccountError('invalid-token', 'This link is invalid, expired or already used.')),
    );
  });

  describe('SetPassword', () => {
    it('sets a first password and verifies the address of a purchase-made account', () =>
      spec([created('purchase'), assigned(), issued('P', 'set-password', 'purchase')])
        .when({ type: 'SetPassword', tokenHash: 'P', passwordHash: 'H2', now: later })
        .then([
          redeemed('P', later.toISOString()),
          {
            type: 'account.password-set',
            data: { passwordHash: 'H2', via: 'token', replaced: false, setAt: later.toISOString() },
          },
          { type: 'account.email-verified', data: { verifiedAt: later.toISOString() } },
        ]));

    it('replaces the password of a verified account (its owner gets a notice)', () =>
      spec([...verifiedAccount, issued('R', 'set-password', 'reset')])
        .when({ type: 'SetPassword', tokenHash: 'R', passwordHash: 'H2', now })
        .then([redeemed('R'), passwordSet('H2', 'token', true)]));

    it('voids other outstanding tokens once the password changed', () =>
      spec([
        ...verifiedAccount,
        issued('R1', 'set-password', 'reset'),
        issued('R2', 'set-password', 'reset'),
        redeemed('R1'),
        passwordSet('H2', 'token', true),
      ])
        .when({ type: 'SetPassword', tokenHash: 'R2', passwordHash: 'H3', now })
        .thenThrows(AccountError));
  });

  describe('RequestPasswordReset', () => {
    it('mails a set-password token to a known account', () =>
      spec(verifiedAccount)
        .when({ type: 'RequestPasswordReset', token: token('R'), now })
        .then([issued('R', 'set-password', 'reset')]));

    it('does nothing for an unknown address', () =>
      spec([])
        .when({ type: 'RequestPasswordReset', token: token('R'), now })
        .then([]));
  });

  describe('MakeStaff', () => {
    const makeStaff = {
      type: 'MakeStaff' as const,
      accountId,
      email: 'rep@example.com',
      role: 'sales-rep' as const,
      token: token('S'),
      now,
    };

    it('creates a staff account with the role and mails a set-password token', () =>
      spec([])
        .when(makeStaff)
        .then([
          {
            type: 'account.created.v1',
            data: {
              accountId,
              email: 'rep@example.com',
              name: null,
              company: null,
              origin: 'registration',
              createdAt: at,
            },
          },
          { type: 'account.roles-changed', data: { roles: ['sales-rep'], changedAt: at } },
          issued('S', 'set-password', 'staff'),
        ]));

    it('changes the role of a staff account, and only mails when the role is unchanged', () => {
      const staff = [
        ...verifiedAccount,
        { type: 'account.roles-changed', data: { roles: ['sales-rep'], changedAt: at } } as AccountEvent,
      ];
      spec(staff)
        .when({ ...makeStaff, role: 'sales-manager' })
        .then([
          { type: 'account.roles-changed', data: { roles: ['sales-manager'], changedAt: at } },
          issued('S', 'set-password', 'staff'),
        ]);
      spec(staff)
        .when(makeStaff)
        .then([issued('S', 'set-password', 'staff')]);
    });

    it('never gives a role to a customer account with purchases', () =>
      spec([...verifiedAccount, assigned()])
        .when(makeStaff)
        .thenThrows(AccountError));
  });

  describe('signInOutcome', () => {
    it('is one answer for no account, no password and a wrong password', () => {
      expect(signInOutcome(initialState, true)).toBe('invalid-credentials');
      expect(signInOutcome(stateOf([created('purchase')]), true)).toBe('invalid-credentials');
      expect(signInOutcome(stateOf(verifiedAccount), false)).toBe('invalid-credentials');
      expect(signInOutcome(stateOf(registered), false)).toBe('invalid-credentials');
    });

    it('tells an unverified address apart only to someone with the right password', () => {
      expect(signInOutcome(stateOf(registered), true)).toBe('email-not-verified');
      expect(signInOutcome(stateOf(verifiedAccount), true)).toBe('ok');
    });
  });

  describe('refreshAllowed', () => {
    // The generation a sign-in of the verified account records: one password set so far.
    const signedIn = stateOf(verifiedAccount);
    const generation = signedIn.status === 'open' ? signedIn.generation : -1;

    it('lets a sign-in go on while the account can sign in with the same password', () => {
      expect(generation).toBe(1);
      expect(refreshAllowed(signedIn, generation)).toBe(true);
      // Events that do not touch the credentials change nothing.
      expect(
        refreshAllowed(stateOf([...verifiedAccount, assigned(), issued('R', 'set-password', 'reset')]), 1),
      ).toBe(true);
    });

    it('ends it once the password changed or was discarded', () => {
      const reset = [...verifiedAccount, issued('R', 'set-password', 'reset'), redeemed('R')];
      expect(refreshAllowed(stateOf([...reset, passwordSet('H2', 'token', true)]), generation)).toBe(false);
      const discarded: AccountEvent = {
        type: 'account.password-discarded',
        data: { reason: 'unverified-at-purchase', discardedAt: at },
      };
      expect(refreshAllowed(stateOf([...verifiedAccount, discarded]), generation)).toBe(false);
    });

    it('refuses an account that could not sign in: none, no password, address unproven', () => {
      expect(refreshAllowed(initialState, 0)).toBe(false);
      expect(refreshAllowed(stateOf([created('purchase'), verified]), 0)).toBe(false);
      expect(refreshAllowed(stateOf(registered), 1)).toBe(false);
    });
  });
});
