import type { CommonConfig, Logger, ReadinessCheck } from '@otl/platform';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import type { DataSource, MigrationInterface } from 'typeorm';
import { createDataSource, migrate, poolOf } from './database';
import { EventStore } from './event-store';
import { createKafka } from './kafka';
import { forwarderMetrics } from './metrics';
import { publicEventRouter } from './public-events';
import { EventPublisher } from './publisher';

export interface ServiceStoreOptions {
  config: CommonConfig;
  logger: Logger;
  metrics: Registry;
  /** The service's own migrations (the event store's run first). */
  migrations: (new () => MigrationInterface)[];
  /** Topics its public events go to (created when missing). */
  topics: readonly string[];
}

/**
 * What every service has around its event store, with its lifecycle: the database (migrated on
 * open), the store, the forwarder to Kafka with its metrics, and the readiness checks of both.
 */
export class ServiceStore {
  readonly pool: Pool;
  readonly kafka: Kafka;
  readonly store: EventStore;
  readonly publisher: EventPublisher;
  readonly readiness: ReadinessCheck[];
  private readonly appendListeners: (() => void)[] = [];

  private constructor(
    private readonly dataSource: DataSource,
    options: ServiceStoreOptions,
  ) {
    const { config, logger, metrics } = options;
    this.pool = poolOf(dataSource);
    this.kafka = createKafka({
      brokers: config.kafkaBrokers,
      security: config.kafkaSecurity,
      clientId: config.serviceName,
      logger,
    });
    this.store = new EventStore(this.pool, {
      onAppended: () => {
        this.publisher.notifyAppended();
        this.appended();
      },
    });
    this.publisher = new EventPublisher({
      name: config.serviceName,
      kafka: this.kafka,
      pool: this.pool,
      topics: [...options.topics],
      partitions: config.kafkaPartitions,
      route: publicEventRouter(`/${config.serviceName}`),
      logger,
      onPublished: forwarderMetrics(metrics, this.pool, `${config.serviceName}.forwarder`),
      onNotified: () => this.appended(),
    });
    this.readiness = [
      { name: 'database', check: async () => void (await this.pool.query('SELECT 1')) },
      { name: 'kafka', check: () => this.publisher.checkKafka() },
    ];
  }

  /** Connects and migrates; publishing starts with `startPublishing()`. */
  static async open(options: ServiceStoreOptions): Promise<ServiceStore> {
    const { config } = options;
    const dataSource = createDataSource({
      url: config.databaseUrl,
      migrations: options.migrations,
      poolSize: config.databasePoolSize,
      applicationName: config.serviceName,
    });
    await dataSource.initialize();
    await migrate(dataSource);
    return new ServiceStore(dataSource, options);
  }

  /**
   * Calls `listener` after each commit that appended events (say, to wake a mail relay): this
   * process's commits, and another process's NOTIFY while this instance's forwarder is active.
   */
  whenAppended(listener: () => void): void {
    this.appendListeners.push(listener);
  }

  private appended(): void {
    for (const listener of this.appendListeners) listener();
  }

  startPublishing(): void {
    this.publisher.start();
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
