import { Inject, Injectable } from '@nestjs/common';
import { Counter, type Registry } from 'prom-client';
import { CLOCK, LOGGER, METRICS_REGISTRY, ProblemException, type Clock, type Logger } from '@otl/platform';
import type { PortalConfig } from '../config';
import { PORTAL_CONFIG, SESSION_STORE, UPSTREAMS, type Upstreams } from '../tokens';
import { jsonOf } from '../upstream/upstream';
import { newSessionId, readSessionId, sessionCookie, sessionIdHash, type SessionCookie } from './cookie';
import type { SessionRow, SessionStore } from './session-store';
import { TokenCipher, type SessionTokens } from './token-cipher';
import { staffRolesOf, type StaffRole } from './token-roles';

/** The account service's answer to a sign-in or a refresh. */
interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** The account service's `/v1/me`. */
export interface AccountMe {
  accountId: string;
  email: string;
  name: string | null;
  company: string | null;
}

/** Who is signed in, as the app sees it: the account and its staff roles (none for a customer). */
export interface Me extends AccountMe {
  roles: StaffRole[];
}

/** A signed-in browser's session, as a request sees it. */
export interface Session {
  idHash: Buffer;
  accountId: string;
  expiresAt: Date;
  /** The sealed tokens and when to renew them, as read at the start of the request. */
  tokens: Buffer;
  refreshAt: Date;
}

/**
 * No session: `not-signed-in` when the browser sent no session cookie, `session-ended` when it sent
 * one that no longer works (signed out, expired, or its sign-in was revoked): the app then says so.
 */
export class SessionEnded extends ProblemException {
  constructor(headers: Record<string, string> = {}, hadSession = true) {
    super(
      401,
      hadSession ? 'session-ended' : 'not-signed-in',
      hadSession ? 'Session ended' : 'Not signed in',
      hadSession
        ? 'Your session has ended (signed out, expired or revoked). Sign in again.'
        : 'You are not signed in. Sign in first.',
      { headers },
    );
  }
}

const TOUCH_EVERY_MS = 60_000;

const isTokenPair = (value: unknown): value is TokenPair => {
  const pair = value as Partial<TokenPair> | null;
  return (
    typeof pair?.accessToken === 'string' &&
    typeof pair.refreshToken === 'string' &&
    typeof pair.expiresIn === 'number' &&
    pair.expiresIn > 0
  );
};

/**
 * Server-side sessions over the account service's tokens. The browser holds only the session id;
 * the access token is renewed shortly before it expires, with the row locked so that a refresh token
 * is presented exactly once (a second presentation would revoke the whole sign-in).
 */
@Injectable()
export class SessionsService {
  /** The session cookie's name and attributes (Secure outside localhost). */
  readonly cookie: SessionCookie;
  private readonly cipher: TokenCipher;
  /** Renewals in flight in this process, per session: concurrent requests share one. */
  private readonly renewing = new Map<string, Promise<string>>();
  private readonly signIns: Counter<'outcome'>;
  private readonly refreshes: Counter<'outcome'>;
  private readonly ended: Counter<'reason'>;

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(UPSTREAMS) private readonly upstreams: Upstreams,
    @Inject(CLOCK) private readonly now: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS_REGISTRY) metrics: Registry,
  ) {
    this.cipher = new TokenCipher(config.sessionKey);
    this.cookie = sessionCookie(config.secureCookies);
    this.signIns = new Counter({
      name: 'portal_sign_ins_total',
      help: 'Sign-ins through the portal, by outcome (ok, or the HTTP status of the refusal).',
      labelNames: ['outcome'],
      registers: [metrics],
    });
    this.refreshes = new Counter({
      name: 'portal_token_refreshes_total',
      help: 'Access-token renewals the portal made for its sessions: renewed, refused (the sign-in was revoked) or failed.',
      labelNames: ['outcome'],
      registers: [metrics],
    });
    this.ended = new Counter({
      name: 'portal_sessions_ended_total',
      help: 'Sessions ended, by reason: sign-out, expired, revoked.',
      labelNames: ['reason'],
      registers: [metrics],
    });
  }

  /** Signs in against the account service; returns the new session's cookie value and the account. */
  async signIn(
    email: string,
    password: string,
    clientIp: string,
    previousId: string | undefined,
  ): Promise<{ id: string; me: Me; maxAgeSeconds: number }> {
    const account = this.upstreams.account;
    const answer = await account.call({
      method: 'POST',
      path: '/v1/auth/token',
      body: { email, password },
      clientIp,
    });
    this.signIns.inc({ outcome: answer.status === 200 ? 'ok' : String(answer.status) });
    const pair = jsonOf<unknown>(answer);
    if (!isTokenPair(pair)) throw new Error('the account service answered a sign-in without a token pair');
    const me: Me = {
      ...jsonOf<AccountMe>(
        await account.call({ method: 'GET', path: '/v1/me', accessToken: pair.accessToken }),
      ),
      roles: staffRolesOf(pair.accessToken),
    };
    // A new id at every sign-in: a session id planted before it (fixation) is worth nothing, and
    // the browser's previous session (if any) ends with its sign-in revoked.
    await this.signOut(previousId);
    const id = newSessionId();
    const idHash = sessionIdHash(id);
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.config.sessionMaxSeconds * 1000);
    await this.store.insert({
      idHash,
      accountId: me.accountId,
      ...this.sealed(pair, idHash, now),
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
    });
    this.logger.info({ accountId: me.accountId }, 'signed in');
    return { id, me, maxAgeSeconds: this.config.sessionMaxSeconds };
  }

  /** The session id a request's Cookie header carries, if any. */
  idFrom(cookieHeader: string | undefined): string | undefined {
    return readSessionId(cookieHeader, this.cookie);
  }

  /** The live session behind a cookie value, or undefined. */
  async find(id: string | undefined): Promise<Session | undefined> {
    if (!id) return undefined;
    const idHash = sessionIdHash(id);
    const now = this.now();
    const row = await this.store.findLive(idHash, now, this.config.sessionIdleSeconds);
    if (!row) return undefined;
    // Last use is kept to the minute: a request within a minute of the last write writes nothing.
    if (now.getTime() - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await this.store.touch(idHash, now);
    return {
      idHash,
      accountId: row.accountId,
      expiresAt: row.expiresAt,
      tokens: row.tokens,
      refreshAt: row.refreshAt,
    };
  }

  /**
   * A valid access token for the session: the current one, or a renewed one when it is about to
   * expire (or `stale`, a token a service just refused, is still the current one).
   */
  async accessToken(session: Session, stale?: string): Promise<string> {
    const key = session.idHash.toString('hex');
    const inFlight = this.renewing.get(key);
    if (inFlight) return inFlight;
    const tokens = this.cipher.open(session.tokens, session.idHash);
    if (session.refreshAt > this.now() && tokens.accessToken !== stale) return tokens.accessToken;
    const renewal = this.renew(session, stale).finally(() => this.renewing.delete(key));
    this.renewing.set(key, renewal);
    return renewal;
  }

  /** The staff roles of the session's (current or renewed) access token; none for a customer. */
  async roles(session: Session): Promise<StaffRole[]> {
    return staffRolesOf(await this.accessToken(session));
  }

  private async renew(session: Session, stale: string | undefined): Promise<string> {
    const token = await this.store.underLock<string | undefined>(session.idHash, async (row) => {
      if (!row) return { result: undefined };
      const tokens = this.cipher.open(row.tokens, row.idHash);
      // Another request (maybe on another instance) renewed it while this one waited for the lock.
      if (row.refreshAt > this.now() && tokens.accessToken !== stale) {
        Object.assign(session, { tokens: row.tokens, refreshAt: row.refreshAt });
        return { result: tokens.accessToken };
      }
      const answer = await this.upstreams.account
        .call({ method: 'POST', path: '/v1/auth/token/refresh', body: { refreshToken: tokens.refreshToken } })
        .catch((error: unknown) => {
          this.refreshes.inc({ outcome: 'failed' });
          throw error;
        });
      if (answer.status === 401) {
        // Revoked: signed out elsewhere, password changed, or the refresh token was replayed.
        this.refreshes.inc({ outcome: 'refused' });
        this.ended.inc({ reason: 'revoked' });
        this.logger.warn({ accountId: row.accountId }, 'refresh refused; session ended');
        return { result: undefined, remove: true };
      }
      const pair = jsonOf<unknown>(answer);
      if (!isTokenPair(pair)) throw new Error('the account service answered a refresh without a token pair');
      this.refreshes.inc({ outcome: 'renewed' });
      const update = this.sealed(pair, row.idHash, this.now());
      // Later calls of this request use the renewed token.
      Object.assign(session, { tokens: update.tokens, refreshAt: update.refreshAt });
      return { result: pair.accessToken, update };
    });
    if (token === undefined) throw new SessionEnded();
    return token;
  }

  /** Ends the session here and its sign-in at the account service. */
  async signOut(id: string | undefined): Promise<void> {
    if (!id) return;
    const row = await this.store.remove(sessionIdHash(id));
    if (!row) return;
    this.ended.inc({ reason: 'sign-out' });
    const { refreshToken } = this.cipher.open(row.tokens, row.idHash);
    try {
      const answer = await this.upstreams.account.call({
        method: 'POST',
        path: '/v1/auth/logout',
        body: { refreshToken },
      });
      if (answer.status !== 204)
        this.logger.warn({ status: answer.status }, 'logout refused by the account service');
    } catch (error) {
      // The session is gone and nobody else holds its refresh token; it lapses on its own.
      this.logger.warn(
        { err: error, accountId: row.accountId },
        'logout could not reach the account service',
      );
    }
  }

  /** Deletes ended sessions; returns how many. */
  async purge(): Promise<number> {
    const removed = await this.store.purge(this.now(), this.config.sessionIdleSeconds);
    if (removed > 0) this.ended.inc({ reason: 'expired' }, removed);
    return removed;
  }

  private sealed(
    pair: TokenPair,
    idHash: Buffer,
    now: Date,
  ): Pick<SessionRow, 'tokens' | 'refreshAt' | 'accessExpiresAt'> {
    const tokens: SessionTokens = { accessToken: pair.accessToken, refreshToken: pair.refreshToken };
    // Renew a minute before expiry, or half-way for very short-lived tokens.
    const lead = Math.min(60, pair.expiresIn / 2);
    return {
      tokens: this.cipher.seal(tokens, idHash),
      refreshAt: new Date(now.getTime() + (pair.expiresIn - lead) * 1000),
      accessExpiresAt: new Date(now.getTime() + pair.expiresIn * 1000),
    };
  }
}
