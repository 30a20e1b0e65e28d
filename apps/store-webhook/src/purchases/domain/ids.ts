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

/** Fixed namespace of store order ids (random, generated once for this service). */
const STORE_ORDER_NAMESPACE = '7d4c8a59-1f0e-4a7b-9b1e-5c2f3e8d6a10';

/**
 * The store's orderId decides the purchase id, so every delivery of one order, under
 * any webhook-id and on any instance, lands on the same purchase stream.
 */
export const purchaseIdForStoreOrder = (orderId: string) => uuidV5(`store:${orderId}`, STORE_ORDER_NAMESPACE);

/** Item ids derive from the purchase and the line, so deciding stays deterministic. */
export const itemIdFor = (purchaseId: string, line: number) => uuidV5(`item:${line}`, purchaseId);

export const purchaseStream = (purchaseId: string) => `Purchase-${purchaseId}`;
