import { createHash } from 'node:crypto';

/** Name-based UUID (RFC 9562 version 5): the same name in the same namespace gives the same id. */
export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A purchase's item ids derive from the purchase and the line, so every channel decides them
 * deterministically (a retried decision names the same items).
 */
export const itemIdFor = (purchaseId: string, line: number) => uuidV5(`item:${line}`, purchaseId);
