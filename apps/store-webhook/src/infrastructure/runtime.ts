import { topics } from '@otl/contracts';
import {
  EventPublisher,
  EventStore,
  createDataSource,
  createKafka,
  migrate,
  poolOf,
  forwarderMetrics,
  publicEventRouter,
} from '@otl/event-store';
import type { Logger, ReadinessCheck } from '@otl/platform';
import type { Registry } from 'prom-client';
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
    this.publisher = new EventPublisher({
      name: config.serviceName,
      kafka: createKafka({ brokers: config.kafkaBrokers, clientId: config.serviceName, logger }),
      pool,
      topics: [topics.purchases],
      partitions: config.kafkaPartitions,
      route: publicEventRouter(`/${config.serviceName}`),
      logger,
      onPublished: forwarderMetrics(metrics, pool, `${config.serviceName}.forwarder`),
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
