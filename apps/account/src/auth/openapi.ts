import type { OpenAPIObject } from '@nestjs/swagger';
import {
  PROBLEM_CONTENT_TYPE,
  PROBLEM_SCHEMA,
  addLinks,
  invalidFields,
  type OperationLink,
  type ProblemException,
} from '@otl/platform';
import {
  EMAIL_NOT_VERIFIED,
  INVALID_CREDENTIALS,
  INVALID_REFRESH_TOKEN,
  RATE_LIMITED,
} from './credentials.service';
import { emailNotVerified, invalidCredentials, invalidRefreshToken, rateLimited } from '../errors';

/** A documented error answer whose example is the very problem the service throws. */
function problemAnswer(description: string, problem: ProblemException, headers?: Record<string, object>) {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA}` },
        example: problem.toProblem(),
      },
    },
  };
}

const RETRY_AFTER = {
  'retry-after': { description: 'Seconds until the client may try again.', schema: { type: 'integer' } },
};

/** The documented answers of the sign-in and refresh-token operations, with examples. */
export const answers = {
  signInRefused: problemAnswer(
    'The email address or password is not correct (the same answer for every failure).',
    invalidCredentials(INVALID_CREDENTIALS),
  ),
  emailNotVerified: problemAnswer(
    '`email-not-verified`: the password is right; verify the address first.',
    emailNotVerified(EMAIL_NOT_VERIFIED),
  ),
  refreshRefused: problemAnswer(
    '`invalid-refresh-token`, one answer for a token that is unknown, expired, revoked (logout, a password ' +
      'change, an account that can no longer sign in) or already used. A token already used revokes every ' +
      'token of its sign-in (the newest too): sign in again.',
    invalidRefreshToken(INVALID_REFRESH_TOKEN),
  ),
  refreshMalformed: problemAnswer(
    '`refreshToken` is missing or not 43 base64url characters, or the body has another field.',
    invalidFields([
      { field: 'refreshToken', message: 'must be a refresh token as issued (43 base64url characters)' },
    ]),
  ),
  limited: (description: string) => problemAnswer(description, rateLimited(RATE_LIMITED, 42), RETRY_AFTER),
};

const op = (method: string) => `AuthController_${method}`;
const presentRefreshToken = { refreshToken: '$response.body#/refreshToken' };

/** How a sign-in is walked: its refresh token renews it (again and again) or ends it. */
const ACCOUNT_LINKS: OperationLink[] = ['signIn', 'refresh'].flatMap((from) => [
  {
    from: op(from),
    status: 200,
    to: op('refresh'),
    requestBody: presentRefreshToken,
    description: 'Exchange the refresh token for the next pair.',
  },
  {
    from: op(from),
    status: 200,
    to: op('logout'),
    requestBody: presentRefreshToken,
    description: 'Sign out: revoke the sign-in of this refresh token.',
  },
]);

export const withAccountLinks = (document: OpenAPIObject): OpenAPIObject => addLinks(document, ACCOUNT_LINKS);
