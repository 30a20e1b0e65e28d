import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Pool } from 'pg';
import type { StoredEvent } from './event-store';
import { readerLagSeconds } from './global-log';

/**
 * The forwarder's metrics, as every service exports them: events published, commit-to-ack delay and
 * how far behind the global log it is. Returns the `onPublished` callback for the EventPublisher.
 */
export function forwarderMetrics(
  registry: Registry,
  pool: Pool,
  forwarderName: string,
): (events: readonly StoredEvent[], records: number) => void {
  const published = new Counter({
    name: 'forwarder_published_events_total',
    help: 'Events published to Kafka by the forwarder',
    registers: [registry],
  });
  const publishDelay = new Histogram({
    name: 'forwarder_publish_delay_seconds',
    help: 'Time from commit to Kafka acknowledgement, per event',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'forwarder_lag_seconds',
    help: 'Age of the oldest event not yet published to Kafka (0 when caught up)',
    registers: [registry],
    collect: async function (this: Gauge) {
      this.set(await readerLagSeconds(pool, forwarderName).catch(() => NaN));
    },
  });
  return (events, records) => {
    published.inc(records);
    const now = Date.now();
    for (const event of events) publishDelay.observe((now - event.recordedAt.getTime()) / 1000);
  };
}
