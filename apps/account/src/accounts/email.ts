import { createHash } from 'node:crypto';

/** The form two addresses are compared in: trimmed, lower-cased (the contract's matching rule). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

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
