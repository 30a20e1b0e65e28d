import { uuidV5 } from '@otl/contracts';

export { itemIdFor, uuidV5 } from '@otl/contracts';

/** Fixed namespace of store order ids (random, generated once for this service). */
const STORE_ORDER_NAMESPACE = '7d4c8a59-1f0e-4a7b-9b1e-5c2f3e8d6a10';

/**
 * The store's orderId decides the purchase id, so every delivery of one order, under
 * any webhook-id and on any instance, lands on the same purchase stream.
 */
export const purchaseIdForStoreOrder = (orderId: string) => uuidV5(`store:${orderId}`, STORE_ORDER_NAMESPACE);

export const purchaseStream = (purchaseId: string) => `Purchase-${purchaseId}`;
