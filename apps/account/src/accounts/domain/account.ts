import type { AccountCreatedV1, AccountOrigin, PurchaseAssignedV1, PurchaseRecordedV1 } from '@otl/contracts';

/**
 * The account aggregate as a pure decider: decide(command, state) -> events, evolve(state, event) -> state.
 * No I/O; time, new ids and token hashes come in with the command.
 *
 * The rule it keeps: whoever proves they read an address's mail owns the account. A password set by
 * registration counts only once its verification link is used; a purchase for an address nobody has
 * proved yet discards such a password, so the only way in is the set-password link mailed to the buyer.
 */

export const staffRoles = ['sales-rep', 'sales-manager'] as const;
export type StaffRole = (typeof staffRoles)[number];

export type TokenPurpose = 'verify-email' | 'set-password';
/** Why a token was mailed; picks the mail that carries it. */
export type TokenReason = 'registration' | 'repeat-registration' | 'purchase' | 'reset' | 'staff';

/** A freshly drawn mailed token, by hash only: the raw token never enters the domain. */
export interface NewToken {
  hash: string;
  expiresAt: Date;
}

export interface PasswordSet {
  passwordHash: string;
  via: 'registration' | 'token';
  /** A password was replaced (its owner is told). */
  replaced: boolean;
  setAt: string;
}
export interface PasswordDiscarded {
  reason: 'unverified-at-purchase';
  discardedAt: string;
}
export interface EmailVerified {
  verifiedAt: string;
}
export interface TokenIssued {
  tokenHash: string;
  purpose: TokenPurpose;
  reason: TokenReason;
  expiresAt: string;
  issuedAt: string;
}
export interface TokenRedeemed {
  tokenHash: string;
  redeemedAt: string;
}
export interface RolesChanged {
  roles: StaffRole[];
  changedAt: string;
}

export type AccountEvent =
  | { type: 'account.created.v1'; data: AccountCreatedV1 }
  | { type: 'purchase.assigned.v1'; data: PurchaseAssignedV1 }
  | { type: 'account.password-set'; data: PasswordSet }
  | { type: 'account.password-discarded'; data: PasswordDiscarded }
  | { type: 'account.email-verified'; data: EmailVerified }
  | { type: 'account.token-issued'; data: TokenIssued }
  | { type: 'account.token-redeemed'; data: TokenRedeemed }
  | { type: 'account.roles-changed'; data: RolesChanged };

export type AccountEventType = AccountEvent['type'];

interface TokenState {
  purpose: TokenPurpose;
  expiresAt: number;
  /** Credentials generation it was issued in; a later password change voids it. */
  generation: number;
  redeemed: boolean;
}

export interface OpenAccount {
  status: 'open';
  accountId: string;
  email: string;
  name: string | null;
  company: string | null;
  origin: AccountOrigin;
  roles: StaffRole[];
  passwordHash: string | null;
  emailVerified: boolean;
  /** Bumped whenever the password changes or is discarded. */
  generation: number;
  tokens: Record<string, TokenState>;
  purchases: Record<string, true>;
}

export type AccountState = { status: 'none' } | OpenAccount;

export const initialState: AccountState = { status: 'none' };

export interface Profile {
  email: string;
  name: string | null;
  company: string | null;
}

export type AccountCommand =
  | {
      type: 'Register';
      accountId: string;
      profile: Profile;
      passwordHash: string;
      token: NewToken;
      now: Date;
    }
  | { type: 'AssignPurchase'; accountId: string; purchase: PurchaseRecordedV1; token: NewToken; now: Date }
  | { type: 'RequestPasswordReset'; token: NewToken; now: Date }
  | { type: 'VerifyEmail'; tokenHash: string; now: Date }
  | { type: 'SetPassword'; tokenHash: string; passwordHash: string; now: Date }
  | { type: 'MakeStaff'; accountId: string; email: string; role: StaffRole; token: NewToken; now: Date };

export type AccountErrorCode = 'invalid-token' | 'customer-account';

export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}

export function evolve(state: AccountState, event: AccountEvent): AccountState {
  if (event.type === 'account.created.v1') {
    const { accountId, email, name, company, origin } = event.data;
    return {
      status: 'open',
      accountId,
      email,
      name,
      company,
      origin,
      roles: [],
      passwordHash: null,
      emailVerified: false,
      generation: 0,
      tokens: {},
      purchases: {},
    };
  }
  if (state.status !== 'open') return state;
  switch (event.type) {
    case 'purchase.assigned.v1':
      return { ...state, purchases: { ...state.purchases, [event.data.purchaseId]: true } };
    case 'account.password-set':
      return { ...state, passwordHash: event.data.passwordHash, generation: state.generation + 1 };
    case 'account.password-discarded':
      return { ...state, passwordHash: null, generation: state.generation + 1 };
    case 'account.email-verified':
      return { ...state, emailVerified: true };
    case 'account.token-issued': {
      const { tokenHash, purpose, expiresAt } = event.data;
      const token = {
        purpose,
        expiresAt: Date.parse(expiresAt),
        generation: state.generation,
        redeemed: false,
      };
      return { ...state, tokens: { ...state.tokens, [tokenHash]: token } };
    }
    case 'account.token-redeemed': {
      const token = state.tokens[event.data.tokenHash];
      if (!token) return state;
      return { ...state, tokens: { ...state.tokens, [event.data.tokenHash]: { ...token, redeemed: true } } };
    }
    case 'account.roles-changed':
      return { ...state, roles: event.data.roles };
  }
}

function tokenIssued(token: NewToken, purpose: TokenPurpose, reason: TokenReason, now: Date): AccountEvent {
  return {
    type: 'account.token-issued',
    data: {
      tokenHash: token.hash,
      purpose,
      reason,
      expiresAt: token.expiresAt.toISOString(),
      issuedAt: now.toISOString(),
    },
  };
}

function created(accountId: string, profile: Profile, origin: AccountOrigin, now: Date): AccountEvent {
  return {
    type: 'account.created.v1',
    data: {
      accountId,
      email: profile.email.trim(),
      name: profile.name,
      company: profile.company,
      origin,
      createdAt: now.toISOString(),
    },
  };
}

function assigned(accountId: string, purchase: PurchaseRecordedV1, now: Date): AccountEvent {
  const { purchaseId, channel, externalRef, items } = purchase;
  return {
    type: 'purchase.assigned.v1',
    data: { purchaseId, accountId, channel, externalRef, items, assignedAt: now.toISOString() },
  };
}

/** A token that can still be redeemed for `purpose`, or an invalid-token error. */
function redeemable(state: AccountState, tokenHash: string, purpose: TokenPurpose, now: Date): OpenAccount {
  const token = state.status === 'open' ? state.tokens[tokenHash] : undefined;
  if (
    state.status !== 'open' ||
    !token ||
    token.purpose !== purpose ||
    token.redeemed ||
    token.generation !== state.generation ||
    now.getTime() >= token.expiresAt
  ) {
    throw new AccountError('invalid-token', 'This link is invalid, expired or already used.');
  }
  return state;
}

export function decide(command: AccountCommand, state: AccountState): AccountEvent[] {
  const now = command.now;
  const at = now.toISOString();
  switch (command.type) {
    case 'Register': {
      // A known address changes nothing; its owner gets a note with a set-password link instead.
      if (state.status === 'open')
        return [tokenIssued(command.token, 'set-password', 'repeat-registration', now)];
      return [
        created(command.accountId, command.profile, 'registration', now),
        {
          type: 'account.password-set',
          data: { passwordHash: command.passwordHash, via: 'registration', replaced: false, setAt: at },
        },
        tokenIssued(command.token, 'verify-email', 'registration', now),
      ];
    }
    case 'AssignPurchase': {
      const { purchase } = command;
      if (state.status === 'none') {
        const { email, name, company } = purchase.customer;
        return [
          created(command.accountId, { email, name, company }, 'purchase', now),
          assigned(command.accountId, purchase, now),
          tokenIssued(command.token, 'set-password', 'purchase', now),
        ];
      }
      if (state.purchases[purchase.purchaseId]) return [];
      const events = [assigned(state.accountId, purchase, now)];
      if (state.emailVerified) return events;
      // Nobody has proved they read this address yet: a password chosen by a registrant is not
      // trusted with a purchase, and the buyer gets the way in.
      if (state.passwordHash !== null) {
        events.push({
          type: 'account.password-discarded',
          data: { reason: 'unverified-at-purchase', discardedAt: at },
        });
      }
      events.push(tokenIssued(command.token, 'set-password', 'purchase', now));
      return events;
    }
    case 'RequestPasswordReset':
      return state.status === 'open' ? [tokenIssued(command.token, 'set-password', 'reset', now)] : [];
    case 'VerifyEmail': {
      const account = redeemable(state, command.tokenHash, 'verify-email', now);
      const events: AccountEvent[] = [
        { type: 'account.token-redeemed', data: { tokenHash: command.tokenHash, redeemedAt: at } },
      ];
      if (!account.emailVerified) events.push({ type: 'account.email-verified', data: { verifiedAt: at } });
      return events;
    }
    case 'SetPassword': {
      const account = redeemable(state, command.tokenHash, 'set-password', now);
      const events: AccountEvent[] = [
        { type: 'account.token-redeemed', data: { tokenHash: command.tokenHash, redeemedAt: at } },
        {
          type: 'account.password-set',
          data: {
            passwordHash: command.passwordHash,
            via: 'token',
            // A registrant's unverified password is not the owner's: only a proven one is "replaced".
            replaced: account.passwordHash !== null && account.emailVerified,
            setAt: at,
          },
        },
      ];
      // The link came by mail, so using it proves the address.
      if (!account.emailVerified) events.push({ type: 'account.email-verified', data: { verifiedAt: at } });
      return events;
    }
    case 'MakeStaff': {
      const events: AccountEvent[] = [];
      let roles: StaffRole[] = [];
      if (state.status === 'none') {
        events.push(
          created(
            command.accountId,
            { email: command.email, name: null, company: null },
            'registration',
            now,
          ),
        );
      } else {
        if (Object.keys(state.purchases).length > 0) {
          throw new AccountError(
            'customer-account',
            'This address belongs to a customer account with purchases.',
          );
        }
        roles = state.roles;
      }
      if (roles.length !== 1 || roles[0] !== command.role) {
        events.push({ type: 'account.roles-changed', data: { roles: [command.role], changedAt: at } });
      }
      events.push(tokenIssued(command.token, 'set-password', 'staff', now));
      return events;
    }
  }
}

export type SignInOutcome = 'ok' | 'invalid-credentials' | 'email-not-verified';

/**
 * The answer to a sign-in, given whether the password matched the stored hash. A missing account,
 * a wrong password and a password not yet set are one answer; an unverified address is told apart
 * only to someone who knows the password.
 */
export function signInOutcome(state: AccountState, passwordMatches: boolean): SignInOutcome {
  if (state.status !== 'open' || state.passwordHash === null || !passwordMatches)
    return 'invalid-credentials';
  return state.emailVerified ? 'ok' : 'email-not-verified';
}

/**
 * Whether a refresh token of a sign-in made at credentials `generation` may still be exchanged:
 * the account must still be one that could sign in (a password, a proven address), and its password
 * must not have changed or been discarded since (each bumps the generation).
 */
export function refreshAllowed(state: AccountState, generation: number): state is OpenAccount {
  return (
    state.status === 'open' &&
    state.passwordHash !== null &&
    state.emailVerified &&
    state.generation === generation
  );
}

export function stateOf(events: readonly AccountEvent[]): AccountState {
  return events.reduce(evolve, initialState);
}
