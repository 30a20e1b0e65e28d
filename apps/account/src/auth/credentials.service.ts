import { signAccessToken, type AccessTokenIssuerConfig } from '@otl/auth';
import { AccountService } from '../accounts/account.service';
import { signInOutcome, type Profile } from '../accounts/domain/account';
import { emailKey } from '../accounts/email';
import type { RateLimits } from '../config';
import type { PasswordHasher } from '../security/passwords';
import type { Bucket, RateLimiter } from '../security/rate-limiter';

export type CredentialsErrorCode = 'invalid-credentials' | 'email-not-verified' | 'rate-limited';

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

export interface IssuedAccessToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

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
      throw new CredentialsError('rate-limited', 'Too many attempts; try again later.', retryAfter);
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
  async signIn(email: string, password: string, client: string): Promise<IssuedAccessToken> {
    const buckets = this.buckets('sign-in', email, client);
    await this.refuseIfLimited(buckets);
    const state = await this.options.accounts.findByEmail(email);
    const stored = state.status === 'open' ? state.passwordHash : null;
    const matches = await this.options.hasher.check(stored, normalizePassword(password));
    const outcome = signInOutcome(state, matches);
    if (outcome === 'invalid-credentials' || state.status !== 'open') {
      await this.options.limiter.hit(buckets);
      throw new CredentialsError('invalid-credentials', 'The email address or password is not correct.');
    }
    if (outcome === 'email-not-verified') {
      throw new CredentialsError(
        'email-not-verified',
        'Confirm your email address first: use the link we mailed to you.',
      );
    }
    const { keys, issuer, audience, ttlSeconds } = this.options.accessTokens;
    const accessToken = signAccessToken(
      { sub: state.accountId, email: state.email, roles: state.roles },
      {
        key: keys.current.privateKey,
        kid: keys.current.kid,
        issuer,
        audience,
        ttlSeconds,
        now: this.options.now?.(),
      },
    );
    return { accessToken, tokenType: 'Bearer', expiresIn: ttlSeconds };
  }
}
