import { ProblemException } from '@otl/platform';
import { AccountError } from './accounts/domain/account';
import { CredentialsError } from './auth/credentials.service';

function assertUnreachable(value: never): never {
  throw new Error(`unhandled error code ${String(value)}`);
}

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
        throw new ProblemException(401, 'invalid-credentials', 'Sign-in failed', error.message);
      case 'email-not-verified':
        throw new ProblemException(403, 'email-not-verified', 'Email address not verified', error.message);
      case 'rate-limited':
        throw new ProblemException(429, 'too-many-requests', 'Too many requests', error.message, {
          headers: { 'retry-after': String(error.retryAfterSeconds) },
        });
      default:
        assertUnreachable(error.code);
    }
  }
  throw error;
}
