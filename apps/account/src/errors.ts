import { ProblemException } from '@otl/platform';
import { AccountError } from './accounts/domain/account';
import { CredentialsError } from './auth/credentials.service';

function assertUnreachable(value: never): never {
  throw new Error(`unhandled error code ${String(value)}`);
}

export const invalidCredentials = (detail: string) =>
  new ProblemException(401, 'invalid-credentials', 'Sign-in failed', detail);

export const emailNotVerified = (detail: string) =>
  new ProblemException(403, 'email-not-verified', 'Email address not verified', detail);

export const rateLimited = (detail: string, retryAfterSeconds: number) =>
  new ProblemException(429, 'too-many-requests', 'Too many requests', detail, {
    headers: { 'retry-after': String(retryAfterSeconds) },
  });

/** One answer for every refresh token that cannot be exchanged: unknown, expired, revoked or reused. */
export const invalidRefreshToken = (detail: string) =>
  new ProblemException(401, 'invalid-refresh-token', 'Invalid refresh token', detail);

/**
 * The one place domain error codes become problem details; anything else is rethrown as is (a
 * database outage becomes a 503 in the platform's filter).
 */
export function rethrowAsProblem(error: unknown): never {
  if (error instanceof AccountError) {
    switch (error.code) {
      case 'invalid-token':
        throw new ProblemException(400, 'invalid-token', 'Invalid token', error.message, {
          errors: [{ field: 'token', message: 'is invalid, expired or already used' }],
        });
      case 'customer-account':
        throw new ProblemException(409, 'customer-account', 'Customer account', error.message);
      default:
        assertUnreachable(error.code);
    }
  }
  if (error instanceof CredentialsError) {
    switch (error.code) {
      case 'invalid-credentials':
        throw invalidCredentials(error.message);
      case 'email-not-verified':
        throw emailNotVerified(error.message);
      case 'rate-limited':
        throw rateLimited(error.message, error.retryAfterSeconds);
      case 'invalid-refresh-token':
        throw invalidRefreshToken(error.message);
      default:
        assertUnreachable(error.code);
    }
  }
  throw error;
}
