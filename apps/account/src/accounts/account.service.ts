import { randomUUID } from 'node:crypto';
import type { PurchaseRecordedV1 } from '@otl/contracts';
import type { EventStore, EventTransaction, Statement, StoredEvent } from '@otl/event-store';
import { currentCorrelationId } from '@otl/platform';
import { mailsFor, outboxInsert } from '../mail/outbox';
import { revokeAccountFamilies } from '../security/refresh-tokens';
import { hashSecretToken, newSecretToken, type SecretToken } from '../security/secret-tokens';
import {
  AccountError,
  decide,
  evolve,
  stateOf,
  type AccountCommand,
  type AccountEvent,
  type AccountState,
  type OpenAccount,
  type Profile,
  type StaffRole,
} from './domain/account';
import { streams } from './email';

export interface AccountServiceOptions {
  store: EventStore;
  /** How long a mailed link works. */
  tokenTtlSeconds: number;
  now?: () => Date;
}

interface EmailClaimed {
  accountId: string;
}

/** The events this service keeps in account streams (others are ignored when loading). */
const accountEventTypes: ReadonlySet<string> = new Set<AccountEvent['type']>([
  'account.created.v1',
  'purchase.assigned.v1',
  'account.password-set',
  'account.password-discarded',
  'account.email-verified',
  'account.token-issued',
  'account.token-redeemed',
  'account.roles-changed',
]);

function accountEventsOf(events: readonly StoredEvent[]): AccountEvent[] {
  return events.filter((event) => accountEventTypes.has(event.type)) as unknown as AccountEvent[];
}

function claimedAccountId(events: readonly StoredEvent[]): string | undefined {
  return (events[0]?.data as EmailClaimed | undefined)?.accountId;
}

interface Decision {
  accountId: string;
  /** The account stream's version the decision was made on. */
  version: number;
  before: AccountState;
  events: AccountEvent[];
  /** Raw tokens of the command, for the mails that carry them. */
  tokens: readonly SecretToken[];
  extra: (Statement | null)[];
}

interface Recorded {
  decided: Decided;
  /** The writes, to send with COMMIT. */
  statements: (Statement | null)[];
}

export interface Decided {
  accountId: string;
  events: AccountEvent[];
  state: AccountState;
}

/**
 * The account use cases over the event store. Writers that start from an address lock its claim
 * stream, read which account owns it, then lock that account's stream (always in that order), so
 * two purchases by one new address make one account. Mails are queued in the same transaction.
 */
export class AccountService {
  private readonly now: () => Date;

  constructor(private readonly options: AccountServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  private newToken(now: Date): SecretToken {
    return newSecretToken(now, this.options.tokenTtlSeconds);
  }

  /** Registration: a new address gets an unverified account; a known one only a note. */
  async register(profile: Profile, passwordHash: string): Promise<void> {
    const now = this.now();
    const token = this.newToken(now);
    await this.inEmailScope(profile.email, [token], (accountId) => ({
      type: 'Register',
      accountId,
      profile,
      passwordHash,
      token,
      now,
    }));
  }

  /**
   * Inside the inbox transaction of a `purchase.recorded.v1` (the claim stream is already locked):
   * returns the writes, which the inbox consumer sends with its own row and the COMMIT.
   */
  async assignPurchase(tx: EventTransaction, purchase: PurchaseRecordedV1): Promise<(Statement | null)[]> {
    const now = this.now();
    const token = this.newToken(now);
    const { statements } = await this.decideForEmail(tx, purchase.customer.email, [token], (accountId) => ({
      type: 'AssignPurchase',
      accountId,
      purchase,
      token,
      now,
    }));
    return statements;
  }

  async requestPasswordReset(email: string): Promise<void> {
    const now = this.now();
    const token = this.newToken(now);
    await this.inEmailScope(email, [token], () => ({ type: 'RequestPasswordReset', token, now }));
  }

  /** Creates or updates a staff account; returns the raw set-password token (also mailed). */
  async makeStaff(email: string, role: StaffRole): Promise<{ accountId: string; token: SecretToken }> {
    const now = this.now();
    const token = this.newToken(now);
    const { accountId } = await this.inEmailScope(email, [token], (accountId) => ({
      type: 'MakeStaff',
      accountId,
      email,
      role,
      token,
      now,
    }));
    return { accountId, token };
  }

  async verifyEmail(rawToken: string): Promise<void> {
    const tokenHash = hashSecretToken(rawToken);
    await this.withToken(tokenHash, (now) => ({ type: 'VerifyEmail', tokenHash, now }));
  }

  async setPassword(rawToken: string, passwordHash: string): Promise<void> {
    const tokenHash = hashSecretToken(rawToken);
    await this.withToken(tokenHash, (now) => ({ type: 'SetPassword', tokenHash, passwordHash, now }));
  }

  async findByEmail(email: string): Promise<AccountState> {
    const claim = await this.options.store.readStream(streams.emailClaim(email));
    const accountId = claimedAccountId(claim.events);
    return accountId ? this.load(accountId) : { status: 'none' };
  }

  async findById(accountId: string): Promise<OpenAccount | undefined> {
    const state = await this.load(accountId);
    return state.status === 'open' ? state : undefined;
  }

  private async load(accountId: string): Promise<AccountState> {
    const slice = await this.options.store.readStream(streams.account(accountId));
    return stateOf(accountEventsOf(slice.events));
  }

  private inEmailScope(
    email: string,
    tokens: readonly SecretToken[],
    command: (accountId: string) => AccountCommand,
  ): Promise<Decided> {
    const claim = streams.emailClaim(email);
    // Token index streams are known up front, so they are locked with the claim.
    const lockStreams = [claim, ...tokens.map((token) => streams.tokenIndex(token.hash))];
    return this.options.store.transaction({ lockStreams, prefetch: true }, async (tx) => {
      const { decided, statements } = await this.decideForEmail(tx, email, tokens, command);
      await tx.commitWith(statements);
      return decided;
    });
  }

  private async decideForEmail(
    tx: EventTransaction,
    email: string,
    tokens: readonly SecretToken[],
    command: (accountId: string) => AccountCommand,
  ): Promise<Recorded> {
    // The request's or the Kafka record's, whichever this runs in.
    const correlationId = currentCorrelationId();
    const claimStream = streams.emailClaim(email);
    const claim = await tx.readStream(claimStream);
    const accountId = claimedAccountId(claim.events) ?? randomUUID();
    // One round trip: the account's lock, its token indexes' locks, and the account stream.
    await tx.lockStreams(
      [streams.account(accountId), ...tokens.map((token) => streams.tokenIndex(token.hash))],
      {
        read: [streams.account(accountId)],
      },
    );
    const slice = await tx.readStream(streams.account(accountId));
    const state = stateOf(accountEventsOf(slice.events));
    const events = decide(command(accountId), state);
    const extra: (Statement | null)[] = [];
    if (events.some((event) => event.type === 'account.created.v1')) {
      extra.push(
        tx.appendStatement(claimStream, claim.version, [
          {
            type: 'account.email-claimed',
            data: { accountId } satisfies EmailClaimed,
            metadata: { correlationId },
          },
        ]),
      );
    }
    return this.record(tx, {
      accountId,
      version: slice.version,
      before: state,
      events,
      tokens,
      extra,
    });
  }

  private async withToken(tokenHash: string, command: (now: Date) => AccountCommand): Promise<Decided> {
    const index = await this.options.store.readStream(streams.tokenIndex(tokenHash));
    const accountId = claimedAccountId(index.events);
    if (!accountId) throw new AccountError('invalid-token', 'This link is invalid, expired or already used.');
    const stream = streams.account(accountId);
    return this.options.store.transaction({ lockStreams: [stream], prefetch: true }, async (tx) => {
      const slice = await tx.readStream(stream);
      const state = stateOf(accountEventsOf(slice.events));
      const events = decide(command(this.now()), state);
      const { decided, statements } = this.record(tx, {
        accountId,
        version: slice.version,
        before: state,
        events,
        tokens: [],
        extra: [],
      });
      await tx.commitWith(statements);
      return decided;
    });
  }

  /** The writes of a decision: its events, its indexes, its mails and the sign-ins a new password ends. */
  private record(tx: EventTransaction, decision: Decision): Recorded {
    const { accountId, version, before, events, tokens, extra } = decision;
    const correlationId = currentCorrelationId();
    const state = events.reduce(evolve, before);
    if (events.length === 0) return { decided: { accountId, events, state }, statements: [] };
    if (state.status !== 'open') throw new Error(`account ${accountId} has events but is not open`);
    const stamped = events.map((event) => ({ eventId: randomUUID(), event }));
    const metadata = { subject: accountId, correlationId };
    const statements: (Statement | null)[] = [
      tx.appendStatement(
        streams.account(accountId),
        version,
        stamped.map(({ eventId, event }) => ({ eventId, type: event.type, data: event.data, metadata })),
      ),
      ...extra,
    ];
    for (const { event } of stamped) {
      if (event.type === 'account.token-issued') {
        statements.push(
          tx.appendStatement(streams.tokenIndex(event.data.tokenHash), 0, [
            {
              type: 'account.token-indexed',
              data: { accountId } satisfies EmailClaimed,
              metadata: { correlationId },
            },
          ]),
        );
      }
    }
    // A new or discarded password ends every sign-in made with the old one, in this same commit.
    const passwordChanged = events.some(
      (event) => event.type === 'account.password-set' || event.type === 'account.password-discarded',
    );
    if (passwordChanged && before.status === 'open') {
      statements.push(revokeAccountFamilies(accountId, 'password-changed'));
    }
    const rawTokens = new Map(tokens.map((token) => [token.hash, token.raw]));
    statements.push(outboxInsert(mailsFor(state, stamped, rawTokens)));
    return { decided: { accountId, events, state }, statements };
  }
}
