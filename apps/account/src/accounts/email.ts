import { createHash } from 'node:crypto';
import { normalizeEmail } from '@otl/platform';

// The matching rule lives with the shared e-mail validator, so what is accepted and how it is matched agree.
export { normalizeEmail };

/** Streams are named by a hash of the address, so ids and logs never carry it. */
export function emailKey(email: string): string {
  return createHash('sha256').update(normalizeEmail(email)).digest('hex');
}

export const streams = {
  account: (accountId: string) => `account-${accountId}`,
  /** Claims an address for one account: its first event names the owner. */
  emailClaim: (email: string) => `account-email-${emailKey(email)}`,
  /** Finds the account a mailed token belongs to. */
  tokenIndex: (tokenHash: string) => `account-token-${tokenHash}`,
};
