import {
  allTopics,
  dlqTopicOf,
  eventDataSchemas,
  isPublicEventType,
  publicEventTypes,
  subjectFieldOf,
  topicOf,
  topics,
} from './index';

describe('topics', () => {
  it('routes each event type as the contract table says', () => {
    expect(topicOf).toEqual({
      'purchase.recorded.v1': 'purchases.v1',
      'purchase.refunded.v1': 'purchases.v1',
      'account.created.v1': 'accounts.v1',
      'purchase.assigned.v1': 'accounts.v1',
      'license.generated.v1': 'licenses.v1',
      'license.activated.v1': 'licenses.v1',
      'license.revoked.v1': 'licenses.v1',
      'usage.recorded.v1': 'usage.v1',
    });
    expect([...allTopics].sort()).toEqual(['accounts.v1', 'licenses.v1', 'purchases.v1', 'usage.v1']);
  });

  it('keys each event type by the aggregate the contract names', () => {
    expect(subjectFieldOf).toEqual({
      'purchase.recorded.v1': 'purchaseId',
      'purchase.refunded.v1': 'purchaseId',
      'account.created.v1': 'accountId',
      'purchase.assigned.v1': 'accountId',
      'license.generated.v1': 'licenseId',
      'license.activated.v1': 'licenseId',
      'license.revoked.v1': 'licenseId',
      'usage.recorded.v1': 'licenseId',
    });
  });

  it.each(publicEventTypes)('%s: its key field is a required uuid', (type) => {
    const schema = eventDataSchemas[type] as {
      required: readonly string[];
      properties: Record<string, { format?: string }>;
    };
    const field = subjectFieldOf[type];
    expect(schema.required).toContain(field);
    expect(schema.properties[field].format).toBe('uuid');
  });

  it('names the dead-letter topic after its topic', () => {
    expect(dlqTopicOf(topics.purchases)).toBe('purchases.v1.dlq');
    expect(dlqTopicOf('usage.v1')).toBe('usage.v1.dlq');
  });

  it('tells public event types from others', () => {
    expect(publicEventTypes.every(isPublicEventType)).toBe(true);
    expect(isPublicEventType('purchase.recorded.v2')).toBe(false);
    expect(isPublicEventType('PurchaseRecorded')).toBe(false);
    expect(isPublicEventType(undefined)).toBe(false);
  });
});
