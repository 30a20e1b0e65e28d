import { randomUUID } from 'node:crypto';

/**
 * Streams the hosted LTS appends usage.recorded.v1 to. Usage events are facts decided under the
 * licence-product row lock, not by reading a stream, so each lease transaction appends to a fresh
 * stream of its own: concurrent acquisitions never conflict or wait on an event-store lock. The
 * licences consumer appends (revocations) to the licence's stream it already locks. Kafka keys
 * are the licenceId either way (the event's subject).
 */
export const streams = {
  license: (licenseId: string) => `tracking-license-${licenseId}`,
  /** A fresh stream for one transaction's usage events. */
  usage: () => `tracking-usage-${randomUUID()}`,
};
