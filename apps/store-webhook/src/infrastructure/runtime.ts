import { topics } from '@otl/contracts';
import {
  EventPublisher,
  EventStore,
  createDataSource,
  createKafka,
  migrate,
  poolOf,
  publicEventRouter,
  readerLagSeconds,
} from '@otl/event-store';
import type { Logger, ReadinessCheck } from '@otl/platform';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { StoreWebhookConfig } from '../config';
import { StoreWebhookDeliveries1764230500000 } from './migrations/1764230500000-store-webhook-deliveries';

/**
 * Everything outside the process the service depends on, with its lifecycle:
 * the database (migrated on start), the event store and the Kafka publisher.
 */
export class StoreWebhookRuntime {
  readonly store: EventStore;
  readonly publisher: EventPublisher;
  readonly readiness: ReadinessCheck[];

  private constructor(
    private readonly dataSource: DataSource,
    config: StoreWebhookConfig,
    logger: Logger,
    metrics: Registry,
  ) {
    const pool = poolOf(dataSource);
    this.store = new EventStore(pool, { onAppended: () => this.publisher.notifyAppended() });
    const published = new Counter({
      name: 'forwarder_published_events_total',
      help: 'Events published to Kafka by the forwarder',
      registers: [metrics],
    });
    const publishDelay = new Histogram({
      name: 'forwarder_publish_delay_seconds',
      help: 'Time from commit to Kafka acknowledgement, per event',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [metrics],
    });
    this.publisher = new EventPublisher({
      name: config.serviceName,
      kafka: createKafka({ brokers: config.kafkaBrokers, clientId: config.serviceName, logger }),
      pool,
      topics: [topics.purchases],
      partitions: config.kafkaPartitions,
      route: publicEventRouter(`/${config.serviceName}`),
      logger,
      onPublished: (events, records) => {
        published.inc(records);
        const now = Date.now();
        for (const event of events) publishDelay.observe((now - event.recordedAt.getTime()) / 1000);
      },
    });
    const forwarderName = `${config.serviceName}.forwarder`;
    new Gauge({
      name: 'forwarder_lag_seconds',
      help: 'Age of the oldest event not yet published to Kafka (0 when caught up)',
      registers: [metrics],
      collect: async function (this: Gauge) {
        this.set(await readerLagSeconds(pool, forwarderName).catch(() => NaN));
      },
    });
    this.readiness = [
      { name: 'database', check: async () => void (await pool.query('SELECT 1')) },
      { name: 'kafka', check: () => this.publisher.checkKafka() },
    ];
  }

  static async start(
    config: StoreWebhookConfig,
    logger: Logger,
    metrics: Registry,
  ): Promise<StoreWebhookRuntime> {
    const dataSource = createDataSource({
      url: config.databaseUrl,
      migrations: [StoreWebhookDeliveries1764230500000],
      poolSize: config.databasePoolSize,
      applicationName: config.serviceName,
    });
    await dataSource.initialize();
    await migrate(dataSource);
    const runtime = new StoreWebhookRuntime(dataSource, config, logger, metrics);
    runtime.publisher.start();
    return runtime;
  }

  /** Stops publishing; the batch in flight completes and its checkpoint is saved. */
  stopPublishing(): Promise<void> {
    return this.publisher.stop();
  }

  /** Closes the database, once no request is in flight any more. */
  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
