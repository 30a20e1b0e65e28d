/**
 * po-intake's queue cursor, `<dueBy as epoch ms>.<purchaseOrderId>`: the position after which the
 * next page starts. Every string of this shape is a valid position, so po-intake and the portal,
 * which passes it on, hold a cursor to the same rule.
 */
export const PURCHASE_ORDER_CURSOR_PATTERN =
  /^(\d{1,15})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
