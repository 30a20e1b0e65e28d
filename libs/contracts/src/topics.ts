import type { AccountCreatedV1 } from './events/account-created.v1';
import type { LicenseActivatedV1 } from './events/license-activated.v1';
import type { LicenseGeneratedV1 } from './events/license-generated.v1';
import type { LicenseRevokedV1 } from './events/license-revoked.v1';
import type { PurchaseAssignedV1 } from './events/purchase-assigned.v1';
import type { PurchaseRecordedV1 } from './events/purchase-recorded.v1';
import type { PurchaseRefundedV1 } from './events/purchase-refunded.v1';
import type { UsageRecordedV1 } from './events/usage-recorded.v1';

export const topics = {
  purchases: 'purchases.v1',
  accounts: 'accounts.v1',
  licenses: 'licenses.v1',
  usage: 'usage.v1',
} as const;
export type Topic = (typeof topics)[keyof typeof topics];
export const allTopics: readonly Topic[] = Object.values(topics);

/** Where a consumer parks a record it cannot process after bounded retries. */
export function dlqTopicOf<T extends string>(topic: T): `${T}.dlq` {
  return `${topic}.dlq`;
}

export const publicEventTypes = [
  'purchase.recorded.v1',
  'purchase.refunded.v1',
  'account.created.v1',
  'purchase.assigned.v1',
  'license.generated.v1',
  'license.activated.v1',
  'license.revoked.v1',
  'usage.recorded.v1',
] as const;
export type PublicEventType = (typeof publicEventTypes)[number];

/** Extending the Record makes the compiler insist on an entry for every public event type. */
export interface EventDataByType extends Record<PublicEventType, object> {
  'purchase.recorded.v1': PurchaseRecordedV1;
  'purchase.refunded.v1': PurchaseRefundedV1;
  'account.created.v1': AccountCreatedV1;
  'purchase.assigned.v1': PurchaseAssignedV1;
  'license.generated.v1': LicenseGeneratedV1;
  'license.activated.v1': LicenseActivatedV1;
  'license.revoked.v1': LicenseRevokedV1;
  'usage.recorded.v1': UsageRecordedV1;
}
export type EventDataOf<T extends PublicEventType> = EventDataByType[T];

export const topicOf: { readonly [T in PublicEventType]: Topic } = {
  'purchase.recorded.v1': topics.purchases,
  'purchase.refunded.v1': topics.purchases,
  'account.created.v1': topics.accounts,
  'purchase.assigned.v1': topics.accounts,
  'license.generated.v1': topics.licenses,
  'license.activated.v1': topics.licenses,
  'license.revoked.v1': topics.licenses,
  'usage.recorded.v1': topics.usage,
};

/**
 * The data field whose value is the CloudEvent `subject` and the Kafka key, so that one
 * aggregate's events share a partition and stay in order.
 */
export const subjectFieldOf: { readonly [T in PublicEventType]: keyof EventDataOf<T> & string } = {
  'purchase.recorded.v1': 'purchaseId',
  'purchase.refunded.v1': 'purchaseId',
  'account.created.v1': 'accountId',
  'purchase.assigned.v1': 'accountId',
  'license.generated.v1': 'licenseId',
  'license.activated.v1': 'licenseId',
  'license.revoked.v1': 'licenseId',
  'usage.recorded.v1': 'licenseId',
};

export function isPublicEventType(type: unknown): type is PublicEventType {
  return (publicEventTypes as readonly unknown[]).includes(type);
}
