import { assertValidEvent, isPublicEventType, topicOf, toCloudEvent, type EventDataOf } from '@otl/contracts';
import type { StoredEvent } from './event-store';
import type { KafkaRecord } from './forwarder';

/** Kafka record header carrying the correlation id of the request that caused the event. */
export const KAFKA_CORRELATION_HEADER = 'correlation-id';

/**
 * Routes a stored event to Kafka when its type is part of the public contract:
 * a CloudEvents structured document keyed by its subject, checked against the
 * contract's schema before it leaves. Other (internal) events stay in the store.
 */
export function publicEventRouter(source: string) {
  return (event: StoredEvent): KafkaRecord | null => {
    if (!isPublicEventType(event.type)) return null;
    const subject = event.metadata.subject;
    if (typeof subject !== 'string')
      throw new Error(`public event ${event.eventId} has no subject in its metadata`);
    const cloudEvent = toCloudEvent({
      id: event.eventId,
      source,
      type: event.type,
      subject,
      time: event.recordedAt,
      data: event.data as EventDataOf<typeof event.type>,
    });
    assertValidEvent(cloudEvent);
    const headers: Record<string, string> = { 'ce-id': event.eventId, 'ce-type': event.type };
    if (typeof event.metadata.correlationId === 'string')
      headers[KAFKA_CORRELATION_HEADER] = event.metadata.correlationId;
    // The trace goes on with the record (the forwarder makes it its publish span when tracing is on).
    for (const name of ['traceparent', 'tracestate'] as const) {
      const value = event.metadata[name];
      if (typeof value === 'string') headers[name] = value;
    }
    return { topic: topicOf[event.type], key: subject, value: JSON.stringify(cloudEvent), headers };
  };
}
