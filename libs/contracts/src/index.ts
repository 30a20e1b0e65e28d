export * from './cloud-event';
export * from './topics';
export * from './validation';
export * from './ids';
export * from './purchase-order-api';
export {
  CURRENCY_PATTERN,
  MONEY_PATTERN,
  SCHEMA_BASE_URL,
  SHA256_HEX_PATTERN,
  eventSchemaId,
} from './events/shared';
export { accountOrigins, accountCreatedV1Schema } from './events/account-created.v1';
export type { AccountCreatedV1, AccountOrigin } from './events/account-created.v1';
export { licenseActivatedV1Schema, trackingModes } from './events/license-activated.v1';
export type { Entitlement, LicenseActivatedV1, TrackingMode } from './events/license-activated.v1';
export { licenseGeneratedV1Schema } from './events/license-generated.v1';
export type { LicenseGeneratedV1, LicensedItem } from './events/license-generated.v1';
export { licenseRevokedV1Schema } from './events/license-revoked.v1';
export type { LicenseRevokedV1 } from './events/license-revoked.v1';
export { purchaseAssignedV1Schema } from './events/purchase-assigned.v1';
export type { PurchaseAssignedV1 } from './events/purchase-assigned.v1';
export { channels, purchaseRecordedV1Schema } from './events/purchase-recorded.v1';
export type { Channel, Customer, PurchaseItem, PurchaseRecordedV1 } from './events/purchase-recorded.v1';
export { purchaseRefundedV1Schema } from './events/purchase-refunded.v1';
export type { PurchaseRefundedV1 } from './events/purchase-refunded.v1';
export { usageActions, usageRecordedV1Schema } from './events/usage-recorded.v1';
export type { UsageAction, UsageRecordedV1 } from './events/usage-recorded.v1';
