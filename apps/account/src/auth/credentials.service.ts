import { signAccessToken, type AccessTokenIssuerConfig } from '@otl/auth';
import type { Logger } from '@otl/platform';
import { AccountService } from '../accounts/account.service';
import { refreshAllowed, signInOutcome, type OpenAccount, type Profile } from '../accounts/domain/account';
import { emailKey } from '../accounts/email';
import type { RateLimits } from '../config';
import type { PasswordHasher } from '../security/passwords';
import type { Bucket, RateLimiter } from '../security/rate-limiter';
import type { RefreshTokens } from '../security/refresh-tokens';
import { drawSecret, hashSecretToken } from '../security/secret-tokens';

export type CredentialsErrorCode =
  'invalid-credentials' | 'email-not-verified' | 'rate-limited' | 'invalid-refresh-token';

export class CredentialsError extends Error {
  constructor(
    readonly code: CredentialsErrorCode,
    message: string,
    /** Seconds to wait, for `rate-limited`. */
    readonly retryAfterSeconds = 0,
  ) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/** What a sign-in and a refresh answer: an access token and the refresh token that renews it. */
export interface IssuedTokens {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  /** Seconds until the refresh token expires, unless exchanged first. */
  refreshExpiresIn: number;
}

/** How a refresh ended, for the metrics: exchanged, refused (401, reuse included) or rate limited (429). */
export type RefreshOutcome = 'rotated' | 'refused' | 'rate-limited';

export const INVALID_CREDENTIALS = 'The email address or password is not correct.';
export const INVALID_REFRESH_TOKEN = 'The refresh token is invalid, expired or revoked; sign in again.';
export const RATE_LIMITED = 'Too many attempts; try again later.';
export const EMAIL_NOT_VERIFIED = 'Confirm your email address first: use the link we mailed to you.';

/** Passwords compare after Unicode normalisation, so one typed on another keyboard still matches. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

export interface CredentialsOptions {
  accounts: AccountService;
  hasher: PasswordHasher;
  limiter: RateLimiter;
  limits: RateLimits;
  accessTokens: AccessTokenIssuerConfig;
  refreshTokens: RefreshTokens;
  /** Lifetime of each refresh token, as `refreshExpiresIn` says. */
  refreshTokenTtlSeconds: number;
  logger?: Logger;
  /** Called once per refresh request with its outcome. */
  onRefresh?(outcome: RefreshOutcome): void;
  /** Called when a retired refresh token came back and its family was revoked. */
  onReuse?(): void;
  now?: () => Date;
}

/**
 * Sign-up, sign-in and password reset at the edge of the account aggregate: hashing, rate limits and
 * access tokens. Every path costs one Argon2id operation whether or not the address is known, and
 * answers unknown addresses exactly like failures on known ones.
 */
export class CredentialsService {
  constructor(private readonly options: CredentialsOptions) {}

  private buckets(action: 'sign-in' | 'reset' | 'register', email: string, client: string): Bucket[] {
    const { limits } = this.options;
    const [perAccount, perClient] = {
      'sign-in': [limits.signInPerAccount, limits.signInPerClient],
      reset: [limits.resetPerAccount, limits.resetPerClient],
      register: [limits.registerPerAccount, limits.registerPerClient],
    }[action];
    return [
      { key: `${action}:account:${emailKey(email)}`, rule: perAccount },
      { key: `${action}:client:${client}`, rule: perClient },
    ];
  }

  private async refuseIfLimited(buckets: Bucket[]): Promise<void> {
    const retryAfter = await this.options.limiter.blocked(buckets);
    if (retryAfter > 0) {
      throw new CredentialsError('rate-limited', RATE_LIMITED, retryAfter);
    }
  }

  /** Counts every request: each one mails someone. */
  private async limitMail(action: 'reset' | 'register', email: string, client: string): Promise<void> {
    const buckets = this.buckets(action, email, client);
    await this.refuseIfLimited(buckets);
    await this.options.limiter.hit(buckets);
  }

  async register(profile: Profile, password: string, client: string): Promise<void> {
    await this.limitMail('register', profile.email, client);
    // Hashed for known addresses too, so the answer takes as long either way.
    const passwordHash = await this.options.hasher.hash(normalizePassword(password));
    await this.options.accounts.register(profile, passwordHash);
  }

  async requestPasswordReset(email: string, client: string): Promise<void> {
    await this.limitMail('reset', email, client);
    await this.options.accounts.requestPasswordReset(email);
  }

  async setPassword(token: string, password: string): Promise<void> {
    const passwordHash = await this.options.hasher.hash(normalizePassword(password));
    await this.options.accounts.setPassword(token, passwordHash);
  }

  /** Only failures count towards the sign-in limits, so an owner who gets in is never locked out by it. */
  async signIn(email: string, password: string, client: string): Promise<IssuedTokens> {
    const buckets = this.buckets('sign-in', email, client);
    await this.refuseIfLimited(buckets);
    const state = await this.options.accounts.findByEmail(email);
    const stored = state.status === 'open' ? state.passwordHash : null;
    const matches = await this.options.hasher.check(stored, normalizePassword(password));
    const outcome = signInOutcome(state, matches);
    if (outcome === 'invalid-credentials' || state.status !== 'open') {
      await this.options.limiter.hit(buckets);
      throw new CredentialsError('invalid-credentials', INVALID_CREDENTIALS);
    }
    if (outcome === 'email-not-verified') {
      throw new CredentialsError('email-not-verified', EMAIL_NOT_VERIFIED);
    }
    const refresh = drawSecret();
    await this.options.refreshTokens.start(state.accountId, state.generation, refresh.hash);
    return this.issue(state, refresh.raw);
  }

  /**
   * Exchanges a refresh token for a new access token and a new refresh token (rotation), with the
   * claims the account has now. A token already exchanged revokes its whole family (OAuth 2.0
   * Security BCP, RFC 9700 §4.14); it, and an unknown, expired or revoked one, is one generic
   * 401. Refusals count towards a per-client limit; successful refreshes never do.
   */
  async refresh(rawToken: string, client: string): Promise<IssuedTokens> {
    const buckets: Bucket[] = [
      { key: `refresh:client:${client}`, rule: this.options.limits.refreshPerClient },
    ];
    try {
      await this.refuseIfLimited(buckets);
    } catch (error) {
      this.options.onRefresh?.('rate-limited');
      throw error;
    }
    const next = drawSecret();
    const rotation = await this.options.refreshTokens.rotate(hashSecretToken(rawToken), next.hash);
    if (rotation.outcome === 'reuse') {
      this.options.onReuse?.();
      this.options.logger?.warn(
        { accountId: rotation.accountId, familyId: rotation.familyId },
        'a retired refresh token was presented again; its family is revoked',
      );
    }
    if (rotation.outcome !== 'rotated') return this.refuseRefresh(buckets);
    const account = await this.options.accounts.findById(rotation.accountId);
    if (!account || !refreshAllowed(account, rotation.generation)) {
      await this.options.refreshTokens.revokeFamily(rotation.familyId, 'account-unusable');
      return this.refuseRefresh(buckets);
    }
    this.options.onRefresh?.('rotated');
    return this.issue(account, next.raw);
  }

  /** Revokes the family of the token (a sign-out); an unknown or already revoked token changes nothing. */
  async logout(rawToken: string): Promise<void> {
    await this.options.refreshTokens.revokeFamilyOf(hashSecretToken(rawToken), 'logout');
  }

  private async refuseRefresh(buckets: Bucket[]): Promise<never> {
    await this.options.limiter.hit(buckets);
    this.options.onRefresh?.('refused');
    throw new CredentialsError('invalid-refresh-token', INVALID_REFRESH_TOKEN);
  }

  /** The answer of a sign-in or refresh: an access token with the account's current claims. */
  private issue(account: OpenAccount, refreshToken: string): IssuedTokens {
    const { keys, issuer, audience, ttlSeconds } = this.options.accessTokens;
    const accessToken = signAccessToken(
      { sub: account.accountId, email: account.email, roles: account.roles },
      {
        key: keys.current.privateKey,
        kid: keys.current.kid,
        issuer,
        audience,
        ttlSeconds,
        now: this.options.now?.(),
      },
    );
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: ttlSeconds,
      refreshToken,
      refreshExpiresIn: this.options.refreshTokenTtlSeconds,
    };
  }
}
